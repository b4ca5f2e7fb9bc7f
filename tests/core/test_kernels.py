"""pcrepro.core: the stacked-layer nets, energies, inference and optimisers against naive per-layer code, closed forms and optax."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from reference import naive_energy, naive_forward, unstack

from pcrepro.core import theory
from pcrepro.core.energy import (
    RoundOff,
    activity_grad,
    activity_grad_explicit,
    mse_loss,
    pc_energy,
)
from pcrepro.experimental.fused_grad import activity_grad_fused
from pcrepro.core.inference import infer_activities
from pcrepro.core.nets import NetSpec, forward, init_params, predict
from pcrepro.core.optim import adam_init, adam_step

CASES = list(itertools.product(["sp", "mupc", "depth_mup"], [False, True], ["linear", "tanh", "relu"]))


def _problem(param_type, skips, act_fn, n_hidden=4, width=6, d_in=5, d_out=3, batch=7, seed=0):
    init = "standard" if param_type == "sp" else "standard_gauss"
    spec = NetSpec(d_in, width, n_hidden, d_out, act_fn, param_type, skips, init)
    k1, k2, k3, k4 = jax.random.split(jax.random.PRNGKey(seed), 4)
    params = init_params(k1, spec)
    x = jax.random.normal(k2, (batch, d_in))
    y = jax.random.normal(k3, (batch, d_out))
    z = jax.random.normal(k4, (n_hidden, batch, width))
    return spec, params, x, y, z


def _activity_norm_ratio(param_type, depth, width=128, seed=0):
    init = "standard" if param_type == "sp" else "standard_gauss"
    spec = NetSpec(784, width, depth, 10, "relu", param_type, True, init)
    params = init_params(jax.random.PRNGKey(seed), spec)
    x = jax.random.normal(jax.random.PRNGKey(1), (16, 784))
    z, _ = forward(params, x, spec)
    norms = jnp.linalg.norm(z, axis=-1).mean(axis=1)  # per layer, mean over the batch
    return float(norms[-1] / norms[0]), float(norms[-1])


@pytest.mark.parametrize("param_type,skips,act_fn", CASES)
def test_stacked_energy_and_gradients_match_naive_per_layer(param_type, skips, act_fn):
    spec, params, x, y, z = _problem(param_type, skips, act_fn)
    decay = 0.3

    def naive(p, zz):
        return naive_energy(unstack(p), list(zz), x, y, act_fn, param_type, skips, decay)

    np.testing.assert_allclose(pc_energy(params, z, x, y, spec, decay), naive(params, z), rtol=1e-12)
    np.testing.assert_allclose(activity_grad(params, z, x, y, spec, decay),
                               jax.grad(naive, argnums=1)(params, z), rtol=1e-10, atol=1e-12)
    stacked_w = jax.grad(pc_energy)(params, z, x, y, spec, decay)
    naive_w = jax.grad(naive)(params, z)
    for key in ("w_in", "w_hidden", "w_out"):
        np.testing.assert_allclose(stacked_w[key], naive_w[key], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("param_type,skips,act_fn", CASES)
def test_written_out_activity_gradient_equals_autodiff(param_type, skips, act_fn):
    spec, params, x, y, z = _problem(param_type, skips, act_fn)
    decay = 0.3

    def naive(zz):
        return naive_energy(unstack(params), list(zz), x, y, act_fn, param_type, skips, decay)

    np.testing.assert_allclose(activity_grad_explicit(params, z, x, y, spec, decay), jax.grad(naive)(z),
                               rtol=1e-10, atol=1e-12)
    # at ReLU's kink the project's φ′(0) = 0 (jax.nn.relu), where the naive jnp.maximum takes ½
    z = z.at[0, 0, :3].set(0.0)
    np.testing.assert_allclose(activity_grad_explicit(params, z, x, y, spec, decay),
                               activity_grad(params, z, x, y, spec, decay), rtol=1e-10, atol=1e-12)
    off = _round_off(z)  # errors net of a feedforward round-off: the same in both forms
    np.testing.assert_allclose(activity_grad_explicit(params, z, x, y, spec, decay, off),
                               activity_grad(params, z, x, y, spec, decay, off), rtol=1e-10, atol=1e-12)
    spec, params, x, y, z = _problem(param_type, skips, act_fn, n_hidden=1)  # no hidden weights
    np.testing.assert_allclose(activity_grad_explicit(params, z, x, y, spec, decay),
                               activity_grad(params, z, x, y, spec, decay), rtol=1e-12, atol=1e-14)


def _round_off(z):
    """A made-up feedforward round-off of the errors (any constant serves the identity)."""
    k1, k2 = jax.random.split(jax.random.PRNGKey(11))
    return RoundOff(1e-3 * jax.random.normal(k1, z[0].shape, z.dtype), 1e-3 * jax.random.normal(k2, z[1:].shape, z.dtype))




@pytest.mark.slow  # unproven code (pcrepro.experimental), used by no cell: the slow lane checks it
@pytest.mark.parametrize("param_type,skips,act_fn", CASES)
def test_kernel_reading_each_hidden_weight_once_gives_the_activity_gradient(param_type, skips, act_fn):
    """The Pallas kernel, interpreted (it compiles for GPUs only), against autodiff in float64: blocks
    of 4 rows and 2 columns walk the 8 × 8 weights in several tiles each way; ReLU's kink included."""
    spec, params, x, y, z = _problem(param_type, skips, act_fn, width=8)
    z = z.at[1, 0, :3].set(0.0)
    expected = activity_grad(params, z, x, y, spec, 0.3)
    fused = activity_grad_fused(params, z, x, y, spec, 0.3, interpret=True, row_block=4, col_block=2)
    np.testing.assert_allclose(fused, expected, rtol=1e-10, atol=1e-12)
    off = _round_off(z)
    np.testing.assert_allclose(activity_grad_fused(params, z, x, y, spec, 0.3, off, interpret=True, row_block=4,
                                                   col_block=2),
                               activity_grad(params, z, x, y, spec, 0.3, off), rtol=1e-10, atol=1e-12)
    spec, params, x, y, z = _problem(param_type, skips, act_fn, n_hidden=1, width=8)  # no hidden weights
    np.testing.assert_allclose(activity_grad_fused(params, z, x, y, spec, interpret=True),
                               activity_grad(params, z, x, y, spec), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("param_type,skips,act_fn", CASES)
def test_forward_matches_naive_and_zeroes_hidden_errors(param_type, skips, act_fn):
    spec, params, x, y, _ = _problem(param_type, skips, act_fn)
    z, y_hat = forward(params, x, spec)
    zs_ref, y_ref = naive_forward(unstack(params), x, act_fn, param_type, skips)
    np.testing.assert_allclose(z, jnp.stack(zs_ref), rtol=1e-12)
    np.testing.assert_allclose(y_hat, y_ref, rtol=1e-12)
    np.testing.assert_allclose(predict(params, x, spec), y_ref, rtol=1e-12)
    # at the feedforward activities the energy is the loss
    np.testing.assert_allclose(pc_energy(params, z, x, y, spec), mse_loss(y_hat, y), rtol=1e-12)


@pytest.mark.parametrize("param_type,skips", [("sp", False), ("sp", True), ("mupc", False), ("mupc", True)])
def test_gd_inference_reaches_closed_form_equilibrium_and_energy(param_type, skips):
    spec, params, x, y, _ = _problem(param_type, skips, "linear", n_hidden=3, width=5)
    z0, _ = forward(params, x, spec)
    # a safe step: 1/λ_max of the per-batch Hessian (F carries 1/B)
    hess = theory.activity_hessian(params, spec)
    lam = jnp.linalg.eigvalsh(hess)
    lr = x.shape[0] / float(lam[-1])
    n_steps = int(30 * lam[-1] / lam[0]) + 200
    z = infer_activities(params, z0, x, y, spec, optim="gd", activity_lr=lr, n_steps=n_steps)
    z_star = theory.equilibrium_activities(params, x, y, spec)
    np.testing.assert_allclose(z, z_star, atol=1e-7)
    f_star = theory.equilibrated_energy(params, x, y, spec)
    np.testing.assert_allclose(pc_energy(params, z, x, y, spec), f_star, rtol=1e-5)
    # the closed form is the minimum: the energy at the exact equilibrium equals it to round-off
    np.testing.assert_allclose(pc_energy(params, z_star, x, y, spec), f_star, rtol=1e-10)


def test_scalar_output_equilibrated_energy_is_loss_over_s():
    """docs/theory.md: for a scalar output, F* = 𝓛 / S."""
    spec, params, x, y, _ = _problem("sp", False, "linear", n_hidden=2, width=4, d_out=1)
    z0, y_hat = forward(params, x, spec)
    maps = [params["w_out"]] + [params["w_out"] @ params["w_hidden"][0]]
    s = 1.0 + sum(float((m @ m.T)[0, 0]) for m in maps)
    np.testing.assert_allclose(theory.equilibrated_energy(params, x, y, spec), mse_loss(y_hat, y) / s, rtol=1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("skips", [False, True])
def test_theoretical_activity_hessian_equals_autodiff(skips):
    spec, params, x, y, z = _problem("mupc", skips, "linear", n_hidden=3, width=4, batch=1)
    decay = 0.2
    flat = lambda v: pc_energy(params, v.reshape(z.shape), x, y, spec, decay)  # noqa: E731
    numerical = jax.hessian(flat)(z.reshape(-1))
    np.testing.assert_allclose(numerical, theory.activity_hessian(params, spec, decay), atol=1e-10)


@pytest.mark.slow
def test_mupc_keeps_activity_norms_order_one_while_sp_explodes():
    """μPC's 1/√(N·L) residual scaling keeps ‖z_H‖ within a constant factor of ‖z_1‖ from depth 8
    to 128; sp with skips (no scaling) grows without bound."""
    for depth in (8, 32, 128):
        ratio, _ = _activity_norm_ratio("mupc", depth)
        assert 0.2 < ratio < 5.0, (depth, ratio)
    sp_ratios = [_activity_norm_ratio("sp", d)[0] for d in (8, 32, 128)]
    assert sp_ratios[-1] > 1e3 and sp_ratios[-1] > 10 * sp_ratios[0], sp_ratios


def test_adam_matches_optax_step_by_step():
    params = {"a": jnp.array([[1.0, -2.0], [0.5, 3.0]]), "b": jnp.array([0.1, -0.3, 2.0])}
    grads = [jax.tree_util.tree_map(lambda p, i=i: jnp.sin(p * (i + 1)), params) for i in range(6)]
    opt = optax.adam(0.05)
    ours, state = params, adam_init(params)
    ref, ref_state = params, opt.init(params)
    for g in grads:
        ours, state = adam_step(ours, g, state, 0.05)
        updates, ref_state = opt.update(g, ref_state, ref)
        ref = optax.apply_updates(ref, updates)
        for k in params:
            np.testing.assert_allclose(ours[k], ref[k], rtol=1e-12, atol=1e-14)


def test_adam_inference_matches_optax():
    # Start away from the feedforward pass: there the lower layers' gradients are round-off
    # (~1e-17) and Adam's ε-regime turns round-off differences into visible ones.
    spec, params, x, y, z0 = _problem("mupc", True, "tanh")
    z = infer_activities(params, z0, x, y, spec, optim="adam", activity_lr=0.1, n_steps=5)
    opt, ref = optax.adam(0.1), z0
    state = opt.init(ref)
    for _ in range(5):
        updates, state = opt.update(activity_grad(params, ref, x, y, spec), state, ref)
        ref = optax.apply_updates(ref, updates)
    np.testing.assert_allclose(z, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("init", ["orthogonal", *(pytest.param(init, marks=pytest.mark.slow)
                                                 for init in ("standard_gauss", "standard", "one_over_N"))])
def test_weights_drawn_matrix_by_matrix_are_those_drawn_by_one_program(init):
    """draw_params (one small program per matrix shape, outside jit) draws init_params's
    weights bit for bit, whatever the depth, dtype and init."""
    from pcrepro.core.nets import draw_params

    for n_hidden, dtype in [(1, jnp.float32), (3, jnp.float64)]:
        spec = NetSpec(5, 4, n_hidden, 3, "linear", "sp", False, init, init_gain=1.05)
        key = jax.random.PRNGKey(11)
        whole = jax.jit(lambda k: init_params(k, spec, dtype))(key)
        drawn = draw_params(key, spec, dtype)
        assert jax.tree.structure(drawn) == jax.tree.structure(whole)
        for name in whole:
            assert drawn[name].dtype == whole[name].dtype and drawn[name].shape == whole[name].shape
            np.testing.assert_array_equal(drawn[name], whole[name], err_msg=f"{init} H={n_hidden} {name}")
