"""Adapter: regenerate MNIST-1D locally (rule prepare_mnist1d)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pcrepro.data import prepare_mnist1d

prepare_mnist1d(snakemake.output[0])  # noqa: F821
