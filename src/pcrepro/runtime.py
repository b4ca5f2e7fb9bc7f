"""Process-level JAX settings that must be made before JAX creates its backend."""

from __future__ import annotations

import os

FAST_COMPILE_FLAG = "--xla_backend_optimization_level=0"


def fast_compile() -> None:
    """Ask XLA for its cheapest LLVM pipeline. Small-scale jobs on a CPU spend most of their
    time compiling one program per shape; this halves that (measured: 22 s → 12 s for a quick
    activity-Hessian job on 2 cores) at no cost that matters for nets that small. Call before
    the first JAX computation; a flag already in ``XLA_FLAGS`` wins."""
    flags = os.environ.get("XLA_FLAGS", "")
    if "--xla_backend_optimization_level" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {FAST_COMPILE_FLAG}".strip()
