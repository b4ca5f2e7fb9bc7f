"""Adapter: figures of family mupc_activity_decay (rule mupc_activity_decay)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pcrepro.pipeline.results import read_table
from pcrepro.plots.common import FigureWriter
from pcrepro.plots.mupc import activity_decay_figure

sm = snakemake  # noqa: F821
table = read_table(sm.input[0])
with FigureWriter() as writer:
    for lr, path in zip(sm.params.activity_lrs, sm.output):
        fig, data = activity_decay_figure(table, activity_lr=lr, preset=sm.params.preset,
                                          stopped_run_score=sm.params.stopped_run_score)
        writer.plotly(fig, path, data)
writer.check(sm.output)
