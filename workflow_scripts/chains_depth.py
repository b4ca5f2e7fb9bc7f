"""Adapter: everything seed 000 computes for one chain depth (rule chains_depth)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.provenance import finished, from_snakemake
from pcrepro.pipeline.runtime import start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before JAX starts its backend: XLA flags, and one GPU of its own for a GPU job
start_job(sm.params.fast_compile, getattr(sm.resources, "gpu", 0), sm.config["compute"], sm.log[0])
prov = from_snakemake(sm, dtype="float64")  # this job's provenance record, started now

import jax

jax.config.update("jax_enable_x64", True)  # Hessians and landscapes in float64, as numpy in the seed


from pcrepro.data import save_npz_atomic
from pcrepro.pipeline.progress import log_to
from pcrepro.studies.chains import analyse_depth, depth_arguments

with log_to(sm.log[0]) as log:
    result = analyse_depth(int(sm.wildcards.n_hidden), **depth_arguments(sm.params.grid, int(sm.wildcards.n_hidden)),
                           log=log)
    save_npz_atomic(sm.output[0], finished(prov), **result)
