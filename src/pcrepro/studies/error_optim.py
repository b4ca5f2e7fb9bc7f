"""Error-based vs state-based PC on a deep linear net (seed 003; docs/theory.md, "Error-based PC").

A bias-free linear net with hidden states s_1 … s_H (stacked [H, B, N], as everywhere in
this package) and output ŷ = W_L s_H has, per sample, the *state energy*

    E_s(s) = Σ_{ℓ=1}^{H} ½‖s_ℓ − W_ℓ s_{ℓ−1}‖² + ½‖y − W_L s_H‖²,   s_0 = x.

State optimisation (SO) is plain gradient descent on E_s from the feedforward states.
Error optimisation (EO) takes the errors ε_ℓ as the free variables instead: the states are
recomputed from them, s_ℓ = W_ℓ s_{ℓ−1} + ε_ℓ, and the *error energy*

    E_ε(ε) = ½Σ_ℓ‖ε_ℓ‖² + ½‖y − ŷ(ε)‖²

equals E_s at those states; ε = 0 is the feedforward pass. EO moves every layer at once
through ŷ(ε), SO only passes the output error down one layer per step, which is why EO
reaches the same equilibrium in far fewer steps. The exact equilibrium is the solution of
the block-tridiagonal system of docs/theory.md (:func:`pcrepro.core.theory.equilibrium_activities`).

One EO step of size η from ε = 0 sets ε_ℓ = η·δ_ℓ, the backprop error of layer ℓ, so the
local weight gradients −ε_ℓ s_{ℓ−1}ᵀ are η × the backprop gradients to first order in η
(exactly for the first layer): :func:`bp_reference` divides them by η.

Energies are summed over the batch (each sample relaxes on its own, so the relaxation
learning rates do not depend on the batch size); the weight gradients are those of the
batch mean, ∂(E_s/B)/∂W, as in the seed.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pcrepro.core.energy import mse_loss, pc_energy
from pcrepro.core.nets import NetSpec, Params, draw_params, forward, predict
from pcrepro.core.optim import adam_init, adam_step
from pcrepro.core.theory import equilibrium_activities
from pcrepro.data import shuffled_batches

RELAXATIONS = ("error", "state")
QUANTILES = (25.0, 50.0, 75.0)  # median and IQR over the batch


def linear_spec(input_dim: int, width: int, n_hidden: int, output_dim: int) -> NetSpec:
    """The seed's net: bias-free, linear, orthogonal init with gain 1."""
    return NetSpec(input_dim=input_dim, width=width, n_hidden=n_hidden, output_dim=output_dim,
                   act_fn="linear", param_type="sp", init="orthogonal", init_gain=1.0)


# -- pre-training -------------------------------------------------------------------------

def pretrain(params: Params, x_train: np.ndarray, y_train: np.ndarray, spec: NetSpec, *, epochs: int,
             batch_size: int, lr: float, seed: int, max_batches_per_epoch: int | None = None,
             log: Callable[[str], None] = lambda _: None) -> tuple[Params, np.ndarray]:
    """Backprop with Adam on 𝓛 = (1/B) Σ_i ½‖y_i − ŷ_i‖² (the seed's "½ sum-MSE / batch"), a fresh
    permutation every epoch, full batches only; one ``lax.scan`` per epoch. Returns the weights
    and the per-batch losses [epochs · batches]."""

    @jax.jit
    def epoch(carry, xs, ys):
        def step(carry, batch):
            p, state = carry
            loss, grads = jax.value_and_grad(lambda q: mse_loss(predict(q, batch[0], spec), batch[1]))(p)
            p, state = adam_step(p, grads, state, lr)
            return (p, state), loss

        return jax.lax.scan(step, carry, (xs, ys))

    rng = np.random.default_rng(seed)
    n_batches = x_train.shape[0] // batch_size
    if max_batches_per_epoch is not None:
        n_batches = min(n_batches, max_batches_per_epoch)
    carry, losses = (params, adam_init(params)), []
    for e in range(epochs):
        xs, ys = shuffled_batches(x_train, y_train, rng, n_batches, batch_size)  # one rng: a new order each epoch
        carry, epoch_losses = epoch(carry, jnp.asarray(xs), jnp.asarray(ys))
        losses.append(np.asarray(epoch_losses))
        log(f"pre-training epoch {e + 1}/{epochs}: {n_batches} batches, last loss {float(epoch_losses[-1]):.4g}")
    return carry[0], np.concatenate(losses)


# -- energies -----------------------------------------------------------------------------

def states_from_errors(params: Params, errors: jax.Array, x: jax.Array) -> jax.Array:
    """s_1 = W_1 x + ε_1, s_ℓ = W_ℓ s_{ℓ−1} + ε_ℓ: the stacked states [H, B, N] of errors [H, B, N]."""
    s1 = x @ params["w_in"].T + errors[0]

    def layer(s_prev, w_and_error):
        w, error = w_and_error
        s = s_prev @ w.T + error
        return s, s

    _, rest = jax.lax.scan(layer, s1, (params["w_hidden"], errors[1:]))
    return jnp.concatenate([s1[None], rest], axis=0)


def state_energy(states: jax.Array, params: Params, x: jax.Array, y: jax.Array, spec: NetSpec) -> jax.Array:
    """E_s summed over the batch (= B × the PC energy F of :mod:`pcrepro.core.energy`)."""
    return x.shape[0] * pc_energy(params, states, x, y, spec)


def error_energy(errors: jax.Array, params: Params, x: jax.Array, y: jax.Array) -> jax.Array:
    """E_ε = ½Σ‖ε‖² + ½‖y − W_L s_H(ε)‖², summed over the batch."""
    s_last = states_from_errors(params, errors, x)[-1]
    return 0.5 * jnp.sum(errors**2) + 0.5 * jnp.sum((y - s_last @ params["w_out"].T) ** 2)


def weight_grads(params: Params, states: jax.Array, x: jax.Array, y: jax.Array, spec: NetSpec) -> Params:
    """∂(E_s/B)/∂W at fixed states: the local PC weight gradients."""
    return jax.grad(pc_energy)(params, states, x, y, spec)


def bp_grads(params: Params, x: jax.Array, y: jax.Array, spec: NetSpec) -> Params:
    """True backprop gradients of 𝓛 = (1/B) Σ ½‖y − ŷ‖²."""
    return jax.grad(lambda p: mse_loss(predict(p, x, spec), y))(params)


def bp_reference(params: Params, x: jax.Array, y: jax.Array, spec: NetSpec, error_lr: float) -> Params:
    """The seed's backprop reference: the weight gradients after one EO step of size η from ε = 0.

    The step sets ε_ℓ = −η ∂E_ε/∂ε_ℓ = η δ_ℓ (δ_ℓ the backprop error of layer ℓ), so the gradient
    of every layer fed by a hidden error, −ε_ℓ s_{ℓ−1}ᵀ/B, is η × the backprop gradient to first
    order in η (exactly for W_1, whose input x does not move) and is divided by η here. The
    output layer's gradient comes from the output error, which one step changes by O(η) only: it
    is the backprop gradient already and is left as it is (the seed plots hidden layers only)."""
    errors = -error_lr * jax.grad(error_energy)(jnp.zeros_like(forward(params, x, spec)[0]), params, x, y)
    grads = weight_grads(params, states_from_errors(params, errors, x), x, y, spec)
    return {"w_in": grads["w_in"] / error_lr, "w_hidden": grads["w_hidden"] / error_lr, "w_out": grads["w_out"]}


# -- per-layer comparisons ----------------------------------------------------------------

def per_layer(tree: Params) -> list[jax.Array]:
    """W_1 … W_L of a parameter (or gradient) dict as a list of matrices."""
    return [tree["w_in"], *tree["w_hidden"], tree["w_out"]]


def layer_norms_and_cosines(grads: Params, reference: Params, eps: float = 1e-8) -> tuple[jax.Array, jax.Array]:
    """‖g_ℓ‖ and cos(g_ℓ, r_ℓ) = ⟨g_ℓ, r_ℓ⟩ / max(‖g_ℓ‖‖r_ℓ‖, eps) per layer [L] (eps as torch's
    ``cosine_similarity``: a zero gradient has cosine 0, not NaN)."""
    def stack(f):
        hidden = jax.vmap(f)(grads["w_hidden"], reference["w_hidden"])
        return jnp.concatenate([f(grads["w_in"], reference["w_in"])[None], hidden,
                                f(grads["w_out"], reference["w_out"])[None]])

    dots = stack(lambda g, r: jnp.sum(g * r))
    norms = stack(lambda g, r: jnp.sqrt(jnp.sum(g * g)))
    ref_norms = stack(lambda g, r: jnp.sqrt(jnp.sum(r * r)))
    return norms, dots / jnp.maximum(norms * ref_norms, eps)


def relative_distance(states: jax.Array, optimum: jax.Array) -> jax.Array:
    """The seed's convergence score: mean over layers of the batch-mean ‖s_ℓ − s*_ℓ‖ / ‖s*_ℓ‖."""
    per_sample = jnp.linalg.norm(states - optimum, axis=-1) / jnp.linalg.norm(optimum, axis=-1)
    return jnp.mean(jnp.mean(per_sample, axis=1))


# -- relaxations --------------------------------------------------------------------------

class Problem(NamedTuple):
    """One batch on fixed weights, and its exact equilibrium."""

    params: Params
    x: jax.Array
    y: jax.Array
    optimum: jax.Array  # s* [H, B, N]


def make_problem(params: Params, x: jax.Array, y: jax.Array, spec: NetSpec) -> Problem:
    """The batch in the weights' dtype, and s* from the block-tridiagonal solve."""
    dtype = params["w_in"].dtype
    x, y = jnp.asarray(x, dtype), jnp.asarray(y, dtype)
    return Problem(params, x, y, equilibrium_activities(params, x, y, spec))


def _relaxation(kind: str, problem: Problem, spec: NetSpec):
    """(initial variable, update(variable, lr), states(variable)) of EO or SO."""
    params, x, y = problem.params, problem.x, problem.y
    if kind == "error":
        def update(errors, lr):
            return errors - lr * jax.grad(error_energy)(errors, params, x, y)

        return jnp.zeros_like(problem.optimum), update, lambda errors: states_from_errors(params, errors, x)
    if kind == "state":
        def update(states, lr):
            return states - lr * jax.grad(state_energy)(states, params, x, y, spec)

        return forward(params, x, spec)[0], update, lambda states: states
    raise ValueError(f"relaxation {kind!r} not in {RELAXATIONS}")


def final_scores(kind: str, problem: Problem, spec: NetSpec, lrs: jax.Array, n_steps: int) -> jax.Array:
    """The convergence score after ``n_steps`` for every lr, all lrs vmapped in one program; a run
    that diverges gets +inf (it cannot be selected, and it does not disturb the others)."""
    start, update, to_states = _relaxation(kind, problem, spec)

    def run(lr):
        final = jax.lax.fori_loop(0, n_steps, lambda _, v: update(v, lr), start)
        score = relative_distance(to_states(final), problem.optimum)
        return jnp.where(jnp.isfinite(score), score, jnp.inf)

    return jax.jit(jax.vmap(run))(lrs)


def trajectory(kind: str, problem: Problem, spec: NetSpec, lr: float, n_steps: int,
               reference: Params) -> dict[str, jax.Array]:
    """Relax for ``n_steps`` under ``lax.scan``, summarising the states of every step t = 0 … T:

    * ``distance_quantiles`` [T+1, H, 3]: 25/50/75 % over the batch of ‖s_ℓ − s*_ℓ‖,
    * ``grad_norms``, ``grad_cosines`` [T+1, L]: the weight gradients at those states, their norm
      and their cosine to ``reference`` (the backprop reference).

    The states themselves are not kept (4096 × H × B × N floats for SO at paper scale)."""
    start, update, to_states = _relaxation(kind, problem, spec)
    q = jnp.asarray(QUANTILES)

    def summary(variable):
        states = to_states(variable)
        distances = jnp.linalg.norm(states - problem.optimum, axis=-1)            # [H, B]
        norms, cosines = layer_norms_and_cosines(
            weight_grads(problem.params, states, problem.x, problem.y, spec), reference)
        return {"distance_quantiles": jnp.percentile(distances, q, axis=1).T, "grad_norms": norms,
                "grad_cosines": cosines}

    @jax.jit
    def run(start):
        def step(v, _):
            v = update(v, lr)
            return v, summary(v)

        _, rest = jax.lax.scan(step, start, None, length=n_steps)
        first = summary(start)
        return jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b]), first, rest)

    return run(start)


def steps_to_reach(median_distance: np.ndarray, threshold: float) -> np.ndarray:
    """First step at which the median distance falls below ``threshold``, per layer
    ([T+1, H] → [H]); −1 where it never does."""
    below = np.asarray(median_distance) < threshold
    return np.where(below.any(axis=0), below.argmax(axis=0), -1)


def speedups(eo_steps: np.ndarray, so_steps: np.ndarray) -> np.ndarray:
    """SO steps / EO steps per layer; NaN where either never reached the threshold."""
    eo, so = np.asarray(eo_steps, float), np.asarray(so_steps, float)
    ok = (eo >= 0) & (so >= 0)
    return np.where(ok, so / np.maximum(eo, 1.0), np.nan)


def compare(params: Params, x: jax.Array, y: jax.Array, spec: NetSpec, *, error_lrs, error_steps: int,
            state_lrs, state_steps: int, threshold: float,
            log: Callable[[str], None] = lambda _: None) -> dict[str, np.ndarray]:
    """The whole seed-003 comparison on one batch: exact equilibrium, both lr sweeps (each picks
    the lr with the lowest final score), the backprop reference at the chosen error lr, the logged
    trajectories at the chosen lrs, the exact-equilibrium gradients and the measured speed-ups."""
    problem = make_problem(params, x, y, spec)
    x, y = problem.x, problem.y
    residual = jax.grad(state_energy)(problem.optimum, params, x, y, spec)
    log(f"exact equilibrium: max |∂E_s/∂s| = {float(jnp.max(jnp.abs(residual))):.2e}")
    out: dict[str, np.ndarray] = {"equilibrium_residual": np.asarray(jnp.max(jnp.abs(residual)))}
    chosen = {}
    for kind, lrs, n_steps in (("error", error_lrs, error_steps), ("state", state_lrs, state_steps)):
        lrs = jnp.asarray(lrs, x.dtype)
        scores = np.asarray(final_scores(kind, problem, spec, lrs, n_steps))
        if not np.isfinite(scores).any():
            raise FloatingPointError(f"every {kind}-optimisation lr diverged: {list(np.asarray(lrs))}")
        # Scores at round-off level (converged) are ties; like the seed's `<=`, the last tied lr wins.
        round_off = 100 * float(jnp.finfo(x.dtype).eps)
        best = int(np.flatnonzero(scores <= max(scores.min(), round_off))[-1])
        chosen[kind] = float(lrs[best])
        out[f"{kind}_lrs"], out[f"{kind}_scores"] = np.asarray(lrs), scores
        log(f"{kind} optimisation, {n_steps} steps: scores {dict(zip(np.asarray(lrs).tolist(), scores.tolist()))}"
            f" -> lr {chosen[kind]:g}")
    reference = bp_reference(params, x, y, spec, chosen["error"])
    exact = bp_grads(params, x, y, spec)
    out["bp_reference_norms"], out["bp_reference_cosine_to_backprop"] = map(
        np.asarray, layer_norms_and_cosines(reference, exact))
    out["equilibrium_grad_norms"], out["equilibrium_grad_cosines"] = map(
        np.asarray, layer_norms_and_cosines(weight_grads(params, problem.optimum, x, y, spec), reference))
    for kind, n_steps in (("error", error_steps), ("state", state_steps)):
        traj = trajectory(kind, problem, spec, chosen[kind], n_steps, reference)
        for key, value in traj.items():
            out[f"{kind}_{key}"] = np.asarray(value)
        out[f"{kind}_lr"] = np.asarray(chosen[kind])
        out[f"{kind}_steps_to_threshold"] = steps_to_reach(out[f"{kind}_distance_quantiles"][:, :, 1], threshold)
        log(f"{kind} optimisation at lr {chosen[kind]:g}: {n_steps} steps logged")
    out["speedups"] = speedups(out["error_steps_to_threshold"], out["state_steps_to_threshold"])
    out["threshold"] = np.asarray(threshold)
    return out


def run_study(grid: dict, dataset_path, log: Callable[[str], None] = lambda _: None) -> dict[str, np.ndarray]:
    """The ``error_optim`` grid end to end: data (normalised by ``grid["normalisation"]``, the
    dataset's entry of data.normalisation: EMNIST to [−1, 1] as seed 003), the orthogonally initialised
    net, BP pre-training, one batch drawn with ``seed``, and :func:`compare`. Needs
    ``jax_enable_x64`` when ``grid["dtype"]`` is float64."""
    from pcrepro.data import load_prepared

    dtype = jnp.dtype(grid["dtype"])
    if dtype == jnp.float64 and not jax.config.jax_enable_x64:
        raise RuntimeError("error_optim.dtype is float64 but jax_enable_x64 is off: enable it before JAX starts")
    data = load_prepared(dataset_path, grid["normalisation"])
    spec = linear_spec(data.x_train.shape[1], grid["width"], grid["n_hidden"], data.y_train.shape[1])
    log(f"{data.name} ({data.source}): {spec.n_layers}-layer linear net {spec.input_dim} -> {spec.width} x "
        f"{spec.n_hidden} -> {spec.output_dim}, {grid['dtype']}")
    params = draw_params(jax.random.PRNGKey(grid["seed"]), spec, dtype)
    pre = grid["pretrain"]
    x_train, y_train = data.x_train.astype(dtype), data.y_train.astype(dtype)
    params, losses = pretrain(params, x_train, y_train, spec, epochs=pre["epochs"], batch_size=pre["batch_size"],
                              lr=pre["lr"], seed=grid["seed"], max_batches_per_epoch=pre["max_batches_per_epoch"],
                              log=log)
    batch = np.random.default_rng(grid["seed"]).permutation(x_train.shape[0])[: grid["batch_size"]]
    out = compare(params, jnp.asarray(x_train[batch]), jnp.asarray(y_train[batch]), spec,
                  error_lrs=grid["error_lrs"], error_steps=grid["error_steps"], state_lrs=grid["state_lrs"],
                  state_steps=grid["state_steps"], threshold=grid["threshold"], log=log)
    out.update(pretrain_losses=losses, source=np.asarray(data.source), dataset=np.asarray(data.name))
    return out
