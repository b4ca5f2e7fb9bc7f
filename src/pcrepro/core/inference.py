"""Activity inference: minimise F over the hidden activities at fixed weights.

Activities start at the feedforward pass (where F = 𝓛) and take ``n_steps``
steps of gradient descent or Adam on ∂F/∂z, as one ``lax.scan``. The Adam
state starts afresh for every batch, as in the reference scripts.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .energy import activity_grad, pc_energy
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


def euler_inference(
    params: Params,
    z0: jax.Array,
    x: jax.Array,
    y: jax.Array,
    spec: NetSpec,
    *,
    dt,
    n_steps: int,
    record=None,
    active_steps=None,
):
    """Euler steps on each sample's own energy, as seeds 000/001 write them:
    z ← z − dt · ∂F_i/∂z_i with F_i = B · (its share of F), i.e. ``dt`` is not divided by B.

    Returns z_T and, if ``record`` is given, ``record(z_t)`` stacked over t = 0 … T. With
    ``active_steps`` (a traced int ≤ ``n_steps``) only the first that many steps move z, so
    one compiled program serves every step count; the steps past it are skipped (a ``cond``,
    also in derivatives), so a call costs its own steps, not ``n_steps``."""
    lr = dt * x.shape[0]

    def move(z):
        return z - lr * activity_grad(params, z, x, y, spec)

    def step(z, i):
        z_next = move(z) if active_steps is None else jax.lax.cond(i < active_steps, move, lambda z: z, z)
        return z_next, (record(z_next) if record else None)

    z_last, trace = jax.lax.scan(step, z0, jnp.arange(n_steps))
    if record is None:
        return z_last, None
    first = jax.tree.map(lambda leaf: leaf[None], record(z0))
    return z_last, jax.tree.map(lambda a, b: jnp.concatenate([a, b]), first, trace)


def euler_inference_halving(
    params: Params,
    z0: jax.Array,
    x: jax.Array,
    y: jax.Array,
    spec: NetSpec,
    *,
    dt: float,
    n_steps: int,
    min_dt: float = 0.025,
) -> jax.Array:
    """Seed 001's ``infer_train`` rule: Euler steps as :func:`euler_inference`; when a step
    does not lower F, the step size halves, and once it would fall to ``min_dt`` inference
    stops (the remaining entries repeat the last energy). Returns F at t = 0 … T.

    The notebook kept the halved step size across calls (a stateful slip); here every call
    starts from ``dt``."""
    batch = x.shape[0]

    def step(carry, t):
        z, step_size, stopped, previous = carry
        z_next = z - step_size * batch * activity_grad(params, z, x, y, spec)
        energy = pc_energy(params, z_next, x, y, spec)
        z = jnp.where(stopped, z, z_next)
        energy = jnp.where(stopped, previous, energy)
        worse = (t > 0) & (energy >= previous) & (step_size > min_dt) & ~stopped
        halved = jnp.where(worse, step_size / 2, step_size)
        stopped = stopped | (worse & (halved <= min_dt))
        return (z, halved, stopped, energy), energy

    f0 = pc_energy(params, z0, x, y, spec)
    init = (z0, jnp.asarray(dt, z0.dtype), jnp.asarray(False), f0)
    _, energies = jax.lax.scan(step, init, jnp.arange(n_steps))
    return jnp.concatenate([f0[None], energies])
