"""Loss and energy landscapes: chains on a full weight grid, deep nets on 2-D projections.

Grids are ``ij``-indexed: axis k of a returned array runs over the k-th coordinate
(w_{k+1} for chains; the first / second direction for projections), so
``values[i, j] = f(grid[i], grid[j])``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .chains import chain_params, chain_spec
from .energy import mse_loss, pc_energy
from .hessian import flatten_weights, unflatten_weights
from .inference import euler_inference, euler_inference_halving
from .nets import NetSpec, forward, predict
from .theory import equilibrated_energy


class ChainLandscape(NamedTuple):
    axis: np.ndarray             # [R] the values every weight takes on the grid
    loss: np.ndarray             # [R]*L
    loss_descent: np.ndarray     # [R]*L + [L]   −∇𝓛
    energy: np.ndarray           # [R]*L + [T+1] F after t Euler steps from the feedforward pass
    energy_descent: np.ndarray   # [R]*L + [T+1, L]  −∂F/∂W at the activities of step t
    equilibrium: np.ndarray      # [R]*L  F* (closed form, THEORY.md)
    equilibrium_descent: np.ndarray  # [R]*L + [L]  −∇F*


def chain_point(w: jax.Array, x: jax.Array, y: jax.Array, n_steps: int, dt: float):
    """Everything a landscape shows at one chain weight vector ``w`` [L] (x, y [B])."""
    spec = chain_spec(w.shape[0] - 1)
    x, y = x[:, None], y[:, None]

    def loss(w):
        return mse_loss(predict(chain_params(w), x, spec), y)

    def equilibrated(w):
        return equilibrated_energy(chain_params(w), x, y, spec)

    params = chain_params(w)
    z0, _ = forward(params, x, spec)

    def record(z):
        value, grad = jax.value_and_grad(pc_energy)(params, z, x, y, spec)
        return value, -flatten_weights(grad)

    _, (energies, descents) = euler_inference(params, z0, x, y, spec, dt=dt, n_steps=n_steps, record=record)
    loss_value, loss_grad = jax.value_and_grad(loss)(w)
    eq_value, eq_grad = jax.value_and_grad(equilibrated)(w)
    return loss_value, -loss_grad, energies, descents, eq_value, -eq_grad


def chain_landscape(n_hidden: int, x, y, domain: float, resolution: int, n_steps: int, dt: float,
                    ) -> ChainLandscape:
    """All L weights over linspace(−domain, domain, resolution) each (R^L points), vmapped."""
    axis = jnp.linspace(-domain, domain, resolution, dtype=jnp.asarray(x).dtype)
    n_layers = n_hidden + 1
    mesh = jnp.stack(jnp.meshgrid(*([axis] * n_layers), indexing="ij"), axis=-1).reshape(-1, n_layers)
    point = jax.jit(jax.vmap(lambda w: chain_point(w, jnp.asarray(x), jnp.asarray(y), n_steps, dt)))
    shape = (resolution,) * n_layers
    values = [np.asarray(v).reshape(shape + v.shape[1:]) for v in point(mesh)]
    return ChainLandscape(np.asarray(axis), *values)


def projection_axes(domain: float, resolution: int) -> np.ndarray:
    return np.linspace(-domain, domain, resolution)


def _projected_points(w_center, directions, domain, resolution):
    axis = jnp.asarray(projection_axes(domain, resolution), w_center.dtype)
    a, b = jnp.meshgrid(axis, axis, indexing="ij")
    return w_center + a.reshape(-1, 1) * directions[0] + b.reshape(-1, 1) * directions[1]


def projected_loss(spec: NetSpec, w_center, directions, x, y, domain: float, resolution: int) -> np.ndarray:
    """𝓛(W₀ + a·d₁ + b·d₂) on the (a, b) grid [R, R] (flat weights, :mod:`pcrepro.hessian` order)."""
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
