"""The PC energy and the feedforward loss.

    F(z; W) = (1/B) Σ_i [ ½‖y_i − ŷ(z_H,i)‖² + Σ_{ℓ=1}^{H} ½‖z_ℓ,i − pred_ℓ,i‖² ]
              + ½ · decay · Σ_ℓ (1/B) Σ_i ‖z_ℓ,i‖²

At the feedforward activities every hidden error vanishes, so F equals the
loss 𝓛 = (1/B) Σ_i ½‖y_i − ŷ_i‖².

Round-off at the feedforward activities. In floating point the errors z_ℓ − pred_ℓ computed
there are not exactly zero: the feedforward pass and the energy compute the predictions with
different kernels (one layer at a time against all layers at once), whose round-off differs
(~1e-7 relative in float32, ~1e-3 with TF32 matmuls). Weight Adam turns such noise on a layer
no error has reached into full ±lr steps. Inference from the feedforward activities therefore
measures every error net of its value there, computed by the very function that computes it
during inference (:func:`feedforward_round_off`): the errors are the same in exact arithmetic,
and the layers the errors have not reached have errors of exactly zero, at any precision.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .nets import (
    NetSpec,
    Params,
    hidden_predictions,
    input_prediction,
    output_prediction,
)


class RoundOff(NamedTuple):
    """Prediction errors split as ``input`` e_1 [B, N] and ``hidden`` e_2 … e_H [H−1, B, N]; as
    a round-off, those computed at the feedforward activities (zero in exact arithmetic),
    subtracted from the errors computed later."""

    input: jax.Array
    hidden: jax.Array


def mse_loss(y_hat: jax.Array, y: jax.Array) -> jax.Array:
    """𝓛 = (1/B) Σ_i ½‖y_i − ŷ_i‖²."""
    return 0.5 * jnp.sum((y - y_hat) ** 2) / y.shape[0]


def prediction_errors(params: Params, z: jax.Array, x: jax.Array, spec: NetSpec) -> RoundOff:
    """The errors e_1 = z_1 − pred_1 [B, N] and e_2 … e_H [H−1, B, N] of stacked activities ``z``."""
    return RoundOff(z[0] - input_prediction(params, x, spec), z[1:] - hidden_predictions(params, z, spec))


def pc_energy(
    params: Params,
    z: jax.Array,
    x: jax.Array,
    y: jax.Array,
    spec: NetSpec,
    activity_decay: jax.Array | float = 0.0,
    round_off: RoundOff | None = None,
) -> jax.Array:
    """F for stacked activities ``z`` [H, B, N]; three (batched) matmuls in all. With ``round_off``
    (:func:`feedforward_round_off`), each error is taken net of its round-off there."""
    batch = x.shape[0]
    e_in, e_hidden = prediction_errors(params, z, x, spec)
    if round_off is not None:
        e_in, e_hidden = e_in - round_off.input, e_hidden - round_off.hidden
    e_out = y - output_prediction(params, z[-1], spec)
    squared = jnp.sum(e_in**2) + jnp.sum(e_hidden**2) + jnp.sum(e_out**2)
    return 0.5 * (squared + activity_decay * jnp.sum(z**2)) / batch


activity_grad = jax.grad(pc_energy, argnums=1)
"""∂F/∂z, same signature as :func:`pc_energy`."""


def feedforward_round_off(params: Params, z0: jax.Array, x: jax.Array, spec: NetSpec) -> RoundOff:
    """The errors e_1 … e_H as :func:`pc_energy` computes them at the feedforward activities
    ``z0`` (module docstring): zero in exact arithmetic, round-off in floating point. A constant
    (no gradient flows through it)."""
    return jax.lax.stop_gradient(prediction_errors(params, z0, x, spec))


def top_hidden_errors(params: Params, z_top: jax.Array, z_below: jax.Array, spec: NetSpec) -> jax.Array:
    """The errors of the top K hidden layers ``z_top`` [K, B, N] given the layer below them,
    ``z_below`` [B, N]: e_{H−K+1} … e_H, as :func:`top_energy` computes them."""
    top = {**params, "w_hidden": params["w_hidden"][params["w_hidden"].shape[0] - z_top.shape[0]:]}
    return z_top - hidden_predictions(top, jnp.concatenate([z_below[None], z_top]), spec)


def top_energy(params: Params, z_top: jax.Array, z_below: jax.Array, y: jax.Array, spec: NetSpec,
               round_off: jax.Array | None = None) -> jax.Array:
    """The terms of F (without decay) that depend on the top K hidden layers ``z_top`` =
    z_{H−K+1} … z_H [K, B, N], given the layer below them, ``z_below`` = z_{H−K} [B, N] (K < H):

        F_top = (1/B) Σ_i [ ½‖y_i − ŷ(z_H,i)‖² + Σ_{ℓ>H−K} ½‖z_ℓ,i − pred_ℓ,i‖² ],

    so that ∂F_top/∂z_top = ∂F/∂z_top when the activity decay is 0. The layers below enter only
    through ``z_below``: this is F of the net's top K + 1 layers with z_{H−K} as their input.
    ``round_off``: :func:`top_hidden_errors` at the feedforward activities, subtracted."""
    e_hidden = top_hidden_errors(params, z_top, z_below, spec)
    if round_off is not None:
        e_hidden = e_hidden - round_off
    e_out = y - output_prediction(params, z_top[-1], spec)
    return 0.5 * (jnp.sum(e_hidden**2) + jnp.sum(e_out**2)) / y.shape[0]


def activity_grad_from_hidden(
    params: Params,
    z: jax.Array,
    x: jax.Array,
    y: jax.Array,
    spec: NetSpec,
    activity_decay: jax.Array | float,
    e_hidden: jax.Array,
    sent_back: jax.Array,
    input_round_off: jax.Array | None = None,
) -> jax.Array:
    """∂F/∂z from the hidden layers' prediction errors ``e_hidden`` = e_2 … e_H and the errors
    they send back, ``sent_back`` = e_ℓ₊₁ W_ℓ₊₁ (both [H−1, B, N]):

        B · ∂F/∂z_ℓ = e_ℓ − a_ℓ₊₁ φ′(z_ℓ) ⊙ (e_ℓ₊₁ W_ℓ₊₁) − s · e_ℓ₊₁ + decay · z_ℓ   (ℓ < H)
        B · ∂F/∂z_H = e_H − a_L φ′(z_H) ⊙ (e_out W_L) + decay · z_H            (e_out = y − ŷ)

    with s = 1 where the net has skips, else 0; the input and output layers are computed here
    (e_1 less ``input_round_off`` where given)."""
    sc = spec.scalings
    _, dphi_z = jax.jvp(spec.phi, (z,), (jnp.ones_like(z),))
    e_in = z[0] - input_prediction(params, x, spec)
    if input_round_off is not None:
        e_in = e_in - input_round_off
    e_out = y - output_prediction(params, z[-1], spec)
    back_hidden = sc.a_hidden * dphi_z[:-1] * sent_back
    if spec.skips:
        back_hidden = back_hidden + e_hidden
    back_out = sc.a_out * dphi_z[-1] * (e_out @ params["w_out"])
    own = jnp.concatenate([e_in[None], e_hidden])
    back = jnp.concatenate([back_hidden, back_out[None]])
    return (own - back + activity_decay * z) / x.shape[0]


def activity_grad_explicit(
    params: Params,
    z: jax.Array,
    x: jax.Array,
    y: jax.Array,
    spec: NetSpec,
    activity_decay: jax.Array | float = 0.0,
    round_off: RoundOff | None = None,
) -> jax.Array:
    """∂F/∂z written out (:func:`activity_grad_from_hidden`), the same function as
    :func:`activity_grad`: two batched matmuls over the hidden weights (the prediction and the
    error sent back), as autodiff's; written out so that a device can be given the form it runs
    fastest (benchmarks/speed/bench_mupc_step.py)."""
    e_hidden = z[1:] - hidden_predictions(params, z, spec)
    if round_off is not None:
        e_hidden = e_hidden - round_off.hidden
    sent_back = jnp.einsum("lbo,loi->lbi", e_hidden, params["w_hidden"])
    return activity_grad_from_hidden(params, z, x, y, spec, activity_decay, e_hidden, sent_back,
                                     None if round_off is None else round_off.input)
