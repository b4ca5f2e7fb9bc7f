"""One run of the training step on fixed batches, for the benchmarks that compare precisions or
implementations from the same weights: the training loss before each update."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from pcrepro.core.training import RunHyper, TrainSpec, init_run, train_step


def train_losses(spec: TrainSpec, batches, dtype, precision: str = "highest", activity_lr: float = 0.5,
                 weight_lr: float = 0.1) -> list[float]:
    """Training loss (at the feedforward activities, before each update) of one run, seed 0, in
    ``dtype`` with its matmuls at ``precision``, over ``batches`` ([(x, y)], in order)."""
    spec = dataclasses.replace(spec, dtype=np.dtype(dtype).name, matmul_precision=precision)
    state = init_run(jnp.uint32(0), spec)
    hyper = RunHyper(jnp.uint32(0), jnp.asarray(activity_lr, dtype), jnp.asarray(weight_lr, dtype),
                     jnp.asarray(0.0, dtype))
    step = jax.jit(lambda st, x, y: train_step(st, hyper, x, y, 1, spec))
    losses = []
    for x, y in batches:
        state, (loss, _, _) = step(state, jnp.asarray(x, dtype), jnp.asarray(y, dtype))
        losses.append(float(loss))
    return losses
