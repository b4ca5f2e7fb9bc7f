"""The findings of the five seed notebooks as claims, each measured from the results and given a
verdict by one rule at every preset (:mod:`.registry`); identities the code must satisfy are
checks, listed apart. One module per seed holds its claims; :mod:`.history` records every change
of a claim's statement, measure, rule or grid."""

from . import seed000, seed001, seed002, seed003, seed004
from .registry import (
    BROKEN,
    CHECK,
    FAILED,
    FINDING,
    FRAGILE,
    HOLDS,
    INCONCLUSIVE,
    NOT_BUILT,
    NOT_REPRODUCED,
    REPRODUCED,
    SYNTHETIC,
    VERDICTS,
    Claim,
    Condition,
    Measurement,
    Rule,
    evaluate,
    rule,
    summary_line,
    verdict,
)

CLAIMS: list[Claim] = [*seed000.CLAIMS, *seed001.CLAIMS, *seed002.CLAIMS, *seed003.CLAIMS, *seed004.CLAIMS]
STUDIES: tuple[str, ...] = tuple(dict.fromkeys(c.study for c in CLAIMS))  # in registry order


def claims_of(study: str) -> list[Claim]:
    return [c for c in CLAIMS if c.study == study]


def claim_files(study: str, grids: dict) -> list[str]:
    """Every result file (under results/<preset>/) the claims of ``study`` read."""
    return list(dict.fromkeys(f for c in claims_of(study) for f in c.files(grids)))


__all__ = ["CLAIMS", "STUDIES", "claims_of", "claim_files", "Claim", "Condition", "Measurement", "Rule", "rule",
           "evaluate", "verdict", "summary_line", "VERDICTS", "FINDING", "CHECK", "REPRODUCED", "NOT_REPRODUCED",
           "FRAGILE", "HOLDS", "BROKEN", "INCONCLUSIVE", "NOT_BUILT", "SYNTHETIC", "FAILED"]
