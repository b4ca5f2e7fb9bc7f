"""Device policy: which devices a job holds, and how a training cell is laid out over them.

Two parts, both decided here and nowhere else:

1. **Before JAX starts** (this module does not import JAX at import time).
   :func:`claim_device` gives each GPU job one device of its own on a multi-GPU machine:
   Snakemake's ``--resources gpu=N`` bounds how many ``gpu=1`` jobs run at once but not *which*
   device each may use, so every JAX process would see (and preallocate on) all of them.
   Per-device lock files (``flock``: the kernel drops a lock when its process ends, so a killed
   job never leaves a device claimed) and ``CUDA_VISIBLE_DEVICES`` settle it. Nothing happens
   where there is nothing to share: on a machine without GPUs, and under SLURM (which binds the
   job's GPUs itself). :func:`host_devices` splits the CPU into JAX devices
   (``compute.cpu_devices``).
2. **A cell's layout** (:func:`cell_layout`, the one call the runner makes): whether a chunk of
   runs is split over the CPU devices, whether a device trains its runs one after another, and
   whether each step's batch is split over the devices; :func:`split_runs` and
   :func:`batch_sharding` realise it in JAX. A GPU runs a chunk as one stacked program.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence

import numpy as np

if TYPE_CHECKING:
    import jax

    from pcrepro.core.training import TrainSpec

# Lock files held by this process: kept open for its lifetime (closing one drops the lock).
_HELD: dict[str, object] = {}


def visible_gpus(devices: str | Sequence[str | int] | None = "auto") -> list[str]:
    """The device ids jobs may share. ``auto``: ``CUDA_VISIBLE_DEVICES`` if set, else the
    GPUs ``nvidia-smi`` lists (none where it is missing); a list: exactly those ids."""
    if devices is None:
        return []
    if devices != "auto":
        return [str(d) for d in devices]
    preset = os.environ.get("CUDA_VISIBLE_DEVICES")
    if preset is not None:
        return [d.strip() for d in preset.split(",") if d.strip() and d.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def default_lock_dir() -> Path:
    """Shared by every workflow of this machine and user (two workflows share its GPUs too)."""
    return Path(tempfile.gettempdir()) / f"pcrepro-gpu-locks-{os.getuid()}"


def claim_device(devices: str | Sequence[str | int] | None = "auto", lock_dir: str | Path | None = None, *,
                 poll_s: float = 2.0, log: Callable[[str], None] | None = None) -> str | None:
    """Claim one free device of ``devices`` for this process; set ``CUDA_VISIBLE_DEVICES`` to it.

    Returns the device id, or None where there is nothing to claim (no GPU; under SLURM).
    Waits (polling every ``poll_s``) while every device is held by another job, which only
    happens when ``--resources gpu`` exceeds the number of devices.
    """
    log = log or (lambda _msg: None)
    if os.environ.get("SLURM_JOB_ID"):
        log(f"GPU binding left to SLURM (CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '')})")
        return None
    candidates = visible_gpus(devices)
    if not candidates:
        return None
    lock_dir = Path(lock_dir) if lock_dir else default_lock_dir()
    lock_dir.mkdir(parents=True, exist_ok=True)
    waited = False
    while True:
        for device in candidates:
            handle = open(lock_dir / f"gpu-{device}.lock", "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            _HELD[device] = handle
            os.environ["CUDA_VISIBLE_DEVICES"] = device
            log(f"claimed GPU {device} of {','.join(candidates)} (lock {lock_dir}/gpu-{device}.lock)")
            return device
        if not waited:
            log(f"all of GPUs {','.join(candidates)} are held by other jobs; waiting for one")
            waited = True
        time.sleep(poll_s)


def release_devices() -> None:
    """Drop every device this process holds (it also happens when the process ends)."""
    for handle in _HELD.values():
        handle.close()
    _HELD.clear()


HOST_DEVICES_FLAG = "--xla_force_host_platform_device_count"


def host_devices(count: int | str | None) -> int:
    """Split the CPU into ``count`` JAX devices ("auto": one per core this process may use; None
    or 1: one), so that a training cell's runs can be spread over them
    (:func:`cell_layout`). XLA:CPU runs a stacked-layer program on
    about one core; a device per core runs that many such programs at once (measured on the
    2-core machine: 8 runs 1.7× faster per run). Per-device programs are compiled for fewer
    runs, so float32 results differ from one device's by round-off (float64 ones are identical).
    Call before JAX starts; a count already in ``XLA_FLAGS`` wins. Returns the count in force."""
    flags = os.environ.get("XLA_FLAGS", "")
    if HOST_DEVICES_FLAG in flags:
        return int(flags.split(HOST_DEVICES_FLAG + "=")[1].split()[0])
    if count in (None, 1):
        return 1
    n = len(os.sched_getaffinity(0)) if count == "auto" else int(count)
    if n < 1:
        raise ValueError(f"compute.cpu_devices must be 'auto' or a positive integer, got {count!r}")
    if n > 1:
        os.environ["XLA_FLAGS"] = f"{flags} {HOST_DEVICES_FLAG}={n}".strip()
    return n


# -- a cell's layout over this process's devices (JAX imported where used) ---------------------

class CellLayout(NamedTuple):
    """How a training cell runs here: each chunk of runs split over ``run_devices`` devices, each
    device training its runs one after another (``in_sequence``) or vmapped, and each step's
    batch split over ``batch_devices`` devices (only where the runs are not split)."""

    run_devices: int = 1
    in_sequence: bool = False
    batch_devices: int = 1


def cell_layout(spec: "TrainSpec", runs_per_program: int) -> CellLayout:
    """The layout of a cell whose programs hold ``runs_per_program`` runs, on this process's
    backend (:func:`devices_for_runs`, :func:`runs_in_sequence`, :func:`devices_for_batch`)."""
    run_devices = devices_for_runs(runs_per_program)
    return CellLayout(run_devices, runs_in_sequence(spec, runs_per_program // run_devices),
                      devices_for_batch(spec.batch_size, run_devices))


def devices_for_runs(chunk_size: int) -> int:
    """How many devices a chunk of runs is split over: on the CPU, the largest divisor of
    ``chunk_size`` not above the number of host devices (:func:`host_devices`);
    elsewhere 1 (a GPU runs the whole chunk as one stacked program)."""
    import jax

    if jax.default_backend() != "cpu":
        return 1
    return _devices_dividing(chunk_size)


def _devices_dividing(count: int) -> int:
    """The largest divisor of ``count`` not above the number of local devices."""
    import jax

    available = min(jax.local_device_count(), count)
    return max(d for d in range(1, available + 1) if count % d == 0)


def device_mesh(n_devices: int, axis: str) -> jax.sharding.Mesh:
    """The first ``n_devices`` local devices as a one-axis mesh named ``axis``."""
    import jax

    return jax.sharding.Mesh(np.asarray(jax.local_devices()[:n_devices]), (axis,))


def devices_for_batch(batch_size: int, run_devices: int) -> int:
    """How many devices each training step's batch is split over: on the CPU, where a chunk's runs
    are not split (``run_devices`` 1: one run, or a count no device count divides), the largest
    divisor of ``batch_size`` not above the number of host devices; else 1. XLA:CPU 0.10 runs one
    run's stacked step on about one core; its examples on a device per core use both (measured
    2026-12-01, 2-core VM, μPC N = 128, one run, JAX 0.10.2: 1.4× faster at H = 16 and at H = 64;
    JAX 0.11 spreads one run itself: 1.1× at H = 16, 0.93× at H = 64; docs/benchmarks.md). A GPU
    runs the whole batch on one device."""
    import jax

    if jax.default_backend() != "cpu" or run_devices > 1:
        return 1
    return _devices_dividing(batch_size)


def batch_sharding(n_devices: int) -> jax.sharding.Sharding | None:
    """A batch's examples spread evenly over the first ``n_devices`` local devices (None for 1)."""
    import jax

    if n_devices == 1:
        return None
    return jax.sharding.NamedSharding(device_mesh(n_devices, "batch"), jax.sharding.PartitionSpec("batch"))


# above this many bytes of hidden weights on one device, a CPU trains its runs one after another
RUNS_IN_SEQUENCE_BYTES = 1 << 20


def runs_in_sequence(spec: TrainSpec, runs_per_device: int) -> bool:
    """Whether a device trains its runs one after another rather than vmapped: on the CPU, when
    their hidden weights together exceed :data:`RUNS_IN_SEQUENCE_BYTES` (a core's L2 cache on the
    2-core machine it was measured on). Vmapped, every matmul streams every run's weights; one run at a time keeps one run's
    weights in cache (measured 2026-12-01, 2-core VM, μPC N = 128, H = 64, 8 runs: 1.3-1.9× faster
    per run; at N = 32, H = 32, 6 runs vmapping was 10-20 % faster). A GPU vmaps."""
    import jax

    if jax.default_backend() != "cpu":
        return False
    net = spec.net
    weight_bytes = (net.n_hidden - 1) * net.width**2 * np.dtype(spec.dtype).itemsize
    return runs_per_device > 1 and runs_per_device * weight_bytes > RUNS_IN_SEQUENCE_BYTES


def split_runs(fn: Callable, n_devices: int, n_run_args: int) -> Callable:
    """``fn`` (vmapped over runs in its first ``n_run_args`` arguments and in every output)
    with the runs split evenly over ``n_devices`` local devices, each computing its share as
    ``fn`` would. Runs never interact, so the results are those of ``fn`` on one device, up to
    the round-off of a program compiled for fewer runs (none in float64)."""
    import jax

    if n_devices == 1:
        return fn
    from jax.sharding import PartitionSpec

    mesh = device_mesh(n_devices, "runs")
    return lambda *args: jax.shard_map(
        fn, mesh=mesh, in_specs=(PartitionSpec("runs"),) * n_run_args + (PartitionSpec(),) * (len(args) - n_run_args),
        out_specs=PartitionSpec("runs"), check_vma=False)(*args)
