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
    if path and not _teed_to(path):  # else stderr already copies every line into that file
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


class _Tee:
    """A text stream writing to a terminal stream and to a log file."""

    def __init__(self, stream, handle, path: Path):
        self._stream, self._handle, self.log_path = stream, handle, path

    def write(self, text):
        self._handle.write(text)
        return self._stream.write(text)

    def flush(self):
        self._handle.flush()
        self._stream.flush()

    def __getattr__(self, name):  # isatty, fileno, encoding, ... of the terminal stream
        return getattr(self._stream, name)


def log_output(path: str | Path) -> None:
    """Copy this process's stdout and stderr (progress, warnings, the traceback of a failure)
    into the job's log file ``path`` as well. Idempotent; :func:`log_to` on the same path then
    writes each line once."""
    if _teed_to(path):
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a", buffering=1)
    resolved = Path(path).resolve()
    sys.stdout, sys.stderr = _Tee(sys.stdout, handle, resolved), _Tee(sys.stderr, handle, resolved)


def _teed_to(path: str | Path) -> bool:
    return getattr(sys.stderr, "log_path", None) == Path(path).resolve()
