"""Closed forms for linear nets (φ = identity), used as references by the tests
and by the analysis studies. See ``shared/design/THEORY.md``.

All functions take the same ``Params`` / ``NetSpec`` as the numerical core and
work on one batch.
"""

from __future__ import annotations

import jax.numpy as jnp

from .nets import NetSpec, Params, layer_shapes


def _layer_maps(params: Params, spec: NetSpec) -> list[jnp.ndarray]:
    """M_ℓ with z_ℓ = M_ℓ z_{ℓ−1} in the feedforward pass, for ℓ = 2 … L (linear nets)."""
    a = spec.scalings
    n = spec.width
    maps = []
    for w in params["w_hidden"]:
        m = a.a_hidden * w
        maps.append(m + jnp.eye(n, dtype=w.dtype) if spec.skips else m)
    maps.append(a.a_out * params["w_out"])
    return maps


def effective_weights(params: Params, spec: NetSpec) -> jnp.ndarray:
    """W_eff with ŷ = W_eff x for a linear net."""
    w = spec.scalings.a_in * params["w_in"]
    for m in _layer_maps(params, spec):
        w = m @ w
    return w


def equilibrated_energy(params: Params, x: jnp.ndarray, y: jnp.ndarray, spec: NetSpec) -> jnp.ndarray:
    """F* = (1/2B) Σ_i r_iᵀ S⁻¹ r_i, r_i = y_i − W_eff x_i, S = I + Σ_{ℓ=2}^{L} P_ℓ P_ℓᵀ.

    P_ℓ = M_L ⋯ M_ℓ carries an error at hidden layer ℓ−1 to the output
    (M_ℓ = a_ℓ W_ℓ, plus I on hidden layers with skips; THEORY.md)."""
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


def activity_hessian(params: Params, spec: NetSpec, activity_decay: float = 0.0) -> jnp.ndarray:
    """Per-sample activity Hessian ∂²F/∂z² of a linear net, [H·N, H·N] (layer-major).

    Built from the error maps: F_i = ½ Σ_ℓ ‖e_ℓ‖² with e_ℓ linear in z, so
    H_z = Σ_ℓ J_ℓᵀ J_ℓ (+ decay·I), J_ℓ = ∂e_ℓ/∂z. Batch-independent.
    """
    n, h = spec.width, spec.n_hidden
    dt = params["w_in"].dtype
    eye = jnp.eye(n, dtype=dt)
    hess = jnp.zeros((h * n, h * n), dt)
    maps = _layer_maps(params, spec)
    # e_1 = z_1 − a_1 W_1 x: J = [I, 0, …]
    blocks = [(0, eye, None, None)]
    # e_ℓ = z_ℓ − M_ℓ z_{ℓ−1}, ℓ = 2 … H
    for ell in range(1, h):
        blocks.append((ell, eye, ell - 1, -maps[ell - 1]))
    for row, a_blk, col, b_blk in blocks:
        j = jnp.zeros((n, h * n), dt).at[:, row * n : (row + 1) * n].set(a_blk)
        if col is not None:
            j = j.at[:, col * n : (col + 1) * n].set(b_blk)
        hess = hess + j.T @ j
    # e_L = y − M_L z_H
    j_out = jnp.zeros((spec.output_dim, h * n), dt).at[:, (h - 1) * n :].set(-maps[-1])
    hess = hess + j_out.T @ j_out
    return hess + activity_decay * jnp.eye(h * n, dtype=dt)


def equilibrium_activities(params: Params, x: jnp.ndarray, y: jnp.ndarray, spec: NetSpec) -> jnp.ndarray:
    """Exact minimiser z* of F over the activities of a linear net, stacked [H, B, N].

    z* = H_z⁻¹ b per sample, with b_1 = a_1 W_1 x and b_H = M_Lᵀ y.
    """
    n, h = spec.width, spec.n_hidden
    hess = activity_hessian(params, spec)
    b = jnp.zeros((x.shape[0], h * n), x.dtype)
    b = b.at[:, :n].add(spec.scalings.a_in * x @ params["w_in"].T)
    b = b.at[:, (h - 1) * n :].add(y @ _layer_maps(params, spec)[-1])
    z = jnp.linalg.solve(hess, b.T).T
    return z.reshape(x.shape[0], h, n).transpose(1, 0, 2)


def origin_energy_hessian(x: jnp.ndarray, y: jnp.ndarray, spec: NetSpec) -> jnp.ndarray:
    """∂²F*/∂W² at the origin (all W = 0) of a linear ``sp`` net without skips (THEORY.md):
    the last layer's block is −Σ_yy ⊗ I_N (Σ_yy = YᵀY/B); for H = 1 the W_1–W_2 blocks are
    −Σ_xy ⊗ I_N (Σ_xy = XᵀY/B) up to the vectorisation; every other entry is zero.

    Laid out in :mod:`pcrepro.hessian`'s order (each W_ℓ [out, in] row-major), where the
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
