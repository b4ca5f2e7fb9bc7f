"""Adapter: figures of family mupc_sweeps (rule mupc_sweeps_figures)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

import pandas as pd

from pcrepro.pipeline.results import best_runs, read_table
from pcrepro.plots.common import FigureWriter
from pcrepro.plots.mupc import (
    best_curves_figure,
    condition_number_figure,
    lr_sweep_figure,
)

sm = snakemake  # noqa: F821
grid, preset, pad = sm.params.grid, sm.params.preset, sm.params.stopped_run_score
table = read_table(sm.input.table)
best = best_runs(table, pd.read_csv(sm.input.selection), grid["select_by"])
common = dict(preset=preset, stopped_run_score=pad)

with FigureWriter() as writer:
    lr_paths = iter(sm.output.lr_sweep)
    for act in grid["act_fns"]:
        for n_hidden in grid["depth_sweep"]["n_hiddens"]:
            fig, data = lr_sweep_figure(table, act_fn=act, n_hidden=n_hidden,
                                        width=grid["depth_sweep"]["width"], **common)
            writer.plotly(fig, next(lr_paths), data)
    for act, width_path, depth_path in zip(grid["act_fns"], sm.output.best_width, sm.output.best_depth):
        fig, data = best_curves_figure(best, act_fn=act, vary="width",
                                       fixed={"n_hidden": grid["width_sweep"]["n_hidden"]}, **common)
        writer.plotly(fig, width_path, data)
        fig, data = best_curves_figure(best, act_fn=act, vary="n_hidden",
                                       fixed={"width": grid["depth_sweep"]["width"]}, **common)
        writer.plotly(fig, depth_path, data)
    if sm.output.cond_nums:  # κ cells of their own (one activity lr, the notebook's interval)
        kappa = read_table(sm.input.condition_numbers[0])
        for act, path in zip(grid["act_fns"], sm.output.cond_nums):
            fig, data = condition_number_figure(kappa, act_fn=act, width=grid["depth_sweep"]["width"],
                                                n_hiddens=grid["condition_numbers"]["n_hiddens"], preset=preset,
                                                lr_text="η")
            writer.plotly(fig, path, data)
writer.check(sm.output)
