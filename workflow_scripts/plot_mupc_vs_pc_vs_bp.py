"""Adapter: figures of family mupc_vs_pc_vs_bp (rule mupc_vs_pc_vs_bp)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

import pandas as pd

from pcrepro.pipeline.results import best_runs, read_table, rows_where
from pcrepro.plots.common import FigureWriter
from pcrepro.plots.mupc import (
    ACT_TITLES,
    deep_comparison_figure,
    depth_legend_figure,
    mupc_vs_pc_vs_bp_figure,
)

sm = snakemake  # noqa: F821
p, grid = sm.params, sm.params.grid
common = dict(preset=p.preset, stopped_run_score=p.stopped_run_score)
own = read_table(sm.input.own)
mupc = best_runs(read_table(sm.input.mupc), pd.read_csv(sm.input.mupc_selection), p.mupc_select_by)
mupc = mupc[mupc["width"] == grid["width"]]
pc = best_runs(read_table(sm.input.pc), pd.read_csv(sm.input.pc_selection), p.pc_select_by,
               ["weight_lr", "activity_lr"])
pc = pc[(pc["param_type"] == "sp") & (pc["width"] == grid["width"]) & (pc["dataset"] == grid["dataset"])
        & (pc["test_every"] == p.pc_test_every)]  # the transfer sweep's depth cells
long_runs = read_table(sm.input.long_runs)
comparison = grid["comparison"]

with FigureWriter() as writer:
    main_bp = own[(own["algorithm"] == "bp") & (own["dataset"] == grid["dataset"]) & (own["epochs"] == grid["epochs"])
                  & own["n_hidden"].isin(grid["bp_n_hiddens"])]
    for act, path in zip(grid["act_fns"], sm.output.main):
        fig, data = mupc_vs_pc_vs_bp_figure(mupc, pc, main_bp, act_fn=act, n_hiddens=grid["n_hiddens"], **common)
        writer.plotly(fig, path, data)
    for block, path in zip(p.blocks, sm.output.comparison):
        def rows(table, algorithm):
            return rows_where(table, algorithm=algorithm, dataset=block["dataset"], epochs=block["epochs"],
                              n_hidden=comparison["n_hidden"], act_fn=comparison["act_fn"])
        title = (f"{ACT_TITLES[comparison['act_fn']]} net, H={comparison['n_hidden']}, {block['dataset']}, "
                 f"{block['epochs']} epochs")
        fig, data = deep_comparison_figure(rows(long_runs, "pc"), rows(own, "pc"), rows(own, "bp"), title=title,
                                           **common)
        writer.plotly(fig, path, data)
    for algorithm, path in zip(("mupc", "pc", "bp"), sm.output.legends):
        depths = grid["bp_n_hiddens"] if algorithm == "bp" else grid["n_hiddens"]
        writer.plotly(depth_legend_figure(depths, algorithm), path)
writer.check(sm.output)
