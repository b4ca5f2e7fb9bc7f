"""One GPU per job on a multi-GPU machine: claim a free device before JAX starts.

Snakemake's ``--resources gpu=N`` bounds how many ``gpu=1`` jobs run at once, but it
does not say *which* device a job may use: without help every JAX process would see
(and preallocate on) all of them. :func:`claim_device` gives each job one device of its
own through per-device lock files (``flock``: the kernel drops a lock when its process
ends, so a killed job never leaves a device claimed) and sets ``CUDA_VISIBLE_DEVICES``
to it. It must run before JAX creates its backend; this module does not import JAX.

Nothing happens where there is nothing to share: on a machine without GPUs, and under
SLURM (which binds the job's GPUs itself).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

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


__all__ = ["claim_device", "release_devices", "visible_gpus", "default_lock_dir"]
