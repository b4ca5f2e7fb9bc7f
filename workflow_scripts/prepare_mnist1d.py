"""Adapter: regenerate MNIST-1D locally (rule prepare_mnist1d)."""

from pcrepro.data import prepare_mnist1d

prepare_mnist1d(snakemake.output[0])  # noqa: F821
