"""Export browsers shared by the jobs of a local run: one browser start per core, not per job.

Starting an export worker (Python, kaleido, a headless Chromium, plotly.js loaded into its page)
costs about 5 CPU-seconds on the 2-core machine, and every figure job of a run paid it: about a
sixth of the quick preset's job time. Within a run served by a job server
(:mod:`pcrepro.pipeline.jobserver`) the workers are kept instead. The pool is a folder of
*slots*, one per core: ``slot-<i>.lock`` and the Unix socket ``slot-<i>.sock`` of the worker
that serves it. A job's exporter :func:`lease` s a free slot by taking its lock (an ``flock``,
which the kernel drops when the job ends, however it ends), connects to the slot's worker and
uses it alone until it lets go. A slot without a live worker gets one: the job asks the job
server to start it, so that the worker outlives the job and ends with the run.

Jobs never share a figure: each connection is one job's session, and a worker renders one
request at a time. A worker that does not answer in time is killed by the job that waits on it
(as its own worker would be), and the next lease of its slot starts a fresh one. Where there is
no pool (no job server: a dry run, a cluster job, ``compute.job_server: false``) or no slot is
free, a job starts its own worker, as before.
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from pcrepro.pipeline.jobserver import (
    EXPORT_POOL_ENV as POOL_ENV,  # set for a run's jobs by jobserver.start
)
from pcrepro.pipeline.jobserver import start_export_worker


@dataclass
class Lease:
    """A slot held by this process: its lock, the connection to its worker, the worker's pid."""

    lock: int
    connection: socket.socket
    worker_pid: int

    def release(self) -> None:
        """Close the connection (the worker then waits for the next job), then free the slot."""
        self.connection.close()
        os.close(self.lock)


def slot_count() -> int:
    return os.cpu_count() or 1


def lease(timeout_s: float) -> Lease | None:
    """Take a free slot of this run's pool and connect to its worker, starting one through the
    job server if the slot has none. None where there is no pool, every slot is taken, or no
    worker could be reached within ``timeout_s``: the caller then starts a worker of its own."""
    pool = os.environ.get(POOL_ENV)
    if not pool or not Path(pool).is_dir():
        return None
    for slot in range(slot_count()):
        try:
            lock = os.open(Path(pool) / f"slot-{slot}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        except OSError:
            return None  # the pool's folder went away with its run
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock)
            continue
        address = str(Path(pool) / f"slot-{slot}.sock")
        connection = _connect(address)
        if connection is None and start_export_worker(address):
            deadline = time.monotonic() + timeout_s
            while connection is None and time.monotonic() < deadline:
                time.sleep(0.05)
                connection = _connect(address)
        if connection is None:
            os.close(lock)
            return None
        connection.settimeout(timeout_s)  # a request to a hung worker raises TimeoutError, never blocks
        pid, _, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                              struct.calcsize("3i")))
        return Lease(lock, connection, pid)
    return None


def _connect(address: str) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(address)
        return connection
    except OSError:  # no worker yet, or one that was killed left its socket file
        connection.close()
        return None
