"""Adapter: one figure family of study chains (rules chains_curves … chains_hessian)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

import re
from pathlib import Path

import numpy as np

from pcrepro.plots import chains as plots
from pcrepro.plots.common import FigureWriter

sm = snakemake  # noqa: F821 (injected by Snakemake)
family, grid = sm.params.family, sm.params.grid
results = {}
for path in sm.input:
    with np.load(path) as f:
        results[int(re.search(r"depth_(\d+)\.npz$", path).group(1))] = {k: f[k] for k in f.files}
steps, frames = grid["landscape_steps"], grid["max_gif_frames"]
draw = {
    "chains_curves": plots.draw_curves,
    "chains_stats": plots.draw_stats,
    "chains_loss_landscape": lambda w, h, r: plots.draw_loss_landscape(w, h, r, frames),
    "chains_energy_landscape": lambda w, h, r: plots.draw_energy_landscape(w, h, r, steps, frames),
    "chains_predictions": lambda w, h, r: plots.draw_predictions(w, h, r, frames),
    "chains_hessian": plots.draw_hessian,
}[family]

with FigureWriter(sm.params.figures_root, footer=f"preset: {sm.params.preset} · seed 000") as writer:
    for h, result in sorted(results.items()):
        draw(writer, h, result)
writer.check([Path(p) for p in sm.output])
