"""Adapter: figures of family mupc_pc_baseline (rule mupc_pc_baseline)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

import pandas as pd

from pcrepro.pipeline.results import best_runs, read_table
from pcrepro.plots.common import FigureWriter
from pcrepro.plots.mupc import best_curves_figure

sm = snakemake  # noqa: F821
p = sm.params
lr_keys = ("weight_lr", "activity_lr")
table = read_table(sm.input.table)
best = best_runs(table, pd.read_csv(sm.input.selection), p.select_by, list(lr_keys))
best = best[(best["param_type"] == "sp") & (best["dataset"] == p.dataset) & best["n_hidden"].isin(p.n_hiddens)
            & (best["test_every"] == p.test_every)]  # the depth sweep's cells
with FigureWriter() as writer:
    for act, path in zip(p.act_fns, sm.output):
        fig, data = best_curves_figure(best, act_fn=act, vary="n_hidden", fixed={"width": p.width}, label="PC (sp)",
                                       lr_keys=lr_keys, preset=p.preset, stopped_run_score=p.stopped_run_score,
                                       chance_if_all_stopped=True)  # the notebook's "failed" depths
        writer.plotly(fig, path, data)
writer.check(sm.output)
