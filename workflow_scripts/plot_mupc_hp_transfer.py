"""Adapter: contours of family mupc_hp_transfer (rule mupc_hp_transfer)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

import pandas as pd

from pcrepro.pipeline.results import read_table
from pcrepro.plots.common import FigureWriter
from pcrepro.plots.mupc import lr_contour_figure, select_rows

sm = snakemake  # noqa: F821
table = read_table(sm.input.table)
selection = pd.read_csv(sm.input.selection)
selected = selection[selection["selected"]]
names = {"mupc": "μPC", "sp": "SP"}
with FigureWriter() as writer:
    for (dataset, param, act, width, n_hidden, every, metric), path in zip(sm.params.contours, sm.output):
        where = dict(dataset=dataset, param_type=param, act_fn=act, width=width, n_hidden=n_hidden, test_every=every)
        cell = select_rows(table, "mupc_hp_transfer runs", **where)
        chosen = select_rows(selected, "selected pair", **{k: where[k] for k in sm.params.select_by})
        pair = (float(chosen["weight_lr"].iloc[0]), float(chosen["activity_lr"].iloc[0]))
        title = f"{names[param]} {act}, {dataset}, N={width}, H={n_hidden}"
        fig, data = lr_contour_figure(cell, metric=metric, title=title, preset=sm.params.preset, selected=pair,
                                      failed_if=sm.params.failed_if, stopped_points=sm.params.stopped_points)
        writer.plotly(fig, path, data)
writer.check(sm.output)
