"""Adapter: train one grid cell (rule train_cell). Outside Snakemake: `pcrepro train-cell`."""

from pcrepro.runtime import fast_compile

sm = snakemake  # noqa: F821 (injected by Snakemake)
if sm.params.fast_compile:  # before JAX starts its backend
    fast_compile()

from pcrepro.cells import run_cell
from pcrepro.progress import log_to
from pcrepro.results import write_table

with log_to(sm.log[0]) as log:
    table = run_cell(
        sm.params.cell,
        sm.input.dataset,
        max_runs_per_program=sm.params.max_runs_per_program,
        log=log,
        selection_path=getattr(sm.input, "selection", None),
    )
    write_table(table, sm.output[0])
