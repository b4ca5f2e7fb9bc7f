"""Adapter: Hessians, spectra and projections of one deep-linear-net configuration (rule dln_hessian_config)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.provenance import finished, from_snakemake
from pcrepro.pipeline.runtime import start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before JAX starts its backend: XLA flags, and one GPU of its own for a GPU job
start_job(sm.params.fast_compile, getattr(sm.resources, "gpu", 0), sm.config["compute"], sm.log[0])
prov = from_snakemake(sm, dtype="float64")  # this job's provenance record, started now

import jax

jax.config.update("jax_enable_x64", True)  # eigenvalues near zero must not drown in float32 round-off

import numpy as np

from pcrepro.data import save_npz_atomic
from pcrepro.pipeline.progress import log_to
from pcrepro.studies.dln_hessian import analyse, dln_configs, has_projections, load_sample

grid = sm.params.grid
config = {c.id: c for c in dln_configs(grid)}[sm.wildcards.config]
with log_to(sm.log[0]) as log:
    x, y, source = load_sample(config, grid, {k: v for k, v in sm.input.items()})
    result = analyse(config, x, y, seed=grid["seed"], plot_steps=grid["plot_steps"], dt=grid["dt"],
                     heatmap_max_size=grid["heatmap_max_size"], chunk_size=grid["chunk_size"],
                     projections=grid["projections"] if has_projections(config, grid) else None, log=log)
    result["source"] = np.array(source)
    save_npz_atomic(sm.output[0], finished(prov), **result)
