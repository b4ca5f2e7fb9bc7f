"""Adapter: the three figure families of study error_optim (rule error_optim_figures)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pathlib import Path

import numpy as np

from pcrepro.plots import error_optim as plots
from pcrepro.plots.common import FigureWriter

sm = snakemake  # noqa: F821 (injected by Snakemake)
with np.load(sm.input[0]) as f:
    result = {k: f[k] for k in f.files}
standin = str(result["source"]) != "real"
footer = f"preset: {sm.params.preset} · seed 003 · {result['dataset']} · {plots.footer(result)}"
with FigureWriter(sm.params.figures_root, footer=footer) as writer:
    for family, (relpath,) in sm.params.files.items():
        fig, data = plots.DRAW[family](result, list(sm.params.layers))
        writer.plotly(fig, relpath, data, standin=standin)
writer.check([Path(p) for p in sm.output])
