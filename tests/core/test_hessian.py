"""pcrepro.core.hessian / theory / landscape: numerical Hessians and landscapes against closed forms and direct evaluation."""


import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pcrepro.core import hessian, landscape, theory
from pcrepro.core.energy import mse_loss, pc_energy
from pcrepro.core.hessian import activity_hessian
from pcrepro.core.inference import euler_inference_halving
from pcrepro.core.nets import NetSpec, forward, init_params
from pcrepro.studies import dln_hessian as dln


def _zero_params(spec):
    n = spec.width
    return {"w_in": jnp.zeros((n, spec.input_dim)), "w_hidden": jnp.zeros((spec.n_hidden - 1, n, n)),
            "w_out": jnp.zeros((spec.output_dim, n))}


CASES = [  # (input dim, width, H, output dim): chains, then deep linear nets
    (1, 1, 1, 1), (1, 1, 2, 1), (1, 1, 5, 1), (1, 1, 10, 1), (2, 10, 1, 2), (2, 5, 2, 2), (3, 4, 3, 3), (3, 4, 4, 3)]


def _linear_net(param_type, skips, n_hidden=4, width=5, d_in=6, d_out=3, seed=0):
    init = "standard" if param_type == "sp" else "standard_gauss"
    spec = NetSpec(d_in, width, n_hidden, d_out, "linear", param_type, skips, init)
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(seed), 3)
    params = init_params(k1, spec)
    x = jax.random.normal(k2, (1, d_in))
    y = jax.random.normal(k3, (1, d_out))
    return spec, params, x, y


def _blocks_from_theory_md(params, spec, decay):
    """docs/theory.md's block formulas written out layer by layer (an independent transcription)."""
    a, n, h = spec.scalings, spec.width, spec.n_hidden
    eye = np.eye(n)
    full = np.zeros((h * n, h * n))
    for ell in range(h):  # 0-based hidden layer ℓ+1
        if ell < h - 1:
            w = np.asarray(params["w_hidden"][ell])
            s = a.a_hidden
            if spec.skips:
                diag = 2 * eye + s**2 * w.T @ w + s * (w + w.T)
                off = -(s * w.T + eye)
            else:
                diag = eye + s**2 * w.T @ w
                off = -s * w.T
            full[ell * n:(ell + 1) * n, (ell + 1) * n:(ell + 2) * n] = off
            full[(ell + 1) * n:(ell + 2) * n, ell * n:(ell + 1) * n] = off.T
        else:
            w = np.asarray(params["w_out"])
            diag = eye + a.a_out**2 * w.T @ w
        full[ell * n:(ell + 1) * n, ell * n:(ell + 1) * n] = diag + decay * eye
    return full


@pytest.mark.slow
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
    m[3, 5], m[4, 3] = -1.5, 1.5  # a tie of opposite signs: the first in the block's raster order
    assert hessian.pooled_for_display(m, 4)[0][1, 1] == -1.5
    m[3, 5], m[4, 3] = 1.5, -1.5
    assert hessian.pooled_for_display(m, 4)[0][1, 1] == 1.5


@pytest.mark.slow
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


@pytest.mark.parametrize("param_type", ["sp", "mupc"])
@pytest.mark.parametrize("skips", [False, True])
@pytest.mark.parametrize("decay", [0.0, 0.3])
def test_numerical_activity_hessian_equals_theory_d_plus_o(param_type, skips, decay):
    spec, params, x, y = _linear_net(param_type, skips)
    z = jax.random.normal(jax.random.PRNGKey(7), (spec.n_hidden, 1, spec.width))  # any z: H_z is constant
    numerical = activity_hessian(params, z, x, y, spec, decay)
    closed = theory.activity_hessian(params, spec, decay)
    d, o = theory.activity_hessian_parts(params, spec, decay)
    np.testing.assert_allclose(numerical, closed, atol=1e-6, rtol=0)
    np.testing.assert_allclose(d + o, closed, atol=1e-12, rtol=0)
    np.testing.assert_allclose(closed, _blocks_from_theory_md(params, spec, decay), atol=1e-12, rtol=0)
    # D holds exactly the diagonal blocks, O exactly the rest
    n = spec.width
    mask = np.kron(np.eye(spec.n_hidden), np.ones((n, n))).astype(bool)
    assert np.all(np.asarray(o)[mask] == 0) and np.all(np.asarray(d)[~mask] == 0)


def test_decay_adds_identity_only():
    spec, params, *_ = _linear_net("mupc", True)
    without = theory.activity_hessian(params, spec)
    with_decay = theory.activity_hessian(params, spec, 0.25)
    np.testing.assert_allclose(with_decay - without, 0.25 * np.eye(without.shape[0]), atol=1e-14)


def test_chunked_hessian_equals_jax_hessian_when_chunks_do_not_divide_the_weights():
    w = jnp.asarray(np.random.RandomState(2).standard_normal(37))

    def f(v, scale):
        return scale * (jnp.sum(jnp.sin(v) * jnp.roll(v, 1) ** 2) + jnp.sum(v) ** 3)

    done = []
    rows = hessian.hessian_rows(f, chunk_size=8)
    for scale in (1.0, -2.5):  # one compiled program, another argument
        numeric = hessian.chunked_hessian(rows, w, scale, 8, on_chunk=done.append)
        np.testing.assert_allclose(numeric, jax.hessian(lambda v: f(v, scale))(w), rtol=1e-12)
    assert done == [8, 16, 24, 32, 37] * 2


@pytest.mark.slow
def test_energy_hessians_equal_the_hessian_of_the_energy_after_exactly_t_steps():
    """Both ways (one program for every t, the steps past t skipped by a cond; a program per t)
    must equal jax.hessian of the energy after exactly t unrolled steps, at a point that is not
    a saddle (random weights, so every step moves z)."""
    spec = NetSpec(3, 4, 3, 2)
    params = init_params(jax.random.PRNGKey(3), spec, jnp.float64)
    x = jnp.asarray(np.random.RandomState(0).standard_normal((16, 3)))
    y = jnp.asarray(np.random.RandomState(1).standard_normal((16, 2)))
    steps = [0, 1, 4, 9]
    w = hessian.flatten_weights(params)
    direct = {t: jax.hessian(hessian.energy_after_fn(spec, x, y, w, t, 0.1))(w) for t in steps}
    for one_program in (True, False):
        calls = []
        numeric = hessian.energy_hessians(spec, params, x, y, steps, dt=0.1, chunk_size=16,
                                          on_chunk=lambda t, done: calls.append((t, done)), one_program=one_program)
        for t in steps:
            np.testing.assert_allclose(numeric[t], direct[t], rtol=1e-10, atol=1e-12)
        assert calls[-1] == (9, hessian.hessian_products(params, spec, x, y)) and {t for t, _ in calls} == set(steps)
    assert not np.allclose(direct[0], direct[9])  # the step count does matter here


def test_eigen_solvers_agree_with_numpy():
    a = np.random.RandomState(4).standard_normal((60, 60))
    a = a + a.T
    expected = np.linalg.eigvalsh(a)
    np.testing.assert_allclose(hessian.eigenvalues(a), expected, rtol=1e-10, atol=1e-10)
    values, vectors = hessian.eigh(a)
    np.testing.assert_allclose(values, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(a @ vectors, vectors * values, atol=1e-9)


@pytest.mark.slow
def test_hessians_through_the_input_subspace_equal_the_direct_ones():
    """Fewer inputs than input dimensions (MNIST's 64 × 784): the loss and energy Hessians are
    taken in (W_1 Q, W_2 …) and lifted; they must equal jax.hessian in W, at a point with every
    matrix non-zero (so the lift's cross blocks matter)."""
    spec = NetSpec(9, 3, 2, 2)
    params = init_params(jax.random.PRNGKey(5), spec, jnp.float64)
    x = jnp.asarray(np.random.RandomState(2).standard_normal((4, 9)))  # 4 inputs span 4 of 9 dims
    y = jnp.asarray(np.random.RandomState(3).standard_normal((4, 2)))
    subspace = hessian.InputSubspace.of(spec, x)
    assert subspace.basis.shape == (9, 4)
    w = hessian.flatten_weights(params)
    # products: W_1's block from 3 (one per row of W_1), then W_2 (9) and W_3 (6), where W has 42 weights
    assert hessian.hessian_products(params, spec, x, y) == 3 + 9 + 6 and w.shape[0] == 42
    np.testing.assert_allclose(hessian.loss_hessian(spec, params, x, y, chunk_size=5),
                               jax.hessian(hessian.loss_fn(spec, x, y))(w), rtol=1e-10, atol=1e-12)
    numeric = hessian.energy_hessians(spec, params, x, y, [0, 3], dt=0.1, chunk_size=5)
    for t in (0, 3):
        np.testing.assert_allclose(numeric[t], jax.hessian(hessian.energy_after_fn(spec, x, y, w, t, 0.1))(w),
                                   rtol=1e-10, atol=1e-12)
    assert hessian.InputSubspace.of(spec, np.ones((9, 9))) is None  # no fewer inputs than dimensions


@pytest.mark.slow
@pytest.mark.parametrize("param_type, skips", [("sp", False), ("mupc", True)])
def test_linear_net_hessians_from_pseudo_examples_and_the_first_layer_block_equal_the_direct_ones(param_type, skips):
    """A batch larger than dim (x, y) is replaced by dim (x, y) pseudo-examples with the same
    loss and energy at every weight, and W_1's block is assembled as R ⊗ Σ x xᵀ from one product
    per row of W_1: the Hessians must still equal jax.hessian on the real batch, at random weights."""
    spec = NetSpec(3, 4, 2, 2, "linear", param_type, skips, "standard_gauss")
    params = init_params(jax.random.PRNGKey(7), spec, jnp.float64)
    rng = np.random.RandomState(8)
    x, y = jnp.asarray(rng.standard_normal((16, 3)) + 0.5), jnp.asarray(rng.standard_normal((16, 2)))
    w = hessian.flatten_weights(params)
    plan = hessian.HessianPlan.of(spec, params, x, y)
    assert plan.x.shape == (5, 3) and plan.subspace is None  # 16 examples -> 5 pseudo-examples
    other = w + 0.3 * jnp.asarray(rng.standard_normal(w.shape))  # same loss and energy anywhere, not only at w
    for v in (w, other):
        assert np.isclose(hessian.loss_fn(spec, plan.x, plan.y)(v), hessian.loss_fn(spec, x, y)(v), rtol=1e-12)
        assert np.isclose(hessian.energy_after_fn(spec, plan.x, plan.y, w, 3, 0.1)(v),
                          hessian.energy_after_fn(spec, x, y, w, 3, 0.1)(v), rtol=1e-12)
    assert hessian.hessian_products(params, spec, x, y) == 4 + 16 + 8  # W_1 (12 weights) from 4 products
    np.testing.assert_allclose(hessian.loss_hessian(spec, params, x, y, chunk_size=6),
                               jax.hessian(hessian.loss_fn(spec, x, y))(w), rtol=1e-10, atol=1e-12)
    numeric = hessian.energy_hessians(spec, params, x, y, [0, 2, 5], dt=0.1, chunk_size=6)
    for t in (0, 2, 5):
        direct = jax.hessian(hessian.energy_after_fn(spec, x, y, w, t, 0.1))(w)
        assert np.abs(direct[:12, :12]).max() > 1e-3  # the assembled block is not trivially zero
        np.testing.assert_allclose(numeric[t], direct, rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_nonlinear_nets_take_every_product_on_the_real_batch():
    """The reductions need activities affine in the sources: a tanh net gets none of them."""
    spec = NetSpec(3, 4, 2, 2, "tanh")
    params = init_params(jax.random.PRNGKey(7), spec, jnp.float64)
    x, y = jnp.ones((16, 3)), jnp.ones((16, 2))
    plan = hessian.HessianPlan.of(spec, params, x, y)
    assert plan.x.shape == (16, 3) and plan.first_layer is None
    assert hessian.hessian_products(params, spec, x, y) == 12 + 16 + 8
    w = hessian.flatten_weights(params)
    np.testing.assert_allclose(hessian.energy_hessians(spec, params, x, y, [2], dt=0.1, chunk_size=8)[2],
                               jax.hessian(hessian.energy_after_fn(spec, x, y, w, 2, 0.1))(w), rtol=1e-10, atol=1e-12)


def test_step_counts_share_programs_as_stated():
    """Below ONE_PROGRAM_MAX_WEIGHTS products one masked program serves every step count; above
    it the counts up to SHARED_MAX_STEPS share one and each larger count has its own."""
    steps = [50, 0, 1, 2, 3, 4, 5, 10, 20, 5]
    assert hessian.step_programs(steps, 999) == [[0, 1, 2, 3, 4, 5, 10, 20, 50]]
    assert hessian.step_programs(steps, 1000) == [[0, 1, 2, 3, 4, 5], [10], [20], [50]]
    assert hessian.step_programs([10, 20], 5000) == [[10], [20]]
    assert hessian.step_programs(steps, 5000, one_program=True) == [[0, 1, 2, 3, 4, 5, 10, 20, 50]]
    assert hessian.step_programs([0, 3], 10, one_program=False) == [[0], [3]]


@pytest.mark.slow
@pytest.mark.parametrize("n_hidden, d_in", [(2, 3), (3, 9)])
def test_at_the_origin_the_hidden_weights_rows_are_not_taken_and_the_hessians_are_unchanged(n_hidden, d_in):
    """At W = 0 the rows of W_2 … W_H are zero (hessian_reductions.HiddenRowsAtOrigin): only a few
    of them are taken, as a check, and the loss and energy Hessians still equal jax.hessian on the
    real batch (with pseudo-examples, and with fewer inputs than dimensions: the input subspace)."""
    spec = NetSpec(d_in, 4, n_hidden, 2)
    zero = {k: v.astype(jnp.float64) for k, v in _zero_params(spec).items()}
    rng = np.random.RandomState(9)
    x, y = jnp.asarray(rng.standard_normal((6, d_in)) + 0.5), jnp.asarray(rng.standard_normal((6, 2)))
    w = hessian.flatten_weights(zero)
    plan = hessian.HessianPlan.of(spec, zero, x, y)
    first = 4 * (plan.x.shape[1] if plan.subspace is None else plan.subspace.basis.shape[1])
    hidden = (n_hidden - 1) * 16
    assert (plan.hidden_at_origin.start, plan.hidden_at_origin.stop) == (first, first + hidden)
    checked = len(plan.hidden_at_origin.checked())
    # W_1 from 4 products, ORIGIN_CHECKED_ROWS (or all, if fewer) of the hidden rows, W_L's 8
    assert hessian.hessian_products(zero, spec, x, y) == 4 + min(checked, hidden) + 8 < 4 + hidden + 8
    np.testing.assert_array_equal(hessian.loss_hessian(spec, zero, x, y, chunk_size=5),
                                  jax.hessian(hessian.loss_fn(spec, x, y))(w))  # zero for H ≥ 2
    numeric = hessian.energy_hessians(spec, zero, x, y, [0, 1, 5], dt=0.1, chunk_size=5)
    for t in (0, 1, 5):
        direct = np.asarray(jax.hessian(hessian.energy_after_fn(spec, x, y, w, t, 0.1))(w))
        assert np.abs(direct).max() > 0.1  # not a comparison of zeros
        np.testing.assert_allclose(numeric[t], direct, rtol=1e-10, atol=1e-12)
    # off the origin, or with skips, every row is taken
    assert hessian.HessianPlan.of(spec, init_params(jax.random.PRNGKey(0), spec, jnp.float64), x, y).hidden_at_origin is None
    skips = NetSpec(d_in, 4, n_hidden, 2, "linear", "sp", True)
    assert hessian.HessianPlan.of(skips, zero, x, y).hidden_at_origin is None


def test_a_nonzero_checked_row_makes_the_plan_take_every_skipped_row():
    """The check of HiddenRowsAtOrigin: a function whose skipped rows are not zero gets them all computed."""
    from pcrepro.core.hessian_reductions import HiddenRowsAtOrigin

    scale = jnp.asarray(np.random.RandomState(4).standard_normal(30))
    f = lambda w, _: jnp.sum(scale * w**2) + jnp.sum(w[:10]) * jnp.sum(w[10:20] ** 2)  # noqa: E731
    w = jnp.asarray(np.random.RandomState(5).standard_normal(30))
    plan = hessian.HessianPlan(jnp.zeros((1, 1)), jnp.zeros((1, 1)), None, None, 30, HiddenRowsAtOrigin(5, 25))
    assert len(plan.directions()) == 5 + 8 + 5
    taken = []
    rows = hessian.hessian_rows(f, 4)
    counted = lambda *a: taken.append(1) or rows(*a)  # noqa: E731
    np.testing.assert_allclose(plan.hessian(counted, w, 0, 4), jax.hessian(lambda v: f(v, 0))(w), rtol=1e-12)
    assert len(taken) == -(-18 // 4) + -(-12 // 4)  # the planned chunks, then the 12 rows skipped
