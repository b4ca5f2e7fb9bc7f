"""Adapter: figures of family mupc_pc_sweeps (rule mupc_pc_sweeps_figures)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

import pandas as pd

from pcrepro.studies.mupc_training import variant_depths
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
lr_paths, best_paths, cond_paths = iter(sm.output.lr_sweep), iter(sm.output.best), iter(sm.output.cond_nums)

with FigureWriter() as writer:
    for dataset in grid["datasets"]:
        for name, variant in grid["variants"].items():
            label = f"PC ({name.replace('_', ' + ')}), {dataset}"
            rows = table[(table["dataset"] == dataset) & (table["variant"] == name)]
            chosen = best[(best["dataset"] == dataset) & (best["variant"] == name)]
            for act in grid["act_fns"]:
                depths = variant_depths(variant, act, grid["n_hiddens"])
                for n_hidden in depths:
                    fig, data = lr_sweep_figure(rows, act_fn=act, n_hidden=n_hidden, width=grid["width"], label=label,
                                                **common)
                    writer.plotly(fig, next(lr_paths), data)
                fig, data = best_curves_figure(chosen, act_fn=act, vary="n_hidden", fixed={"width": grid["width"]},
                                               label=label, **common)
                writer.plotly(fig, next(best_paths), data)
                if grid["condition_numbers"]:
                    fig, data = condition_number_figure(chosen, act_fn=act, width=grid["width"], n_hiddens=depths,
                                                        preset=preset, label=label)
                    writer.plotly(fig, next(cond_paths), data)
writer.check(sm.output)
