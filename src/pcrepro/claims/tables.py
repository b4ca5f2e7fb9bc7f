"""The claims table as files (CSV, JSON, an HTML page for the report) and as text for a terminal.
Findings come first, then the checks; the summary line counts each apart."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from ..data.atomic import write_atomic
from .registry import BROKEN, FRAGILE, HOLDS, NOT_REPRODUCED, REPRODUCED, summary_line

COLUMNS = ["claim", "kind", "verdict", "margin", "margin_on", "per_seed", "measured", "expected", "rule",
           "statement", "source", "family", "files", "provenance"]
HTML_COLUMNS = ["claim", "verdict", "margin_on", "per_seed", "measured", "rule", "statement", "source", "provenance"]
VERDICT_COLOURS = {REPRODUCED: "#d7f0d2", HOLDS: "#d7f0d2", NOT_REPRODUCED: "#f6d5d5", BROKEN: "#f6d5d5",
                   FRAGILE: "#fbecc8"}
HEADINGS = {"finding": "Findings", "check": "Consistency checks (identities: a failure means a bug)"}


def by_kind(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(heading, rows) for the findings, then the checks."""
    return [(HEADINGS[k], table[table["kind"] == k]) for k in HEADINGS if (table["kind"] == k).any()]


def to_text(table: pd.DataFrame) -> str:
    """One block per claim: id and verdict, then what was measured and the rule it was held to."""
    lines = []
    for heading, rows in by_kind(table):
        lines += [heading, ""]
        for row in rows.itertuples():
            lines.append(f"{row.claim:<42} {row.verdict}")
            lines.append(f"    {row.statement}")
            lines.append(f"    measured: {row.measured}")
            lines.append(f"    rule:     {row.rule}")
            if row.margin_on:
                lines.append(f"    margin:   {_margin(row)}")
            if row.per_seed:
                lines.append(f"    seeds:    {row.per_seed}")
        lines.append("")
    return "\n".join(lines + [summary_line(table)])


def _margin(row) -> str:
    margin = row.margin
    return f"{margin:+.3g} ({row.margin_on})" if margin == margin and margin is not None else row.margin_on


def provenance_html(records: list[dict]) -> str:
    """The results' provenance by rule: jobs, commits, code versions, precision, devices, wall time."""
    if not records:
        return "<p>No provenance recorded (results written before provenance was recorded).</p>"
    rows = []
    by_rule: dict[str, list[dict]] = {}
    for r in records:
        by_rule.setdefault(r.get("rule") or "?", []).append(r)
    for rule, rs in sorted(by_rule.items()):
        def distinct(key, rs=rs):
            return ", ".join(sorted({str(key(r)) for r in rs}))
        rows.append([rule, str(len(rs)), distinct(lambda r: (r.get("commit") or "")[:10] + (" (dirty)" if r.get("dirty") else "")),
                     distinct(lambda r: r.get("code")), distinct(lambda r: f"{r.get('dtype') or 'n/a'}/"
                                                                          f"{r.get('matmul_precision') or 'n/a'}"),
                     distinct(lambda r: (r.get("device") or {}).get("kind")),
                     distinct(lambda r: f"Python {r.get('python')}, JAX {r.get('jax')}, NumPy {r.get('numpy')}"),
                     f"{sum(r.get('wall_s') or 0 for r in rs):.0f}"])
    head = "".join(f"<th>{c}</th>" for c in ("rule", "jobs", "commit", "code", "dtype / matmuls", "device",
                                                "versions", "wall s"))
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table border='1' cellpadding='4' style='border-collapse:collapse'><tr>{head}</tr>{body}</table>"


def to_html(table: pd.DataFrame, preset: str, records: list[dict] | None = None) -> str:
    head = "".join(f"<th>{c}</th>" for c in HTML_COLUMNS)
    sections = []
    for heading, rows in by_kind(table):
        cells = "".join(
            f"<tr style='background:{VERDICT_COLOURS.get(r.verdict, '#ffffff')}'>"
            + "".join(f"<td>{html.escape(str(getattr(r, c) if c != 'margin_on' else _margin(r)))}</td>"
                      for c in HTML_COLUMNS) + "</tr>"
            for r in rows.itertuples())
        sections.append(f"<h3>{html.escape(heading)}</h3><table border='1' cellpadding='4' "
                        f"style='border-collapse:collapse'><tr>{head}</tr>{cells}</table>")
    return (f"<html><head><meta charset='utf-8'><title>Claims ({preset})</title></head><body>"
            f"<h2>Which findings of the seeds this run reproduced (preset {html.escape(preset)})</h2>"
            f"<p>{html.escape(summary_line(table))}</p>" + "".join(sections)
            + "<h3>Provenance of the results (pcrepro provenance &lt;file&gt; prints a file's record)</h3>"
            + provenance_html(records or []) + "</body></html>")


def write_json(table: pd.DataFrame, path: Path) -> None:
    """Every column, the measured values included (a mapping per claim)."""
    records = [{**{c: row[c] for c in COLUMNS}, "values": row["values"]} for _, row in table.iterrows()]
    write_atomic(path, lambda tmp: Path(tmp).write_text(json.dumps(records, indent=1, ensure_ascii=False)))


def read_json(paths: list[Path]) -> pd.DataFrame:
    return pd.DataFrame([record for p in paths for record in json.loads(Path(p).read_text())])


def write_claims(table: pd.DataFrame, preset: str, *, csv: Path, json_path: Path, html_path: Path,
                 provenance: dict | None = None) -> None:
    """The claims table as CSV, JSON and an HTML page, each written whole or not at all; with a
    ``provenance`` record, beside the CSV and the JSON (its ``inputs``: the results' jobs)."""
    from pcrepro.pipeline.provenance import write_sidecar

    write_atomic(csv, lambda tmp: table[COLUMNS].to_csv(tmp, index=False))
    write_json(table, json_path)
    records = (provenance or {}).get("inputs", [])
    write_atomic(html_path, lambda tmp: Path(tmp).write_text(to_html(table, preset, records)))
    if provenance is not None:
        write_sidecar(csv, provenance)
        write_sidecar(json_path, provenance)
