"""Loss and energy landscapes of a scalar chain on its full weight grid (seed 000).

Grids are ``ij``-indexed: axis k of a returned array runs over w_{k+1}, so
``values[i, j] = f(grid[i], grid[j])``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ...core.energy import mse_loss, pc_energy
from ...core.hessian import flatten_weights
from ...core.inference import euler_inference
from ...core.nets import forward, predict
from ...core.theory import equilibrated_energy
from .dynamics import chain_params, chain_spec


class ChainLandscape(NamedTuple):
    axis: np.ndarray             # [R] the values every weight takes on the grid
    loss: np.ndarray             # [R]*L
    loss_descent: np.ndarray     # [R]*L + [L]   −∇𝓛
    energy: np.ndarray           # [R]*L + [T+1] F after t Euler steps from the feedforward pass
    energy_descent: np.ndarray   # [R]*L + [T+1, L]  −∂F/∂W at the activities of step t
    equilibrium: np.ndarray      # [R]*L  F* (closed form, docs/theory.md)
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
