"""The findings of the five seed notebooks as claims, each measured from the results and given a
verdict per preset (:mod:`.registry`). One module per seed holds its claims."""

from . import seed000, seed001, seed002, seed003, seed004
from .registry import (
    FAILED,
    NEEDS_PAPER_SCALE,
    NOT_BUILT,
    NOT_REPRODUCED,
    REPRODUCED,
    SYNTHETIC,
    VERDICTS,
    Claim,
    Measurement,
    Rule,
    evaluate,
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


__all__ = ["CLAIMS", "STUDIES", "claims_of", "claim_files", "Claim", "Measurement", "Rule", "evaluate", "verdict",
           "summary_line", "VERDICTS", "REPRODUCED", "NOT_REPRODUCED", "NOT_BUILT", "NEEDS_PAPER_SCALE", "SYNTHETIC",
           "FAILED"]
