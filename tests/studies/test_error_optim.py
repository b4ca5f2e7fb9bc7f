"""Study error_optim (seed 003): exact equilibria, error- vs state-based relaxations, speed-ups."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pcrepro.core import theory
from pcrepro.core.energy import mse_loss
from pcrepro.core.nets import forward, init_params, predict
from pcrepro.studies import error_optim as eo


def _problem(n_hidden=4, width=8, batch=5, seed=0):
    spec = eo.linear_spec(input_dim=6, width=width, n_hidden=n_hidden, output_dim=3)
    keys = jax.random.split(jax.random.PRNGKey(seed), 3)
    params = init_params(keys[0], spec)
    x = jax.random.uniform(keys[1], (batch, 6), minval=-1, maxval=1)
    y = jax.nn.one_hot(jax.random.randint(keys[2], (batch,), 0, 3), 3)
    return spec, params, x, y


def test_block_tridiagonal_solve_matches_dense_solve():
    h, n, k = 6, 5, 7
    rng = np.random.default_rng(1)
    upper = rng.standard_normal((h - 1, n, n))
    sym = rng.standard_normal((h, n, n))
    diagonal = np.einsum("lij,lkj->lik", sym, sym) + 2 * n * np.eye(n)  # SPD and diagonally dominant
    rhs = rng.standard_normal((h, n, k))
    x = np.asarray(theory.solve_block_tridiagonal(jnp.asarray(diagonal), jnp.asarray(upper), jnp.asarray(rhs)))
    dense = np.asarray(theory.block_tridiagonal(jnp.asarray(diagonal), jnp.asarray(upper)))
    expected = np.linalg.solve(dense, rhs.reshape(h * n, k)).reshape(h, n, k)
    np.testing.assert_allclose(x, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_exact_equilibrium_zeroes_the_state_gradient():
    """The block-tridiagonal solution (docs/theory.md) is a stationary point of E_s for every sample,
    and E_s there equals the closed-form equilibrated energy F*·B."""
    spec, params, x, y = _problem(n_hidden=7)
    problem = eo.make_problem(params, x, y, spec)
    grad = jax.grad(eo.state_energy)(problem.optimum, params, x, y, spec)
    assert float(jnp.max(jnp.abs(grad))) < 1e-12
    np.testing.assert_allclose(float(eo.state_energy(problem.optimum, params, x, y, spec)),
                               x.shape[0] * float(theory.equilibrated_energy(params, x, y, spec)), rtol=1e-10)


def test_error_energy_equals_state_energy_at_the_corresponding_states():
    spec, params, x, y = _problem()
    errors = 0.3 * jax.random.normal(jax.random.PRNGKey(5), (spec.n_hidden, x.shape[0], spec.width))
    states = eo.states_from_errors(params, errors, x)
    np.testing.assert_allclose(float(eo.error_energy(errors, params, x, y)),
                               float(eo.state_energy(states, params, x, y, spec)), rtol=1e-12)
    # ε = 0 is the feedforward pass, where the energy is the (summed) loss
    zero = jnp.zeros_like(errors)
    np.testing.assert_allclose(np.asarray(eo.states_from_errors(params, zero, x)), np.asarray(forward(params, x, spec)[0]),
                               atol=1e-12)
    np.testing.assert_allclose(float(eo.error_energy(zero, params, x, y)),
                               x.shape[0] * float(mse_loss(predict(params, x, spec), y)), rtol=1e-12)


@pytest.mark.parametrize("kind, lr, steps", [("error", 0.1, 400), ("state", 0.3, 6000)])
def test_eo_and_so_converge_to_the_exact_equilibrium(kind, lr, steps):
    spec, params, x, y = _problem()
    problem = eo.make_problem(params, x, y, spec)
    score = eo.final_scores(kind, problem, spec, jnp.asarray([lr]), steps)
    assert float(score[0]) < 1e-9
    # too few steps are not enough: the score measures something
    assert float(eo.final_scores(kind, problem, spec, jnp.asarray([lr]), 3)[0]) > 1e-3


def test_a_diverging_lr_scores_inf_and_leaves_the_other_runs_alone():
    spec, params, x, y = _problem()
    problem = eo.make_problem(params, x, y, spec)
    scores = np.asarray(eo.final_scores("state", problem, spec, jnp.asarray([0.3, 50.0]), 3000))
    alone = np.asarray(eo.final_scores("state", problem, spec, jnp.asarray([0.3]), 3000))
    assert np.isinf(scores[1]) and scores[0] == pytest.approx(alone[0], rel=1e-12)


@pytest.mark.slow
def test_bp_reference_is_backprop_to_first_order_in_the_error_lr():
    """One EO step of size η, gradients / η: exact for W_1, O(η) off for every other layer."""
    spec, params, x, y = _problem(n_hidden=5)
    exact = eo.per_layer(eo.bp_grads(params, x, y, spec))

    def errors(lr):
        ref = eo.per_layer(eo.bp_reference(params, x, y, spec, lr))
        return np.array([float(jnp.linalg.norm(r - e) / jnp.linalg.norm(e)) for r, e in zip(ref, exact)])

    big, small = errors(1e-2), errors(1e-3)
    assert big[0] < 1e-12 and small[0] < 1e-12           # first layer: exact
    ratio = big[1:] / small[1:]
    assert np.all((ratio > 7) & (ratio < 13)), ratio     # error ∝ η: first order, not better
    assert np.all(small[1:] < 2e-2)                     # and small at η = 1e-3


@pytest.mark.slow
def test_trajectory_logs_the_distances_of_every_step():
    """The scan's per-step summary at step T equals the distances of an independent run's
    final states; EO and SO both start from the feedforward pass."""
    spec, params, x, y = _problem()
    problem = eo.make_problem(params, x, y, spec)
    reference = eo.bp_grads(params, x, y, spec)
    lr, steps = 0.05, 30
    traj = {k: eo.trajectory(k, problem, spec, lr, steps, reference) for k in eo.RELAXATIONS}
    np.testing.assert_allclose(traj["error"]["distance_quantiles"][0], traj["state"]["distance_quantiles"][0],
                               rtol=1e-12)
    states = forward(params, x, spec)[0]
    for _ in range(steps):
        states = states - lr * jax.grad(eo.state_energy)(states, params, x, y, spec)
    distances = np.linalg.norm(np.asarray(states - problem.optimum), axis=-1)
    np.testing.assert_allclose(traj["state"]["distance_quantiles"][-1],
                               np.percentile(distances, [25, 50, 75], axis=1).T, rtol=1e-10)
    grads = eo.weight_grads(params, states, x, y, spec)
    norms = [float(jnp.linalg.norm(g)) for g in eo.per_layer(grads)]
    np.testing.assert_allclose(traj["state"]["grad_norms"][-1], norms, rtol=1e-10)
    cos = [float(jnp.sum(g * r) / (jnp.linalg.norm(g) * jnp.linalg.norm(r)))
           for g, r in zip(eo.per_layer(grads), eo.per_layer(reference))]
    np.testing.assert_allclose(traj["state"]["grad_cosines"][-1], cos, rtol=1e-10)


def test_steps_to_threshold_and_speedups():
    median = np.array([[1.0, 1.0], [1e-3, 0.5], [1e-5, 0.2], [1e-6, 0.1]])
    steps = eo.steps_to_reach(median, 1e-4)
    np.testing.assert_array_equal(steps, [2, -1])
    np.testing.assert_allclose(eo.speedups(np.array([2, 3]), np.array([300, -1])), [150.0, np.nan])


@pytest.mark.slow
def test_compare_picks_the_lr_with_the_lowest_final_distance():
    spec, params, x, y = _problem()
    out = eo.compare(params, x, y, spec, error_lrs=[0.01, 0.1, 5.0], error_steps=50, state_lrs=[0.05, 0.3],
                     state_steps=400, threshold=1e-3)
    assert out["error_lr"] == 0.1 and out["state_lr"] == 0.3
    assert out["error_scores"][2] > 1e10   # η = 5 blows up (and is not picked)
    # measured: EO reaches the threshold in fewer steps than SO, in every layer
    assert np.all(out["error_steps_to_threshold"] >= 0) and np.all(out["speedups"] > 1)
