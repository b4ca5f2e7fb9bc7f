"""What a claim is, and how a verdict is reached from a study's result files.

A claim states one finding of a seed notebook (or its paper), names the figure family it rests
on and the result files it reads, measures its value(s) from those files, and holds them to an
acceptance rule written per preset. The verdict is one of :data:`VERDICTS`:

* ``reproduced`` / ``not reproduced`` — the rule of this preset holds / does not;
* ``not built`` — a result file the claim reads does not exist (its family was not run);
* ``needs paper scale`` — the preset has no rule for the claim, or its grid is too small to
  test it (e.g. no net deep enough);
* ``synthetic data`` — the results were computed on a labelled synthetic stand-in, which
  reproduces nothing;
* ``measurement failed`` — the files exist but could not be read as the claim expects.

Evaluating claims never raises for a claim that fails: a failing measurement is a verdict.
"""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"
NOT_BUILT, NEEDS_PAPER_SCALE = "not built", "needs paper scale"
SYNTHETIC, FAILED = "synthetic data", "measurement failed"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_BUILT, NEEDS_PAPER_SCALE, SYNTHETIC, FAILED)


@dataclass(frozen=True)
class Measurement:
    """What a claim measured: named values, one line saying what they are, and whether the data
    were a synthetic stand-in or the grid too small to test the claim (``testable=False``)."""

    values: dict[str, float]
    summary: str
    synthetic: bool = False
    testable: bool = True


@dataclass(frozen=True)
class Rule:
    """An acceptance rule: its wording (shown in the table) and the test of the measured values."""

    text: str
    holds: Callable[[dict[str, float]], bool]


@dataclass(frozen=True)
class Claim:
    id: str                 # "<seed>.<short name>"
    seed: str               # "000" … "004"
    statement: str          # one sentence, as the seed or its paper states it
    family: str             # the figure family it rests on
    study: str              # the study whose results it reads
    files: Callable[[dict], list[str]]          # preset grids -> files under results/<preset>/
    measure: Callable[[list[Path], dict], Measurement]  # (those files, the preset grids) -> values
    expected: str           # the value the seed or its paper states ("" where it states none)
    rules: dict[str, Rule] = field(default_factory=dict)  # preset -> rule; absent: needs paper scale


def verdict(claim: Claim, results_dir: Path, grids: dict, preset: str) -> dict:
    """One row of the claims table for ``claim`` on the results of ``preset`` in ``results_dir``."""
    files = [results_dir / f for f in claim.files(grids)]
    rule = claim.rules.get(preset)
    row = {"claim": claim.id, "seed": claim.seed, "statement": claim.statement, "family": claim.family,
           "expected": claim.expected, "rule": rule.text if rule else "", "files": ";".join(map(str, files)),
           "measured": "", "values": {}}
    missing = [f for f in files if not f.exists()]
    if missing:
        return {**row, "verdict": NOT_BUILT, "measured": f"missing: {', '.join(map(str, missing[:3]))}"}
    try:
        m = claim.measure(files, grids)
    except Exception as err:  # a claim that cannot be measured is a verdict, never a crash
        # the line of the claim's own code that failed (not numpy's or pandas')
        where = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).parent == Path(__file__).parent]
        at = f" ({Path(where[-1].filename).name}:{where[-1].lineno})" if where else ""
        return {**row, "verdict": FAILED, "measured": f"{type(err).__name__}: {err}{at}"}
    row = {**row, "measured": m.summary, "values": {k: _plain(v) for k, v in m.values.items()}}
    if m.synthetic:
        return {**row, "verdict": SYNTHETIC}
    if rule is None or not m.testable:
        return {**row, "verdict": NEEDS_PAPER_SCALE}
    return {**row, "verdict": REPRODUCED if rule.holds(m.values) else NOT_REPRODUCED}


def _plain(value) -> float | None:
    """A JSON-safe number: NaN and ±inf become None (the summary says what they were)."""
    value = float(value)
    return value if math.isfinite(value) else None


def evaluate(claims: list[Claim], results_dir: str | Path, grids: dict, preset: str) -> pd.DataFrame:
    """The claims table of ``preset`` (a row per claim, in registry order)."""
    return pd.DataFrame([verdict(c, Path(results_dir), grids, preset) for c in claims])


def summary_line(table: pd.DataFrame) -> str:
    counts = table["verdict"].value_counts()
    others = ", ".join(f"{int(counts[v])} {v}" for v in VERDICTS[1:] if v in counts)
    return f"{int(counts.get(REPRODUCED, 0))} of {len(table)} claims reproduced" + (f" ({others})" if others else "")
