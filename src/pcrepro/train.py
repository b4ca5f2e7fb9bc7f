"""Training of PC / μPC / BP nets, vmapped over the runs of one grid cell.

A *cell* fixes everything that changes shapes or code paths (:class:`TrainSpec`);
its *runs* differ only in values (:class:`RunHyper`: seed, activity lr, weight
lr, activity decay) and are trained together: the train step of one run is
``vmap``-ed over the runs, ``test_every`` steps are one ``lax.scan`` and the
evaluation that follows them is in the same jitted program. The Python loop
only goes from one evaluation to the next (where it logs progress).

With ``record_condition_number`` (a static switch: cells that leave it off compile the
same program as before) every evaluation also records κ(H_z) = |λ_max|/|λ_min| of the
activity Hessian at the post-inference activities of the first example of the segment's
last batch, with the updated weights (as the μPC scripts do), and at step 0 at the
feedforward activities of the first example (column ``cond_num_init``).

Per-run stopping, as in the μPC scripts:
  * a non-finite train loss, energy or weight update → the run keeps its last
    finite weights, is frozen and marked ``diverged``;
  * test accuracy below ``no_learning_acc`` (15 %) at any evaluation → frozen
    and marked ``no_learning``.
A frozen run never changes again and is no longer trained: the runs still running
are repacked into full programs at every evaluation. It never affects the other runs:
everything about a run (init, data order) derives from its own seed, so its results
do not depend on its neighbours.
"""

from __future__ import annotations

import functools
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from . import checkpoint as ckpt
from .energy import mse_loss, pc_energy
from .hessian import activity_hessian, condition_number
from .inference import infer_activities
from .nets import NetSpec, forward, init_params, predict
from .optim import adam_init, adam_step, sgd_step

RUNNING, DIVERGED, NO_LEARNING = 0, 1, 2
STATUS_NAMES = {RUNNING: "ok", DIVERGED: "diverged", NO_LEARNING: "no_learning"}
ALGORITHMS = ("pc", "bp")
WEIGHT_OPTIMS = ("adam", "sgd")
DTYPES = ("float32", "float64")


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

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm {self.algorithm!r} not in {ALGORITHMS}")
        if self.weight_optim not in WEIGHT_OPTIMS:
            raise ValueError(f"weight_optim {self.weight_optim!r} not in {WEIGHT_OPTIMS}")
        if self.record_condition_number and self.algorithm != "pc":
            raise ValueError("record_condition_number needs PC activities: it is for algorithm 'pc' only")
        if self.test_every < 1 or self.batch_size < 1 or self.epochs < 1:
            raise ValueError("test_every, batch_size and epochs must be positive")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype {self.dtype!r} not in {DTYPES} (config key compute.dtype)")

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
    for BP)."""
    params, net = state.params, spec.net
    z = None
    if spec.algorithm == "pc":
        z0, y_hat = forward(params, x, net)
        loss = mse_loss(y_hat, y)  # = F at the feedforward activities
        z = infer_activities(
            params, z0, x, y, net,
            optim=spec.activity_optim,
            activity_lr=hyper.activity_lr,
            n_steps=spec.n_infer_steps,
            activity_decay=hyper.activity_decay,
        )
        energy, grads = jax.value_and_grad(pc_energy)(params, z, x, y, net, hyper.activity_decay)
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


def accuracy(params, x, y, net: NetSpec) -> jax.Array:
    """Test accuracy (%) of the feedforward pass."""
    return 100.0 * jnp.mean(jnp.argmax(predict(params, x, net), -1) == jnp.argmax(y, -1))


def _batch_indices(order, step, steps_per_epoch, batch_size):
    epoch, pos = step // steps_per_epoch, step % steps_per_epoch
    return jax.lax.dynamic_slice(order[epoch], (pos * batch_size,), (batch_size,))


def activity_condition_number(params, z, x, y, net: NetSpec, activity_decay) -> jax.Array:
    """κ(H_z) for one example: activities [H, 1, N], x [1, D], y [1, d_y]. Full float32 matmul
    precision: with the GPU's default TF32, λ_min of a large H_z is off by percents."""
    with jax.default_matmul_precision("highest"):
        return condition_number(jnp.linalg.eigvalsh(activity_hessian(params, z, x, y, net, activity_decay)))


def _condition_numbers(params, probes, hypers, net: NetSpec) -> jax.Array:
    """κ for every run, one run at a time (``lax.map``: an H_z is up to (H·N)² floats)."""
    return jax.lax.map(lambda a: activity_condition_number(*a[:4], net, a[4]),
                       (params, *probes, hypers.activity_decay))


def initial_condition_numbers(states, hypers, orders, x_train, y_train, spec: TrainSpec) -> jax.Array:
    """κ at step 0: initial weights, feedforward activities of each run's first example."""
    first = orders[:, 0, :1]  # [runs, 1]
    x, y = x_train[first], y_train[first]
    z = jax.vmap(lambda p, xi: forward(p, xi, spec.net)[0])(states.params, x)
    return _condition_numbers(states.params, (z, x, y), hypers, spec.net)


def _segment(states, hypers, orders, data, start_step, *, n_steps, evaluate, spec, steps_per_epoch):
    """``n_steps`` train steps of every run, then (optionally) the evaluation (and κ(H_z))."""
    x_train, y_train, x_test, y_test = data
    b = spec.batch_size
    record = evaluate and spec.record_condition_number

    def run(state, hyper, order):
        def body(carry, t):
            st = carry[0] if record else carry
            step = start_step + t
            idx = _batch_indices(order, step, steps_per_epoch, b)
            x, y = x_train[idx], y_train[idx]
            st, (loss, energy, probe) = train_step(st, hyper, x, y, step + 1, spec)
            # keep only the last step's probe in the carry (nothing is stacked over steps)
            return ((st, (probe, x[:1], y[:1])) if record else st), (loss, energy)

        if not record:
            return jax.lax.scan(body, state, jnp.arange(n_steps, dtype=jnp.int32))
        net, d_y = spec.net, y_train.shape[1]
        empty = (jnp.zeros((net.n_hidden, 1, net.width), x_train.dtype),
                 jnp.zeros((1, x_train.shape[1]), x_train.dtype), jnp.zeros((1, d_y), y_train.dtype))
        return jax.lax.scan(body, (state, empty), jnp.arange(n_steps, dtype=jnp.int32))

    carry, (losses, energies) = jax.vmap(run)(states, hypers, orders)
    states, probes = carry if record else (carry, None)
    if not evaluate:
        return states, losses, energies, None, None
    eval_step = start_step + n_steps
    acc = jax.vmap(lambda p: accuracy(p, x_test, y_test, spec.net))(states.params)
    running = states.status == RUNNING
    cond = None
    if record:
        cond = jnp.where(running, _condition_numbers(states.params, probes, hypers, spec.net), jnp.nan)
    stop = running & (acc < spec.no_learning_acc)
    states = states._replace(
        status=jnp.where(stop, NO_LEARNING, states.status),
        stop_step=jnp.where(stop, eval_step, states.stop_step),
    )
    return states, losses, energies, jnp.where(running, acc, jnp.nan), cond


def _nan_stats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: stopped runs
        return np.nanmean(values, axis=1), np.nanmin(values, axis=1)


def _take(tree, idx: np.ndarray):
    """Rows ``idx`` of a stacked host pytree, on the device."""
    return jax.tree_util.tree_map(lambda a: jnp.asarray(a[idx]), tree)


def _put(tree, idx: np.ndarray, new, n: int) -> None:
    """Write the first ``n`` rows of ``new`` (device) back into rows ``idx[:n]`` of ``tree`` (host)."""
    for host, dev in zip(jax.tree_util.tree_leaves(tree), jax.tree_util.tree_leaves(new)):
        host[idx[:n]] = np.asarray(dev)[:n]


def _padded_chunks(alive: np.ndarray, size: int) -> list[tuple[np.ndarray, int]]:
    """``alive`` cut into chunks of ``size`` indices, the last padded with copies of its last
    index (so every chunk runs the same compiled program); with each chunk's real length."""
    out = []
    for lo in range(0, len(alive), size):
        real = alive[lo:lo + size]
        out.append((np.concatenate([real, np.repeat(real[-1:], size - len(real))]), len(real)))
    return out


def train_cell(
    spec: TrainSpec,
    runs: Sequence[dict],
    data,
    *,
    max_runs_per_program: int = 16,
    log: Callable[[str], None] | None = print,
    label: str = "cell",
    checkpoint: str | Path | None = None,
    checkpoint_every_s: float = 300.0,
    log_every_s: float = 30.0,
) -> pd.DataFrame:
    """Train every run of a cell; a tidy table with a row per run × evaluation.

    ``runs``: dicts with keys seed, activity_lr, weight_lr, activity_decay.
    ``data``: a :class:`pcrepro.data.Dataset` (normalised, one-hot labels).

    The runs advance together, one evaluation period at a time: before each period the
    runs still running are packed into chunks of ``max_runs_per_program`` (the last padded
    with copies of its last run, so one compiled program serves every chunk) and only those
    are trained. A run that stopped (diverged, no learning) costs nothing afterwards: in
    sweeps where many learning rates fail early this is most of the grid. Between periods
    the runs' states wait in host memory, so a cell may hold more runs than fit on the GPU.
    The saving is in whole programs: a period whose running runs still need as many programs
    as before costs the same (a cell of at most ``max_runs_per_program`` runs always trains one
    full program until all its runs stop).
    ``table.attrs["run_steps_computed"]`` counts the run-steps trained (padding included).

    ``checkpoint``: a file where the runs' states and the evaluations so far are saved after
    an evaluation period once ``checkpoint_every_s`` have passed since the last save (0: after
    every period). A job started again with the same cell, runs and data resumes from it and
    computes exactly what an uninterrupted job does (the saved states are the next program's
    inputs); the file is removed when the cell is done. Progress (periods, runs done / total,
    run-steps per second) is logged at most every ``log_every_s`` seconds, and after the last
    period.
    """
    log = log or (lambda _msg: None)
    n_train = data.x_train.shape[0]
    spe = spec.steps_per_epoch(n_train)
    total = spec.epochs * spe
    n_evals, tail = divmod(total, spec.test_every)
    if n_evals == 0:
        raise ValueError(f"test_every={spec.test_every} exceeds the {total} training steps of the cell")
    if spec.dtype == "float64" and not jax.config.jax_enable_x64:
        raise RuntimeError("compute.dtype is float64 but jax_enable_x64 is off: enable it before JAX starts "
                           "(the train_cell job and `pcrepro train-cell` do so for float64 cells)")
    dtype = np.dtype(spec.dtype)  # data, weights and the lrs in one precision, whatever x64 says
    device_data = tuple(jnp.asarray(a, dtype) for a in (data.x_train, data.y_train, data.x_test, data.y_test))

    def compiled(n_steps, evaluate):
        fn = lambda s, h, o, d, t: _segment(  # noqa: E731
            s, h, o, d, t, n_steps=n_steps, evaluate=evaluate, spec=spec, steps_per_epoch=spe
        )
        return jax.jit(fn, donate_argnums=(0,))

    segment, tail_segment = compiled(spec.test_every, True), compiled(tail, False) if tail else None
    n = len(runs)
    size = min(max_runs_per_program, n)
    hypers = RunHyper(np.asarray([int(r["seed"]) for r in runs], np.uint32),
                      *(np.asarray([float(r[k]) for r in runs], dtype) for k in RunHyper._fields[1:]))

    # initial states, data orders (and κ at step 0) of every run, kept on the host
    init = jax.jit(jax.vmap(lambda s: (init_run(s, spec),
                                       data_order(s, spec.epochs, n_train, spe * spec.batch_size))))
    initial_cond = jax.jit(initial_condition_numbers, static_argnums=5)
    states = orders = cond_init = None
    for idx, k in _padded_chunks(np.arange(n), size):
        st, od = init(jnp.asarray(hypers.seed[idx]))
        if states is None:
            states = jax.tree_util.tree_map(lambda a: np.zeros((n, *a.shape[1:]), a.dtype), st)
            orders = np.zeros((n, *od.shape[1:]), od.dtype)
            cond_init = np.full(n, np.nan)
        _put(states, idx, st, k)
        orders[idx[:k]] = np.asarray(od)[:k]
        if spec.record_condition_number:
            cond = initial_cond(st, _take(hypers, idx), jnp.asarray(orders[idx]), device_data[0], device_data[1], spec)
            cond_init[idx[:k]] = np.asarray(cond)[:k]

    def program_inputs(idx):  # a chunk's states, hyperparameters, data orders and the data
        return _take(states, idx), _take(hypers, idx), jnp.asarray(orders[idx]), device_data

    shape = (n_evals, n)
    accs, loss_mean, loss_min, energy_mean, conds = (np.full(shape, np.nan) for _ in range(5))
    # each run's minimum over every batch loss it computed, the steps after the last evaluation
    # included (a stopped run keeps the minimum it reached before it stopped)
    run_loss_min = np.full(n, np.nan)
    computed, first_period = 0, 0

    @functools.cache
    def key():  # hashes the whole data set: only when a checkpoint is read or first written
        return ckpt.fingerprint(spec, runs, size, *map(np.asarray, (data.x_train, data.y_train, data.x_test, data.y_test)))

    if checkpoint and Path(checkpoint).exists():
        saved = ckpt.load(checkpoint, key(), states)
        if saved is not None:
            states, arrays = saved
            accs, loss_mean, loss_min, energy_mean, conds, cond_init, run_loss_min = (
                arrays[k] for k in ("accs", "loss_mean", "loss_min", "energy_mean", "conds", "cond_init",
                                    "run_loss_min"))
            first_period, computed = int(arrays["periods_done"]), int(arrays["run_steps_computed"])
            log(f"[{label}] resuming from checkpoint {checkpoint}: step {first_period * spec.test_every}/{total}, "
                f"{int(np.sum(states.status == RUNNING))}/{n} runs still running")
        else:
            log(f"[{label}] ignoring checkpoint {checkpoint}: written for other settings, runs or data")

    def save_checkpoint(periods_done):
        ckpt.save(checkpoint, key(), states, accs=accs, loss_mean=loss_mean, loss_min=loss_min,
                  energy_mean=energy_mean, conds=conds, cond_init=cond_init, run_loss_min=run_loss_min,
                  periods_done=periods_done, run_steps_computed=computed)

    t0 = last_log = last_save = time.perf_counter()
    computed_at_start = computed
    log(f"[{label}] {n} runs in programs of {size}, {total} steps each ({n_evals} periods of {spec.test_every})"
        + (f"; checkpoint every {checkpoint_every_s:g} s to {checkpoint}" if checkpoint else ""))
    for e in range(first_period, n_evals):
        alive = np.flatnonzero(states.status == RUNNING)
        for idx, k in _padded_chunks(alive, size):
            st, losses, energies, acc, cond = segment(*program_inputs(idx), e * spec.test_every)
            _put(states, idx, st, k)
            real = idx[:k]
            accs[e, real] = np.asarray(acc)[:k]
            lm, lmin = _nan_stats(np.asarray(losses)[:k])
            loss_mean[e, real], loss_min[e, real] = lm, lmin
            run_loss_min[real] = np.fmin(run_loss_min[real], lmin)
            energy_mean[e, real] = _nan_stats(np.asarray(energies)[:k])[0]
            if cond is not None:
                conds[e, real] = np.asarray(cond)[:k]
            computed += size * spec.test_every
        step, now = (e + 1) * spec.test_every, time.perf_counter()
        if checkpoint and e + 1 < n_evals and now - last_save >= checkpoint_every_s:
            save_checkpoint(e + 1)
            last_save = now
        if now - last_log >= log_every_s or e + 1 == n_evals:
            last_log = now
            done = n if e + 1 == n_evals else n - int(np.sum(states.status == RUNNING))  # stopped early or finished
            # best over every evaluation so far: the runs that reached it may have stopped since
            reached = accs[: e + 1]
            best = f"{np.nanmax(reached):.1f} %" if np.isfinite(reached).any() else "none (no run evaluated)"
            elapsed = now - t0
            log(
                f"[{label}] step {step}/{total} (period {e + 1}/{n_evals}): runs done {done}/{n}, "
                f"{(step - first_period * spec.test_every) / elapsed:.1f} steps/s "
                f"({(computed - computed_at_start) / elapsed:.0f} run-steps/s, incl. compile), "
                f"best test acc so far {best}"
            )
    if tail_segment is not None:
        for idx, k in _padded_chunks(np.flatnonzero(states.status == RUNNING), size):
            st, losses, *_ = tail_segment(*program_inputs(idx), n_evals * spec.test_every)
            _put(states, idx, st, k)
            run_loss_min[idx[:k]] = np.fmin(run_loss_min[idx[:k]], _nan_stats(np.asarray(losses)[:k])[1])
            computed += size * tail

    frames = []
    for j, run in enumerate(runs):
        for e in range(n_evals):
            step = (e + 1) * spec.test_every
            frames.append({
                "seed": int(run["seed"]),
                "activity_lr": float(run["activity_lr"]),
                "weight_lr": float(run["weight_lr"]),
                "activity_decay": float(run["activity_decay"]),
                "step": step,
                "epoch": step / spe,
                "test_acc": float(accs[e, j]),
                "train_loss": float(loss_mean[e, j]),
                "train_loss_min": float(loss_min[e, j]),
                "run_train_loss_min": float(run_loss_min[j]),
                "energy": float(energy_mean[e, j]),
                "status": STATUS_NAMES[int(states.status[j])],
                "stop_step": int(states.stop_step[j]),
                **({"cond_num": float(conds[e, j]), "cond_num_init": float(cond_init[j])}
                   if spec.record_condition_number else {}),
            })
    table = pd.DataFrame(frames)
    table.attrs["run_steps_computed"] = computed
    if checkpoint:
        Path(checkpoint).unlink(missing_ok=True)
    stopped = {name: int(np.sum(states.status == code)) for code, name in STATUS_NAMES.items() if code != RUNNING}
    log(f"[{label}] done: {computed} run-steps trained ({n * total} if no run had stopped early); "
        f"{sum(stopped.values())} of {n} runs stopped early ({stopped['diverged']} diverged, "
        f"{stopped['no_learning']} no learning)")
    return table


def run_grid(seeds, activity_lrs, weight_lrs, activity_decays) -> list[dict]:
    """The runs of a cell: the Cartesian product of its vmapped values."""
    return [
        {"seed": s, "activity_lr": a, "weight_lr": w, "activity_decay": d}
        for s in seeds
        for a in activity_lrs
        for w in weight_lrs
        for d in activity_decays
    ]


__all__ = [
    "TrainSpec", "RunHyper", "RunState", "train_cell", "train_step", "init_run", "run_grid",
    "accuracy", "data_order", "STATUS_NAMES", "activity_condition_number",
]
