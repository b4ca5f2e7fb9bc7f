"""Atomic file writes: readers (and later jobs) never see a partial file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Callable


def write_atomic(path: str | Path, write: Callable[[str], object]) -> None:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it onto ``path``.

    The temporary name keeps ``path``'s suffix, so writers that pick a format
    from the suffix (numpy, plotly) behave as for the final name. The file gets the mode a
    plain ``open`` would give it (0666 less the umask, so group-readable by default), not the
    private 0600 of a temporary file: collaborators sharing a project directory read it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_file(path.parent, f".{path.stem}.", path.suffix)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise



def _new_file(folder: Path, prefix: str, suffix: str) -> str:
    """Create an empty file ``folder/<prefix><random token><suffix>``, created as a plain
    ``open`` would (mode 0666, which the kernel reduces by the umask) rather than with the 0600
    of ``tempfile.mkstemp``."""
    while True:
        candidate = str(folder / f"{prefix}{secrets.token_hex(4)}{suffix}")
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return candidate
        except FileExistsError:
            continue
