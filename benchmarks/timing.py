"""Timing shared by the benchmarks: wall time of JAX calls, waited for, and candidates timed
side by side, round by round, so that every candidate sees the same machine load."""

from __future__ import annotations

import time
from typing import Callable

import jax


def timed(fn: Callable, *args):
    """``fn(*args)`` and the seconds it took, its result waited for (JAX dispatches asynchronously)."""
    t0 = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    return out, time.perf_counter() - t0


def time_interleaved(candidates: dict[str, Callable[[], object]], rounds: int,
                     warm_up: bool = True) -> dict[str, list[float]]:
    """Seconds per call of each candidate, one call of each per round (after one warm-up call each,
    unless ``warm_up`` is False because the caller has already compiled and run them)."""
    if warm_up:
        for run in candidates.values():
            jax.block_until_ready(run())
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, run in candidates.items():
            times[name].append(timed(run)[1])
    return times
