"""Loss and energy landscapes of a deep net on a 2-D plane of weight space.

Grids are ``ij``-indexed: ``values[i, j] = f(W₀ + axis[i]·d₁ + axis[j]·d₂)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .energy import mse_loss
from .hessian import unflatten_weights
from .inference import euler_inference_halving
from .nets import NetSpec, forward, predict


def projection_axes(domain: float, resolution: int) -> np.ndarray:
    return np.linspace(-domain, domain, resolution)


def _projected_points(w_center, directions, domain, resolution):
    axis = jnp.asarray(projection_axes(domain, resolution), w_center.dtype)
    a, b = jnp.meshgrid(axis, axis, indexing="ij")
    return w_center + a.reshape(-1, 1) * directions[0] + b.reshape(-1, 1) * directions[1]


def projected_loss(spec: NetSpec, w_center, directions, x, y, domain: float, resolution: int) -> np.ndarray:
    """𝓛(W₀ + a·d₁ + b·d₂) on the (a, b) grid [R, R] (flat weights, :mod:`pcrepro.core.hessian` order)."""
    points = _projected_points(w_center, directions, domain, resolution)

    def loss(w):
        return mse_loss(predict(unflatten_weights(w, spec), x, spec), y)

    return np.asarray(jax.jit(jax.vmap(loss))(points)).reshape(resolution, resolution)


def projected_energy(spec: NetSpec, w_center, directions, x, y, domain: float, resolution: int,
                     n_steps: int, dt: float) -> np.ndarray:
    """F over inference steps t = 0 … T at W₀ + a·d₁ + b·d₂ [R, R, T+1]: activities start at
    the feedforward pass of each grid point and follow seed 001's step-halving Euler rule."""
    points = _projected_points(w_center, directions, domain, resolution)

    def energies(w):
        params = unflatten_weights(w, spec)
        z0, _ = forward(params, x, spec)
        return euler_inference_halving(params, z0, x, y, spec, dt=dt, n_steps=n_steps)

    return np.asarray(jax.jit(jax.vmap(energies))(points)).reshape(resolution, resolution, n_steps + 1)
