"""Progress logging to a job's log file (and stderr), line-buffered."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Callable, Iterator


@contextlib.contextmanager
def log_to(path: str | Path | None) -> Iterator[Callable[[str], None]]:
    """Yield ``log(msg)`` writing time-stamped lines to ``path`` (if given) and to stderr."""
    handle = None
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a", buffering=1)

    def log(message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, file=sys.stderr, flush=True)
        if handle:
            print(line, file=handle)

    try:
        yield log
    finally:
        if handle:
            handle.close()
