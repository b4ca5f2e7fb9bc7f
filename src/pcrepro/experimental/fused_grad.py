"""∂F/∂z with each hidden weight matrix read once per inference step (a Pallas kernel for GPUs).

For the hidden layer ℓ → ℓ+1 with weights W (out × in) the activity gradient needs

    e_ℓ₊₁ = z_ℓ₊₁ − a φ(z_ℓ) Wᵀ − s z_ℓ          (the layer's prediction error)
    g_ℓ   = e_ℓ₊₁ W                             (the error sent back to z_ℓ)

Autodiff, and :func:`pcrepro.core.energy.activity_grad_explicit`, compute these as two batched
matmuls, so every inference step streams all hidden weights from memory twice. Both products need
only W, z_ℓ and z_ℓ₊₁, and a block of rows of W is all that a block of e_ℓ₊₁ needs; so one kernel
program per layer walks W's rows block by block, forms that block of e_ℓ₊₁, and adds its share
e_ℓ₊₁[:, rows] W[rows, :] to g_ℓ, reading W once. At the μPC paper's shape (H = 128, N = 512,
B = 64) the weights are ≈ 8× the activities, so this halves the traffic of the inference loop.

The kernel runs on GPUs (Pallas' Triton lowering); ``interpret=True`` runs the same program on any
device, which is how the tests compare it with autodiff. Its matmuls run at the device's default
float32 precision (TF32 on NVIDIA GPUs), not at the training step's full float32.

Measured on an H200 (2026-11-30, 16 runs vmapped, TF32; docs/benchmarks.md): 28.3 ms per run and
batch against 17.0 ms for XLA's two matmuls, so the training cells do not use it; it stays as a
tested starting point for the paper step's kernel.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl

from ..core.energy import activity_grad_from_hidden
from ..core.nets import NetSpec, Params

ROW_BLOCK = 64  # rows of W (outputs of the layer) per outer loop iteration
COL_BLOCK = 64  # columns of W (inputs of the layer) per tile: 64 × 64 tiles of W, e, φ(z) and the sum


def _act(v: jax.Array, act_fn: str) -> jax.Array:
    return jnp.maximum(v, 0.0) if act_fn == "relu" else (jnp.tanh(v) if act_fn == "tanh" else v)


def _layer_kernel(z_prev_ref, z_next_ref, w_ref, e_ref, back_ref, *, a: float, skip: bool, act_fn: str,
                  row_block: int, col_block: int):
    """One hidden layer: e = z_next − a φ(z_prev) Wᵀ − skip · z_prev and back = e W, walking W by
    blocks of ``row_block`` rows: the block's share of e from its tiles, then its share of back
    from the same tiles while they are still in cache. ``back`` is summed in its output block."""
    n_out, n_in = w_ref.shape
    batch = z_prev_ref.shape[0]
    dtype = z_prev_ref.dtype

    def cols(j):  # loops, not unrolled: one tile pair at a time in shared memory
        return pl.ds(pl.multiple_of(j * col_block, col_block), col_block)

    def zero(j, carry):
        back_ref[:, cols(j)] = jnp.zeros((batch, col_block), dtype)
        return carry

    def block(i, carry):
        rows = pl.ds(pl.multiple_of(i * row_block, row_block), row_block)

        def predict(j, pred):  # pred[:, rows] = Σ_j φ(z_prev[:, cols j]) W[rows, cols j]ᵀ
            return pred + jax.lax.dot_general(_act(z_prev_ref[:, cols(j)], act_fn), w_ref[rows, cols(j)],
                                              (((1,), (1,)), ((), ())), preferred_element_type=dtype)

        pred = jax.lax.fori_loop(0, n_in // col_block, predict, jnp.zeros((batch, row_block), dtype))
        e = z_next_ref[:, rows] - a * pred
        if skip:
            e = e - z_prev_ref[:, rows]
        e_ref[:, rows] = e

        def send_back(j, carry):  # back[:, cols j] += e[:, rows] W[rows, cols j]
            back_ref[:, cols(j)] = back_ref[:, cols(j)] + jnp.dot(e, w_ref[rows, cols(j)], preferred_element_type=dtype)
            return carry

        return jax.lax.fori_loop(0, n_in // col_block, send_back, carry)

    jax.lax.fori_loop(0, n_in // col_block, zero, 0)
    jax.lax.fori_loop(0, n_out // row_block, block, 0)


def hidden_errors_and_backprop(params: Params, z: jax.Array, spec: NetSpec, *, interpret: bool = False,
                               row_block: int = ROW_BLOCK, col_block: int = COL_BLOCK) -> tuple[jax.Array, jax.Array]:
    """(e_hidden, e_hidden W) for stacked activities ``z`` [H, B, N]: both [H−1, B, N], each hidden
    weight matrix read once. ``interpret`` runs the kernel without a GPU."""
    n_layers, batch, width = params["w_hidden"].shape[0], z.shape[1], z.shape[2]
    if width % row_block or width % col_block:
        raise ValueError(f"width {width} is not a multiple of the kernel's blocks ({row_block}, {col_block})")
    kernel = functools.partial(_layer_kernel, a=spec.scalings.a_hidden, skip=spec.skips, act_fn=spec.act_fn,
                               row_block=row_block, col_block=col_block)
    act = pl.BlockSpec((None, batch, width), lambda layer: (layer, 0, 0))
    out = jax.ShapeDtypeStruct((n_layers, batch, width), z.dtype)
    return pl.pallas_call(
        kernel,
        out_shape=(out, out),
        grid=(n_layers,),
        in_specs=[act, pl.BlockSpec((None, batch, width), lambda layer: (layer + 1, 0, 0)),
                  pl.BlockSpec((None, width, width), lambda layer: (layer, 0, 0))],
        out_specs=(act, act),
        interpret=interpret,
    )(z, z, params["w_hidden"])


def activity_grad_fused(
    params: Params,
    z: jax.Array,
    x: jax.Array,
    y: jax.Array,
    spec: NetSpec,
    activity_decay: jax.Array | float = 0.0,
    round_off=None,
    *,
    interpret: bool = False,
    row_block: int = ROW_BLOCK,
    col_block: int = COL_BLOCK,
) -> jax.Array:
    """∂F/∂z (:func:`pcrepro.core.energy.activity_grad_from_hidden`) with the hidden layers' two
    products from :func:`hidden_errors_and_backprop`. A ``round_off``
    (:class:`pcrepro.core.energy.RoundOff`) is taken off the errors after the kernel, at the cost
    of one more matmul (r W)."""
    if z.shape[0] > 1:
        e_hidden, sent_back = hidden_errors_and_backprop(params, z, spec, interpret=interpret,
                                                         row_block=row_block, col_block=col_block)
    else:  # no hidden weights
        e_hidden = sent_back = z[1:]
    if round_off is None:
        return activity_grad_from_hidden(params, z, x, y, spec, activity_decay, e_hidden, sent_back)
    sent_back = sent_back - jnp.einsum("lbo,loi->lbi", round_off.hidden, params["w_hidden"])
    return activity_grad_from_hidden(params, z, x, y, spec, activity_decay, e_hidden - round_off.hidden, sent_back,
                                     round_off.input)
