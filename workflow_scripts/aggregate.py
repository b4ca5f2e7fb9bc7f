"""Adapter: concatenate a study's per-cell tables (rule aggregate)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pcrepro.pipeline.provenance import finished, from_snakemake, inputs_of
from pcrepro.pipeline.results import aggregate, write_table

sm = snakemake  # noqa: F821
prov = from_snakemake(sm)
write_table(aggregate(sm.input), sm.output[0], finished(prov, inputs=inputs_of(sm.input)))
