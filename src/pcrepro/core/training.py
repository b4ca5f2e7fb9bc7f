"""The training step of PC / μPC / BP nets, written for one run and vmapped over a cell's runs.

A *cell* fixes everything that changes shapes or code paths (:class:`TrainSpec`);
its *runs* differ only in values (:class:`RunHyper`: seed, activity lr, weight
lr, activity decay) and are trained together: :func:`train_step` of one run is
``vmap``-ed over the runs and ``test_every`` steps are one ``lax.scan``
(:func:`pcrepro.core.periods.train_period`, which also evaluates).

Per-run stopping, as in the μPC scripts:
  * a non-finite train loss, energy or weight update → the run keeps its last
    finite weights, is frozen and marked ``diverged`` (here, at every step);
  * test accuracy below ``no_learning_acc`` (15 %) at any evaluation → frozen
    and marked ``no_learning`` (:mod:`pcrepro.core.periods`).
A frozen run never changes again. It never affects the other runs: everything about a
run (init, data order) derives from its own seed, so its results do not depend on its
neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .energy import feedforward_round_off, mse_loss, pc_energy
from .inference import infer_activities
from .nets import NetSpec, forward, init_params, predict
from .optim import adam_init, adam_step, sgd_step

RUNNING, DIVERGED, NO_LEARNING = 0, 1, 2
STATUS_NAMES = {RUNNING: "ok", DIVERGED: "diverged", NO_LEARNING: "no_learning"}
ALGORITHMS = ("pc", "bp")
WEIGHT_OPTIMS = ("adam", "sgd")
DTYPES = ("float32", "float64")
# of the step's matmuls: full float32 on CUDA cores; the device's default (TF32 on NVIDIA GPUs,
# ~1e-3 relative); float32-grade algorithms on tensor cores (~1e-7 in XLA's tests; the CPU
# rejects TF32_TF32_F32_X3). An explicit algorithm casts float64 operands to float32, so a
# float64 step always runs at "highest".
MATMUL_PRECISIONS = ("highest", "default", "TF32_TF32_F32_X3", "BF16_BF16_F32_X6")


@dataclass(frozen=True)
class TrainSpec:
    """Static part of a training cell (hashable: it keys the compiled program)."""

    net: NetSpec
    algorithm: str = "pc"
    n_infer_steps: int = 8
    activity_optim: str = "gd"
    weight_optim: str = "adam"
    batch_size: int = 64
    epochs: int = 1
    max_steps_per_epoch: int | None = None  # None: every full batch of the train set
    test_every: int = 100
    no_learning_acc: float = 15.0
    record_condition_number: bool = False
    dtype: str = "float32"  # of weights, activities and data; float64 needs jax_enable_x64
    # of the step's matmuls, one of MATMUL_PRECISIONS (config compute.matmul_precision, per platform)
    matmul_precision: str = "highest"
    # inference computes only the layers the errors have reached (pcrepro.core.inference): exact
    # only without activity decay, so for cells whose runs all have decay 0
    skip_unreached_layers: bool = False

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm {self.algorithm!r} not in {ALGORITHMS}")
        if self.weight_optim not in WEIGHT_OPTIMS:
            raise ValueError(f"weight_optim {self.weight_optim!r} not in {WEIGHT_OPTIMS}")
        if self.record_condition_number and self.algorithm != "pc":
            raise ValueError("record_condition_number needs PC activities: it is for algorithm 'pc' only")
        if self.test_every < 1 or self.batch_size < 1 or self.epochs < 1:
            raise ValueError("test_every, batch_size and epochs must be positive")
        if self.skip_unreached_layers and self.algorithm != "pc":
            raise ValueError("skip_unreached_layers is about PC inference: it is for algorithm 'pc' only")
        if self.matmul_precision not in MATMUL_PRECISIONS:
            raise ValueError(f"matmul_precision {self.matmul_precision!r} not in {MATMUL_PRECISIONS}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype {self.dtype!r} not in {DTYPES} (config key compute.dtype)")
        if self.dtype == "float64" and self.matmul_precision != "highest":
            raise ValueError(f"matmul_precision {self.matmul_precision!r} would cast a float64 step's matmuls: "
                             "float64 cells run at 'highest'")

    def steps_per_epoch(self, n_train: int) -> int:
        full = n_train // self.batch_size  # the last incomplete batch is dropped
        if full < 1:
            raise ValueError(f"batch size {self.batch_size} exceeds the {n_train} training examples")
        return full if self.max_steps_per_epoch is None else min(full, self.max_steps_per_epoch)


class RunHyper(NamedTuple):
    """Values that vary between the runs of a cell (each an array over runs when vmapped)."""

    seed: jax.Array
    activity_lr: jax.Array
    weight_lr: jax.Array
    activity_decay: jax.Array


class RunState(NamedTuple):
    params: dict
    opt_state: object
    status: jax.Array  # RUNNING / DIVERGED / NO_LEARNING
    stop_step: jax.Array  # step at which the run stopped, −1 while running


def _tree_where(cond, new, old):
    return jax.tree_util.tree_map(lambda a, b: jnp.where(cond, a, b), new, old)


def _all_finite(tree) -> jax.Array:
    leaves = jax.tree_util.tree_leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in leaves]))


def init_run(seed: jax.Array, spec: TrainSpec) -> RunState:
    # drawn in float32 whatever the precision, so that float64 cells start from the same weights
    # and the precision changes only the arithmetic
    params = jax.tree_util.tree_map(lambda w: w.astype(spec.dtype),
                                    init_params(jax.random.PRNGKey(seed), spec.net, jnp.float32))
    opt_state = adam_init(params) if spec.weight_optim == "adam" else ()
    return RunState(params, opt_state, jnp.int32(RUNNING), jnp.int32(-1))


def data_order(seed: jax.Array, n_epochs: int, n_train: int, n_used: int) -> jax.Array:
    """Per-epoch permutations of the train set for one run, [epochs, n_used]."""
    key = jax.random.fold_in(jax.random.PRNGKey(seed), 0x5EED)
    keys = jax.random.split(key, n_epochs)
    return jax.vmap(lambda k: jax.random.permutation(k, n_train)[:n_used])(keys)


def train_step(state: RunState, hyper: RunHyper, x, y, step, spec: TrainSpec):
    """One weight update of one run; returns the new state and (loss, energy, probe), the
    probe being the post-inference activities of the first example [H, 1, N] for PC (None
    for BP).

    Its matmuls run at ``spec.matmul_precision``, by default full float32 (``"highest"``). A GPU's
    default for float32 is TF32, with which the 128-layer μPC net (N = 512, activity lr 0.5,
    weight lr 0.1) diverged on an H200 where full float32, float64 and jpc from the same weights
    trained alike (benchmarks/numerics/deep_mupc_vs_jpc.py). The errors are measured net of their
    feedforward round-off (:mod:`pcrepro.core.energy`), so a layer no error has reached keeps its
    weights exactly, at any precision."""
    with jax.default_matmul_precision(spec.matmul_precision):
        return _train_step(state, hyper, x, y, step, spec)


def _train_step(state: RunState, hyper: RunHyper, x, y, step, spec: TrainSpec):
    params, net = state.params, spec.net
    z = None
    if spec.algorithm == "pc":
        z0, y_hat = forward(params, x, net)
        loss = mse_loss(y_hat, y)  # = F at the feedforward activities
        # errors net of their round-off at z0: a layer no error has reached gets a zero gradient
        round_off = feedforward_round_off(params, z0, x, net)
        z = infer_activities(
            params, z0, x, y, net,
            optim=spec.activity_optim,
            activity_lr=hyper.activity_lr,
            n_steps=spec.n_infer_steps,
            activity_decay=hyper.activity_decay,
            round_off=round_off,
            skip_unreached=spec.skip_unreached_layers,
        )
        energy, grads = jax.value_and_grad(pc_energy)(params, z, x, y, net, hyper.activity_decay, round_off)
    else:
        loss, grads = jax.value_and_grad(lambda p: mse_loss(predict(p, x, net), y))(params)
        energy = loss
    if spec.weight_optim == "adam":
        new_params, new_opt = adam_step(params, grads, state.opt_state, hyper.weight_lr)
    else:
        new_params, new_opt = sgd_step(params, grads, hyper.weight_lr), state.opt_state

    running = state.status == RUNNING
    finite = jnp.isfinite(loss) & jnp.isfinite(energy) & _all_finite(new_params)
    update = running & finite
    diverged = running & ~finite
    new_state = RunState(
        params=_tree_where(update, new_params, params),
        opt_state=_tree_where(update, new_opt, state.opt_state),
        status=jnp.where(diverged, DIVERGED, state.status),
        stop_step=jnp.where(diverged, step, state.stop_step),
    )
    nan = jnp.nan
    probe = None if z is None else z[:, :1]
    return new_state, (jnp.where(running, loss, nan), jnp.where(running, energy, nan), probe)


__all__ = ["TrainSpec", "RunHyper", "RunState", "train_step", "init_run", "data_order", "STATUS_NAMES",
           "RUNNING", "DIVERGED", "NO_LEARNING"]
