"""Scalar linear chains (seed 000): BP vs PC on x ↦ w_L ⋯ w_1 x.

A chain is the linear ``sp`` net of :mod:`pcrepro.core.nets` with every width 1, so training,
energies and Hessians go through the same core as the deep nets; only the bookkeeping
here is chain-specific.

Data follow seed 000 draw for draw: numpy's legacy generator seeded with the run's seed
is consumed in the notebook's order (initial weights; BP batches; BP's landscape batch;
PC batches up to its stopping iteration; PC's landscape batch; the zero weights; the
Hessian batch), so the runs see the notebook's very numbers.
"""


from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ...core.energy import mse_loss, pc_energy
from ...core.hessian import flatten_weights, unflatten_weights
from ...core.inference import euler_inference
from ...core.nets import NetSpec, Params, forward, predict

TEST_POINT = (1.0, -1.0)  # the notebook's test example x = 1, y = −x


@dataclass(frozen=True)
class ChainSetup:
    """Seed 000's constants (docs/figures.md)."""

    data_mean: float = 1.0
    data_std: float = 0.1
    batch_size: int = 64
    weight_scale: float = 0.05
    lr: float = 0.4
    inference_steps: int = 20
    dt: float = 0.1

    def inputs(self, normals: np.ndarray) -> np.ndarray:
        """x ~ N(data_mean, data_std²) from standard normal draws."""
        return self.data_mean + self.data_std * normals


def chain_spec(n_hidden: int) -> NetSpec:
    return NetSpec(input_dim=1, width=1, n_hidden=n_hidden, output_dim=1)


def chain_params(weights: jax.Array) -> Params:
    """Params of a chain from its L scalar weights (w_1 … w_L); the inverse is
    :func:`pcrepro.core.hessian.flatten_weights`, as for any net."""
    return unflatten_weights(weights, chain_spec(weights.shape[-1] - 1))


# ------------------------------------------------------------------------- data


class NotebookStream:
    """Seed 000's draws for one seed, consumed in order (numpy legacy ``RandomState``;
    ``normal(loc, scale, n)`` equals ``loc + scale·z`` over its standard normal stream)."""

    def __init__(self, seed: int, setup: ChainSetup):
        self._rng = np.random.RandomState(seed)
        self.setup = setup

    def normals(self, n: int) -> np.ndarray:
        return self._rng.standard_normal(n)

    def weights(self, n_weights: int, scale: float) -> np.ndarray:
        return scale * self.normals(n_weights)

    def batch(self) -> tuple[np.ndarray, np.ndarray]:
        """x ~ N(mean, std²) [B], y = −x."""
        x = self.setup.inputs(self.normals(self.setup.batch_size))
        return x, -x

    def batches(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        xs = np.stack([self.batch()[0] for _ in range(n)]) if n else np.zeros((0, self.setup.batch_size))
        return xs, -xs


# --------------------------------------------------------------------- training


class BPTrace(NamedTuple):
    weights: jax.Array      # [T+1, L] before each update and after the last
    grads: jax.Array        # [T, L]
    train_loss: jax.Array   # [T]
    test_loss: jax.Array    # [T] after each update
    predictions: jax.Array  # [T, B]


class PCTrace(NamedTuple):
    weights: jax.Array        # [T+1, L]
    grads: jax.Array          # [T, L] PC weight gradients at the inferred activities
    train_loss: jax.Array     # [T] feedforward loss before the update
    test_loss: jax.Array      # [T]
    predictions: jax.Array    # [T, t+1, B] ŷ = w_L z_H over inference steps
    layer_energies: jax.Array  # [T, t+1, L] mean ½ e_ℓ² per layer over inference steps
    active: jax.Array         # [T] iteration was run (False after the stopping rule fired)


def _xy(x):
    return x[:, None]


def _test_loss(params: Params, spec: NetSpec) -> jax.Array:
    x, y = TEST_POINT
    return mse_loss(predict(params, jnp.array([[x]]), spec), jnp.array([[y]]))


def train_bp(w0: jax.Array, xs: jax.Array, ys: jax.Array, lr: float) -> BPTrace:
    """Plain GD on 𝓛 = mean ½(y − w_L⋯w_1 x)², one fresh batch per iteration."""
    spec = chain_spec(w0.shape[0] - 1)

    def loss(w, x, y):
        return mse_loss(predict(chain_params(w), _xy(x), spec), _xy(y))

    def step(w, batch):
        x, y = batch
        value, grad = jax.value_and_grad(loss)(w, x, y)
        prediction = predict(chain_params(w), _xy(x), spec)[:, 0]
        w_next = w - lr * grad
        return w_next, (w, grad, value, _test_loss(chain_params(w_next), spec), prediction)

    w_last, (ws, grads, train, test, preds) = jax.lax.scan(step, w0, (xs, ys))
    return BPTrace(jnp.concatenate([ws, w_last[None]]), grads, train, test, preds)


def layer_energies(params: Params, z: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
    """mean over the batch of ½ e_ℓ² for ℓ = 1 … L of a chain (z [H, B, 1])."""
    w = flatten_weights(params)
    inputs = jnp.concatenate([x[None], z], axis=0)           # z_0 = x, z_1 … z_H
    targets = jnp.concatenate([z, y[None]], axis=0)          # z_1 … z_H, y
    errors = targets - w[:, None, None] * inputs
    return 0.5 * jnp.mean(errors[..., 0] ** 2, axis=1)


def train_pc(w0: jax.Array, xs: jax.Array, ys: jax.Array, setup: ChainSetup,
             stop_below_test_loss: float | None = None) -> PCTrace:
    """PC with Euler inference (``setup.inference_steps`` steps of ``setup.dt`` from the
    feedforward pass) and a GD weight step on ∂F/∂W at the inferred activities. With
    ``stop_below_test_loss`` training stops after the first iteration whose test loss
    falls below it (seed 000 does so for the 1-hidden-unit chain); later iterations are
    marked inactive and leave the weights unchanged."""
    spec = chain_spec(w0.shape[0] - 1)
    threshold = -jnp.inf if stop_below_test_loss is None else stop_below_test_loss

    def step(carry, batch):
        w, stopped = carry
        x, y = _xy(batch[0]), _xy(batch[1])
        params = chain_params(w)
        z0, y_hat = forward(params, x, spec)

        def record(z):
            return params["w_out"][0, 0] * z[-1, :, 0], layer_energies(params, z, x, y)

        z, (preds, energies) = euler_inference(params, z0, x, y, spec, dt=setup.dt,
                                               n_steps=setup.inference_steps, record=record)
        grad = flatten_weights(jax.grad(pc_energy)(params, z, x, y, spec))
        w_next = w - setup.lr * grad
        test = _test_loss(chain_params(w_next), spec)
        active = ~stopped
        w_next = jnp.where(active, w_next, w)
        stopped = stopped | (test < threshold)
        return (w_next, stopped), (w, grad, mse_loss(y_hat, y), test, preds, energies, active)

    (w_last, _), (ws, grads, train, test, preds, energies, active) = jax.lax.scan(
        step, (w0, jnp.asarray(False)), (xs, ys))
    return PCTrace(jnp.concatenate([ws, w_last[None]]), grads, train, test, preds, energies, active)


def equilibrium_z(w1, w2, x, y):
    """Closed-form equilibrium of the single hidden unit (H = 1): (w₁x + w₂y)/(1 + w₂²)."""
    return (w1 * x + w2 * y) / (1 + w2**2)


# ------------------------------------------------------------------ one depth


def chain_loss(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """𝓛 = mean ½(y − w_L⋯w_1 x)² (numpy; for plotting values along trajectories)."""
    return float(np.mean(0.5 * (y - np.prod(w) * x) ** 2))


def chain_equilibrated_energy(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """F* = 𝓛 / S with S = 1 + Σ_{ℓ=2}^{L} (w_L⋯w_ℓ)² (docs/theory.md, scalar output)."""
    tail_products = np.cumprod(np.asarray(w)[::-1])[:-1]  # w_L, w_L w_{L−1}, …, w_L⋯w_2
    return chain_loss(w, x, y) / (1.0 + np.sum(tail_products**2))
