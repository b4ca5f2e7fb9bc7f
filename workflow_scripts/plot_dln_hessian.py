"""Adapter: one figure family of study dln_hessian (rules dln_loss_hessian … dln_projections)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pathlib import Path

import numpy as np

from pcrepro.plots import dln_hessian as plots
from pcrepro.plots.common import FigureWriter
from pcrepro.studies.dln_hessian import dln_configs

sm = snakemake  # noqa: F821 (injected by Snakemake)
family, grid = sm.params.family, sm.params.grid
draw = {"dln_loss_hessian": plots.draw_loss, "dln_energy_hessian": plots.draw_energy,
        "dln_spectrum": plots.draw_spectrum, "dln_projections": plots.draw_projections}[family]
with FigureWriter(sm.params.figures_root, footer=f"preset: {sm.params.preset} · seed 001") as writer:
    for config in dln_configs(grid):
        if family == "dln_projections" and not plots.has_projections(config, grid):
            continue
        with np.load(f"{sm.params.results}/{config.id}.npz") as f:
            draw(writer, config, {k: f[k] for k in f.files})
writer.check([Path(p) for p in sm.output])
