"""Studies chains (seed 000) and dln_hessian (seed 001): training, landscapes and weight
Hessians held to the closed forms of THEORY.md and to independent implementations."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from reference_chains import notebook_runs

from pcrepro.core import hessian, landscape, theory
from pcrepro.core.energy import mse_loss, pc_energy
from pcrepro.core.inference import euler_inference, euler_inference_halving
from pcrepro.core.nets import NetSpec, forward, init_params
from pcrepro.studies import chains
from pcrepro.studies import dln_hessian as dln

SETUP = chains.ChainSetup()


def _zero_params(spec):
    n = spec.width
    return {"w_in": jnp.zeros((n, spec.input_dim)), "w_hidden": jnp.zeros((spec.n_hidden - 1, n, n)),
            "w_out": jnp.zeros((spec.output_dim, n))}


# ------------------------------------------------------------------ Hessians at the origin

CASES = [  # (input dim, width, H, output dim): chains, then deep linear nets
    (1, 1, 1, 1), (1, 1, 2, 1), (1, 1, 5, 1), (1, 1, 10, 1), (2, 10, 1, 2), (2, 5, 2, 2), (3, 4, 3, 3), (3, 4, 4, 3)]


@pytest.mark.parametrize("d, n, h, d_y", CASES)
def test_energy_hessian_at_origin_tends_to_the_closed_form_strict_saddle(d, n, h, d_y):
    x, y = dln.toy_sample(0, h, 64, 1.0, 0.1) if d > 1 else (None, None)
    if d == 1:
        x = 1 + 0.1 * np.random.RandomState(h).standard_normal((64, 1))
        y = -x
    x, y = jnp.asarray(x[:, :d]), jnp.asarray(y[:, :d_y])
    spec = NetSpec(d, n, h, d_y)
    zero = _zero_params(spec)
    # At W = 0 the activities relax as (1 − dt)^t, so 300 steps put the Hessian within
    # ~(0.9)^600 ≈ 1e-27 of its limit: we hold it to 1e-10.
    numeric = hessian.energy_hessians(spec, zero, x, y, [0, 300], dt=0.1)[300]
    closed = np.asarray(theory.origin_energy_hessian(x, y, spec))
    np.testing.assert_allclose(numeric, closed, atol=1e-10)
    sigma_yy = np.asarray(y.T @ y) / x.shape[0]
    lam = np.linalg.eigvalsh(numeric)
    lam_yy = np.linalg.eigvalsh(sigma_yy)[-1]
    assert lam[0] < 0  # a strict saddle
    if h >= 2:  # only the last block is non-zero: λ_min = −λ_max(Σ_yy)
        assert np.isclose(lam[0], -lam_yy, rtol=1e-8)
    else:  # the cross block pushes it further down
        assert lam[0] < -lam_yy
    loss = hessian.loss_hessian(spec, zero, x, y)
    if h >= 2:
        assert np.abs(loss).max() == 0.0  # the loss is flat to second order at the origin
    else:  # H = 1: the loss Hessian is exactly the cross term, and the energy adds −Σ_yy ⊗ I
        np.testing.assert_allclose(loss[: n * d, n * d:], closed[: n * d, n * d:], atol=1e-12)


def test_chain_theory_is_the_seed_formula():
    x = 1 + 0.1 * np.random.RandomState(0).standard_normal(64)
    y = -x
    closed = np.asarray(theory.origin_energy_hessian(jnp.asarray(x[:, None]), jnp.asarray(y[:, None]),
                                                     chains.chain_spec(1)))
    expected = np.array([[0.0, -(x * y).mean()], [-(x * y).mean(), -(y**2).mean()]])
    np.testing.assert_allclose(closed, expected, rtol=1e-12)


def test_dense_hessian_equals_jax_hessian():
    w = jnp.asarray(np.random.RandomState(1).standard_normal(37))

    def f(v):
        return jnp.sum(jnp.sin(v) * jnp.roll(v, 1) ** 2) + jnp.sum(v) ** 3

    np.testing.assert_allclose(hessian.dense_hessian(f, w, chunk_size=8), jax.hessian(f)(w), rtol=1e-12)


def test_flat_order_is_row_major_per_layer():
    spec = NetSpec(3, 4, 3, 2)
    params = init_params(jax.random.PRNGKey(0), spec)
    flat = hessian.flatten_weights(params)
    s = hessian.layer_slices(spec)
    assert flat[s[0]][1 * 3 + 2] == params["w_in"][1, 2]      # W_1[i, j] at i·fan_in + j
    assert flat[s[2]][3 * 4 + 0] == params["w_hidden"][1, 3, 0]
    back = hessian.unflatten_weights(flat, spec)
    assert all(np.array_equal(back[k], params[k]) for k in params)


def test_pooled_heatmap_keeps_the_largest_entry_of_each_block():
    m = np.zeros((10, 10))
    m[0, 1], m[7, 8], m[9, 9] = -3.0, 2.0, 0.5
    pooled, k = hessian.pooled_for_display(m, 4)
    assert k == 3 and pooled.shape == (4, 4)
    assert pooled[0, 0] == -3.0 and pooled[2, 2] == 2.0 and pooled[3, 3] == 0.5


# ------------------------------------------------------------------ inference and F*

def test_single_unit_inference_converges_to_the_closed_form():
    rng = np.random.RandomState(3)
    w1, w2 = 0.7, -1.3
    x = jnp.asarray(1 + 0.1 * rng.standard_normal((64, 1)))
    y = -x
    params = chains.chain_params(jnp.array([w1, w2]))
    spec = chains.chain_spec(1)
    z0, _ = forward(params, x, spec)
    z, _ = euler_inference(params, z0, x, y, spec, dt=0.1, n_steps=400)
    np.testing.assert_allclose(z[0, :, 0], chains.equilibrium_z(w1, w2, x[:, 0], y[:, 0]), rtol=1e-10)


def test_pc_weight_gradient_at_equilibrium_is_the_gradient_of_f_star():
    spec = NetSpec(3, 4, 2, 2)
    params = jax.tree.map(lambda w: 0.6 * w, init_params(jax.random.PRNGKey(5), spec, jnp.float64))
    rng = np.random.RandomState(5)
    x, y = jnp.asarray(rng.standard_normal((32, 3))), jnp.asarray(rng.standard_normal((32, 2)))
    z0, _ = forward(params, x, spec)
    z, _ = euler_inference(params, z0, x, y, spec, dt=0.1, n_steps=3000)
    pc_grad = jax.grad(pc_energy)(params, z, x, y, spec)
    closed = jax.grad(theory.equilibrated_energy)(params, x, y, spec)
    for k in params:
        np.testing.assert_allclose(pc_grad[k], closed[k], atol=1e-10)


def test_step_halving_rule_matches_a_direct_transcription():
    spec = NetSpec(2, 3, 2, 2)
    params = jax.tree.map(lambda w: 3.0 * w, init_params(jax.random.PRNGKey(2), spec, jnp.float64))
    x, y = (jnp.asarray(a) for a in dln.toy_sample(0, 2, 64, 1.0, 0.1))
    z0, _ = forward(params, x, spec)
    got = np.asarray(euler_inference_halving(params, z0, x, y, spec, dt=0.1, n_steps=30))
    # seed 001's infer_train, step by step
    grad = jax.grad(pc_energy, argnums=1)
    z, step, energies = z0, 0.1, []
    for t in range(30):
        z = z - step * 64 * grad(params, z, x, y, spec)
        energies.append(float(pc_energy(params, z, x, y, spec)))
        if t > 0 and energies[t] >= energies[t - 1] and step > 0.025:
            step /= 2
            if step <= 0.025:
                break
    energies += [energies[-1]] * (30 - len(energies))
    assert len(set(np.round(np.diff(got[1:]), 14))) > 1
    np.testing.assert_allclose(got, [float(pc_energy(params, z0, x, y, spec))] + energies, rtol=1e-12)


# ------------------------------------------------------------------ chains: training, landscapes

@pytest.mark.parametrize("h, n_bp, stop, seed", [(1, 15, 1e-3, 1), (2, 100, None, 2)])
def test_chain_runs_equal_the_notebook_loops_draw_for_draw(h, n_bp, stop, seed):
    out = chains.analyse_depth(h, setup=SETUP, seeds=[seed], bp_iterations=n_bp, pc_iterations=50,
                               pc_stop_below_test_loss=stop, landscape_seed=seed, landscape_domain=1.0,
                               landscape_resolution=4, hessian_seed=seed, log=lambda m: None)
    bp, pc, bp_land_x, pc_land_x, hessian_x = notebook_runs(seed, h, n_bp, 50, stop)
    np.testing.assert_allclose(out["bp_train_loss"][0], bp["train"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(out["bp_test_loss"][0], bp["test"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(out["bp_weights"][0], bp["w"], rtol=1e-10)
    n = int(out["pc_iterations_run"][0])
    assert n == len(pc["train"])
    np.testing.assert_allclose(out["pc_train_loss"][0][:n], pc["train"], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(out["pc_weights"][0][: n + 1], pc["w"], rtol=1e-9)
    np.testing.assert_allclose(out["landscape_bp_x"], bp_land_x, rtol=1e-15)
    np.testing.assert_allclose(out["landscape_pc_x"], pc_land_x, rtol=1e-15)
    np.testing.assert_allclose(out["hessian_x"], hessian_x, rtol=1e-15)
    if stop is not None:  # the 1-unit chain stops once its test loss is below the threshold
        assert pc["test"][-1] < stop and (n == 50 or min(pc["test"][:-1]) >= stop)


def test_landscape_grid_points_equal_direct_evaluation():
    rng = np.random.RandomState(0)
    x = 1 + 0.1 * rng.standard_normal(64)
    land = chains.chain_landscape(1, x, -x, domain=1.0, resolution=7, n_steps=20, dt=0.1)
    i, j = 1, 5
    w = np.array([land.axis[i], land.axis[j]])
    assert np.isclose(land.loss[i, j], chains.chain_loss(w, x, -x), rtol=1e-12)
    assert np.isclose(land.equilibrium[i, j], chains.chain_equilibrated_energy(w, x, -x), rtol=1e-12)
    # the seed's own 1-unit inference loop, written out
    z = w[0] * x
    for _ in range(5):
        e2, e1 = -x - w[1] * z, z - w[0] * x
        z = z - 0.1 * (e1 - w[1] * e2)
    e2, e1 = -x - w[1] * z, z - w[0] * x
    assert np.isclose(land.energy[i, j, 5], np.mean(0.5 * e1**2 + 0.5 * e2**2), rtol=1e-12)
    np.testing.assert_allclose(land.energy_descent[i, j, 5], [np.mean(e1 * x), np.mean(e2 * z)], rtol=1e-10)
    # H = 2: axis k of the volume is w_{k+1} (the seed's mesh swapped w1 and w2)
    vol = chains.chain_landscape(2, x, -x, domain=2.0, resolution=5, n_steps=20, dt=0.1)
    w = np.array([vol.axis[0], vol.axis[3], vol.axis[4]])
    assert np.isclose(vol.loss[0, 3, 4], chains.chain_loss(w, x, -x), rtol=1e-12)
    assert np.isclose(vol.equilibrium[0, 3, 4], chains.chain_equilibrated_energy(w, x, -x), rtol=1e-12)
    spec = chains.chain_spec(2)
    f_star = theory.equilibrated_energy(chains.chain_params(jnp.asarray(w)), jnp.asarray(x[:, None]),
                                        jnp.asarray(-x[:, None]), spec)
    assert np.isclose(vol.equilibrium[0, 3, 4], f_star, rtol=1e-12)


def test_projected_loss_grid_point_equals_direct_loss():
    spec = NetSpec(3, 4, 3, 3)
    x, y = (jnp.asarray(a) for a in dln.toy_sample(0, 3, 64, 1.0, 0.1))
    params = dln.init_dln(spec, "other_saddle", 0)
    w0 = hessian.flatten_weights(params)
    dirs = jnp.asarray(np.random.RandomState(0).standard_normal((2, w0.shape[0])))
    grid = landscape.projected_loss(spec, w0, dirs, x, y, domain=0.5, resolution=5)
    a, b = landscape.projection_axes(0.5, 5)[[1, 4]]
    direct = mse_loss(forward(hessian.unflatten_weights(w0 + a * dirs[0] + b * dirs[1], spec), x, spec)[1], y)
    assert np.isclose(grid[1, 4], direct, rtol=1e-12)


def test_other_saddle_keeps_only_the_penultimate_matrix():
    spec = NetSpec(3, 4, 4, 3)
    params = dln.init_dln(spec, "other_saddle", 0)
    assert not np.any(params["w_in"]) and not np.any(params["w_out"]) and not np.any(params["w_hidden"][:-1])
    bound = 1 / np.sqrt(4)
    assert np.all(np.abs(params["w_hidden"][-1]) <= bound) and np.any(params["w_hidden"][-1])


def test_toy_sample_is_the_notebooks_draw():
    np.random.seed(0)
    x = np.random.normal(1.0, 0.1, (3, 64))
    y2 = np.random.normal(1.0, 0.1, 64)
    got_x, got_y = dln.toy_sample(0, 4, 64, 1.0, 0.1)
    np.testing.assert_array_equal(got_x, x.T)
    np.testing.assert_array_equal(got_y[:, 1], y2)
    np.testing.assert_array_equal(got_y[:, [0, 2]], -x.T[:, [0, 2]])
