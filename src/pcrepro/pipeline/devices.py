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
2. **A cell's layout** (:func:`cell_layout`, the one call the runner makes): a CPU trains one
   run per device at a time, so that the device count changes no bit; a GPU trains a chunk of
   runs as one vmapped program; :func:`split_runs` and :func:`batch_sharding` realise it in JAX.
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
    or 1: one), over which a training cell's runs are spread one per device (:func:`cell_layout`).
    XLA:CPU runs a net's stacked-layer program on about one core; a device per core runs that many
    such programs at once. Call before JAX starts; a count already in ``XLA_FLAGS`` wins. Returns
    the count in force."""
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
    """How a training cell runs here: programs of ``runs_per_program`` runs, split over
    ``run_devices`` devices (one run each on a CPU), or one run whose every step's batch is split
    over ``batch_devices`` devices."""

    runs_per_program: int = 1
    run_devices: int = 1
    batch_devices: int = 1


def cell_layout(spec: "TrainSpec", n_runs: int, max_runs_per_program: int = 16,
                split_batch: bool = False) -> CellLayout:
    """The layout of a cell of ``n_runs`` runs on this process's backend.

    A GPU trains up to ``max_runs_per_program`` runs vmapped in one program on its one device. A CPU
    trains one run per device at a time: programs of as many runs as there are devices (up to the
    cell's runs), split one run per device. A run's float32 bits then do not depend on the device
    count: a run trains bit for bit alike alone or beside others split one per device, while vmapping
    several runs on one device, or splitting one run's batch, rounds differently with the shapes
    (``benchmarks/numerics/layout_determinism.py``). ``split_batch`` (``compute.cpu_split_batch``):
    a one-run cell's batch is split over the CPU devices instead, which is faster on JAX 0.10 but
    sums the gradient's parts in another order, so its bits depend on the device count."""
    import jax

    if _backend() != "cpu":
        return CellLayout(min(max_runs_per_program, n_runs))
    devices = min(jax.local_device_count(), n_runs)
    if devices == 1 and split_batch and jax.local_device_count() > 1:
        return CellLayout(1, 1, _devices_dividing(spec.batch_size))
    return CellLayout(devices, devices)


def _backend() -> str:
    """The platform JAX computes on in this process (a function of its own: tests replace it)."""
    import jax

    return jax.default_backend()


def _devices_dividing(count: int) -> int:
    """The largest divisor of ``count`` not above the number of local devices."""
    import jax

    available = min(jax.local_device_count(), count)
    return max(d for d in range(1, available + 1) if count % d == 0)


def device_mesh(n_devices: int, axis: str) -> "jax.sharding.Mesh":
    """The first ``n_devices`` local devices as a one-axis mesh named ``axis``."""
    import jax

    return jax.sharding.Mesh(np.asarray(jax.local_devices()[:n_devices]), (axis,))


def batch_sharding(n_devices: int) -> "jax.sharding.Sharding | None":
    """A batch's examples spread evenly over the first ``n_devices`` local devices (None for 1)."""
    import jax

    if n_devices == 1:
        return None
    return jax.sharding.NamedSharding(device_mesh(n_devices, "batch"), jax.sharding.PartitionSpec("batch"))


def split_runs(fn: Callable, n_devices: int, n_run_args: int) -> Callable:
    """``fn`` (vmapped over runs in its first ``n_run_args`` arguments and in every output)
    with the runs split evenly over ``n_devices`` local devices, each computing its share as
    ``fn`` would."""
    import jax

    if n_devices == 1:
        return fn
    from jax.sharding import PartitionSpec

    mesh = device_mesh(n_devices, "runs")
    return lambda *args: jax.shard_map(
        fn, mesh=mesh, in_specs=(PartitionSpec("runs"),) * n_run_args + (PartitionSpec(),) * (len(args) - n_run_args),
        out_specs=PartitionSpec("runs"), check_vma=False)(*args)
