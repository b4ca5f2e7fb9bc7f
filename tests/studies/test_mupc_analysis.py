"""Study mupc_analysis (seed 002): activity-Hessian spectra, forward pass and energy theory against theory and dense eigenvalues."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pcrepro.core import theory
from pcrepro.core.energy import mse_loss, pc_energy
from pcrepro.core.hessian import condition_number
from pcrepro.core.inference import infer_activities
from pcrepro.core.nets import forward, init_params
from pcrepro.core.optim import adam_init, adam_step
from pcrepro.studies.mupc_analysis import activity_spectra, energy_theory, forward_pass


def _rms_at_init(setting, depth, act="linear", width=64, seed=0):
    spec = forward_pass.net_spec(setting, act, width, depth)
    params = init_params(jax.random.PRNGKey(seed), spec)
    x = jax.random.normal(jax.random.PRNGKey(1), (32, 784))
    return np.asarray(forward_pass.layer_norms(params, x, spec)[1])  # RMS at layers 1, L/4, L/2, 3L/4, L


@pytest.mark.slow
def test_cell_spectra_match_dense_eigenvalues_of_each_matrix():
    """The study's spectra (D from its blocks, the rest dense) equal eigvalsh of the dense
    matrices; the numerical and theoretical spectra agree."""
    spec = activity_spectra.cell_spec("mupc_skips", "linear", 4, 3)
    out = activity_spectra.cell_spectra(5, spec, jnp.float64)
    k_init, k_data = jax.random.split(jax.random.PRNGKey(5))
    params = init_params(k_init, spec, jnp.float64)
    d, o = theory.activity_hessian_parts(params, spec)
    np.testing.assert_allclose(out["D"], np.linalg.eigvalsh(np.asarray(d)), atol=1e-12)
    np.testing.assert_allclose(out["O"], np.linalg.eigvalsh(np.asarray(o)), atol=1e-12)
    np.testing.assert_allclose(out["num"], out["theory"], atol=1e-9)
    # the reference's data: one example x ~ N(1, 0.1²) with y = x
    x, y = activity_spectra.gaussian_example(k_data, 4, jnp.float64)
    np.testing.assert_array_equal(x, y)


@pytest.mark.slow
def test_sp_orthogonal_condition_number_grows_quadratically_with_depth():
    """sp + orthogonal, no skips, square output: H_z = T_H ⊗ I_N with T_H tridiagonal (2 on the
    diagonal, −1 off it; docs/theory.md with WᵀW = I), so κ(H) = cot²(π / (2(H+1))) ≈ 4(H+1)²/π²:
    quadratic growth in depth (doubling H multiplies κ by ≈ 4), independent of width."""
    kappas = {}
    for n_hidden in (2, 4, 8, 16, 32):
        for width in (3, 8):
            spec = activity_spectra.cell_spec("sp_orthogonal", "linear", width, n_hidden)
            params = init_params(jax.random.PRNGKey(n_hidden), spec)
            kappa = float(condition_number(np.linalg.eigvalsh(np.asarray(theory.activity_hessian(params, spec)))))
            expected = 1.0 / math.tan(math.pi / (2 * (n_hidden + 1))) ** 2
            np.testing.assert_allclose(kappa, expected, rtol=1e-8)
            kappas[n_hidden] = kappa
    assert 3.5 < kappas[16] / kappas[8] < 4.0 and 3.7 < kappas[32] / kappas[16] < 4.0


def test_float32_spectra_within_stated_accuracy_of_float64():
    row = activity_spectra.precision_check(activity_spectra.cell_spec("sp_orthogonal", "linear", 8, 16), 0,
                                           jnp.float32)
    assert row["num_max_abs_err_rel_to_norm"] < 1e-5
    assert row["num_cond_rel_err"] < 1e-3
    assert row["theory_cond_rel_err"] < 1e-3


@pytest.mark.slow
def test_energy_theory_step_uses_the_equilibrated_energy():
    """F recorded by the loop = the energy of GD-equilibrated activities = the closed form F*;
    its weight gradient is ∇F*(W); the loss is the feedforward loss."""
    spec = energy_theory.net_spec("mupc", "linear", 5, 3, input_dim=7, output_dim=4)
    params = init_params(jax.random.PRNGKey(1), spec)
    x = jax.random.normal(jax.random.PRNGKey(2), (6, 7))
    y = jax.random.normal(jax.random.PRNGKey(3), (6, 4))
    loss, energy, grads = energy_theory.equilibrated_step(params, x, y, spec)
    z0, y_hat = forward(params, x, spec)
    hess = theory.activity_hessian(params, spec)
    lam = np.linalg.eigvalsh(np.asarray(hess))
    z = infer_activities(params, z0, x, y, spec, optim="gd", activity_lr=x.shape[0] / lam[-1],
                         n_steps=int(40 * lam[-1] / lam[0]) + 200)
    np.testing.assert_allclose(energy, pc_energy(params, z, x, y, spec), rtol=1e-8)
    np.testing.assert_allclose(energy, theory.equilibrated_energy(params, x, y, spec), rtol=1e-10)
    np.testing.assert_allclose(loss, mse_loss(y_hat, y), rtol=1e-12)
    closed_grads = jax.grad(lambda p: theory.equilibrated_energy(p, x, y, spec))(params)
    for key in params:
        np.testing.assert_allclose(grads[key], closed_grads[key], rtol=1e-7, atol=1e-12)
    assert loss >= energy


@pytest.mark.slow
def test_energy_theory_train_records_before_each_adam_step():
    spec = energy_theory.net_spec("sp", "linear", 3, 2, input_dim=5, output_dim=2)
    params = init_params(jax.random.PRNGKey(0), spec)
    xs = jax.random.normal(jax.random.PRNGKey(1), (3, 4, 5))
    ys = jax.random.normal(jax.random.PRNGKey(2), (3, 4, 2))
    losses, energies = energy_theory.train(params, xs, ys, spec, 0.05)
    p, state = params, adam_init(params)
    for t in range(3):  # an independent loop: closed-form F* and its gradient, optax-equivalent Adam
        np.testing.assert_allclose(energies[t], theory.equilibrated_energy(p, xs[t], ys[t], spec), rtol=1e-9)
        np.testing.assert_allclose(losses[t], mse_loss(forward(p, xs[t], spec)[1], ys[t]), rtol=1e-12)
        g = jax.grad(lambda q: theory.equilibrated_energy(q, xs[t], ys[t], spec))(p)
        p, state = adam_step(p, g, state, 0.05)


@pytest.mark.slow
def test_nonlinear_energy_theory_uses_the_linear_closed_form():
    spec = energy_theory.net_spec("mupc", "tanh", 4, 2, input_dim=5, output_dim=3)
    params = init_params(jax.random.PRNGKey(0), spec)
    x = jax.random.normal(jax.random.PRNGKey(1), (4, 5))
    y = jax.random.normal(jax.random.PRNGKey(2), (4, 3))
    _, energy, _ = energy_theory.equilibrated_step(params, x, y, spec)
    z_lin = theory.equilibrium_activities(params, x, y, dataclasses.replace(spec, act_fn="linear"))
    np.testing.assert_allclose(energy, pc_energy(params, z_lin, x, y, spec), rtol=1e-12)


@pytest.mark.slow
def test_depth_mup_activity_norms_stay_bounded_while_sp_explodes_or_vanishes():
    """From L = 16 to 512 at init: Depth-μP's residual activities stay within a constant factor
    at every recorded layer, sp's grow ((4/3)^{L/2} with skips: Var U(±1/√N) = 1/(3N)) or vanish
    ((1/√3)^L without). (Depth-μP without skips keeps E‖z‖² but not ‖z‖ itself: its log-norm
    random-walks with variance ~L/N, so it is not held to a constant factor at N = 64.)"""
    depths = (16, 64, 512)
    mup = np.array([_rms_at_init("depth_mup_skips", d) for d in depths])  # [depth, layer]
    assert mup[:, :4].max() / mup[:, :4].min() < 5.0, mup
    sp_skips = [_rms_at_init("sp_skips", d)[2] for d in depths]
    assert sp_skips[-1] / sp_skips[0] > 1e10, sp_skips
    sp = [_rms_at_init("sp", d)[2] for d in depths]
    assert sp[-1] / sp[0] < 1e-10, sp


@pytest.mark.slow
def test_forward_pass_records_norms_before_each_step():
    spec = forward_pass.net_spec("depth_mup_skips", "relu", 8, 8)
    params = init_params(jax.random.PRNGKey(0), spec)
    xs = jax.random.normal(jax.random.PRNGKey(1), (3, 16, 784))
    ys = jax.nn.one_hot(jax.random.randint(jax.random.PRNGKey(2), (3, 16), 0, 10), 10)
    norms = forward_pass.track(params, xs, ys, spec, "sgd", 0.1)
    assert norms.shape == (4, 5, 3)
    p = params
    for t in range(3):  # independent: plain SGD on the mean squared error, norms from the raw matrices
        z, y_hat = forward(p, xs[t], spec)
        outs = [z[0], z[1], z[3], z[5], y_hat]  # layers 1, L/4 = 2, L/2 = 4, 3L/4 = 6, L = 8
        ws = [p["w_in"], p["w_hidden"][0], p["w_hidden"][2], p["w_hidden"][4], p["w_out"]]
        np.testing.assert_allclose(norms[0, :, t], [np.mean(np.abs(o)) for o in outs], rtol=1e-10)
        np.testing.assert_allclose(norms[1, :, t], [np.sqrt(np.mean(np.square(o))) for o in outs], rtol=1e-10)
        np.testing.assert_allclose(norms[2, :, t], [np.linalg.norm(w) for w in ws], rtol=1e-10)
        np.testing.assert_allclose(norms[3, :, t], [np.linalg.norm(np.asarray(w), 2) for w in ws], rtol=1e-8)
        g = jax.grad(lambda q: jnp.mean((ys[t] - forward(q, xs[t], spec)[1]) ** 2))(p)
        p = jax.tree.map(lambda a, b: a - 0.1 * b, p, g)
