"""Adapter: the whole error_optim comparison on one batch (rule error_optim_compare)."""

from pcrepro.runtime import fast_compile

sm = snakemake  # noqa: F821 (injected by Snakemake)
if sm.params.fast_compile:  # before JAX starts its backend
    fast_compile()

import jax

jax.config.update("jax_enable_x64", sm.params.grid["dtype"] == "float64")

import numpy as np

from pcrepro.atomic import write_atomic
from pcrepro.error_optim import run_study
from pcrepro.progress import log_to

with log_to(sm.log[0]) as log:
    result = run_study(sm.params.grid, sm.input.dataset, log=log)
    write_atomic(sm.output[0], lambda tmp: np.savez(tmp, **result))
