"""Adapter: contours of family mupc_hp_transfer (rule mupc_hp_transfer)."""

from pcrepro.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

import pandas as pd

from pcrepro.plots.common import export, export_session
from pcrepro.plots.mupc import lr_contour_figure, select_rows

sm = snakemake  # noqa: F821
table = pd.read_parquet(sm.input.table)
names = {"mupc": "μPC", "sp": "SP"}
with export_session():
    for (dataset, param, act, width, n_hidden, metric), path in zip(sm.params.contours, sm.output):
        cell = select_rows(table, "mupc_hp_transfer runs", dataset=dataset, param_type=param, act_fn=act,
                           width=width, n_hidden=n_hidden)
        title = f"{names[param]} {act}, {dataset}, N={width}, H={n_hidden}"
        fig, data = lr_contour_figure(cell, metric=metric, failed_if=sm.params.failed_if, title=title,
                                      preset=sm.params.preset)
        export(fig, path, data)
