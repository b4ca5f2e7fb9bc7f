"""Progress logging to a job's log file (and stderr), line-buffered."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator


class JobLog:
    """``log(msg)``: a time-stamped line to stderr and, if given, to the file ``path``."""

    def __init__(self, path: str | Path | None, handle=None):
        self.path, self._handle = path, handle

    def __call__(self, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, file=sys.stderr, flush=True)
        if self._handle:
            print(line, file=self._handle)

    @contextlib.contextmanager
    def heartbeat(self, message: str, every_s: float = 30.0) -> Iterator[None]:
        """Log "``message``, N s so far" every ``every_s`` seconds while the block runs. The lines
        come from a small separate process, so they keep coming while the block holds the GIL
        (SciPy's LAPACK calls do, for a minute and more on a large matrix); it exits with the
        block, or on its own once this process is gone."""
        child = subprocess.Popen([sys.executable, "-c", _HEARTBEAT, message, str(every_s),
                                  str(self.path or ""), str(os.getpid())], stdin=subprocess.DEVNULL)
        try:
            yield
        finally:
            child.kill()
            child.wait()


_HEARTBEAT = """
import os, sys, time
message, every_s, path, parent = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
start = time.time()
while True:
    time.sleep(every_s)
    if os.getppid() != parent:
        break
    line = f"{time.strftime('%H:%M:%S')} {message}, {time.time() - start:.0f} s so far"
    print(line, file=sys.stderr, flush=True)
    if path:
        with open(path, "a") as handle:
            print(line, file=handle)
"""


@contextlib.contextmanager
def log_to(path: str | Path | None) -> Iterator[JobLog]:
    """Yield a :class:`JobLog` writing time-stamped lines to ``path`` (if given) and to stderr."""
    handle = None
    if path and not _teed_to(path):  # else stderr already copies every line into that file
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a", buffering=1)
    try:
        yield JobLog(path, handle)
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


def job_times(log_dir: str | Path):
    """The compute jobs' Snakemake benchmark files under ``log_dir`` (``<job>.benchmark.tsv``,
    beside each job's log), summed per folder (a study): jobs, total and longest wall seconds,
    CPU seconds, and the largest resident memory (MB) of a job's own process. In a local run
    with the job server the work runs in a child forked from the server, whose memory this
    does not count (``compute.job_server: false`` measures it)."""
    import pandas as pd

    rows = []
    for path in sorted(Path(log_dir).rglob("*.benchmark.tsv")):
        table = pd.read_csv(path, sep="\t")
        rows.append({"folder": path.parent.relative_to(log_dir).as_posix(), "job": path.name[:-len(".benchmark.tsv")],
                     "s": float(table["s"].iloc[-1]), "cpu_s": float(table.get("cpu_time", pd.Series([float("nan")])).iloc[-1]),
                     "max_rss_mb": float(pd.to_numeric(table["max_rss"], errors="coerce").iloc[-1])})
    jobs = pd.DataFrame(rows, columns=["folder", "job", "s", "cpu_s", "max_rss_mb"])
    summary = jobs.groupby("folder").agg(jobs=("job", "size"), total_s=("s", "sum"), longest_s=("s", "max"),
                                         cpu_s=("cpu_s", "sum"), max_rss_mb=("max_rss_mb", "max"))
    return summary.sort_values("total_s", ascending=False).reset_index()