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

from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .energy import mse_loss, pc_energy
from .inference import euler_inference
from .nets import NetSpec, Params, forward, layer_shapes, predict

CPU_EIGEN_DRIVER = "evd"  # LAPACK's divide and conquer; see benchmarks/bench_eigvalsh.py


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


def hessian_rows(f: Callable[[jax.Array, jax.Array], jax.Array], chunk_size: int) -> Callable:
    """A jitted ``rows(w, arg, start)``: rows ``start`` … ``start + chunk_size − 1`` of
    ∇²_w f(w, arg) (rows past the last weight are zero), ``chunk_size`` Hessian-vector
    products at once. One compiled program serves every chunk and every ``arg``."""

    @jax.jit
    def rows(w, arg, start):
        basis = jax.nn.one_hot(start + jnp.arange(chunk_size), w.shape[0], dtype=w.dtype)
        return jax.vmap(lambda v: jax.jvp(jax.grad(lambda u: f(u, arg)), (w,), (v,))[1])(basis)

    return rows


def chunked_hessian(rows: Callable, w: jax.Array, arg, chunk_size: int,
                    on_chunk: Callable[[int], None] | None = None) -> np.ndarray:
    """The dense Hessian [P, P] from :func:`hessian_rows`, a chunk at a time on the host (so
    that a long one can report progress: ``on_chunk(products done)``), symmetrised."""
    p = w.shape[0]
    out = np.empty((p, p), dtype=w.dtype)
    for start in range(0, p, chunk_size):
        block = np.asarray(rows(w, arg, start))
        out[start:start + chunk_size] = block[:p - start]
        if on_chunk:
            on_chunk(min(start + chunk_size, p))
    out += out.T
    out *= 0.5
    return out


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


class InputSubspace(NamedTuple):
    """Weight Hessians through the span of the batch's inputs.

    A function of the weights that sees W_1 only through W_1 Xᵀ (the loss, and the energy after
    any number of inference steps: the input enters only as W_1 x_i) is unchanged when W_1 is
    replaced by V Qᵀ with V = W_1 Q, Q [D, r] an orthonormal basis of the inputs' span
    (Q Qᵀ x_i = x_i). Its Hessian in W is therefore Jᵀ ∇²_u J, J the linear map
    W ↦ u = (W_1 Q, W_2 … W_L): the Hessian-vector products are taken in u, of N·r + (rest)
    entries instead of N·D + (rest), and lifted exactly. For MNIST (D = 784, a batch of 64) that
    is 8–10× fewer products."""

    basis: np.ndarray  # Q [D, r]
    width: int

    @staticmethod
    def of(spec: NetSpec, x) -> "InputSubspace | None":
        """The subspace of the batch ``x`` [B, D], or None where it would not be smaller (B ≥ D)."""
        x = np.asarray(x)
        if x.shape[0] >= x.shape[1]:
            return None
        return InputSubspace(np.linalg.qr(x.T)[0], spec.width)

    def reduce(self, w: jax.Array) -> jax.Array:
        """u = (W_1 Q, W_2 … W_L), flat."""
        n, d = self.width, self.basis.shape[0]
        return jnp.concatenate([(w[:n * d].reshape(n, d) @ self.basis).ravel(), w[n * d:]])

    def expand(self, u: jax.Array) -> jax.Array:
        """W = (V Qᵀ, W_2 … W_L), flat, from u."""
        n, r = self.width, self.basis.shape[1]
        return jnp.concatenate([(u[:n * r].reshape(n, r) @ self.basis.T).ravel(), u[n * r:]])

    def lift(self, h: np.ndarray) -> np.ndarray:
        """The Hessian in W from the Hessian ``h`` in u: Jᵀ h J."""
        n, (d, r) = self.width, self.basis.shape
        a, q = n * r, self.basis
        rest = h.shape[0] - a
        out = np.empty((n * d + rest,) * 2, h.dtype)
        h_vv = h[:a, :a].reshape(n * r * n, r) @ q.T                        # [i b k, l]
        h_vv = h_vv.reshape(n, r, n, d).transpose(0, 2, 3, 1) @ q.T          # [i, k, l, j]
        out[:n * d, :n * d] = h_vv.transpose(0, 3, 1, 2).reshape(n * d, n * d)  # [i j, k l]
        out[:n * d, n * d:] = (q @ h[:a, a:].reshape(n, r, rest)).reshape(n * d, rest)
        out[n * d:, :n * d] = out[:n * d, n * d:].T
        out[n * d:, n * d:] = h[a:, a:]
        return out


def _coordinates(subspace: InputSubspace | None, w: jax.Array):
    """(point, in_coordinates, lift): where the products are taken (w, or u through ``subspace``),
    a function g(w, arg) rewritten in those coordinates, and the map of their Hessian back to W."""
    if subspace is None:
        return w, (lambda g: g), (lambda h: h)
    return subspace.reduce(w), (lambda g: lambda u, a: g(subspace.expand(u), a)), subspace.lift


def hessian_products(params: Params, spec: NetSpec, x) -> int:
    """Hessian-vector products per Hessian (the weights, or fewer through :class:`InputSubspace`)."""
    subspace = InputSubspace.of(spec, x)
    n_params = int(flatten_weights(params).shape[0])
    return n_params if subspace is None else n_params - spec.width * (spec.input_dim - subspace.basis.shape[1])


def loss_hessian(spec: NetSpec, params: Params, x, y, chunk_size: int = 256,
                 on_chunk: Callable[[int], None] | None = None) -> np.ndarray:
    """∂²𝓛/∂W² at ``params`` [P, P] (through :class:`InputSubspace` where that is smaller);
    ``on_chunk`` as in :func:`chunked_hessian`."""
    point, in_coordinates, lift = _coordinates(InputSubspace.of(spec, x), flatten_weights(params))
    rows = hessian_rows(in_coordinates(lambda w, _: loss_fn(spec, x, y)(w)), chunk_size)
    return lift(chunked_hessian(rows, point, 0, chunk_size, on_chunk))


# Below this many weights one program (step count as an argument) beats a program per step
# count: compiling dominates. Above it the products dominate, and a product through a masked
# scan pays for every skipped step (measured, MNIST-1D H = 1, N = 100, 2-core CPU: 3.9 ms for
# t = 0 and 11.1 ms for t = 50 in the masked scan of 50 steps, 0.19 ms and 7.7 ms with a
# program of exactly t steps, which compiles in 0.6–3.2 s).
ONE_PROGRAM_MAX_WEIGHTS = 1000


def energy_hessians(spec: NetSpec, params: Params, x, y, steps: Sequence[int], dt: float,
                    chunk_size: int = 256, on_chunk: Callable[[int, int], None] | None = None,
                    one_program: bool | None = None) -> dict[int, np.ndarray]:
    """∂²F/∂W² after each number of inference steps in ``steps``. ``one_program``: one compiled
    program with the step count as an argument, the steps past t skipped by a ``cond`` (see
    :func:`pcrepro.core.inference.euler_inference`), else a program of exactly t steps per t;
    None: one program below :data:`ONE_PROGRAM_MAX_WEIGHTS` weights. ``on_chunk(t, products
    done)`` after each chunk of Hessian-vector products."""
    steps = sorted(set(int(s) for s in steps))
    point, in_coordinates, lift = _coordinates(InputSubspace.of(spec, x), flatten_weights(params))
    if one_program is None:
        one_program = hessian_products(params, spec, x) < ONE_PROGRAM_MAX_WEIGHTS

    def rows_for(t):  # t None: one program, the step count its argument
        if t is None:
            return hessian_rows(in_coordinates(lambda w, n: energy_after_fn(spec, x, y, w, n, dt, max(steps))(w)),
                                chunk_size)
        return hessian_rows(in_coordinates(lambda w, _: energy_after_fn(spec, x, y, w, t, dt)(w)), chunk_size)

    shared = rows_for(None) if one_program else None
    return {t: lift(chunked_hessian(shared or rows_for(t), point, jnp.int32(t), chunk_size,
                                    on_chunk and (lambda done, t=t: on_chunk(t, done))))
            for t in steps}


def eigenvalues(matrix: np.ndarray) -> np.ndarray:
    """Ascending eigenvalues of a symmetric matrix: LAPACK through SciPy where JAX runs on the
    CPU (measured faster than ``jnp.linalg.eigvalsh`` there), JAX's solver on a GPU."""
    if jax.default_backend() == "cpu":
        import scipy.linalg

        return scipy.linalg.eigvalsh(np.asarray(matrix), driver=CPU_EIGEN_DRIVER, check_finite=False)
    return np.asarray(jnp.linalg.eigvalsh(jnp.asarray(matrix)))


def eigh(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix, as :func:`eigenvalues`."""
    if jax.default_backend() == "cpu":
        import scipy.linalg

        return scipy.linalg.eigh(np.asarray(matrix), driver=CPU_EIGEN_DRIVER, check_finite=False)
    values, vectors = jnp.linalg.eigh(jnp.asarray(matrix))
    return np.asarray(values), np.asarray(vectors)


def activity_hessian(params: Params, z: jax.Array, x: jax.Array, y: jax.Array, spec: NetSpec,
                     activity_decay=0.0) -> jax.Array:
    """Numerical H_z = ∂²F/∂z² by autodiff, for one example: ``z`` [H, 1, N], ``x`` [1, D],
    ``y`` [1, d_y] → [H·N, H·N], layer-major (z_1 first), for any activation.
    Since F carries 1/B, a single example gives the per-sample Hessian of docs/theory.md."""
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
