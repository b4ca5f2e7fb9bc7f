"""Adapter: train one grid cell (rule train_cell). Outside Snakemake: `pcrepro train-cell`."""

from pcrepro.cells import run_cell
from pcrepro.progress import log_to
from pcrepro.results import write_table

with log_to(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    table = run_cell(
        snakemake.params.cell,  # noqa: F821
        snakemake.input.dataset,  # noqa: F821
        max_runs_per_program=snakemake.params.max_runs_per_program,  # noqa: F821
        log=log,
    )
    write_table(table, snakemake.output[0])  # noqa: F821
