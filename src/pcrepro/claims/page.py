"""docs/claims.md, written from the registry, the latest recorded claims table and the history, so
that the page never says what the code does not (``pcrepro claims-page``; a test holds the
committed page equal to what this writes)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .history import history_markdown, load_history
from .registry import CHECK, FINDING, Claim, summary_line

RECORD_KEYS = ("preset", "date", "commit", "machine", "data", "wall_s", "rows")
ROW_KEYS = ("claim", "kind", "verdict", "margin", "margin_on", "per_seed", "measured")

INTRO = """# Claims

The pipeline states the findings of the five seed notebooks as *claims* (`src/pcrepro/claims/`, one
module per study), measures each from the result files of the study it rests on, and judges it by one
rule, the same at every preset: only the grid the results come from differs. Each claim cites where
its statement, measure and threshold come from; thresholds the seed does not give are marked as this
project's. Rules are fixed before results are read: every change of a claim's statement, measure, rule
or grid is in the [history](#history) below, with the verdicts before and after.

```bash
snakemake --cores all claims          # results/<preset>/claims.{csv,json,html}; part of the default target
pcrepro claims --preset quick          # the same table from whatever results exist
```

**Findings** could come out either way on honest code; **checks** are identities (a closed form, an
exact reduction) that fail only if the code is wrong. The run's last line counts them apart: "N of M
findings reproduced; K of C checks hold".

| verdict | meaning |
|---|---|
| `reproduced` / `not reproduced` | a finding's rule holds / does not, pooled over seeds and on every seed |
| `fragile` | a finding whose seeds disagree (the per-seed verdicts say which) |
| `holds` / `broken` | a check's rule holds / does not (on every seed) |
| `inconclusive at this scale` | the preset's grid cannot test the claim (too few seeds, shapes or learning rates, no net deep enough, the optimum on the grid's edge); the reason is given |
| `not built` | a result file the claim reads was not made |
| `synthetic data` | the results come from a labelled stand-in, which reproduces nothing |
| `measurement failed` | the files exist but could not be read as the claim expects |

The margin is how far the measured value is on the right side of the rule's tightest threshold
(negative: the rule fails there), in that value's units. Training claims read at least two seeds and
judge each on its own. A claim that is not reproduced never fails the run.
"""


def load_record(path: str | Path) -> dict:
    record = json.loads(Path(path).read_text())
    missing = [k for k in RECORD_KEYS if k not in record]
    if missing:
        raise ValueError(f"claims record {path} lacks {', '.join(missing)}")
    return record


def make_record(table: pd.DataFrame, **provenance) -> dict:
    """A claims table as a record: the provenance (RECORD_KEYS but rows) and one row per claim."""
    rows = [{k: (None if k == "margin" and pd.isna(row[k]) else row[k]) for k in ROW_KEYS}
            for _, row in table.iterrows()]
    return {**{k: provenance[k] for k in RECORD_KEYS if k != "rows"}, "rows": rows}


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _margin(row: dict) -> str:
    if row.get("margin") is None:
        return "—"
    return f"{row['margin']:+.3g} ({row['margin_on']})"


def claims_page(claims: list[Claim], record: dict, history: list[dict]) -> str:
    rows = {r["claim"]: r for r in record["rows"]}
    table = pd.DataFrame(record["rows"])
    lines = [INTRO,
             f"## Verdicts of the latest {record['preset']} run", "",
             f"{record['data']}; {record['machine']}; {record['date']}; commit `{record['commit']}`; "
             f"{record['wall_s'] / 60:.1f} min for the whole workflow. **{summary_line(table)}.**", ""]
    for kind, heading in ((FINDING, "Findings"), (CHECK, "Checks")):
        lines += [f"### {heading}", "", "| claim | verdict | margin | per seed | measured |", "|---|---|---|---|---|"]
        for claim in (c for c in claims if c.kind == kind):
            row = rows.get(claim.id, {"verdict": "not in the record", "measured": "", "per_seed": ""})
            lines.append(f"| `{claim.id}` | {row['verdict']} | {_cell(_margin(row))} | {_cell(row['per_seed'] or '—')} "
                         f"| {_cell(row['measured'])} |")
        lines.append("")
    lines += ["## The claims", ""]
    for claim in claims:
        lines += [f"### `{claim.id}` ({claim.kind})", "", claim.statement, "",
                  f"- **Source:** {claim.source}", f"- **Expected (seed / paper):** {claim.expected}",
                  f"- **Rule:** {claim.rule.text} — `{' and '.join(map(str, claim.rule.conditions))}`",
                  f"- **Figure family / study:** `{claim.family}` / `{claim.study}`", ""]
    lines += ["## History", "", history_markdown(history)]
    return "\n".join(lines).rstrip() + "\n"


def default_page(record_path: str | Path) -> str:
    from . import CLAIMS

    return claims_page(CLAIMS, load_record(record_path), load_history())

