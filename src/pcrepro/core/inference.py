"""Activity inference: minimise F over the hidden activities at fixed weights.

Activities start at the feedforward pass (where F = 𝓛) and take ``n_steps``
steps of gradient descent or Adam on ∂F/∂z, as ``lax.scan`` s. The Adam
state starts afresh for every batch, as in the reference scripts.

The error front. At the feedforward activities every hidden error is zero; only the output
error is not. Without activity decay, ∂F/∂z_ℓ = (e_ℓ − terms in e_ℓ₊₁)/B is then zero below the
top layer, so step k (k = 0, 1, …) moves only z_{H−k} … z_H: the errors spread down one layer
per step. With ``skip_unreached`` the first min(T, H − 1) steps are split into phases
(:func:`error_front_phases`), each run on the layers its last step reaches. That is the same
maths with about half the matmuls when T = H (the μPC nets).

From the feedforward activities (given their ``round_off``) every error is measured net of its
round-off there (:mod:`pcrepro.core.energy`), each phase's with its own kernel: the layers the
errors have not reached then have errors of exactly zero and stay exactly where they are, with
or without the error front, at any matmul precision.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .energy import RoundOff, activity_grad, pc_energy, top_energy, top_hidden_errors
from .nets import NetSpec, Params
from .optim import AdamState, adam_init, adam_step

ACTIVITY_OPTIMS = ("gd", "adam")
# each phase is one more scan to compile: phases of at least this many steps, at most this many phases
FRONT_PHASE_STEPS, FRONT_MAX_PHASES = 4, 16
_top_grad = jax.grad(top_energy, argnums=1)


def error_front_phases(n_hidden: int, n_steps: int) -> list[tuple[int, int]]:
    """(first moving layer, steps) for each phase of inference with ``skip_unreached``; layers are
    indices into the stacked activities (0 = z_1).

    Step k moves the layers ≥ H − 1 − k, so a phase ending with step e − 1 runs on the layers
    ≥ H − e. The first m = min(T, H − 1) steps make phases of near-equal length; the T − m steps
    after them run on every layer (first layer 0). Layers below H − T never move."""
    reach = min(n_steps, n_hidden - 1)
    if reach <= 0:
        return [(0, n_steps)]
    n_phases = max(1, min(FRONT_MAX_PHASES, reach // FRONT_PHASE_STEPS))
    ends = [round(reach * j / n_phases) for j in range(n_phases + 1)]
    phases = [(n_hidden - end, end - start) for start, end in zip(ends, ends[1:])]
    return phases + ([(0, n_steps - reach)] if n_steps > reach else [])


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
    round_off: RoundOff | None = None,
    skip_unreached: bool = False,
) -> jax.Array:
    """Run ``n_steps`` of ``optim`` ∈ {"gd", "adam"} on F from ``z0``; returns z_T.

    ``round_off``: ``z0`` is the feedforward pass and this its errors' round-off
    (:func:`pcrepro.core.energy.feedforward_round_off`); the errors are measured net of it, an
    error-front phase's net of its own kernel's (module docstring). ``skip_unreached``: compute
    only the layers the errors have reached; only for ``z0`` the feedforward activities and
    ``activity_decay`` 0, which the caller guarantees."""
    if optim not in ACTIVITY_OPTIMS:
        raise ValueError(f"activity optimiser {optim!r} not in {ACTIVITY_OPTIMS}")
    phases = error_front_phases(spec.n_hidden, n_steps) if skip_unreached else [(0, n_steps)]
    z, state = z0, (adam_init(z0) if optim == "adam" else None)
    for first, steps in phases:
        if first == 0:
            z, state = _descend(lambda v: activity_grad(params, v, x, y, spec, activity_decay, round_off),
                                z, state, optim, activity_lr, steps)
            continue
        top_round_off = (None if round_off is None
                         else jax.lax.stop_gradient(top_hidden_errors(params, z0[first:], z0[first - 1], spec)))
        top_state = None if state is None else AdamState(state.mu[first:], state.nu[first:], state.count)
        top, top_state = _descend(lambda v, below=z[first - 1], r=top_round_off: _top_grad(params, v, below, y, spec, r),
                                  z[first:], top_state, optim, activity_lr, steps)
        z = _with_top(z, top)
        if state is not None:
            state = AdamState(_with_top(state.mu, top_state.mu), _with_top(state.nu, top_state.nu), top_state.count)
    return z


def _descend(grad, z: jax.Array, state: AdamState | None, optim: str, lr, n_steps: int):
    """``n_steps`` of GD (``state`` None) or Adam on ``grad`` from ``z``, as one scan."""
    if optim == "gd":
        z, _ = jax.lax.scan(lambda v, _: (v - lr * grad(v), None), z, None, length=n_steps)
        return z, None
    (z, state), _ = jax.lax.scan(lambda c, _: (adam_step(c[0], grad(c[0]), c[1], lr), None), (z, state), None,
                                 length=n_steps)
    return z, state


def _with_top(full: jax.Array, top: jax.Array) -> jax.Array:
    """``full`` with its last len(top) layers replaced by ``top``."""
    return jnp.concatenate([full[: full.shape[0] - top.shape[0]], top])


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
