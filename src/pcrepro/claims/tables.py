"""The claims table as files (CSV, JSON, an HTML page for the report) and as text for a terminal."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from ..data.atomic import write_atomic
from .registry import REPRODUCED, summary_line

COLUMNS = ["claim", "verdict", "measured", "expected", "rule", "statement", "family", "files"]
VERDICT_COLOURS = {REPRODUCED: "#d7f0d2", "not reproduced": "#f6d5d5"}


def to_text(table: pd.DataFrame, width: int = 100) -> str:
    """One block per claim: id and verdict, then what was measured and the rule it was held to."""
    lines = []
    for row in table.itertuples():
        lines.append(f"{row.claim:<40} {row.verdict}")
        lines.append(f"    {row.statement}")
        lines.append(f"    measured: {row.measured}")
        if row.rule:
            lines.append(f"    rule:     {row.rule}")
    return "\n".join(lines + ["", summary_line(table)])


def to_html(table: pd.DataFrame, preset: str) -> str:
    cells = "".join(
        f"<tr style='background:{VERDICT_COLOURS.get(r.verdict, '#ffffff')}'>"
        + "".join(f"<td>{html.escape(str(getattr(r, c)))}</td>" for c in COLUMNS[:6]) + "</tr>"
        for r in table.itertuples())
    head = "".join(f"<th>{c}</th>" for c in COLUMNS[:6])
    return (f"<html><head><meta charset='utf-8'><title>Claims ({preset})</title></head><body>"
            f"<h2>Which findings of the seeds this run reproduced (preset {html.escape(preset)})</h2>"
            f"<p>{html.escape(summary_line(table))}</p>"
            f"<table border='1' cellpadding='4' style='border-collapse:collapse'><tr>{head}</tr>{cells}</table>"
            "</body></html>")


def write_json(table: pd.DataFrame, path: Path) -> None:
    """Every column, the measured values included (a mapping per claim)."""
    records = [{**{c: row[c] for c in COLUMNS}, "values": row["values"]} for _, row in table.iterrows()]
    write_atomic(path, lambda tmp: Path(tmp).write_text(json.dumps(records, indent=1, ensure_ascii=False)))


def read_json(paths: list[Path]) -> pd.DataFrame:
    return pd.DataFrame([record for p in paths for record in json.loads(Path(p).read_text())])


def write_claims(table: pd.DataFrame, preset: str, *, csv: Path, json_path: Path, html_path: Path) -> None:
    """The claims table as CSV, JSON and an HTML page, each written whole or not at all."""
    write_atomic(csv, lambda tmp: table[COLUMNS].to_csv(tmp, index=False))
    write_json(table, json_path)
    write_atomic(html_path, lambda tmp: Path(tmp).write_text(to_html(table, preset)))
