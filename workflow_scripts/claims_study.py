"""Adapter: the verdicts of one study's claims (rule claims_study)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

import os

from pcrepro.claims import claims_of, evaluate
from pcrepro.claims.tables import write_json
from pcrepro.pipeline.bundle import RESULTS_NOTE_ENV
from pcrepro.pipeline.provenance import finished, from_snakemake, inputs_of, write_sidecar

sm = snakemake  # noqa: F821
prov = from_snakemake(sm)
table = evaluate(claims_of(sm.wildcards.study), sm.params.results, sm.params.grids)
if os.environ.get(RESULTS_NOTE_ENV):  # results from a bundle made by other code (rules/bundle.smk)
    table["provenance"] = os.environ[RESULTS_NOTE_ENV] + "; " + table["provenance"]
for row in table.itertuples():
    print(f"{row.claim}: {row.verdict} — {row.measured}")
write_json(table, sm.output[0])
write_sidecar(sm.output[0], finished(prov, inputs=inputs_of(sm.input)))
