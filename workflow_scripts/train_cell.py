"""Adapter: train one grid cell (rule train_cell). Outside Snakemake: `pcrepro train-cell`."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.provenance import finished, from_snakemake
from pcrepro.pipeline.runtime import start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before JAX starts its backend: XLA flags, and one GPU of its own for a GPU job
start_job(sm.params.fast_compile, getattr(sm.resources, "gpu", 0), sm.config["compute"], sm.log[0])
prov = from_snakemake(sm, dtype=sm.params.cell["train"]["dtype"])  # this job's provenance record, started now

import jax

jax.config.update("jax_enable_x64", sm.params.cell["train"]["dtype"] == "float64")  # compute.dtype

from pcrepro.pipeline.progress import log_to
from pcrepro.pipeline.results import write_table
from pcrepro.pipeline.runner import run_cell

with log_to(sm.log[0]) as log:
    table = run_cell(
        sm.params.cell,
        sm.input.dataset,
        max_runs_per_program=sm.params.max_runs_per_program,
        split_batch=sm.params.split_batch,
        log=log,
        selection_path=getattr(sm.input, "selection", None),
        # beside the output but not one: Snakemake leaves it when it cleans up a killed job.
        # How often to save is read from the config, not params: it does not change results,
        # so changing it must not rerun finished cells.
        checkpoint=f"{sm.output[0]}.checkpoint.npz",
        checkpoint_every_s=sm.config["compute"].get("checkpoint_every_s", 300),
    )
    write_table(table, sm.output[0], finished(prov, matmul_precision=table["matmul_precision"].iloc[0]))
