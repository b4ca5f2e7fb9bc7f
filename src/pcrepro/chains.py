"""Scalar linear chains (seed 000): BP vs PC on x ↦ w_L ⋯ w_1 x.

A chain is the linear ``sp`` net of :mod:`pcrepro.nets` with every width 1, so training,
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

from .energy import mse_loss, pc_energy
from .hessian import energy_hessians, flatten_weights, loss_hessian, unflatten_weights
from .inference import euler_inference
from .nets import NetSpec, Params, forward, predict
from .theory import origin_energy_hessian

TEST_POINT = (1.0, -1.0)  # the notebook's test example x = 1, y = −x


@dataclass(frozen=True)
class ChainSetup:
    """Seed 000's constants (FIGURES.md §1)."""

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
    :func:`pcrepro.hessian.flatten_weights`, as for any net."""
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


def analyse_depth(n_hidden: int, *, setup: ChainSetup, seeds: list[int], bp_iterations: int | None,
                  pc_iterations: int | None, pc_stop_below_test_loss: float | None, landscape_seed: int | None,
                  landscape_domain: float | None, landscape_resolution: int | None, hessian_seed: int | None,
                  log=print) -> dict[str, np.ndarray]:
    """Everything seed 000 computes for one chain depth, as flat arrays for an npz.

    Trained depths (``bp_iterations`` given): BP and PC runs for ``seeds``, vmapped over
    seeds; the landscapes from ``landscape_seed``'s landscape batches and trajectories.
    Every depth with a ``hessian_seed``: loss and energy Hessians at the origin after
    t = 0 … ``setup.inference_steps`` steps, and the closed form."""
    from .landscape import chain_landscape  # landscape builds on this module

    n_layers = n_hidden + 1
    out: dict[str, np.ndarray] = {"n_hidden": np.array(n_hidden)}
    trained = bp_iterations is not None
    run_seeds = sorted(set(seeds) | {landscape_seed} - {None}) if trained else []
    if trained and hessian_seed is not None and hessian_seed not in run_seeds:
        raise ValueError(f"chains: the Hessian seed {hessian_seed} of a trained depth must be one of its runs")
    streams = {s: NotebookStream(s, setup) for s in set(run_seeds) | {hessian_seed} - {None}}
    if trained:
        w0 = np.stack([streams[s].weights(n_layers, setup.weight_scale) for s in run_seeds])
        bp_x = np.stack([streams[s].batches(bp_iterations)[0] for s in run_seeds])
        bp_land = [streams[s].batch() for s in run_seeds]
        # PC's batches: drawn up to its stopping iteration; the stream position after
        # that is found once the runs are done.
        rest = {s: streams[s].normals((pc_iterations + 1) * setup.batch_size + n_layers + setup.batch_size)
                for s in run_seeds}
        pc_x = np.stack([setup.inputs(rest[s][: pc_iterations * setup.batch_size]).reshape(pc_iterations, -1)
                         for s in run_seeds])
        log(f"training chains with {n_hidden} hidden unit(s): BP {bp_iterations} and PC {pc_iterations} "
            f"iterations x {len(run_seeds)} seeds (vmapped)")
        bp = jax.jit(jax.vmap(lambda w, x: train_bp(w, x, -x, setup.lr)))(w0, bp_x)
        pc = jax.jit(jax.vmap(lambda w, x: train_pc(w, x, -x, setup, pc_stop_below_test_loss)))(w0, pc_x)
        n_pc = np.asarray(pc.active).sum(axis=1)
        out.update({"seeds": np.array(run_seeds), "stats_seeds": np.array(sorted(seeds)), "pc_iterations_run": n_pc})
        out.update({f"bp_{k}": np.asarray(v) for k, v in bp._asdict().items()})
        out.update({f"pc_{k}": np.asarray(v) for k, v in pc._asdict().items()})
        out["bp_x"], out["pc_x"] = bp_x, pc_x
        # the stream after PC: landscape batch, zero weights (H+1 draws), Hessian batch
        after = {s: rest[s][n_pc[i] * setup.batch_size:] for i, s in enumerate(run_seeds)}
        if landscape_seed is not None:
            i = run_seeds.index(landscape_seed)
            x_bp = bp_land[i][0]
            x_pc = setup.inputs(after[landscape_seed][: setup.batch_size])
            log(f"landscapes of seed {landscape_seed}: {landscape_resolution}^{n_layers} grid")
            for tag, x in (("bp", x_bp), ("pc", x_pc)):
                land = chain_landscape(n_hidden, x, -x, landscape_domain, landscape_resolution,
                                       setup.inference_steps, setup.dt)
                out.update({f"landscape_{tag}_{k}": v for k, v in land._asdict().items()})
                out[f"landscape_{tag}_x"] = x
            out["landscape_seed"] = np.array(landscape_seed)
        if hessian_seed is not None:
            tail = after[hessian_seed][setup.batch_size + n_layers:]
            x_hess = setup.inputs(tail[: setup.batch_size])
    if hessian_seed is not None:
        if not trained:
            stream = streams[hessian_seed]
            stream.weights(n_layers, setup.weight_scale)  # drawn by the notebook, unused
            stream.weights(n_layers, 0.0)                 # the zero weights
            x_hess = stream.batch()[0]
        spec = chain_spec(n_hidden)
        x = jnp.asarray(x_hess)[:, None]
        zero = chain_params(jnp.zeros(n_layers, x.dtype))
        steps = list(range(setup.inference_steps + 1))
        log(f"Hessians at the origin (H = {n_hidden}, seed {hessian_seed}), t = 0 … {steps[-1]}")
        energy = energy_hessians(spec, zero, x, -x, steps, setup.dt)
        out.update({"hessian_seed": np.array(hessian_seed), "hessian_x": np.asarray(x_hess),
                    "hessian_loss": loss_hessian(spec, zero, x, -x),
                    "hessian_energy": np.stack([energy[t] for t in steps]),
                    "hessian_theory": np.asarray(origin_energy_hessian(x, -x, spec))})
    return out


def chain_loss(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """𝓛 = mean ½(y − w_L⋯w_1 x)² (numpy; for plotting values along trajectories)."""
    return float(np.mean(0.5 * (y - np.prod(w) * x) ** 2))


def chain_equilibrated_energy(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """F* = 𝓛 / S with S = 1 + Σ_{ℓ=2}^{L} (w_L⋯w_ℓ)² (THEORY.md, scalar output)."""
    tail_products = np.cumprod(np.asarray(w)[::-1])[:-1]  # w_L, w_L w_{L−1}, …, w_L⋯w_2
    return chain_loss(w, x, y) / (1.0 + np.sum(tail_products**2))


def depths(grid: dict) -> list[int]:
    """Every depth with a result file: the trained chains and the Hessian depths."""
    return sorted({c["n_hidden"] for c in grid["trained"]} | set(grid["hessian_depths"]))


def depth_arguments(grid: dict, n_hidden: int) -> dict:
    """Keyword arguments of :func:`analyse_depth` for one depth of a preset's ``chains`` grid."""
    trained = {c["n_hidden"]: c for c in grid["trained"]}.get(n_hidden)
    in_hessian = n_hidden in grid["hessian_depths"]
    return dict(
        setup=ChainSetup(**grid["setup"]),
        seeds=list(grid["seeds"]) if trained else [],
        bp_iterations=trained["bp_iterations"] if trained else None,
        pc_iterations=grid["pc_iterations"] if trained else None,
        pc_stop_below_test_loss=trained["pc_stop_below_test_loss"] if trained else None,
        landscape_seed=trained["showcase_seed"] if trained else None,
        landscape_domain=trained["domain"] if trained else None,
        landscape_resolution=grid["landscape_resolution"] if trained else None,
        hessian_seed=(trained["showcase_seed"] if trained else grid["hessian_seed"]) if in_hessian else None,
    )
