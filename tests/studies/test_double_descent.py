"""Study double_descent (seed 004): the teacher data and the network against its reduced dynamics."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pcrepro.studies import double_descent as dd

SETUP = dd.DDSetup(iterations=20_000)


@pytest.mark.parametrize("dim, n, kappa, expected", [
    (2, 10, 10.0, [10.0, 1.0]),
    (5, 40, 3.0, [3.0, 3.0, 1.0, 1.0, 1.0]),
    (6, 4, 10.0, [10.0, 10.0, 1.0, 1.0, 0.0, 0.0]),   # sample-wise regime: n < d
])
def test_training_inputs_have_exactly_the_intended_singular_values(dim, n, kappa, expected):
    setup = dataclasses.replace(SETUP, dim=dim, n_samples=n, kappa=kappa)
    data = dd.teacher_data(setup)
    s = np.linalg.svd(data.x_train, compute_uv=False)
    s = np.concatenate([s, np.zeros(dim - s.shape[0])])
    np.testing.assert_allclose(s, expected, atol=1e-12)
    np.testing.assert_allclose(data.singular_values, expected, atol=1e-12)
    # XᵀX = diag(f²): the features are the right singular vectors (V = I), whatever the multiplicities
    np.testing.assert_allclose(data.x_train.T @ data.x_train, np.diag(np.square(expected)), atol=1e-10)
    np.testing.assert_allclose(data.y_test, data.x_test @ data.beta, atol=1e-12)  # noiseless test set
    assert data.x_test.shape == (100 * n, dim)
    assert int(data.large.sum()) == int(np.sum(np.asarray(expected) == kappa))


def test_noise_is_drawn_and_not_z_scored_away():
    data = dd.teacher_data(SETUP)
    residual = data.y_train - data.x_train @ data.beta
    assert np.std(residual) > 0.3   # σ_noise = 1
    # the κ spectrum survives: the column norms keep their ratio κ (z-scoring would make it 1)
    norms = np.linalg.norm(data.x_train, axis=0)
    assert norms[0] / norms[1] == pytest.approx(SETUP.kappa, rel=1e-12)


def test_data_follow_the_seeds_random_stream_draw_for_draw():
    """The seed calls np.random.seed(12) and its linear_model draws, in order, the training inputs,
    the noise in two halves (then shuffled) and the test inputs from numpy's global legacy
    generator. A transcription of those calls on the global stream gives the same arrays."""
    import math

    setup = SETUP
    n, d = setup.n_samples, setup.dim
    state = np.random.get_state()
    try:
        np.random.seed(setup.seed)
        x0 = np.random.randn(n * d).reshape(n, d) * np.ones((1, d))   # sigmas = 1, not normalised
        _, s, vh = np.linalg.svd(x0, full_matrices=True)
        f = np.sort(np.concatenate([np.ones(math.ceil(d / 2)), np.full(d - math.ceil(d / 2), setup.kappa)]))[::-1]
        transform = vh.T @ np.diag(1 / s) @ np.diag(f)               # transform_data: Vᵀ S⁻¹ F
        xs = x0 @ transform
        split = math.ceil(n / 2)
        eps = np.concatenate([setup.sigma_noise * np.random.randn(split), setup.sigma_noise * np.random.randn(n - split)])
        np.random.shuffle(eps)
        ys = xs @ np.full(d, setup.beta) + eps
        xt = (np.random.randn(100 * n * d).reshape(100 * n, d) * np.ones((1, d))) @ transform
    finally:
        np.random.set_state(state)
    data = dd.teacher_data(setup)
    np.testing.assert_allclose(data.x_train, xs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(data.y_train, ys, rtol=0, atol=1e-12)
    np.testing.assert_allclose(data.x_test, xt, rtol=0, atol=1e-12)


def test_mode_drive_is_minus_the_loss_gradient_in_total_weights():
    data = dd.teacher_data(SETUP)
    rng = np.random.default_rng(3)
    u, z = 0.7, rng.standard_normal(SETUP.dim)

    def loss(w):
        return jnp.sum((jnp.asarray(data.x_train) @ w - jnp.asarray(data.y_train)) ** 2)

    grad = jax.grad(loss)(jnp.asarray(u * z))
    np.testing.assert_allclose(2 * np.asarray(dd.mode_drive(u, jnp.asarray(z), data)), -np.asarray(grad), rtol=1e-10)


@pytest.mark.parametrize("init", dd.INITS)
def test_reduced_dynamics_match_the_network_initialised_in_reduced_form(init):
    """Both inits are rank one and aligned: over 20 000 GD steps the network's end-to-end weights,
    loss, risk, gradient norms and (u, z) stay within 1e-9 (relative) of the reduced dynamics."""
    data = dd.teacher_data(SETUP)
    params = dd.init_network(SETUP, init)
    u0, z0, a = dd.reduced_coordinates(params)
    net, _ = dd.train_network(params, data, SETUP, a)
    red = dd.simulate_reduced(u0, z0, data, SETUP)
    scale = np.max(np.abs(net["w_tot"]))
    assert np.max(np.abs(net["w_tot"] - red["w_tot"])) < 1e-9 * scale
    for key in ("loss", "risk", "grad_norms", "u", "z"):
        np.testing.assert_allclose(net[key], red[key], rtol=1e-8, atol=1e-12 * np.max(np.abs(net[key])))
    assert net["loss"][-1] < 0.2 * net["loss"][0]   # it did train (20 000 of the seed's 100 000 steps)


def test_reduced_dynamics_do_not_describe_a_generic_init():
    """A full-rank random first layer leaves the reduced form: the same comparison fails."""
    data = dd.teacher_data(SETUP)
    rng = np.random.default_rng(0)
    params = {"w1": 0.3 * rng.standard_normal((SETUP.hidden, SETUP.dim)),
              "w2": 0.3 * rng.standard_normal((1, SETUP.hidden))}
    u0, z0, a = dd.reduced_coordinates(params)
    net, _ = dd.train_network(params, data, SETUP, a)
    red = dd.simulate_reduced(u0, z0, data, SETUP)
    assert np.max(np.abs(net["w_tot"][:2000] - red["w_tot"][:2000])) > 1e-3


def test_jacobian_matches_autodiff():
    data = dd.teacher_data(SETUP)
    rng = np.random.default_rng(1)
    params = {"w1": rng.standard_normal((SETUP.hidden, SETUP.dim)), "w2": rng.standard_normal((1, SETUP.hidden))}

    def outputs(flat):
        w1 = flat[: params["w1"].size].reshape(params["w1"].shape)
        w2 = flat[params["w1"].size:].reshape(params["w2"].shape)
        return jnp.asarray(data.x_train) @ w1.T @ w2[0]

    flat = jnp.concatenate([jnp.ravel(params["w1"]), jnp.ravel(params["w2"])])
    np.testing.assert_allclose(dd.jacobian(params, data.x_train), np.asarray(jax.jacfwd(outputs)(flat)), rtol=1e-12)
    shares = dd.jacobian_shares(params, data.x_train)
    np.testing.assert_allclose(shares["both"], 1.0, rtol=1e-10)  # unit right singular vectors


def test_reduced_field_is_the_flow_of_the_reduced_loss():
    """(du, dz) = −½ ∂𝓛/∂(u, z) for 𝓛(u, z) = Σ_n (y_n − u zᵀx_n)², on a grid."""
    data = dd.teacher_data(SETUP)

    def loss(u, z):
        return jnp.sum((jnp.asarray(data.x_train) @ (u * z) - jnp.asarray(data.y_train)) ** 2)

    for u, z in [(0.5, np.array([1.0, -2.0])), (-3.0, np.array([0.1, 4.0]))]:
        du, dz = dd.reduced_field(np.asarray(u), z, data)
        gu, gz = jax.grad(loss, argnums=(0, 1))(u, jnp.asarray(z))
        np.testing.assert_allclose(du, -0.5 * float(gu), rtol=1e-10)
        np.testing.assert_allclose(dz, -0.5 * np.asarray(gz), rtol=1e-10)
        w_dot = dd.total_weight_velocity(np.asarray(u), z, data)
        np.testing.assert_allclose(w_dot, du * z + u * dz, rtol=1e-12)


def test_the_control_run_is_the_same_init_on_data_of_the_control_kappa():
    """run(..., control_kappa=1): its control risk is the κ = 1 reduced dynamics' risk from the same
    init (an independent computation: the reduced form is exact for this init), not the κ = 10 one."""
    setup = dataclasses.replace(SETUP, iterations=3000)
    out = dd.run(setup, "constant", (), control_kappa=1.0)
    control = dataclasses.replace(setup, kappa=1.0)
    u0, z0, _ = dd.reduced_coordinates(dd.init_network(control, "constant"))
    reduced = dd.simulate_reduced(u0, z0, dd.teacher_data(control), control)
    assert float(out["control_kappa"]) == 1.0 and out["control_risk"].shape == out["net_risk"].shape
    np.testing.assert_allclose(out["control_risk"], reduced["risk"], rtol=1e-8)
    assert not np.allclose(out["control_risk"], out["net_risk"], rtol=1e-3)
    assert "control_risk" not in dd.run(setup, "constant", ())
