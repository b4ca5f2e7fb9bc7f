"""Adapter: figure family mupc_energy_theory (rule mupc_energy_theory)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pathlib import Path

from pcrepro.data import STANDIN
from pcrepro.pipeline.results import read_table
from pcrepro.plots.common import FigureWriter
from pcrepro.plots.mupc_analysis import (
    draw_energy_theory_phase,
    draw_energy_theory_width,
)

sm = snakemake  # noqa: F821 (injected by Snakemake)
grid = sm.params.grid
footer = f"preset: {sm.params.preset} · seed 002 · Adam on F*, seed {grid['seed']}"
with FigureWriter(sm.params.figures_root, footer=footer) as writer:
    for path in sm.input.phase:
        table = read_table(path)
        draw_energy_theory_phase(writer, table, str(table["param_type"].iloc[0]), grid,
                                 standin=bool((table["data_source"] == STANDIN).any()))
    for path in sm.input.width:
        table = read_table(path)
        for (act, param_type), rows in table.groupby(["act_fn", "param_type"]):
            draw_energy_theory_width(writer, rows, act, param_type, grid,
                                     standin=bool((rows["data_source"] == STANDIN).any()))
writer.check([Path(p) for p in sm.output])
