"""Adapter: concatenate a study's per-cell tables (rule aggregate)."""

from pcrepro.results import aggregate, write_table

write_table(aggregate(snakemake.input), snakemake.output[0])  # noqa: F821
