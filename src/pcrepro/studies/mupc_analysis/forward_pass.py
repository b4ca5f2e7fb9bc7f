"""Study ``mupc_forward_pass`` (seed 002): how activity and weight norms scale with width
and depth at initialisation and over the first steps of BP training.

A net of L layers (``depth`` = L, so H = L − 1 hidden layers), 784 → N → … → N → 10, no
biases, trained by backprop on MNIST with the μPC forward-pass script's loss, the mean
squared error over batch and outputs, with SGD or Adam (lr 1e-3). Before each of the
first ``n_steps`` updates it records, at the layers ℓ ∈ {1, L/4, L/2, 3L/4, L}:

  * ``activity_l1``  mean |z_ℓ| over batch and units;
  * ``activity_l2``  √mean(z_ℓ²) (the reference's "l2" is this RMS);
  * ``weight_l2``    ‖W_ℓ‖_F (the raw matrix, without its multiplier a_ℓ, as the reference);
  * ``weight_spectral`` the largest singular value of the raw W_ℓ;

where z_ℓ is layer ℓ's output (z_L = ŷ). Settings: standard parameterisation ± skips,
Depth-μP ± skips (see :mod:`pcrepro.core.nets` for its scalings without skips), and sp with an
orthogonal init (gain 1.05 for tanh, as the reference).
"""

from __future__ import annotations

import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from pcrepro.core.nets import NetSpec, Params, draw_params, forward, reference_init_gain
from pcrepro.core.optim import adam_init, adam_step, sgd_step
from pcrepro.data import shuffled_batches

SETTINGS = {
    "sp": dict(param_type="sp", init="standard", skips=False),
    "sp_skips": dict(param_type="sp", init="standard", skips=True),
    "depth_mup": dict(param_type="depth_mup", init="standard_gauss", skips=False),
    "depth_mup_skips": dict(param_type="depth_mup", init="standard_gauss", skips=True),
    "orthogonal": dict(param_type="sp", init="orthogonal", skips=False),
}
METRICS = ("activity_l1", "activity_l2", "weight_l2", "weight_spectral")
LAYER_LABELS = ("1", "L/4", "L/2", "3L/4", "L")
OPTIMS = ("sgd", "adam")


def net_spec(setting: str, act_fn: str, width: int, depth: int, input_dim: int = 784, output_dim: int = 10) -> NetSpec:
    if setting not in SETTINGS:
        raise ValueError(f"forward-pass setting {setting!r} not in {sorted(SETTINGS)}")
    if depth < 4 or depth % 4:
        raise ValueError(f"depth (number of layers L) must be a multiple of 4, got {depth}")
    gain = reference_init_gain(SETTINGS[setting]["init"], act_fn)
    return NetSpec(input_dim, width, depth - 1, output_dim, act_fn, init_gain=gain, **SETTINGS[setting])


def recorded_layers(depth: int) -> list[int]:
    """1-based layer indices {1, L/4, L/2, 3L/4, L}."""
    return [1, depth // 4, depth // 2, 3 * depth // 4, depth]


def _weights_at(params: Params, layers: list[int], depth: int) -> list[jax.Array]:
    def weight(ell):
        if ell == 1:
            return params["w_in"]
        return params["w_out"] if ell == depth else params["w_hidden"][ell - 2]

    return [weight(ell) for ell in layers]


def layer_norms(params: Params, x: jax.Array, spec: NetSpec) -> jax.Array:
    """[4 metrics, 5 layers] at the current weights (rows in :data:`METRICS` order)."""
    depth = spec.n_layers
    layers = recorded_layers(depth)
    z, y_hat = forward(params, x, spec)
    outputs = [z[ell - 1] if ell < depth else y_hat for ell in layers]
    weights = _weights_at(params, layers, depth)
    return jnp.stack([
        jnp.stack([jnp.mean(jnp.abs(o)) for o in outputs]),
        jnp.stack([jnp.sqrt(jnp.mean(o**2)) for o in outputs]),
        jnp.stack([jnp.linalg.norm(w) for w in weights]),
        jnp.stack([jnp.linalg.svd(w, compute_uv=False)[0] for w in weights]),
    ])


def mean_squared_error(params: Params, x: jax.Array, y: jax.Array, spec: NetSpec) -> jax.Array:
    """The reference's BP loss: mean over batch and outputs of (y − ŷ)²."""
    _, y_hat = forward(params, x, spec)
    return jnp.mean((y - y_hat) ** 2)


def track(params: Params, xs: jax.Array, ys: jax.Array, spec: NetSpec, optim: str, lr: float) -> jax.Array:
    """Norms before each of ``len(xs)`` BP steps → [4 metrics, 5 layers, T] (full float32
    matmul precision: sp activities vanish to 1e-7 of the input over depth)."""
    with jax.default_matmul_precision("highest"):
        return _track_body(params, xs, ys, spec, optim, lr)


def _track_body(params, xs, ys, spec: NetSpec, optim: str, lr: float) -> jax.Array:
    if optim not in OPTIMS:
        raise ValueError(f"optimiser {optim!r} not in {OPTIMS}")
    opt_state = adam_init(params) if optim == "adam" else ()

    def step(carry, batch):
        p, state = carry
        x, y = batch
        norms = layer_norms(p, x, spec)
        grads = jax.grad(mean_squared_error)(p, x, y, spec)
        if optim == "adam":
            p, state = adam_step(p, grads, state, lr)
        else:
            p = sgd_step(p, grads, lr)
        return (p, state), norms

    _, norms = jax.lax.scan(step, (params, opt_state), (xs, ys))
    return jnp.moveaxis(norms, 0, -1)


_track = jax.jit(track, static_argnums=(3, 4))


def run_setting_grid(act_fn: str, optim: str, settings, widths, depths, x_train, y_train, *, seed: int,
                     n_steps: int, batch_size: int, lr: float, log: Callable[[str], None] = print) -> pd.DataFrame:
    """Every (setting, width, depth) for one activation and optimiser: a tidy table with a
    row per setting × width × depth × step × layer × metric."""
    xs, ys = (jnp.asarray(a) for a in shuffled_batches(x_train, y_train, seed, n_steps, batch_size))
    frames = []
    for setting in settings:
        for width in widths:
            for depth in depths:
                t0 = time.perf_counter()
                spec = net_spec(setting, act_fn, width, depth, xs.shape[-1], ys.shape[-1])
                params = draw_params(jax.random.PRNGKey(seed), spec)
                norms = np.asarray(_track(params, xs, ys, spec, optim, lr))  # [metric, layer, step]
                m, layer, step = np.meshgrid(range(len(METRICS)), range(5), range(n_steps), indexing="ij")
                frames.append(pd.DataFrame({
                    "act_fn": act_fn, "optim": optim, "setting": setting, "width": width, "depth": depth,
                    "metric": np.asarray(METRICS)[m.ravel()], "layer": np.asarray(LAYER_LABELS)[layer.ravel()],
                    "layer_index": np.asarray(recorded_layers(depth))[layer.ravel()], "step": step.ravel(),
                    "value": norms.ravel(),
                }))
                log(f"[{act_fn} {optim} {setting}] N={width} L={depth}: {time.perf_counter() - t0:.2f} s, "
                    f"RMS(z_L) at init {norms[1, -1, 0]:.3g}")
    return pd.concat(frames, ignore_index=True)
