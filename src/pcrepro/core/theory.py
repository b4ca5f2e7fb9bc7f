"""Closed forms for linear nets (φ = identity), used as references by the tests
and by the analysis studies.

All functions take the same ``Params`` / ``NetSpec`` as the numerical core and
work on one batch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .nets import NetSpec, Params, layer_shapes


def _hidden_maps(params: Params, spec: NetSpec) -> jnp.ndarray:
    """M_2 … M_H stacked [H−1, N, N]: a_ℓ W_ℓ, plus I with skips (linear nets)."""
    maps = spec.scalings.a_hidden * params["w_hidden"]
    return maps + jnp.eye(spec.width, dtype=maps.dtype) if spec.skips else maps


def _layer_maps(params: Params, spec: NetSpec) -> list[jnp.ndarray]:
    """M_ℓ with z_ℓ = M_ℓ z_{ℓ−1} in the feedforward pass, for ℓ = 2 … L (linear nets)."""
    return [*_hidden_maps(params, spec), spec.scalings.a_out * params["w_out"]]


def effective_weights(params: Params, spec: NetSpec) -> jnp.ndarray:
    """W_eff with ŷ = W_eff x for a linear net."""
    w = spec.scalings.a_in * params["w_in"]
    for m in _layer_maps(params, spec):
        w = m @ w
    return w


def equilibrated_energy(params: Params, x: jnp.ndarray, y: jnp.ndarray, spec: NetSpec) -> jnp.ndarray:
    """F* = (1/2B) Σ_i r_iᵀ S⁻¹ r_i, r_i = y_i − W_eff x_i, S = I + Σ_{ℓ=2}^{L} P_ℓ P_ℓᵀ.

    P_ℓ = M_L ⋯ M_ℓ carries an error at hidden layer ℓ−1 to the output
    (M_ℓ = a_ℓ W_ℓ, plus I on hidden layers with skips; docs/theory.md)."""
    maps = _layer_maps(params, spec)
    d_y = spec.output_dim
    s = jnp.eye(d_y, dtype=x.dtype)
    p = jnp.eye(d_y, dtype=x.dtype)
    # P for the error of hidden layer H (feeds the output through M_L), then H−1, …, 1.
    for m in reversed(maps):
        p = p @ m
        s = s + p @ p.T
    r = y - x @ effective_weights(params, spec).T
    return 0.5 * jnp.sum(r * jnp.linalg.solve(s, r.T).T) / x.shape[0]


def activity_hessian_blocks(
    params: Params, spec: NetSpec, activity_decay: float = 0.0
) -> tuple[jnp.ndarray, jnp.ndarray]:
    """The per-sample activity Hessian of a linear net as its block tridiagonal (docs/theory.md).

    With M_ℓ the map of layer ℓ (a_ℓW_ℓ, plus I on hidden layers with skips) and
    e_ℓ = z_ℓ − M_ℓ z_{ℓ−1}, F_i = ½Σ_ℓ‖e_ℓ‖² gives, for hidden layers ℓ = 1 … H,

        diagonal  D_ℓ = I + M_{ℓ+1}ᵀ M_{ℓ+1} (+ decay·I)
                  (skips, ℓ < H: 2I + a²WᵀW + a(W + Wᵀ) with W = W_{ℓ+1}, a = a_{ℓ+1};
                   ℓ = H: I + a_L² W_Lᵀ W_L)
        upper     O_{ℓ,ℓ+1} = −M_{ℓ+1}ᵀ  (−aWᵀ, or −(aWᵀ + I) with skips), O_{ℓ+1,ℓ} = O_{ℓ,ℓ+1}ᵀ.

    Activity decay adds decay·I to the diagonal only. Returns (diagonal [H, N, N],
    upper [H−1, N, N]); batched over layers, no loop over depth."""
    eye = jnp.eye(spec.width, dtype=params["w_in"].dtype)
    hidden_maps = _hidden_maps(params, spec)  # M_2 … M_H
    out_map = spec.scalings.a_out * params["w_out"]
    gram = jnp.einsum("lki,lkj->lij", hidden_maps, hidden_maps)  # M_{ℓ+1}ᵀM_{ℓ+1}, ℓ < H
    last = out_map.T @ out_map
    diagonal = jnp.concatenate([gram, last[None]], axis=0) + (1.0 + activity_decay) * eye
    upper = -jnp.swapaxes(hidden_maps, 1, 2)
    return diagonal, upper


def block_tridiagonal(diagonal: jnp.ndarray, upper: jnp.ndarray) -> jnp.ndarray:
    """Dense [H·N, H·N] matrix (layer-major) from its diagonal [H, N, N] and upper [H−1, N, N]
    blocks, the lower ones being the transposes."""
    h, n = diagonal.shape[0], diagonal.shape[1]
    full = jnp.zeros((h, n, h, n), diagonal.dtype)
    i = jnp.arange(h)
    full = full.at[i, :, i, :].set(diagonal)
    if h > 1:
        j = jnp.arange(h - 1)
        full = full.at[j, :, j + 1, :].set(upper).at[j + 1, :, j, :].set(jnp.swapaxes(upper, 1, 2))
    return full.reshape(h * n, h * n)


def activity_hessian(params: Params, spec: NetSpec, activity_decay: float = 0.0) -> jnp.ndarray:
    """Per-sample activity Hessian ∂²F/∂z² of a linear net, [H·N, H·N] (layer-major);
    batch-independent. See :func:`activity_hessian_blocks`."""
    return block_tridiagonal(*activity_hessian_blocks(params, spec, activity_decay))


def activity_hessian_parts(
    params: Params, spec: NetSpec, activity_decay: float = 0.0
) -> tuple[jnp.ndarray, jnp.ndarray]:
    """(D, O): the block-diagonal and the off-diagonal part of the theoretical H_z, H_z = D + O."""
    diagonal, upper = activity_hessian_blocks(params, spec, activity_decay)
    return block_tridiagonal(diagonal, jnp.zeros_like(upper)), block_tridiagonal(jnp.zeros_like(diagonal), upper)


def solve_block_tridiagonal(diagonal: jnp.ndarray, upper: jnp.ndarray, rhs: jnp.ndarray) -> jnp.ndarray:
    """Solve A X = R for a symmetric positive-definite block-tridiagonal A, all columns at once.

    A has diagonal blocks D_ℓ = ``diagonal[ℓ]`` [H, N, N], upper blocks A_{ℓ,ℓ+1} = ``upper[ℓ]``
    [H−1, N, N] and lower blocks their transposes; ``rhs`` is [H, N, K] (K right-hand sides,
    e.g. the samples of a batch). Block forward elimination and back substitution
    (the block Thomas algorithm), one ``lax.scan`` each:

        M_ℓ = D_ℓ − A_{ℓ,ℓ−1} C_{ℓ−1},  C_ℓ = M_ℓ⁻¹ A_{ℓ,ℓ+1},  G_ℓ = M_ℓ⁻¹ (R_ℓ − A_{ℓ,ℓ−1} G_{ℓ−1}),
        X_H = G_H,  X_ℓ = G_ℓ − C_ℓ X_{ℓ+1},

    O(H·N³ + H·N²·K) work instead of O(H³·N³) for the dense solve; no pivoting is needed
    across blocks since every M_ℓ is a Schur complement of an SPD matrix."""
    n = diagonal.shape[1]
    zeros = jnp.zeros((1, n, n), diagonal.dtype)
    uppers = jnp.concatenate([upper, zeros], axis=0)                        # A_{H,H+1} = 0
    lowers = jnp.concatenate([zeros, jnp.swapaxes(upper, 1, 2)], axis=0)   # A_{1,0} = 0

    def eliminate(carry, blocks):
        c_prev, g_prev = carry
        d, u, low, r = blocks
        m = d - low @ c_prev
        solved = jnp.linalg.solve(m, jnp.concatenate([u, r - low @ g_prev], axis=1))
        c, g = solved[:, :n], solved[:, n:]
        return (c, g), (c, g)

    start = (jnp.zeros((n, n), diagonal.dtype), jnp.zeros(rhs.shape[1:], rhs.dtype))
    _, (c, g) = jax.lax.scan(eliminate, start, (diagonal, uppers, lowers, rhs))

    def substitute(x_next, blocks):
        c_l, g_l = blocks
        x = g_l - c_l @ x_next
        return x, x

    _, x = jax.lax.scan(substitute, jnp.zeros(rhs.shape[1:], rhs.dtype), (c, g), reverse=True)
    return x


def equilibrium_activities(params: Params, x: jnp.ndarray, y: jnp.ndarray, spec: NetSpec) -> jnp.ndarray:
    """Exact minimiser z* of F over the activities of a linear net, stacked [H, B, N].

    z* = H_z⁻¹ b per sample, with b_1 = a_1 W_1 x and b_H = M_Lᵀ y; H_z is the same for every
    sample, so the whole batch is solved at once with the block-tridiagonal solver.
    """
    diagonal, upper = activity_hessian_blocks(params, spec)
    b = jnp.zeros((spec.n_hidden, x.shape[0], spec.width), x.dtype)
    b = b.at[0].add(spec.scalings.a_in * x @ params["w_in"].T)
    b = b.at[-1].add(y @ (spec.scalings.a_out * params["w_out"]))  # M_Lᵀ y, per sample
    z = solve_block_tridiagonal(diagonal, upper, jnp.swapaxes(b, 1, 2))
    return jnp.swapaxes(z, 1, 2)


def origin_energy_hessian(x: jnp.ndarray, y: jnp.ndarray, spec: NetSpec) -> jnp.ndarray:
    """∂²F*/∂W² at the origin (all W = 0) of a linear ``sp`` net without skips (docs/theory.md):
    the last layer's block is −Σ_yy ⊗ I_N (Σ_yy = YᵀY/B); for H = 1 the W_1–W_2 blocks are
    −Σ_xy ⊗ I_N (Σ_xy = XᵀY/B) up to the vectorisation; every other entry is zero.

    Laid out in :mod:`pcrepro.core.hessian`'s order (each W_ℓ [out, in] row-major), where the
    cross block reads ∂²F*/∂W_1[a, b] ∂W_2[i, j] = −δ_aj Σ_xy[b, i]."""
    if spec.act_fn != "linear" or spec.skips or spec.param_type != "sp":
        raise ValueError("the origin closed form holds for linear sp nets without skips")
    n, d, d_y, b = spec.width, spec.input_dim, spec.output_dim, x.shape[0]
    p = sum(rows * cols for rows, cols in layer_shapes(spec))
    hess = jnp.zeros((p, p), x.dtype)
    sigma_yy = y.T @ y / b
    hess = hess.at[p - d_y * n:, p - d_y * n:].set(-jnp.kron(sigma_yy, jnp.eye(n, dtype=x.dtype)))
    if spec.n_hidden == 1:
        sigma_xy = x.T @ y / b
        cross = -jnp.einsum("aj,bi->abij", jnp.eye(n, dtype=x.dtype), sigma_xy).reshape(n * d, d_y * n)
        hess = hess.at[: n * d, n * d:].set(cross).at[n * d:, : n * d].set(cross.T)
    return hess
