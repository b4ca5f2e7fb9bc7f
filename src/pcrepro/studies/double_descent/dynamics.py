"""Two-layer linear network vs its reduced mode dynamics (seed 004).

Data: :mod:`.teacher` (X = U_r diag(f), right singular vectors V = I, κ spectrum).

Network: ŷ = W₂ W₁ x (W₁ ∈ ℝ^{h×d}, W₂ ∈ ℝ^{1×h}, no biases), loss 𝓛 = Σ_n (y_n − ŷ_n)² on
the training set and risk = the same sum on the test set, full-batch gradient descent with
one learning rate per layer.

Reduced dynamics: while W₁ = a zᵀ and W₂ = u aᵀ (‖a‖ = 1; rank one, aligned), gradient
descent keeps that form and W_tot = W₂W₁ = u zᵀ (V = I). With S_i = f_i², ε̃ = U_rᵀ(y − Xβ)
and D = −∂𝓛/∂W_tot = 2[(β − uz)⊙S + ε̃⊙√S]:

    z ← z + η₁ u D,   u ← u + η₂ D·z

(the seed's ``dzdt_s``/``dudt_s``). Both inits of the seed (constant, and the random rank-one
init) are of that form, so the reduced curves coincide with the network's up to round-off.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .teacher import TeacherData, linear_teacher_data

INITS = ("constant", "rank_one")


@dataclass(frozen=True)
class DDSetup:
    """The seed's parameters (its CLI arguments), all config keys of ``double_descent``."""

    dim: int = 2                  # d
    n_samples: int = 10           # n
    hidden: int = 50              # h
    kappa: float = 10.0           # ratio of the large to the small singular values
    sigma_noise: float = 1.0
    beta: float = 1.0             # β = beta · 1
    test_factor: int = 100        # test set of test_factor · n samples
    init_scales: tuple[float, float] = (0.01, 0.01)
    lrs: tuple[float, float] = (1e-3, 1e-3)
    iterations: int = 100_000
    seed: int = 12

    def __post_init__(self) -> None:
        for key in ("dim", "n_samples", "hidden", "iterations", "test_factor"):
            if getattr(self, key) < 1:
                raise ValueError(f"double_descent.{key} must be >= 1, got {getattr(self, key)}")
        if self.kappa <= 0:
            raise ValueError(f"double_descent.kappa must be > 0, got {self.kappa}")


def teacher_data(setup: DDSetup) -> TeacherData:
    """The seed's linear-teacher data for ``setup`` (:func:`pcrepro.studies.double_descent.teacher.linear_teacher_data`)."""
    return linear_teacher_data(setup.dim, setup.n_samples, setup.kappa, setup.sigma_noise, setup.beta,
                               setup.test_factor, setup.seed)


# -- network --------------------------------------------------------------------------------

Params = dict  # {"w1": [h, d], "w2": [1, h]}


def init_network(setup: DDSetup, init: str) -> Params:
    """``constant``: every weight of layer k equal to init_scales[k]; ``rank_one`` (the seed's
    ``rank_one_init``): W₁ = a qᵀ, W₂ = u b aᵀ with q ~ N(0, s₁²)^d, a = g/‖g‖ (g ~ N(0, 1)^h),
    u ~ N(0, s₂²) and b = ±1, drawn from ``seed``."""
    s1, s2 = setup.init_scales
    h, d = setup.hidden, setup.dim
    if init == "constant":
        return {"w1": np.full((h, d), s1), "w2": np.full((1, h), s2)}
    if init == "rank_one":
        rng = np.random.default_rng(setup.seed)
        q = rng.normal(0.0, s1, d)
        a = rng.standard_normal(h)
        a /= np.linalg.norm(a)
        u = rng.normal(0.0, s2)
        sign = np.sign(rng.standard_normal())
        return {"w1": np.outer(a, q), "w2": (u * sign * a)[None, :]}
    raise ValueError(f"double_descent init {init!r} not in {INITS}")


def reduced_coordinates(params: Params) -> tuple[float, np.ndarray, np.ndarray]:
    """(u, z, a) with W₁ = a zᵀ, W₂ = u aᵀ for a rank-one aligned net: a = W₁'s top left
    singular vector, z = W₁ᵀa, u = W₂a (the sign of a cancels in u zᵀ)."""
    left, _, _ = np.linalg.svd(np.asarray(params["w1"]), full_matrices=False)
    a = left[:, 0]
    w2 = np.asarray(params["w2"])[0]
    if w2 @ a < 0:  # the sign of a is free: take the one with u0 ≥ 0
        a = -a
    return float(w2 @ a), np.asarray(params["w1"]).T @ a, a


def sum_squared(y_hat: jax.Array, y: jax.Array) -> jax.Array:
    return jnp.sum((y_hat - y) ** 2)


def train_network(params: Params, data: TeacherData, setup: DDSetup, direction: np.ndarray,
                  snapshots: tuple[int, ...] = ()) -> tuple[dict[str, np.ndarray], dict[int, Params]]:
    """Full-batch GD for ``setup.iterations`` steps under ``lax.scan``; every quantity of the
    seed's plots is recorded at the weights *before* step t (t = 0 is the init):

    loss, risk, weight norms (‖W₁‖, its large- and small-feature columns, ‖W₂‖), W_tot, the
    relative weight error ((W_tot − β)/β)² per feature, gradient norms of both layers, ranks
    of both layers, and the reduced coordinates u = W₂a, z = W₁ᵀa along the fixed unit
    ``direction`` a (the init's hidden direction). Also returns the weights at ``snapshots``
    (iterations in 0 … T) for the Jacobian and alignment plots."""
    x, y = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    xt, yt = jnp.asarray(data.x_test), jnp.asarray(data.y_test)
    beta, large, a = jnp.asarray(data.beta), jnp.asarray(data.large), jnp.asarray(direction)
    lr1, lr2 = setup.lrs

    def loss_fn(p):
        return sum_squared(x @ p["w1"].T @ p["w2"][0], y)

    def step(p, _):
        loss, grads = jax.value_and_grad(loss_fn)(p)
        w_tot = p["w2"][0] @ p["w1"]
        record = {
            "loss": loss, "risk": sum_squared(xt @ w_tot, yt), "w_tot": w_tot,
            "weight_error": ((w_tot - beta) / beta) ** 2,
            "weight_norms": jnp.stack([jnp.linalg.norm(p["w1"]), jnp.linalg.norm(p["w1"] * large),
                                       jnp.linalg.norm(p["w1"] * ~large), jnp.linalg.norm(p["w2"])]),
            "grad_norms": jnp.stack([jnp.linalg.norm(grads["w1"]), jnp.linalg.norm(grads["w2"])]),
            "ranks": jnp.stack([jnp.linalg.matrix_rank(p["w1"]), jnp.linalg.matrix_rank(p["w2"])]),
            "u": p["w2"][0] @ a, "z": p["w1"].T @ a,
        }
        return {"w1": p["w1"] - lr1 * grads["w1"], "w2": p["w2"] - lr2 * grads["w2"]}, record

    @functools.partial(jax.jit, static_argnums=1)  # one compile per segment length
    def segment(p, n_steps: int):
        return jax.lax.scan(step, p, None, length=n_steps)

    outside = [t for t in snapshots if not 0 <= t <= setup.iterations]
    if outside:
        raise ValueError(f"double_descent.snapshots {outside} outside the {setup.iterations} iterations")
    bounds = sorted({0, setup.iterations, *snapshots})
    p = {k: jnp.asarray(v) for k, v in params.items()}
    saved, records = {0: p}, []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        p, rec = segment(p, stop - start)
        records.append(rec)
        saved[stop] = p
    recorded = {k: np.concatenate([np.asarray(r[k]) for r in records]) for k in records[0]}
    return recorded, {t: {k: np.asarray(v) for k, v in saved[t].items()} for t in snapshots}


# -- reduced dynamics -------------------------------------------------------------------------

def mode_drive(u: jax.Array, z: jax.Array, data: TeacherData) -> jax.Array:
    """D/2 = (β − uz)⊙S + ε̃⊙√S (the seed's ``dt_s``); broadcasts over grids of u and z."""
    s = jnp.asarray(data.singular_values)
    return (jnp.asarray(data.beta) - u * z) * s**2 + jnp.asarray(data.noise_projection) * s


def simulate_reduced(u0: float, z0: np.ndarray, data: TeacherData, setup: DDSetup) -> dict[str, np.ndarray]:
    """Euler steps of the reduced dynamics from (u0, z0), recorded before each step like
    :func:`train_network`: loss, risk, W_tot = u z, relative weight error, |du| and ‖dz‖
    (the gradient norms of W₂ and W₁), u and z."""
    x, y = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    xt, yt, beta = jnp.asarray(data.x_test), jnp.asarray(data.y_test), jnp.asarray(data.beta)
    lr1, lr2 = setup.lrs

    def step(carry, _):
        u, z = carry
        drive = 2.0 * mode_drive(u, z, data)
        grad_u, grad_z = drive @ z, u * drive
        w_tot = u * z
        record = {"loss": sum_squared(x @ w_tot, y), "risk": sum_squared(xt @ w_tot, yt), "w_tot": w_tot,
                  "weight_error": ((w_tot - beta) / beta) ** 2,
                  "grad_norms": jnp.stack([jnp.linalg.norm(grad_z), jnp.abs(grad_u)]), "u": u, "z": z}
        return (u + lr2 * grad_u, z + lr1 * grad_z), record

    run = jax.jit(lambda c: jax.lax.scan(step, c, None, length=setup.iterations))
    _, rec = run((jnp.asarray(u0, jnp.result_type(float)), jnp.asarray(z0)))
    return {k: np.asarray(v) for k, v in rec.items()}


# -- Jacobian and alignment -------------------------------------------------------------------

def jacobian(params: Params, x: np.ndarray) -> np.ndarray:
    """∂ŷ_n/∂θ [n, h·d + h]: W₁ entries (row-major) then W₂'s, as the seed's
    ``get_jacobian_two_layer``: ∂ŷ/∂W₁ = W₂ᵀ xᵀ, ∂ŷ/∂W₂ = (W₁x)ᵀ."""
    w1, w2 = np.asarray(params["w1"]), np.asarray(params["w2"])
    d_w1 = np.einsum("h,nd->nhd", w2[0], x).reshape(x.shape[0], -1)
    return np.concatenate([d_w1, x @ w1.T], axis=1)


def jacobian_shares(params: Params, x: np.ndarray) -> dict[str, np.ndarray]:
    """Singular values σ_i of the Jacobian and the norm of each right singular vector's W₁ part,
    W₂ part and both (the seed's ``compute_jacobian``)."""
    _, sv, vt = np.linalg.svd(jacobian(params, x), full_matrices=True)
    vt = vt[: sv.shape[0]]
    n_w1 = np.asarray(params["w1"]).size
    w1_part, w2_part = np.linalg.norm(vt[:, :n_w1], axis=1), np.linalg.norm(vt[:, n_w1:], axis=1)
    return {"singular_values": sv, "w1": w1_part, "w2": w2_part, "both": np.hypot(w1_part, w2_part)}


def alignment(params: Params, x: np.ndarray) -> dict[str, np.ndarray]:
    """Each layer's weights projected on its input's right singular vectors, against the singular
    values: ‖W₁ v_j‖ vs σ_j(X), and |W₂ v'_j| vs σ_j(Z) for the hidden representation Z = X W₁ᵀ
    (the seed takes a ReLU of Z and ``model[2]``, left over from a ReLU variant; the net is linear
    and its second layer is ``model[1]``). Singular values past the rank are padded with zeros."""
    w1, w2 = np.asarray(params["w1"]), np.asarray(params["w2"])

    def projection(inputs: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _, s, vt = np.linalg.svd(inputs, full_matrices=True)
        s = np.concatenate([s, np.zeros(inputs.shape[1] - s.shape[0])])
        return s, np.linalg.norm(weights @ vt.T, axis=0)

    s_x, w1_proj = projection(x, w1)
    s_z, w2_proj = projection(x @ w1.T, w2)
    return {"input_singular_values": s_x, "w1_projection": w1_proj,
            "hidden_singular_values": s_z, "w2_projection": w2_proj}


# -- vector fields ----------------------------------------------------------------------------

def reduced_field(u: np.ndarray, z: np.ndarray, data: TeacherData) -> tuple[np.ndarray, np.ndarray]:
    """(du, dz) of the reduced flow (the seed's fields, without the common factor 2):
    du = Σ_i d_i z_i, dz = u d with d = :func:`mode_drive`. ``u`` broadcasts against ``z[..., d]``."""
    drive = np.asarray(mode_drive(jnp.asarray(u)[..., None], jnp.asarray(z), data))
    return np.sum(drive * z, axis=-1), np.asarray(u)[..., None] * drive


def total_weight_velocity(u: np.ndarray, z: np.ndarray, data: TeacherData) -> np.ndarray:
    """d(u z)/dt = du·z + u·dz: the flow of the end-to-end weights."""
    du, dz = reduced_field(u, z, data)
    return du[..., None] * z + np.asarray(u)[..., None] * dz


def weight_error_rate(u: np.ndarray, z: np.ndarray, data: TeacherData) -> tuple[np.ndarray, np.ndarray]:
    """r = ‖uz − β‖² and dr/dt = 2 (uz − β)·d(uz)/dt (the seed's "(weight, L)" field; it writes
    r with the label L and drops the factor 2)."""
    w = np.asarray(u)[..., None] * z
    error = w - data.beta
    return np.sum(error**2, axis=-1), 2.0 * np.sum(error * total_weight_velocity(u, z, data), axis=-1)


def setup_from_grid(grid: dict) -> DDSetup:
    """The :class:`DDSetup` of a ``double_descent`` config section."""
    keys = ("dim", "n_samples", "hidden", "kappa", "sigma_noise", "beta", "test_factor", "iterations", "seed")
    return DDSetup(**{k: grid[k] for k in keys}, init_scales=tuple(grid["init_scales"]), lrs=tuple(grid["lrs"]))


def run(setup: DDSetup, init: str, snapshots: tuple[int, ...],
        log: Callable[[str], None] = lambda _: None, control_kappa: float | None = None) -> dict[str, np.ndarray]:
    """Network and reduced dynamics from one init, with Jacobian and alignment snapshots at
    ``snapshots`` and after the last step; with ``control_kappa``, also the network's test risk
    from the same init on data of that κ (``control_risk``: κ = 1 has one feature scale, so
    no second descent)."""
    data = teacher_data(setup)
    params = init_network(setup, init)
    u0, z0, direction = reduced_coordinates(params)
    log(f"{init} init: u0 = {u0:.4g}, z0 = {np.array2string(z0, precision=4)}; "
        f"training singular values {np.array2string(np.linalg.svd(data.x_train, compute_uv=False), precision=6)}")
    network, saved = train_network(params, data, setup, direction, (*snapshots, setup.iterations))  # + the end
    log(f"network: {setup.iterations} GD steps, final loss {network['loss'][-1]:.6g}, risk {network['risk'][-1]:.6g}")
    reduced = simulate_reduced(u0, z0, data, setup)
    gap = np.max(np.abs(network["w_tot"] - reduced["w_tot"])) / np.max(np.abs(network["w_tot"]))
    log(f"reduced dynamics: max |W_tot(net) − u z| / max |W_tot| = {gap:.2e}")
    out = {f"net_{k}": v for k, v in network.items()}
    out.update({f"reduced_{k}": v for k, v in reduced.items()})
    out.update({k: np.asarray(v) for k, v in data._asdict().items()})
    out["snapshots"] = np.asarray(sorted(saved))
    for t in sorted(saved):
        for k, v in {**jacobian_shares(saved[t], data.x_train), **alignment(saved[t], data.x_train)}.items():
            out[f"t{t}_{k}"] = v
    out["reduced_gap"] = np.asarray(gap)
    if control_kappa is not None:
        control = dataclasses.replace(setup, kappa=float(control_kappa))
        risk = train_network(params, teacher_data(control), control, direction, (setup.iterations,))[0]["risk"]
        log(f"control: the same init at κ = {control_kappa:g}, final risk {risk[-1]:.6g}")
        out["control_kappa"], out["control_risk"] = np.asarray(float(control_kappa)), np.asarray(risk)
    return out
