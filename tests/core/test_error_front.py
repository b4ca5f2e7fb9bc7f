"""The error front (pcrepro.core.inference, ``skip_unreached``): inference on the layers the
errors have reached gives the plain loop's activities and training states (float64), and the
layers it never reaches stay exactly at their feedforward values."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pcrepro.core.energy import activity_grad, top_energy
from pcrepro.core.inference import error_front_phases, infer_activities
from pcrepro.core.nets import NetSpec, forward, init_params
from pcrepro.core.training import RunHyper, TrainSpec, init_run, train_step

# (act_fn, param_type, skips, n_hidden, n_steps, activity optimiser): T = H, T < H, T > H, H = 1, 2
CASES = [
    ("relu", "mupc", True, 12, 12, "gd"),
    ("tanh", "sp", False, 6, 20, "gd"),
    ("linear", "depth_mup", True, 9, 4, "gd"),
    ("relu", "sp", True, 10, 10, "adam"),
    ("tanh", "mupc", True, 1, 5, "gd"),
    ("relu", "sp", False, 2, 3, "adam"),
]


def _problem(act_fn, param_type, skips, n_hidden, width=7, batch=5, seed=0):
    init = "standard" if param_type == "sp" else "standard_gauss"
    spec = NetSpec(6, width, n_hidden, 3, act_fn, param_type, skips, init)
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(seed), 3)
    params = init_params(k1, spec)
    x = jax.random.normal(k2, (batch, 6))
    y = jax.random.normal(k3, (batch, 3))
    return spec, params, x, y


@pytest.mark.parametrize("n_hidden,n_steps", [(1, 4), (2, 1), (4, 4), (16, 16), (16, 8), (64, 64), (128, 128),
                                              (8, 500), (33, 40), (200, 7)])
def test_phases_cover_every_step_and_every_layer_each_step_moves(n_hidden, n_steps):
    phases = error_front_phases(n_hidden, n_steps)
    assert sum(steps for _, steps in phases) == n_steps and all(steps > 0 for _, steps in phases)
    k = 0
    for first, steps in phases:
        # step k moves the layers >= H − 1 − k: the phase must include them all at its last step
        assert 0 <= first <= max(0, n_hidden - 1 - (k + steps - 1))
        k += steps
    firsts = [first for first, _ in phases]
    assert firsts == sorted(firsts, reverse=True)


def test_top_energy_has_the_energys_gradient_in_the_top_layers():
    spec, params, x, y = _problem("tanh", "mupc", True, 6)
    z = jax.random.normal(jax.random.PRNGKey(3), (6, 5, 7))
    full = activity_grad(params, z, x, y, spec)
    for first in (1, 3, 5):
        top = jax.grad(top_energy, argnums=1)(params, z[first:], z[first - 1], y, spec)
        np.testing.assert_allclose(top, full[first:], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("act_fn,param_type,skips,n_hidden,n_steps,optim", CASES)
def test_inference_on_reached_layers_equals_the_plain_loop(act_fn, param_type, skips, n_hidden, n_steps, optim):
    spec, params, x, y = _problem(act_fn, param_type, skips, n_hidden)
    z0, _ = forward(params, x, spec)
    lr = 0.2 if optim == "gd" else 0.05

    def infer(skip):
        return jax.jit(lambda p: infer_activities(p, z0, x, y, spec, optim=optim, activity_lr=lr, n_steps=n_steps,
                                                  skip_unreached=skip))(params)

    plain, front = infer(False), infer(True)
    assert float(jnp.max(jnp.abs(plain - z0))) > 1e-3  # inference moved the activities
    np.testing.assert_allclose(front, plain, rtol=1e-10, atol=1e-12)
    unreached = max(0, n_hidden - n_steps)  # layers below H − T never move
    np.testing.assert_array_equal(front[:unreached], z0[:unreached])


# the first case in the fast lane, the others with the slow tests (each compiles two training steps)
@pytest.mark.parametrize("act_fn,param_type,skips,n_hidden,n_steps,optim",
                         CASES[:1] + [pytest.param(*case, marks=pytest.mark.slow) for case in CASES[1:]])
def test_training_steps_on_reached_layers_equal_the_plain_step(act_fn, param_type, skips, n_hidden, n_steps, optim):
    net = _problem(act_fn, param_type, skips, n_hidden)[0]
    spec = TrainSpec(net, "pc", n_infer_steps=n_steps, activity_optim=optim, dtype="float64")
    front_spec = TrainSpec(net, "pc", n_infer_steps=n_steps, activity_optim=optim, dtype="float64",
                           skip_unreached_layers=True)
    hyper = RunHyper(jnp.uint32(0), 0.2 if optim == "gd" else 0.05, 0.01, 0.0)
    x = jax.random.normal(jax.random.PRNGKey(5), (3, 8, 6))
    y = jax.random.normal(jax.random.PRNGKey(6), (3, 8, 3))

    def train(s):
        step = jax.jit(lambda st, xb, yb, t: train_step(st, hyper, xb, yb, t, s))
        state, out = init_run(jnp.uint32(0), s), []
        for t in range(3):
            state, (loss, energy, _) = step(state, x[t], y[t], t + 1)
            out.append((float(loss), float(energy)))
        return state, out

    (plain, plain_out), (front, front_out) = train(spec), train(front_spec)
    np.testing.assert_allclose(front_out, plain_out, rtol=1e-10)
    for name in plain.params:
        np.testing.assert_allclose(front.params[name], plain.params[name], rtol=1e-9, atol=1e-12)


# the matmul precisions XLA:CPU accepts, BF16_BF16_F32_X6 with a round-off of its own; two cases
# in the fast lane
EXACT_CASES = [(p, skip, prec) for prec in ("highest", "BF16_BF16_F32_X6") for skip in (False, True)
               for p in ("mupc", "depth_mup", "sp")]


@pytest.mark.parametrize("param_type,skip,precision", [
    case if case in {("mupc", False, "highest"), ("mupc", True, "BF16_BF16_F32_X6")}
    else pytest.param(*case, marks=pytest.mark.slow) for case in EXACT_CASES])
def test_layers_no_error_reaches_keep_their_weights_exactly_in_float32(param_type, skip, precision):
    """T < H − 1: the errors reach only the top layers. The feedforward pass and the energy compute
    the predictions with different kernels, whose round-off differs; measured net of it, the
    unreached layers' errors are exactly 0, so their weights get a zero gradient and Adam leaves
    them bit for bit as they were (without it, μPC's moved by ±weight_lr)."""
    n_hidden, n_steps = 12, 5
    spec = TrainSpec(_problem("relu", param_type, True, n_hidden, width=64)[0], "pc", n_infer_steps=n_steps,
                     activity_optim="gd", weight_optim="adam", batch_size=16, skip_unreached_layers=skip,
                     matmul_precision=precision)
    x = jax.random.normal(jax.random.PRNGKey(1), (16, 6))
    y = jax.random.normal(jax.random.PRNGKey(2), (16, 3))
    state = init_run(jnp.uint32(0), spec)
    hyper = RunHyper(jnp.uint32(0), jnp.float32(0.1), jnp.float32(0.01), jnp.float32(0.0))
    new, (loss, energy, _) = jax.jit(lambda s: train_step(s, hyper, x, y, 0, spec))(state)
    moved = [bool(jnp.any(new.params["w_hidden"][k] != state.params["w_hidden"][k])) for k in range(n_hidden - 1)]
    # W_ℓ₊₁ (w_hidden[ℓ − 1]) predicts z_ℓ₊₁ from z_ℓ; step k moves z_{H−k}, so layers ≤ H − T never move
    reached = n_hidden - n_steps
    assert not any(moved[:reached - 1]) and all(moved[reached:])
    np.testing.assert_array_equal(new.params["w_in"], state.params["w_in"])
    assert float(energy) < float(loss)  # inference lowered F below 𝓛 = F(z0)


def test_skipping_layers_is_refused_for_bp():
    with pytest.raises(ValueError, match="skip_unreached_layers"):
        TrainSpec(NetSpec(6, 7, 3, 3), "bp", skip_unreached_layers=True)
