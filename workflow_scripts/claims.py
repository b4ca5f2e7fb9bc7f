"""Adapter: every study's verdicts in one table, CSV, JSON and the report's page (rule claims)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pcrepro.claims import summary_line
from pcrepro.claims.tables import read_json, write_claims
from pcrepro.pipeline.provenance import finished, from_snakemake, inputs_of

sm = snakemake  # noqa: F821
prov = from_snakemake(sm)
table = read_json(sm.input)
write_claims(table, sm.params.preset, csv=sm.output.csv, json_path=sm.output.json, html_path=sm.output.html,
             provenance=finished(prov, inputs=inputs_of(sm.input)))
print(summary_line(table))
