"""An independent, deliberately naive PC implementation: a Python list of per-layer
matrices and a loop over layers. The stacked core is tested against it."""

import math

import jax.numpy as jnp

ACTS = {"linear": lambda v: v, "tanh": jnp.tanh, "relu": lambda v: jnp.maximum(v, 0.0)}


def unstack(params):
    """[W_1, …, W_L] from the stacked layout."""
    return [params["w_in"], *list(params["w_hidden"]), params["w_out"]]


def scalings(param_type, d_in, width, n_layers, skips):
    if param_type == "sp":
        return [1.0] * n_layers
    # jpc's μPC init and the μPC forward-pass script: without skips hidden layers scale by 1/√N only
    hidden = width * n_layers if skips else width
    return [1.0 / math.sqrt(d_in)] + [1.0 / math.sqrt(hidden)] * (n_layers - 2) + [1.0 / width]


def naive_energy(weights, zs, x, y, act_fn, param_type, skips, decay=0.0):
    """F = (1/B) Σ_i [½‖y − ŷ‖² + Σ_ℓ ½‖z_ℓ − pred_ℓ‖²] + ½·decay·Σ_ℓ (1/B)Σ_i‖z_ℓ‖², per layer."""
    phi = ACTS[act_fn]
    n_layers = len(weights)
    a = scalings(param_type, x.shape[1], weights[0].shape[0], n_layers, skips)
    total = 0.0
    prev = x
    for ell, w in enumerate(weights):
        inp = prev if ell == 0 else phi(prev)
        pred = a[ell] * inp @ w.T
        if skips and 0 < ell < n_layers - 1:
            pred = pred + prev
        target = y if ell == n_layers - 1 else zs[ell]
        total = total + 0.5 * jnp.sum((target - pred) ** 2)
        if ell < n_layers - 1:
            prev = zs[ell]
    total = total + 0.5 * decay * sum(jnp.sum(z**2) for z in zs)
    return total / x.shape[0]


def naive_forward(weights, x, act_fn, param_type, skips):
    phi = ACTS[act_fn]
    n_layers = len(weights)
    a = scalings(param_type, x.shape[1], weights[0].shape[0], n_layers, skips)
    zs, prev = [], x
    for ell, w in enumerate(weights):
        inp = prev if ell == 0 else phi(prev)
        out = a[ell] * inp @ w.T
        if skips and 0 < ell < n_layers - 1:
            out = out + prev
        if ell < n_layers - 1:
            zs.append(out)
        prev = out
    return zs, prev
