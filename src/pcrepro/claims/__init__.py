"""The findings of the five seed notebooks as claims, each measured from the results and given a
verdict by one rule at every preset (:mod:`.registry`); identities the code must satisfy are
checks, listed apart. One module per study holds its seed's claims (``chains``: 000,
``dln_hessian``: 001, ``mupc``: 002, ``error_optim``: 003, ``double_descent``: 004); :mod:`.history` records every change
of a claim's statement, measure, rule or grid."""

from . import chains, dln_hessian, double_descent, error_optim, mupc
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

CLAIMS: list[Claim] = [*chains.CLAIMS, *dln_hessian.CLAIMS, *mupc.CLAIMS, *error_optim.CLAIMS, *double_descent.CLAIMS]
STUDIES: tuple[str, ...] = tuple(dict.fromkeys(c.study for c in CLAIMS))  # in registry order


def claims_of(study: str) -> list[Claim]:
    return [c for c in CLAIMS if c.study == study]


def claim_files(study: str, grids: dict) -> list[str]:
    """Every result file (under results/<preset>/) the claims of ``study`` read."""
    return list(dict.fromkeys(f for c in claims_of(study) for f in c.files(grids)))


__all__ = ["CLAIMS", "STUDIES", "claims_of", "claim_files", "Claim", "Condition", "Measurement", "Rule", "rule",
           "evaluate", "verdict", "summary_line", "VERDICTS", "FINDING", "CHECK", "REPRODUCED", "NOT_REPRODUCED",
           "FRAGILE", "HOLDS", "BROKEN", "INCONCLUSIVE", "NOT_BUILT", "SYNTHETIC", "FAILED"]
