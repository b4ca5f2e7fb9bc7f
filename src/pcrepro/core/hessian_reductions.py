"""Exact reductions of weight Hessians of linear nets: fewer Hessian-vector products, fewer examples.

The loss and the PC energy after t Euler inference steps of a linear net (activities started
at a feedforward pass held fixed) are, per example, homogeneous quadratic forms in
s = (x, y), and they see W_1 only through the products W_1 x. Three consequences, each exact
(`tests/core/test_hessian.py` holds every one against ``jax.hessian``):

* :class:`InputSubspace` — the products in W_1 can be taken in the span of the inputs.
* :func:`pseudo_examples` — the batch enters only through Σ_n s_n s_nᵀ, so ``B`` examples can be
  replaced by ``dim s`` rows of its triangular factor where that is fewer.
* :class:`FirstLayerBlock` — both functions are quadratic in W_1 with the same Hessian R in
  u_n = W_1 x_n for every example, so the W_1 block of their Hessian is R ⊗ Σ_n x_n x_nᵀ:
  N products instead of N·D.
* :class:`HiddenRowsAtOrigin` — at the origin (every weight 0) the rows of the hidden-to-hidden
  weights W_2 … W_H are zero: (H − 1)·N² products not taken.

Matrices are in :mod:`pcrepro.core.hessian`'s vectorisation order (W_ℓ row-major, layer by layer).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .nets import NetSpec


class InputSubspace(NamedTuple):
    """Weight Hessians through the span of the batch's inputs.

    A function of the weights that sees W_1 only through W_1 Xᵀ (the loss, and the energy after
    any number of inference steps: the input enters only as W_1 x_i) is unchanged when W_1 is
    replaced by V Qᵀ with V = W_1 Q, Q [D, r] an orthonormal basis of the inputs' span
    (Q Qᵀ x_i = x_i). Its Hessian in W is therefore Jᵀ ∇²_u J, J the linear map
    W ↦ u = (W_1 Q, W_2 … W_L): the Hessian-vector products are taken in u, of N·r + (rest)
    entries instead of N·D + (rest), and lifted exactly. For MNIST (D = 784, a batch of 64) that
    is 8–10× fewer products. Holds for any activation."""

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


def pseudo_examples(spec: NetSpec, x, y) -> tuple[np.ndarray, np.ndarray] | None:
    """A smaller batch with the same loss and energy at every weight, or None where there is none.

    For a linear net every activity is linear in s = (x, y) (the feedforward start in x, each
    Euler step affine in z with sources W_1 x and W_Lᵀ y), so the batch-mean loss and energy are
    (1/B) tr(Q(W) Σ_n s_n s_nᵀ). With S = [X Y] = Q̃ R (QR), Σ_n s_n s_nᵀ = Rᵀ R: the k = dim s
    rows of √(k/B)·R, as a batch of k, give the same mean. Used where k < B (MNIST-1D:
    40 + 10 < 64): every Hessian-vector product then carries k examples instead of B."""
    if spec.act_fn != "linear":
        return None
    x, y = np.asarray(x), np.asarray(y)
    s = np.concatenate([x, y], axis=1)
    batch, k = s.shape
    if k >= batch:
        return None
    rows = np.linalg.qr(s, mode="r") * np.sqrt(k / batch)
    return rows[:, :x.shape[1]], rows[:, x.shape[1]:]


class FirstLayerBlock(NamedTuple):
    """The W_1 block of a linear net's loss or energy Hessian from N products instead of N·D.

    W_1 enters only through u_n = W_1 x_n, and z after any number of Euler steps is affine in
    the sources (W_1 x_n, 0, …, W_Lᵀ y_n) with the same linear map for every example, so the
    loss and the energy are quadratic in W_1 with ∂²/∂u_n² = R the same for every example:

        ∂² / ∂(W_1)_{ij} ∂(W_1)_{kl} = R_ik M_jl,   M = Σ_n x_n x_nᵀ,

    i.e. the block is R ⊗ M (row-major order). The products along (W_1)_{k p}, k = 1 … N, for
    one input coordinate p give R_ik M_pp; the products along every other weight give their full
    rows, hence the cross blocks. Not for nonlinear nets (there z is not affine in the sources)."""

    width: int
    moments: np.ndarray  # M = Σ_n x_n x_nᵀ in the coordinates the products are taken in [D, D]
    pivot: int           # p: the input coordinate of largest M_pp

    @staticmethod
    def of(spec: NetSpec, x) -> "FirstLayerBlock | None":
        """The block's plan for inputs ``x`` [B, D] (None for a nonlinear net or all-zero inputs)."""
        if spec.act_fn != "linear":
            return None
        x = np.asarray(x)
        moments = x.T @ x
        pivot = int(np.argmax(np.diag(moments)))
        if moments[pivot, pivot] == 0:
            return None
        return FirstLayerBlock(spec.width, moments, pivot)

    def directions(self, n_weights: int) -> np.ndarray:
        """The unit vectors to take products along: (W_1)_{k p} for every k, then every weight past W_1."""
        n, d = self.width, self.moments.shape[0]
        return np.concatenate([np.arange(n) * d + self.pivot, np.arange(n * d, n_weights)])

    def assemble(self, rows: np.ndarray) -> np.ndarray:
        """The symmetric Hessian [P, P] from the products along :meth:`directions` (``rows`` in that order)."""
        n, d = self.width, self.moments.shape[0]
        nd, p = n * d, rows.shape[1]
        r = rows[:n, :nd].reshape(n, n, d)[:, :, self.pivot]  # R_ki M_pp
        r = 0.5 * (r + r.T)
        out = np.empty((p, p), rows.dtype)
        # R ⊗ M written straight into the block (np.kron would build it aside and copy it)
        np.multiply(r[:, None, :, None], (self.moments / self.moments[self.pivot, self.pivot])[None, :, None, :],
                    out=out[:nd, :nd].reshape(n, d, n, d))
        rest = rows[n:]
        out[nd:] = rest
        out[:nd, nd:] = rest[:, :nd].T
        out[nd:, nd:] += out[nd:, nd:].T
        out[nd:, nd:] *= 0.5
        return out


# skipped rows taken anyway, as a check that the origin's zeros hold where a plan assumes them
ORIGIN_CHECKED_ROWS = 8


class HiddenRowsAtOrigin(NamedTuple):
    """The rows of W_2 … W_H (the hidden-to-hidden weights) of a linear net's loss or energy
    Hessian at the origin, all W = 0, without skips: zero, so their products are not taken.

    At the origin the activities start at 0 and, to first order in a step εV of the weights,
    move only under the sources V_1 x and V_Lᵀ y: a hidden weight enters the energy's residuals
    z_ℓ − W_ℓ z_{ℓ−1} and the activity gradient only multiplied by activities or residuals that
    are themselves zero there, so V_2 … V_H appear nowhere in the energy's second-order term (and
    the loss, a product of ≥ 3 zero matrices for H ≥ 2, has no second-order term at all).
    docs/theory.md states the equilibrium's closed form, which agrees. :data:`ORIGIN_CHECKED_ROWS`
    of the skipped rows are computed all the same and must be zero, else every one is taken."""

    start: int  # the hidden weights' range in the coordinates the products are taken in
    stop: int

    @staticmethod
    def of(spec: NetSpec, w, first_layer_size: int) -> "HiddenRowsAtOrigin | None":
        """The skipped range for flat weights ``w`` whose first layer takes ``first_layer_size``
        coordinates (None off the origin, for nonlinear nets, with skips, or for H = 1)."""
        if spec.act_fn != "linear" or spec.skips or spec.n_hidden < 2 or np.any(np.asarray(w) != 0):
            return None
        return HiddenRowsAtOrigin(first_layer_size, first_layer_size + (spec.n_hidden - 1) * spec.width**2)

    def checked(self) -> np.ndarray:
        """The skipped rows that are computed as a check, spread over the range."""
        return np.unique(np.linspace(self.start, self.stop - 1, ORIGIN_CHECKED_ROWS).astype(int))

    def kept(self, directions: np.ndarray) -> np.ndarray:
        """``directions`` without the skipped rows, except those :meth:`checked`."""
        skipped = (directions >= self.start) & (directions < self.stop) & ~np.isin(directions, self.checked())
        return directions[~skipped]

    def complete(self, rows: np.ndarray, directions: np.ndarray, kept: np.ndarray, take) -> np.ndarray:
        """The rows along every one of ``directions`` from ``rows`` along ``kept``: the skipped
        ones zero, or computed by ``take(missing directions)`` if a checked row is not zero."""
        out = np.zeros((len(directions), rows.shape[1]), rows.dtype)
        position = {int(d): i for i, d in enumerate(directions)}
        out[[position[int(d)] for d in kept]] = rows
        if np.any(rows[np.isin(kept, self.checked())] != 0):
            missing = np.setdiff1d(directions, kept)
            out[[position[int(d)] for d in missing]] = take(missing)
        return out
