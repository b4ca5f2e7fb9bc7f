"""Adapter: figures of family mupc_bp_baseline (rule mupc_bp_baseline)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

import pandas as pd

from pcrepro.pipeline.results import read_table
from pcrepro.plots.common import FigureWriter
from pcrepro.plots.mupc import bp_lr_sweep_figure

sm = snakemake  # noqa: F821
table = read_table(sm.input.table)
selection = pd.read_csv(sm.input.selection)
paths = iter(sm.output)
with FigureWriter() as writer:
    for block in sm.params.blocks:
        rows = table[(table["dataset"] == block["dataset"]) & (table["epochs"] == block["epochs"])]
        for act in block["act_fns"]:
            chosen = selection[(selection["dataset"] == block["dataset"]) & (selection["epochs"] == block["epochs"])
                               & (selection["act_fn"] == act) & selection["selected"]]
            fig, data = bp_lr_sweep_figure(rows, act_fn=act, selected_lr=float(chosen["weight_lr"].item()),
                                           preset=sm.params.preset, stopped_run_score=sm.params.stopped_run_score,
                                           title=f"BP Depth-μP, {block['dataset']}, {block['epochs']} epoch(s)")
            writer.plotly(fig, next(paths), data)
writer.check(sm.output)
