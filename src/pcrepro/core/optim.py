"""Optimiser updates as pure functions over pytrees (no hidden state).

Adam follows Kingma & Ba with bias correction, matching ``optax.adam``
(eps added to √v̂, eps_root = 0); the learning rate may be a traced scalar so
that runs with different learning rates share one vmapped program.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

ADAM_B1, ADAM_B2, ADAM_EPS = 0.9, 0.999, 1e-8


class AdamState(NamedTuple):
    mu: object  # pytree like the parameters
    nu: object
    count: jax.Array


def adam_init(params) -> AdamState:
    # two separate trees: one shared buffer could not be donated to a jitted step twice
    return AdamState(mu=jax.tree_util.tree_map(jnp.zeros_like, params),
                     nu=jax.tree_util.tree_map(jnp.zeros_like, params), count=jnp.zeros((), jnp.int32))


def adam_step(params, grads, state: AdamState, lr) -> tuple[object, AdamState]:
    """One Adam step: θ ← θ − lr · m̂ / (√v̂ + ε)."""
    count = state.count + 1
    mu = jax.tree_util.tree_map(lambda m, g: ADAM_B1 * m + (1 - ADAM_B1) * g, state.mu, grads)
    nu = jax.tree_util.tree_map(lambda v, g: ADAM_B2 * v + (1 - ADAM_B2) * g * g, state.nu, grads)

    def update(p, m, v):
        # the bias corrections in the leaf's precision: computed in float64 under x64 and cast, they
        # would round a float32 update differently than in a process without x64
        step = count.astype(p.dtype)
        c1, c2 = 1 - ADAM_B1**step, 1 - ADAM_B2**step
        return (p - lr * (m / c1) / (jnp.sqrt(v / c2) + ADAM_EPS)).astype(p.dtype)

    return jax.tree_util.tree_map(update, params, mu, nu), AdamState(mu=mu, nu=nu, count=count)


def sgd_step(params, grads, lr):
    """θ ← θ − lr · g."""
    return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
