"""Process-level JAX settings that must be made before JAX creates its backend."""

from __future__ import annotations

import os
from pathlib import Path

FAST_COMPILE_FLAG = "--xla_backend_optimization_level=0"


def fast_compile() -> None:
    """Ask XLA for its cheapest LLVM pipeline. Small-scale jobs on a CPU spend most of their
    time compiling one program per shape; this halves that (measured: 22 s → 12 s for a quick
    activity-Hessian job on 2 cores) at no cost that matters for nets that small. Call before
    the first JAX computation; a flag already in ``XLA_FLAGS`` wins."""
    flags = os.environ.get("XLA_FLAGS", "")
    if "--xla_backend_optimization_level" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {FAST_COMPILE_FLAG}".strip()


# Compile times of small CPU programs are 0.1–1 s: cache them all (JAX's default skips < 1 s).
CACHE_MIN_COMPILE_S = "0"
# A bound on the cache turns on JAX's file lock (filelock), so that concurrent jobs never read
# an entry another one is still writing; least recently used entries go beyond it.
CACHE_MAX_BYTES = str(4 * 2**30)


def compilation_cache_env(setting: str | None, workdir: str | Path, environ=os.environ) -> dict[str, str]:
    """The environment that gives every job JAX's persistent compilation cache at ``setting``
    (config ``compute.compilation_cache``; relative to ``workdir``; None: none). Variables the
    user already set are left as they are."""
    if setting is None or "JAX_COMPILATION_CACHE_DIR" in environ:
        return {}
    path = Path(setting) if Path(setting).is_absolute() else Path(workdir) / setting
    env = {"JAX_COMPILATION_CACHE_DIR": str(path.resolve()),
           "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": CACHE_MIN_COMPILE_S,
           "JAX_COMPILATION_CACHE_MAX_SIZE": CACHE_MAX_BYTES}
    return {k: v for k, v in env.items() if k not in environ}


def start_job(fast_compile_xla: bool, gpus_held: int, compute: dict, log_path: str | None = None) -> str | None:
    """Process settings of a workflow job, made before JAX starts its backend.

    ``gpus_held``: the job's ``gpu`` resource; ``compute``: the config's ``compute`` section
    (``gpu_devices``, ``device_lock_dir``, ``cpu_devices``). A GPU job claims one free device of its own
    (:func:`pcrepro.pipeline.devices.claim_device`); a job that holds no GPU is kept off them
    (``JAX_PLATFORMS=cpu``), so that on a GPU machine it neither preallocates memory on a
    device another job holds nor competes for it. Returns the claimed device id (None: none
    claimed). From here on the process's stdout and stderr are copied into ``log_path``.
    """
    from .devices import claim_device, host_devices
    from .progress import log_output, log_to

    if log_path:
        log_output(log_path)  # the job's log also gets its warnings and, if it fails, the traceback
    if fast_compile_xla:
        fast_compile()
    host_devices(compute.get("cpu_devices"))  # used only where JAX runs on the CPU
    if not gpus_held:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        return None
    with log_to(log_path) as log:
        return claim_device(compute.get("gpu_devices", "auto"), compute.get("device_lock_dir"), log=log)
