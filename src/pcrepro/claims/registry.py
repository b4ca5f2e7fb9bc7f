"""What a claim is, and how a verdict is reached from a study's result files.

A claim states one finding of a seed notebook (or its paper) and cites where its statement,
measure and threshold come from (``source``). It names the figure family it rests on and the
result files it reads, measures named values from those files, and holds them to one rule, the
same at every preset: only the grid the results were computed on differs. Rules are written
before results are looked at; a change to a claim's statement, measure, rule or grid is recorded
in :data:`pcrepro.claims.history` with the verdicts before and after.

Claims are of two kinds:

* a **finding** (:data:`FINDING`) could come out either way on honest code: ``reproduced``,
  ``not reproduced``, or ``fragile`` when the seeds disagree;
* a **check** (:data:`CHECK`) is an identity or closed form that fails only if the code is wrong
  (the loss Hessian at the origin, the reduced dynamics of an aligned init): it ``holds`` or is
  ``broken``. The headline counts findings; checks are listed apart.

Either kind can also be ``inconclusive at this scale`` (the preset's grid cannot test the
claim: too few seeds, the optimum on the grid's edge, no net deep enough — the measurement says
why), ``not built`` (a file the claim reads does not exist), ``synthetic data`` (the results come
from a labelled stand-in, which reproduces nothing) or ``measurement failed`` (the files exist
but could not be read as the claim expects).

A measurement may carry the values of each seed on its own (``per_seed``). The rule is then also
applied to every seed: seeds that disagree make a finding ``fragile`` and a check ``broken``.

Evaluating claims never raises for a claim that fails: a failing measurement is a verdict.
"""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

FINDING, CHECK = "finding", "check"
KINDS = (FINDING, CHECK)

REPRODUCED, NOT_REPRODUCED, FRAGILE = "reproduced", "not reproduced", "fragile"
HOLDS, BROKEN = "holds", "broken"
INCONCLUSIVE = "inconclusive at this scale"
NOT_BUILT, SYNTHETIC, FAILED = "not built", "synthetic data", "measurement failed"
VERDICTS = (REPRODUCED, FRAGILE, NOT_REPRODUCED, HOLDS, BROKEN, INCONCLUSIVE, NOT_BUILT, SYNTHETIC, FAILED)


@dataclass(frozen=True)
class Measurement:
    """What a claim measured: named values, one line saying what they are, and optionally the
    same values per seed (``per_seed``: seed -> values). ``synthetic``: the data were a stand-in;
    ``untestable``: why the grid cannot test the claim ("" when it can)."""

    values: dict[str, float]
    summary: str
    synthetic: bool = False
    untestable: str = ""
    per_seed: dict[str, dict[str, float]] = field(default_factory=dict)


OPERATORS = {">=": lambda v, t: v - t, "<=": lambda v, t: t - v}


@dataclass(frozen=True)
class Condition:
    """``value op threshold`` with ``op`` one of ``>=``, ``<=``; its slack is how far the value is
    on the right side of the threshold (negative: the condition fails; NaN counts as failing)."""

    value: str
    op: str
    threshold: float

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ValueError(f"condition on {self.value!r}: operator {self.op!r} not in {tuple(OPERATORS)}")

    def slack(self, values: dict[str, float]) -> float:
        value = float(values.get(self.value, math.nan))
        return OPERATORS[self.op](value, self.threshold) if math.isfinite(value) else -math.inf

    def __str__(self) -> str:
        return f"{self.value} {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class Rule:
    """An acceptance rule: its wording (shown in the table) and the conditions that must all hold.
    The margin is the smallest slack over the conditions, in that condition's units."""

    text: str
    conditions: tuple[Condition, ...]

    def holds(self, values: dict[str, float]) -> bool:
        return all(c.slack(values) >= 0 for c in self.conditions)

    def margin(self, values: dict[str, float]) -> tuple[float, str]:
        """(smallest slack, the condition it belongs to with the measured value)."""
        slack, worst = min(((c.slack(values), c) for c in self.conditions), key=lambda sc: sc[0])
        measured = values.get(worst.value, math.nan)
        return slack, f"{worst.value} = {_fmt(measured)} vs {worst.op} {worst.threshold:g}"


def rule(text: str, *conditions: tuple[str, str, float]) -> Rule:
    """``rule("μPC ≥ 50 %", ("mupc_acc", ">=", 50))``: a :class:`Rule` from (value, op, threshold)."""
    return Rule(text, tuple(Condition(*c) for c in conditions))


@dataclass(frozen=True)
class Claim:
    id: str                 # "<seed>.<short name>"
    seed: str               # "000" … "004"
    kind: str               # FINDING or CHECK
    statement: str          # one sentence, as the seed or its paper states it
    source: str             # where statement, measure and threshold come from (cell, figure, section)
    family: str             # the figure family it rests on
    study: str              # the study whose results it reads
    files: Callable[[dict], list[str]]          # preset grids -> files under results/<preset>/
    measure: Callable[[list[Path], dict], Measurement]  # (those files, the preset grids) -> values
    expected: str           # the value the seed or its paper states ("" where it states none)
    rule: Rule              # the same at every preset

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind {self.kind!r} not in {KINDS}")


def _outcome(claim: Claim, holds: bool) -> str:
    if claim.kind == CHECK:
        return HOLDS if holds else BROKEN
    return REPRODUCED if holds else NOT_REPRODUCED


def verdict(claim: Claim, results_dir: Path, grids: dict) -> dict:
    """One row of the claims table for ``claim`` on the results in ``results_dir``."""
    files = [results_dir / f for f in claim.files(grids)]
    row = {"claim": claim.id, "seed": claim.seed, "kind": claim.kind, "statement": claim.statement,
           "source": claim.source, "family": claim.family, "expected": claim.expected, "rule": claim.rule.text,
           "files": ";".join(map(str, files)), "measured": "", "margin": None, "margin_on": "", "per_seed": "",
           "provenance": "", "values": {}}
    missing = [f for f in files if not f.exists()]
    if missing:
        return {**row, "verdict": NOT_BUILT, "measured": f"missing: {', '.join(map(str, missing[:3]))}"}
    from pcrepro.pipeline.provenance import inputs_of, summary

    row["provenance"] = summary(inputs_of(files))  # says so where the results mix code, commits or precision
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
    if m.untestable:
        return {**row, "verdict": INCONCLUSIVE, "measured": f"{m.untestable}. {m.summary}"}
    slack, on = claim.rule.margin(m.values)
    row = {**row, "margin": _plain(slack), "margin_on": on}
    holds = claim.rule.holds(m.values)
    seeds = {s: claim.rule.holds(v) for s, v in m.per_seed.items()}
    row["per_seed"] = "; ".join(f"seed {s}: {_outcome(claim, h)} (margin {_fmt(claim.rule.margin(m.per_seed[s])[0])})"
                                for s, h in seeds.items())
    if seeds and len(set(seeds.values()) | {holds}) > 1:
        return {**row, "verdict": FRAGILE if claim.kind == FINDING else BROKEN}
    return {**row, "verdict": _outcome(claim, holds)}


def _fmt(value: float) -> str:
    return f"{value:.3g}" if isinstance(value, (int, float)) and math.isfinite(value) else str(value)


def _plain(value) -> float | None:
    """A JSON-safe number: NaN and ±inf become None (the summary says what they were)."""
    value = float(value)
    return value if math.isfinite(value) else None


def evaluate(claims: list[Claim], results_dir: str | Path, grids: dict) -> pd.DataFrame:
    """The claims table of the results in ``results_dir`` (a row per claim, in registry order)."""
    return pd.DataFrame([verdict(c, Path(results_dir), grids) for c in claims])


def summary_line(table: pd.DataFrame) -> str:
    """"N of M findings reproduced (…); K of C checks hold (…)"."""
    parts = []
    for kind, good, noun, verb in ((FINDING, REPRODUCED, "findings", "reproduced"), (CHECK, HOLDS, "checks", "hold")):
        rows = table[table["kind"] == kind] if "kind" in table else table.iloc[:0]
        if rows.empty:
            continue
        counts = rows["verdict"].value_counts()
        others = ", ".join(f"{int(counts[v])} {v}" for v in VERDICTS if v != good and v in counts)
        parts.append(f"{int(counts.get(good, 0))} of {len(rows)} {noun} {verb}" + (f" ({others})" if others else ""))
    return "; ".join(parts) or "no claims"
