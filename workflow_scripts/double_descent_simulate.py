"""Adapter: the two-layer net and its reduced dynamics from one init (rule double_descent_simulate)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.provenance import finished, from_snakemake
from pcrepro.pipeline.runtime import start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before JAX starts its backend: XLA flags, and one GPU of its own for a GPU job
start_job(sm.params.fast_compile, getattr(sm.resources, "gpu", 0), sm.config["compute"], sm.log[0])
prov = from_snakemake(sm, dtype="float64")  # this job's provenance record, started now

import jax

jax.config.update("jax_enable_x64", True)  # 100 000 steps; the reduced-form agreement is checked to round-off


from pcrepro.data import save_npz_atomic
from pcrepro.pipeline.progress import log_to
from pcrepro.studies.double_descent import run, setup_from_grid

grid = sm.params.grid
with log_to(sm.log[0]) as log:
    result = run(setup_from_grid(grid), sm.wildcards.init, tuple(grid["snapshots"]), log=log,
                 control_kappa=grid.get("control_kappa"))
    save_npz_atomic(sm.output[0], finished(prov), **result)
