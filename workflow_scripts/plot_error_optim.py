"""Adapter: one figure family of study error_optim (rules eo_convergence, eo_grad_cosine, eo_grad_norms)."""

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
    fig, data = plots.DRAW[sm.params.family](result, list(sm.params.layers))
    writer.plotly(fig, sm.params.relpath, data, standin=standin)
writer.check([Path(p) for p in sm.output])
