"""Adapter: the six figure families of study double_descent (rule double_descent_figures)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pathlib import Path

import numpy as np

from pcrepro.plots import double_descent as plots
from pcrepro.plots.common import FigureWriter

sm = snakemake  # noqa: F821 (injected by Snakemake)
points = sm.params.plot_points
results = {}
for path in sm.input:
    with np.load(path) as f:
        results[Path(path).stem] = {k: f[k] for k in f.files}
with FigureWriter(sm.params.figures_root, footer=f"preset: {sm.params.preset} · seed 004") as writer:
    for family in ("dd_training", "dd_rank_one"):
        init = "constant" if family == "dd_training" else "rank_one"
        fig, data = plots.training_figure(results[init], points, extras=family == "dd_rank_one")
        writer.plotly(fig, f"{family}/{init}.pdf", data)
    for plane, fig in plots.field_figures(results["constant"], sm.params.vector_fields).items():
        writer.plotly(fig, f"dd_vector_fields/{plane}.pdf")
    for family, draw in (("dd_jacobian", plots.jacobian_figure), ("dd_alignment", plots.alignment_figure),
                         ("dd_theory", lambda r: plots.theory_figure(r, points))):
        for init, result in results.items():
            fig, data = draw(result)
            writer.plotly(fig, f"{family}/{init}.pdf", data)
writer.check([Path(p) for p in sm.output])
