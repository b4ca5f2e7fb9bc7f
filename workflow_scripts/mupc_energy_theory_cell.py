"""Adapter: nets trained on the equilibrated energy (rules mupc_energy_theory_phase / _width)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.provenance import finished, from_snakemake
from pcrepro.pipeline.runtime import start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before JAX starts its backend: XLA flags, and one GPU of its own for a GPU job
start_job(sm.params.fast_compile, getattr(sm.resources, "gpu", 0), sm.config["compute"], sm.log[0])
prov = from_snakemake(sm)  # this job's provenance record, started now

import pandas as pd

from pcrepro.data import load_prepared
from pcrepro.pipeline.progress import log_to
from pcrepro.pipeline.results import write_table
from pcrepro.studies.mupc_analysis.energy_theory import run_grid

run, grid = sm.params.run, sm.params.grid
with log_to(sm.log[0]) as log:
    data = load_prepared(sm.input.dataset, sm.params.normalisation)
    table = pd.concat([run_grid(sm.wildcards.param_type, act, grid["widths"], grid["n_hiddens"], grid["lr"],
                                data.x_train, data.y_train, seed=run["seed"], batch_size=run["batch_size"],
                                max_steps=run["max_steps"], log=log) for act in grid["act_fns"]], ignore_index=True)
    table["data_source"] = data.source
    write_table(table, sm.output[0], finished(prov))
