"""Static plotly export that cannot hang: kaleido in a worker process, every figure bounded in time.

kaleido 1.x drives a headless Chromium; now and then that browser stops answering and
kaleido's synchronous call waits forever. So the browser lives in a worker process
(:mod:`pcrepro.plots._export_worker`) that renders one figure per request. When a figure
is not written within ``timeout_s``, the worker, its browser and everything they started
are killed, a fresh worker is started and the figure is tried again, ``retries`` more
times; then :class:`ExportTimeout` names the file, the bound and the setting. A figure
that timed out leaves no file behind (the worker writes to a temporary name that is only
renamed once it is complete), and a worker whose parent dies (a job killed by
Snakemake, SLURM or ``kill -9``) kills its browser and itself. Within a local run served by a
job server the worker is one the run's jobs share (:mod:`pcrepro.plots.export_pool`: the
browser starts once per core, not once per job); it is killed and replaced in the same way.

The bound comes from the config's ``figures.export_timeout_s`` / ``figures.export_retries``
(the Snakefile hands them to every job through the environment, since they do not change
any figure); outside the workflow the defaults below apply.
"""

from __future__ import annotations

import copy
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from pcrepro.data.atomic import write_atomic
from pcrepro.pipeline.bundle import RESULTS_NOTE_ENV

from .export_pool import Lease, lease

DEFAULT_TIMEOUT_S = 60.0  # a figure takes ≈ 0.3 s (≤ 5 s for the largest) on the 2-core machine
DEFAULT_RETRIES = 2
TIMEOUT_ENV, RETRIES_ENV = "PCREPRO_EXPORT_TIMEOUT_S", "PCREPRO_EXPORT_RETRIES"


class ExportTimeout(RuntimeError):
    """A figure was not written within its time bound, in every try."""


def export_settings() -> tuple[float, int]:
    """(timeout per figure in s, retries) from the environment, else the defaults."""
    return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S)), int(os.environ.get(RETRIES_ENV, DEFAULT_RETRIES))


def process_tree(pid: int) -> list:
    """The process and all its descendants (psutil processes; empty if it is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def kill_tree(pid: int, procs: list | None = None) -> None:
    """SIGKILL a process, all its descendants and their process groups (Chromium runs in a
    session of its own, so its helpers are found through its group even once reparented).
    ``procs``: the tree as it was seen earlier (those already reparented are still killed)."""
    import psutil

    procs = [*(procs or []), *process_tree(pid)]
    if not procs:
        return
    own_group = os.getpgrp()
    groups = set()
    for proc in procs:
        try:
            groups.add(os.getpgid(proc.pid))
        except ProcessLookupError:
            pass
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    for group in groups - {own_group}:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    psutil.wait_procs(procs, timeout=5)


class BoundedExporter:
    """One worker (one browser) at a time; :meth:`write` renders a figure or raises."""

    def __init__(self, timeout_s: float | None = None, retries: int | None = None,
                 log: Callable[[str], None] | None = None):
        default_timeout, default_retries = export_settings()
        self.timeout_s = float(timeout_s if timeout_s is not None else default_timeout)
        self.retries = int(retries if retries is not None else default_retries)
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self._worker: subprocess.Popen | None = None  # this exporter's own worker, or
        self._lease: Lease | None = None  # a shared one of the run's pool
        self._replies: int | None = None
        self._buffer = b""
        self._ready = False

    # -- public -----------------------------------------------------------------------
    def write(self, fig, path: str | Path, fmt: str | None = None) -> None:
        """Render ``fig`` (a plotly figure) to ``path`` (format from the suffix unless given),
        atomically: a figure that fails leaves nothing behind."""
        import plotly.io as pio

        path = Path(path)
        note = os.environ.get(RESULTS_NOTE_ENV)
        if note:  # every figure says where its results came from
            fig = copy.deepcopy(fig)
            fig.add_annotation(text=note, xref="paper", yref="paper", x=1, y=1, yshift=18, xanchor="right",
                               yanchor="bottom", showarrow=False, font=dict(size=10, color="firebrick"))
        figure_json = pio.to_json(fig, validate=False)  # spliced into the request, not parsed again
        fmt = fmt or path.suffix.lstrip(".")
        write_atomic(path, lambda tmp: self._render(
            f'{{"fig": {figure_json}, "path": {json.dumps(os.path.abspath(tmp))}, '
            f'"format": {json.dumps(fmt)}}}\n', path))

    def _render(self, request: str, path: Path) -> None:
        """Send one request, with a fresh worker after every stall, until it is answered."""
        tries = self.retries + 1
        for attempt in range(1, tries + 1):
            started = time.monotonic()
            try:
                self.prestart()  # a no-op once the worker runs
                if not self._ready:  # the browser may have been starting while the figures were built
                    self._await_ready(started)
                self._send(request.encode())
                reply = self._reply(started)
            except (TimeoutError, ConnectionError, EOFError) as err:
                self.log(f"figure export: {path} not written after {time.monotonic() - started:.0f} s "
                         f"(try {attempt}/{tries}: {err}); killing the browser"
                         + (" and starting a fresh one" if attempt < tries else ""))
                self.close(kill=True)
                continue
            if not reply.get("ok"):
                raise RuntimeError(f"figure export of {path} failed: {reply.get('error')}")
            return
        raise ExportTimeout(
            f"figure {path} was not written: the browser did not answer within {self.timeout_s:g} s in "
            f"{tries} tries, each with a fresh browser. Raise figures.export_timeout_s (now "
            f"{self.timeout_s:g}) or figures.export_retries (now {self.retries}) in the config if the "
            f"machine is just slow.")

    def prestart(self) -> None:
        """Start the worker and its browser now, without waiting: the first :meth:`write` waits for
        it (its time bound counted from that request). A figure job calls this when it queues its
        first figure, so that the browser starts while the job builds the rest. Within a run that
        has an export pool, a free shared worker is taken instead (already started, as a rule)."""
        if self._worker is not None or self._lease is not None:
            return
        self._lease = lease(self.timeout_s)
        if self._lease is not None:
            self._replies, self._buffer, self._ready = self._lease.connection.fileno(), b"", False
            return
        read_end, write_end = os.pipe()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[2]),
                                                                         os.environ.get("PYTHONPATH")]))}
        self._worker = subprocess.Popen(
            [sys.executable, "-m", "pcrepro.plots._export_worker", str(write_end), str(os.getpid())],
            stdin=subprocess.PIPE, stdout=sys.stderr.fileno() if _has_fileno(sys.stderr) else None,
            pass_fds=(write_end,), env=env)
        os.close(write_end)
        self._replies, self._buffer, self._ready = read_end, b"", False

    def close(self, kill: bool = False) -> None:
        """Stop the worker and its browser (``kill``: at once, without asking); a shared worker
        is handed back to the pool instead, unless ``kill``."""
        shared, self._lease = self._lease, None
        if shared is not None:
            if kill:
                kill_tree(shared.worker_pid)
            shared.release()
            self._replies, self._buffer, self._ready = None, b"", False
            return
        worker, self._worker = self._worker, None
        if worker is None:
            return
        tree = process_tree(worker.pid)  # seen before the worker exits: its browser may outlive it
        if not kill:
            try:
                worker.stdin.write(b'{"quit": true}\n')
                worker.stdin.flush()
                worker.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired, OSError):
                pass
        kill_tree(worker.pid, tree)
        worker.wait()
        try:
            worker.stdin.close()
        except OSError:
            pass
        if self._replies is not None:
            os.close(self._replies)
            self._replies, self._buffer = None, b""
        self._ready = False

    def __enter__(self) -> "BoundedExporter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------

    def _send(self, request: bytes) -> None:
        if self._lease is not None:
            self._lease.connection.sendall(request)
        else:
            self._worker.stdin.write(request)
            self._worker.stdin.flush()

    def _await_ready(self, started: float) -> None:
        if not self._reply(started).get("ready"):
            raise EOFError("the export worker did not start its browser")
        self._ready = True

    def _reply(self, started: float) -> dict:
        """The worker's next reply line, or TimeoutError once ``timeout_s`` have passed since
        ``started`` (EOFError if the worker died)."""
        while b"\n" not in self._buffer:
            remaining = self.timeout_s - (time.monotonic() - started)
            if remaining <= 0:
                raise TimeoutError(f"no answer within {self.timeout_s:g} s")
            ready, _, _ = select.select([self._replies], [], [], remaining)
            if ready:
                chunk = os.read(self._replies, 65536)
                if not chunk:
                    raise EOFError("the export worker exited")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)


def _has_fileno(stream) -> bool:
    try:
        stream.fileno()
        return True
    except (AttributeError, OSError, ValueError):
        return False
