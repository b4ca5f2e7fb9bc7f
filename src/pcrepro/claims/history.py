"""The claims history (``history.yaml`` beside this module): one entry per change of a claim's
statement, measure, rule or the grid it reads, with the verdicts before and after and the
reason, taken from the seed (never from a verdict). Entries are never edited after the fact; a
change that was made for a bad reason is recorded as such."""

from __future__ import annotations

from pathlib import Path

import yaml

HISTORY = Path(__file__).with_name("history.yaml")
FIELDS = ("date", "claims", "change", "reason", "before", "after")


def load_history(path: Path = HISTORY) -> list[dict]:
    """The entries, oldest first; an entry missing a field is an error naming it."""
    entries = yaml.safe_load(Path(path).read_text()) or []
    for i, entry in enumerate(entries):
        missing = [f for f in FIELDS if f not in entry]
        if missing:
            raise ValueError(f"{path}: entry {i + 1} ({entry.get('claims')}) lacks {', '.join(missing)}")
    return entries


def history_markdown(entries: list[dict]) -> str:
    """The history as a markdown section, newest first."""
    lines = []
    for entry in reversed(entries):
        claims = ", ".join(f"`{c}`" for c in entry["claims"])
        lines += [f"### {entry['date']}: {claims}", "", f"**Change.** {entry['change'].strip()}", "",
                  f"**Why (the seed).** {entry['reason'].strip()}", "",
                  f"**Verdicts before.** {_verdicts(entry['before'])}", "",
                  f"**Verdicts after.** {_verdicts(entry['after'])}", ""]
    return "\n".join(lines)


def _verdicts(verdicts) -> str:
    if isinstance(verdicts, str):
        return verdicts.strip()
    return "; ".join(f"{preset}: {text}" for preset, text in verdicts.items())
