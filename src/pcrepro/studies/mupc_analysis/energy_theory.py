"""Study ``mupc_energy_theory`` (seed 002): the feedforward loss against the equilibrated
energy while training on the equilibrated energy.

Residual nets (skips on hidden-to-hidden layers, no biases, 784 → N → … → 10) are trained for
one epoch of MNIST by Adam on F at the exact equilibrium of a linear net,

    z* = H_z⁻¹ b  (docs/theory.md; :func:`pcrepro.core.theory.equilibrium_activities`),
    F* = F(z*),  update W ← Adam(∂F/∂W at z* held fixed),

which for linear nets is the gradient of F*(W) itself (∂F/∂z = 0 at z*). Each step records
the feedforward loss 𝓛 = (1/B)Σ½‖y − ŷ‖², F* and their ratio 𝓛/F* ≥ 1.

For tanh / ReLU nets the μPC reference uses the same *linear* closed form for z* (it is then
not the equilibrium of the nonlinear energy); this module does the same, and every table and
figure built from it says so (:data:`LINEAR_SOLUTION_NOTE`).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from pcrepro.core import theory
from pcrepro.core.energy import mse_loss, pc_energy
from pcrepro.core.nets import NetSpec, Params, draw_params, predict
from pcrepro.core.optim import adam_init, adam_step
from pcrepro.data import shuffled_batches

PARAM_INITS = {"sp": "standard", "mupc": "standard_gauss"}
LINEAR_SOLUTION_NOTE = "z* from the linear closed form (not the equilibrium of this nonlinear net)"


def net_spec(param_type: str, act_fn: str, width: int, n_hidden: int, input_dim: int = 784,
             output_dim: int = 10) -> NetSpec:
    if param_type not in PARAM_INITS:
        raise ValueError(f"energy-theory param_type {param_type!r} not in {sorted(PARAM_INITS)}")
    return NetSpec(input_dim, width, n_hidden, output_dim, act_fn, param_type, True, PARAM_INITS[param_type])


def equilibrated_step(params: Params, x: jax.Array, y: jax.Array, spec: NetSpec):
    """(𝓛, F(z*), ∂F/∂W at z*) for one batch; z* from the linear closed form."""
    z_star = theory.equilibrium_activities(params, x, y, dataclasses.replace(spec, act_fn="linear"))
    loss = mse_loss(predict(params, x, spec), y)
    energy, grads = jax.value_and_grad(pc_energy)(params, z_star, x, y, spec)
    return loss, energy, grads


def train(params: Params, xs: jax.Array, ys: jax.Array, spec: NetSpec, lr: float) -> tuple[jax.Array, jax.Array]:
    """Adam on the equilibrated energy over the batches ``xs`` [T, B, D]; (𝓛, F*) per step,
    both measured before the step's update (as the reference). Matmuls and solves run at full
    float32 precision: 𝓛/F* reaches 10⁷ for sp, far beyond what TF32 (the GPU default) resolves."""
    with jax.default_matmul_precision("highest"):
        return _train_body(params, xs, ys, spec, lr)


def _train_body(params, xs, ys, spec: NetSpec, lr: float):
    def step(carry, batch):
        p, state = carry
        loss, energy, grads = equilibrated_step(p, *batch, spec)
        p, state = adam_step(p, grads, state, lr)
        return (p, state), (loss, energy)

    _, (losses, energies) = jax.lax.scan(step, (params, adam_init(params)), (xs, ys))
    return losses, energies


_train = jax.jit(train, static_argnums=(3,))


def epoch_batches(x_train: np.ndarray, y_train: np.ndarray, seed: int, batch_size: int,
                  max_steps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One shuffled epoch of full batches [T, B, ·] (T = n // B, at most ``max_steps``)."""
    n_steps = x_train.shape[0] // batch_size
    if max_steps is not None:
        n_steps = min(n_steps, max_steps)
    return shuffled_batches(x_train, y_train, seed, n_steps, batch_size)


def run_grid(param_type: str, act_fn: str, widths, n_hiddens, lr: float, x_train, y_train, *, seed: int,
             batch_size: int, max_steps: int | None = None, log: Callable[[str], None] = print) -> pd.DataFrame:
    """Train every (N, H) net from ``seed`` on the same batches; a row per net × step."""
    xs, ys = (jnp.asarray(a) for a in epoch_batches(x_train, y_train, seed, batch_size, max_steps))
    frames = []
    for width in widths:
        for n_hidden in n_hiddens:
            t0 = time.perf_counter()
            spec = net_spec(param_type, act_fn, width, n_hidden, xs.shape[-1], ys.shape[-1])
            params = draw_params(jax.random.PRNGKey(seed), spec)
            losses, energies = (np.asarray(a) for a in _train(params, xs, ys, spec, lr))
            frames.append(pd.DataFrame({
                "param_type": param_type, "act_fn": act_fn, "width": width, "n_hidden": n_hidden, "lr": lr,
                "step": np.arange(len(losses)), "loss": losses, "energy": energies, "ratio": losses / energies,
                "linear_closed_form_only": act_fn != "linear",
            }))
            log(f"[{param_type} {act_fn}] N={width} H={n_hidden}: {len(losses)} steps in "
                f"{time.perf_counter() - t0:.2f} s, L/F* {losses[0] / energies[0]:.3g} → {losses[-1] / energies[-1]:.3g}")
    return pd.concat(frames, ignore_index=True)
