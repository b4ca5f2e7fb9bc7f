"""Adapter: figure family mupc_forward_pass (rule mupc_forward_pass)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pathlib import Path

import pandas as pd

from pcrepro.data import STANDIN
from pcrepro.pipeline.results import read_table
from pcrepro.plots.common import FigureWriter
from pcrepro.plots.mupc_analysis import draw_forward_pass

sm = snakemake  # noqa: F821 (injected by Snakemake)
table = pd.concat([read_table(p) for p in sm.input], ignore_index=True)
footer = f"preset: {sm.params.preset} · seed 002 · BP, seed {sm.params.grid['seed']}"
with FigureWriter(sm.params.figures_root, footer=footer) as writer:
    draw_forward_pass(writer, table, sm.params.grid, standin=bool((table["data_source"] == STANDIN).any()))
writer.check([Path(p) for p in sm.output])
