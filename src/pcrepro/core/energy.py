"""The PC energy and the feedforward loss.

    F(z; W) = (1/B) Σ_i [ ½‖y_i − ŷ(z_H,i)‖² + Σ_{ℓ=1}^{H} ½‖z_ℓ,i − pred_ℓ,i‖² ]
              + ½ · decay · Σ_ℓ (1/B) Σ_i ‖z_ℓ,i‖²

At the feedforward activities every hidden error vanishes, so F equals the
loss 𝓛 = (1/B) Σ_i ½‖y_i − ŷ_i‖².
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .nets import (
    NetSpec,
    Params,
    hidden_predictions,
    input_prediction,
    output_prediction,
)


def mse_loss(y_hat: jax.Array, y: jax.Array) -> jax.Array:
    """𝓛 = (1/B) Σ_i ½‖y_i − ŷ_i‖²."""
    return 0.5 * jnp.sum((y - y_hat) ** 2) / y.shape[0]


def pc_energy(
    params: Params,
    z: jax.Array,
    x: jax.Array,
    y: jax.Array,
    spec: NetSpec,
    activity_decay: jax.Array | float = 0.0,
) -> jax.Array:
    """F for stacked activities ``z`` [H, B, N]; three (batched) matmuls in all."""
    batch = x.shape[0]
    e_in = z[0] - input_prediction(params, x, spec)
    e_hidden = z[1:] - hidden_predictions(params, z, spec)
    e_out = y - output_prediction(params, z[-1], spec)
    squared = jnp.sum(e_in**2) + jnp.sum(e_hidden**2) + jnp.sum(e_out**2)
    return 0.5 * (squared + activity_decay * jnp.sum(z**2)) / batch


activity_grad = jax.grad(pc_energy, argnums=1)
"""∂F/∂z, same signature as :func:`pc_energy`."""
