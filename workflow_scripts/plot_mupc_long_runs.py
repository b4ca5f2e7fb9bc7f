"""Adapter: figures of family mupc_long_runs (rule mupc_long_runs)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pcrepro.pipeline.results import read_table
from pcrepro.plots.common import FigureWriter
from pcrepro.plots.mupc import long_run_figure

sm = snakemake  # noqa: F821
table = read_table(sm.input[0])
with FigureWriter() as writer:
    for block, path in zip(sm.params.blocks, sm.output):
        rows = table[(table["dataset"] == block["dataset"]) & (table["epochs"] == block["epochs"])]
        title = (f"μPC ReLU, H={sm.params.n_hidden}, {block['dataset']}, {block['epochs']} epochs, "
                 f"weight lr {block['weight_lr']:g}, {len(block['seeds'])} seeds")
        fig, data = long_run_figure(rows, title=title, preset=sm.params.preset,
                                    stopped_run_score=sm.params.stopped_run_score)
        writer.plotly(fig, path, data)
writer.check(sm.output)
