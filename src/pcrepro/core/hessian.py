"""Weight Hessians of the loss and of the PC energy, for nets of any depth, and the
activity Hessian H_z = ∂²F/∂z² with its condition number.

Vectorisation order (used by every matrix this module returns and by
:func:`pcrepro.core.theory.origin_energy_hessian`): the weight matrices W_1 … W_L in layer
order, each flattened row-major from its [out, in] layout, i.e. entry (i, j) of W_ℓ
sits at offset_ℓ + i·fan_in + j. This is the order of seed 001's ``reshape_to_hessian_matrix``.

The energy Hessian after t inference steps differentiates through the unrolled Euler
steps. The activities start at the feedforward pass *at the point where the Hessian is
taken*, held fixed (as the seeds compute them outside the differentiated function);
at t = 0 the Hessian is therefore that of F(z_ff(W₀), W), and as t → ∞ it tends to the
Hessian of the equilibrated energy F*, which does not depend on the start.
"""

from __future__ import annotations

from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .energy import mse_loss, pc_energy
from .inference import euler_inference
from .nets import NetSpec, Params, forward, layer_shapes, predict


def flatten_weights(params: Params) -> jax.Array:
    """W_1 … W_L concatenated, each row-major (this module's vectorisation order)."""
    return jnp.concatenate([params["w_in"].ravel(), params["w_hidden"].ravel(), params["w_out"].ravel()])


def unflatten_weights(flat: jax.Array, spec: NetSpec) -> Params:
    """Inverse of :func:`flatten_weights`."""
    n, d, d_y, h = spec.width, spec.input_dim, spec.output_dim, spec.n_hidden
    sizes = np.cumsum([n * d, (h - 1) * n * n])
    w_in, w_hidden, w_out = jnp.split(flat, sizes)
    return {"w_in": w_in.reshape(n, d), "w_hidden": w_hidden.reshape(h - 1, n, n), "w_out": w_out.reshape(d_y, n)}


def layer_slices(spec: NetSpec) -> list[slice]:
    """Where each W_ℓ sits in the flat vector."""
    bounds = np.cumsum([0] + [o * i for o, i in layer_shapes(spec)])
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def dense_hessian(f: Callable[[jax.Array], jax.Array], w: jax.Array, chunk_size: int = 256) -> jax.Array:
    """∇²f(w) as a dense matrix, by forward-over-reverse Hessian-vector products on chunks of
    the identity (``jax.hessian`` materialises all P tangents at once; this bounds memory by
    ``chunk_size`` for nets with thousands of weights). Symmetrised against round-off."""
    p = w.shape[0]
    n_chunks = -(-p // chunk_size)
    basis = jnp.eye(n_chunks * chunk_size, p, dtype=w.dtype).reshape(n_chunks, chunk_size, p)

    def hvp(v):
        return jax.jvp(jax.grad(f), (w,), (v,))[1]

    rows = jax.lax.map(jax.vmap(hvp), basis).reshape(-1, p)[:p]
    return 0.5 * (rows + rows.T)


def loss_fn(spec: NetSpec, x: jax.Array, y: jax.Array) -> Callable[[jax.Array], jax.Array]:
    """w ↦ 𝓛(W) = (1/B) Σ ½‖y − ŷ‖² on the flat weights."""
    return lambda w: mse_loss(predict(unflatten_weights(w, spec), x, spec), y)


def energy_after_fn(spec: NetSpec, x: jax.Array, y: jax.Array, w_start: jax.Array, n_steps, dt: float,
                    max_steps: int | None = None) -> Callable[[jax.Array], jax.Array]:
    """w ↦ F(z_t(W), W) after ``n_steps`` Euler steps from the feedforward activities at
    ``w_start``. With ``max_steps``, ``n_steps`` may be traced (a scan of ``max_steps``
    steps of which the first ``n_steps`` move z)."""
    z0, _ = forward(unflatten_weights(w_start, spec), x, spec)
    z0 = jax.lax.stop_gradient(z0)

    def energy(w):
        params = unflatten_weights(w, spec)
        if max_steps is None:
            z, _ = euler_inference(params, z0, x, y, spec, dt=dt, n_steps=n_steps)
        else:
            z, _ = euler_inference(params, z0, x, y, spec, dt=dt, n_steps=max_steps, active_steps=n_steps)
        return pc_energy(params, z, x, y, spec)

    return energy


def loss_hessian(spec: NetSpec, params: Params, x, y, chunk_size: int = 256) -> np.ndarray:
    """∂²𝓛/∂W² at ``params`` [P, P]."""
    w = flatten_weights(params)
    return np.asarray(jax.jit(lambda w: dense_hessian(loss_fn(spec, x, y), w, chunk_size))(w))


def energy_hessians(spec: NetSpec, params: Params, x, y, steps: Sequence[int], dt: float,
                    chunk_size: int = 256) -> dict[int, np.ndarray]:
    """∂²F/∂W² after each number of inference steps in ``steps``: one compiled program with
    the step count as an argument (each call runs max(steps) masked steps; compiling one
    program per t costs far more than the masked steps for the nets of seeds 000/001)."""
    w = flatten_weights(params)
    steps = sorted(set(int(s) for s in steps))
    hess = jax.jit(lambda w, t: dense_hessian(energy_after_fn(spec, x, y, w, t, dt, max(steps)), w, chunk_size))
    return {t: np.asarray(hess(w, t)) for t in steps}


def eigenvalues(matrix: np.ndarray) -> np.ndarray:
    """Ascending eigenvalues of a symmetric matrix (on the default JAX device)."""
    return np.asarray(jnp.linalg.eigvalsh(jnp.asarray(matrix)))


def activity_hessian(params: Params, z: jax.Array, x: jax.Array, y: jax.Array, spec: NetSpec,
                     activity_decay=0.0) -> jax.Array:
    """Numerical H_z = ∂²F/∂z² by autodiff, for one example: ``z`` [H, 1, N], ``x`` [1, D],
    ``y`` [1, d_y] → [H·N, H·N], layer-major (z_1 first), for any activation.
    Since F carries 1/B, a single example gives the per-sample Hessian of THEORY.md."""
    if z.shape[1] != 1:
        raise ValueError(f"the activity Hessian is taken on one example, got a batch of {z.shape[1]}")
    shape = z.shape
    return jax.hessian(lambda v: pc_energy(params, v.reshape(shape), x, y, spec, activity_decay))(z.reshape(-1))


def condition_number(eigenvalues: jax.Array) -> jax.Array:
    """κ = |λ_max| / |λ_min| of an ascending spectrum (λ_max, λ_min the algebraic extremes, as
    the μPC scripts define it; for the positive-definite H_z of a linear net it is the usual κ)."""
    return jnp.abs(eigenvalues[..., -1]) / jnp.abs(eigenvalues[..., 0])


def pooled_for_display(matrix: np.ndarray, max_size: int) -> tuple[np.ndarray, int]:
    """Shrink a matrix larger than ``max_size`` for a heatmap: each k×k block becomes its
    entry of largest magnitude (sign kept), so isolated structure stays visible. Returns
    (matrix, k); k = 1 when no pooling was needed."""
    size = matrix.shape[0]
    if size <= max_size:
        return matrix, 1
    k = -(-size // max_size)
    padded = np.zeros((-(-size // k) * k,) * 2, matrix.dtype)
    padded[:size, :size] = matrix
    m = padded.shape[0] // k
    blocks = padded.reshape(m, k, m, k).transpose(0, 2, 1, 3).reshape(m, m, k * k)
    idx = np.abs(blocks).argmax(axis=-1)
    return np.take_along_axis(blocks, idx[..., None], axis=-1)[..., 0], k
