"""Study chains (seed 000): the notebook's runs draw for draw, closed forms of the chain, landscapes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from reference_chains import notebook_runs

from pcrepro.core import theory
from pcrepro.core.energy import pc_energy
from pcrepro.core.inference import euler_inference
from pcrepro.core.nets import NetSpec, forward, init_params
from pcrepro.studies import chains

SETUP = chains.ChainSetup()


def test_chain_theory_is_the_seed_formula():
    x = 1 + 0.1 * np.random.RandomState(0).standard_normal(64)
    y = -x
    closed = np.asarray(theory.origin_energy_hessian(jnp.asarray(x[:, None]), jnp.asarray(y[:, None]),
                                                     chains.chain_spec(1)))
    expected = np.array([[0.0, -(x * y).mean()], [-(x * y).mean(), -(y**2).mean()]])
    np.testing.assert_allclose(closed, expected, rtol=1e-12)


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


@pytest.mark.slow
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


@pytest.mark.slow
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
