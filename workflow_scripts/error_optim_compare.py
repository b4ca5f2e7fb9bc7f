"""Adapter: the whole error_optim comparison on one batch (rule error_optim_compare)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.provenance import finished, from_snakemake
from pcrepro.pipeline.runtime import start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before JAX starts its backend: XLA flags, and one GPU of its own for a GPU job
start_job(sm.params.fast_compile, getattr(sm.resources, "gpu", 0), sm.config["compute"], sm.log[0])
prov = from_snakemake(sm, dtype=sm.params.grid["dtype"])  # this job's provenance record, started now

import jax

jax.config.update("jax_enable_x64", sm.params.grid["dtype"] == "float64")


from pcrepro.data import save_npz_atomic
from pcrepro.pipeline.progress import log_to
from pcrepro.studies.error_optim import run_study

with log_to(sm.log[0]) as log:
    result = run_study(sm.params.grid, sm.input.dataset, log=log)
    save_npz_atomic(sm.output[0], finished(prov), **result)
