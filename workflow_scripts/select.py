"""Adapter: best learning rates of a study's sweep (rule select)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pcrepro.pipeline.provenance import finished, from_snakemake, inputs_of
from pcrepro.pipeline.results import read_table, select_best, write_table

prov = from_snakemake(snakemake)  # noqa: F821

rule = snakemake.params.selection  # noqa: F821
table = select_best(
    read_table(snakemake.input[0]),  # noqa: F821
    snakemake.params.group_by,  # noqa: F821
    snakemake.params.lr_key,  # noqa: F821
    statistic=rule["statistic"],
    stopped_run_score=rule["stopped_run_score"],
    tie_tolerance=rule.get("tie_tolerance", 1e-6),
)
write_table(table, snakemake.output[0], finished(prov, inputs=inputs_of(snakemake.input)))  # noqa: F821
