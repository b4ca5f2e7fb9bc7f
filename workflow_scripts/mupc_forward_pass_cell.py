"""Adapter: forward-pass norms of one (activation, optimiser) (rule mupc_forward_pass_cell)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.provenance import finished, from_snakemake
from pcrepro.pipeline.runtime import start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before JAX starts its backend: XLA flags, and one GPU of its own for a GPU job
start_job(sm.params.fast_compile, getattr(sm.resources, "gpu", 0), sm.config["compute"], sm.log[0])
prov = from_snakemake(sm)  # this job's provenance record, started now

from pcrepro.data import load_prepared
from pcrepro.pipeline.progress import log_to
from pcrepro.pipeline.results import write_table
from pcrepro.studies.mupc_analysis.forward_pass import run_setting_grid

grid = sm.params.grid
with log_to(sm.log[0]) as log:
    data = load_prepared(sm.input.dataset, sm.params.normalisation)
    table = run_setting_grid(sm.wildcards.act, sm.wildcards.optim, grid["settings"], grid["widths"], grid["depths"],
                             data.x_train, data.y_train, seed=grid["seed"], n_steps=grid["n_steps"],
                             batch_size=grid["batch_size"], lr=grid["lr"], log=log)
    table["data_source"] = data.source
    write_table(table, sm.output[0], finished(prov))
