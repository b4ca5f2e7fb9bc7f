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
from .hessian_reductions import FirstLayerBlock, HiddenRowsAtOrigin, InputSubspace, pseudo_examples
from .inference import euler_inference
from .nets import NetSpec, Params, forward, layer_shapes, predict

CPU_EIGEN_DRIVER = "evd"  # LAPACK's divide and conquer; see benchmarks/speed/bench_eigvalsh.py


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
    """A jitted ``rows(w, arg, directions)``: the rows ∇²_w f(w, arg) e_i for the ``chunk_size``
    indices i in ``directions`` (an index past the last weight gives a zero row), as many
    Hessian-vector products at once. One compiled program serves every chunk and every ``arg``."""

    @jax.jit
    def rows(w, arg, directions):
        basis = jax.nn.one_hot(directions, w.shape[0], dtype=w.dtype)
        return jax.vmap(lambda v: jax.jvp(jax.grad(lambda u: f(u, arg)), (w,), (v,))[1])(basis)

    return rows


def chunked_rows(rows: Callable, w: jax.Array, arg, directions: np.ndarray, chunk_size: int,
                 on_chunk: Callable[[int], None] | None = None) -> np.ndarray:
    """The Hessian's rows along ``directions`` [K] as [K, P], from :func:`hessian_rows`, a chunk
    at a time on the host (so that a long one can report progress: ``on_chunk(products done)``)."""
    p, k = w.shape[0], len(directions)
    chunk_size = -(-k // -(-k // chunk_size))  # as many chunks, evened out: fewest zero rows
    padded = np.full(-(-k // chunk_size) * chunk_size, p, dtype=np.int32)  # index p: a zero row
    padded[:k] = directions
    out = np.empty((k, p), dtype=w.dtype)
    for start in range(0, k, chunk_size):
        block = np.asarray(rows(w, arg, padded[start:start + chunk_size]))
        out[start:start + chunk_size] = block[:k - start]
        if on_chunk:
            on_chunk(min(start + chunk_size, k))
    return out


def chunked_hessian(rows: Callable, w: jax.Array, arg, chunk_size: int,
                    on_chunk: Callable[[int], None] | None = None) -> np.ndarray:
    """The dense Hessian [P, P] from :func:`hessian_rows`, every row computed (see
    :func:`chunked_rows`), symmetrised against round-off."""
    return _symmetrised(chunked_rows(rows, w, arg, np.arange(w.shape[0]), chunk_size, on_chunk))


def _symmetrised(rows: np.ndarray) -> np.ndarray:
    """(rows + rowsᵀ)/2 in place: a Hessian from its rows, symmetric despite round-off."""
    rows += rows.T
    rows *= 0.5
    return rows


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


class HessianPlan(NamedTuple):
    """How the Hessians of one net on one batch are taken (:mod:`pcrepro.core.hessian_reductions`):
    on the batch or its pseudo-examples, in W or through the inputs' span, with the W_1 block
    from N products where the net is linear, without the hidden weights' rows at the origin."""

    x: jax.Array
    y: jax.Array
    subspace: InputSubspace | None
    first_layer: FirstLayerBlock | None
    n_weights: int  # P, in the coordinates the products are taken in
    hidden_at_origin: HiddenRowsAtOrigin | None = None

    @staticmethod
    def of(spec: NetSpec, params: Params, x, y) -> "HessianPlan":
        fewer = pseudo_examples(spec, x, y)
        if fewer is not None:
            x, y = fewer
        x, y = jnp.asarray(x), jnp.asarray(y)
        subspace = InputSubspace.of(spec, x)
        inputs = np.asarray(x) if subspace is None else np.asarray(x) @ subspace.basis
        w = flatten_weights(params)
        n_weights = int(w.shape[0])
        if subspace is not None:
            n_weights -= spec.width * (spec.input_dim - subspace.basis.shape[1])
        return HessianPlan(x, y, subspace, FirstLayerBlock.of(spec, inputs), n_weights,
                           HiddenRowsAtOrigin.of(spec, w, spec.width * inputs.shape[1]))

    def all_directions(self) -> np.ndarray:
        """The unit vectors whose rows the Hessian is assembled from."""
        if self.first_layer is None:
            return np.arange(self.n_weights)
        return self.first_layer.directions(self.n_weights)

    def directions(self) -> np.ndarray:
        """The unit vectors the products are taken along."""
        full = self.all_directions()
        return full if self.hidden_at_origin is None else self.hidden_at_origin.kept(full)

    def point(self, w: jax.Array) -> jax.Array:
        """Where the products are taken: w, or u through the subspace."""
        return w if self.subspace is None else self.subspace.reduce(w)

    def in_coordinates(self, g: Callable) -> Callable:
        """g(w, arg) rewritten as a function of the point's coordinates."""
        if self.subspace is None:
            return g
        return lambda u, arg: g(self.subspace.expand(u), arg)

    def hessian(self, rows: Callable, w: jax.Array, arg, chunk_size: int,
                on_chunk: Callable[[int], None] | None = None) -> np.ndarray:
        """The dense, symmetric Hessian in W at ``w`` from :func:`hessian_rows` of a function in
        :meth:`in_coordinates`."""
        point = self.point(w)
        full, kept = self.all_directions(), self.directions()
        taken = chunked_rows(rows, point, arg, kept, chunk_size, on_chunk)
        if self.hidden_at_origin is not None:
            taken = self.hidden_at_origin.complete(
                taken, full, kept, lambda missing: chunked_rows(rows, point, arg, missing, chunk_size))
        h = _symmetrised(taken) if self.first_layer is None else self.first_layer.assemble(taken)
        return h if self.subspace is None else self.subspace.lift(h)


def hessian_products(params: Params, spec: NetSpec, x, y) -> int:
    """Hessian-vector products per Hessian (the weights, or fewer: :class:`HessianPlan`)."""
    return len(HessianPlan.of(spec, params, x, y).directions())


def loss_hessian(spec: NetSpec, params: Params, x, y, chunk_size: int = 256,
                 on_chunk: Callable[[int], None] | None = None) -> np.ndarray:
    """∂²𝓛/∂W² at ``params`` [P, P] (with the exact reductions of :class:`HessianPlan`);
    ``on_chunk`` as in :func:`chunked_rows`."""
    plan = HessianPlan.of(spec, params, x, y)
    rows = hessian_rows(plan.in_coordinates(lambda w, _: loss_fn(spec, plan.x, plan.y)(w)), chunk_size)
    return plan.hessian(rows, flatten_weights(params), 0, chunk_size, on_chunk)


# Below this many products per Hessian one program (step count as an argument) serves every
# step count: compiling dominates. Above it the products dominate, and a product through a
# masked scan pays for every skipped step (measured, MNIST-1D H = 1, N = 100, 2-core CPU: 3.9 ms
# for t = 0 and 11.1 ms for t = 50 in the masked scan of 50 steps, 0.19 ms and 7.7 ms with a
# program of exactly t steps, which compiles in 0.6–3.2 s) — except for a few skipped steps:
# step counts up to SHARED_MAX_STEPS still share one program.
ONE_PROGRAM_MAX_WEIGHTS = 1000
SHARED_MAX_STEPS = 5


def step_programs(steps: Sequence[int], products: int, one_program: bool | None = None) -> list[list[int]]:
    """The step counts grouped by the compiled program that serves them (a group of one: a
    program of exactly t steps; more: a masked scan of the group's largest t). ``one_program``:
    True, one group; False, a group per t; None: one group below :data:`ONE_PROGRAM_MAX_WEIGHTS`
    products per Hessian, else the counts up to :data:`SHARED_MAX_STEPS` together and each
    larger one alone."""
    steps = sorted(set(int(t) for t in steps))
    if one_program or (one_program is None and products < ONE_PROGRAM_MAX_WEIGHTS):
        return [steps]
    if one_program is False:
        return [[t] for t in steps]
    small = [t for t in steps if t <= SHARED_MAX_STEPS]
    return ([small] if small else []) + [[t] for t in steps if t > SHARED_MAX_STEPS]


def energy_hessians(spec: NetSpec, params: Params, x, y, steps: Sequence[int], dt: float,
                    chunk_size: int = 256, on_chunk: Callable[[int, int], None] | None = None,
                    one_program: bool | None = None) -> dict[int, np.ndarray]:
    """∂²F/∂W² after each number of inference steps in ``steps``, with the programs of
    :func:`step_programs` (a shared program takes the step count as an argument and skips the
    steps past it by a ``cond``, see :func:`pcrepro.core.inference.euler_inference`).
    ``on_chunk(t, products done)`` after each chunk of Hessian-vector products."""
    plan = HessianPlan.of(spec, params, x, y)
    x, y, w = plan.x, plan.y, flatten_weights(params)
    hessians = {}
    for group in step_programs(steps, len(plan.directions()), one_program):
        if len(group) == 1:
            t = group[0]
            rows = hessian_rows(plan.in_coordinates(lambda v, _: energy_after_fn(spec, x, y, v, t, dt)(v)), chunk_size)
        else:
            most = max(group)
            rows = hessian_rows(plan.in_coordinates(lambda v, n: energy_after_fn(spec, x, y, v, n, dt, most)(v)),
                                chunk_size)
        for t in group:
            hessians[t] = plan.hessian(rows, w, jnp.int32(t), chunk_size,
                                       on_chunk and (lambda done, t=t: on_chunk(t, done)))
    return hessians


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
    m = -(-size // k)
    if m * k == size:
        padded = matrix
    else:
        padded = np.zeros((m * k,) * 2, matrix.dtype)
        padded[:size, :size] = matrix
    blocks = padded.reshape(m, k, m, k)  # a view: no copy of a large matrix
    high = blocks.max(axis=1).max(axis=2)  # rows of a block first: contiguous, 3x quicker than both at once
    low = blocks.min(axis=1).min(axis=2)
    pooled = np.where(high >= -low, high, low)
    # extremes of equal size and opposite sign: the first in the block's raster order (as an
    # argmax of |entry| over the block picks), which exact Hessians at saddles do produce
    rows, cols = np.nonzero((high == -low) & (high != 0))
    if len(rows):
        tied = blocks[rows, :, cols, :].reshape(len(rows), k * k)
        pooled[rows, cols] = tied[np.arange(len(rows)), np.abs(tied).argmax(axis=1)]
    return pooled, k
