"""Activity inference: minimise F over the hidden activities at fixed weights.

Activities start at the feedforward pass (where F = 𝓛) and take ``n_steps``
steps of gradient descent or Adam on ∂F/∂z, as one ``lax.scan``. The Adam
state starts afresh for every batch, as in the reference scripts.
"""

from __future__ import annotations

import jax

from .energy import activity_grad
from .nets import NetSpec, Params
from .optim import adam_init, adam_step

ACTIVITY_OPTIMS = ("gd", "adam")


def infer_activities(
    params: Params,
    z0: jax.Array,
    x: jax.Array,
    y: jax.Array,
    spec: NetSpec,
    *,
    optim: str,
    activity_lr,
    n_steps: int,
    activity_decay=0.0,
) -> jax.Array:
    """Run ``n_steps`` of ``optim`` ∈ {"gd", "adam"} on F from ``z0``; returns z_T."""

    def grad(z):
        return activity_grad(params, z, x, y, spec, activity_decay)

    if optim == "gd":

        def gd(z, _):
            return z - activity_lr * grad(z), None

        z, _ = jax.lax.scan(gd, z0, None, length=n_steps)
        return z
    if optim == "adam":

        def adam(carry, _):
            z, state = carry
            return adam_step(z, grad(z), state, activity_lr), None

        (z, _), _ = jax.lax.scan(adam, (z0, adam_init(z0)), None, length=n_steps)
        return z
    raise ValueError(f"activity optimiser {optim!r} not in {ACTIVITY_OPTIMS}")
