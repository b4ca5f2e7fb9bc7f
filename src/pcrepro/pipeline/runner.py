"""The cell runner: every run of a grid cell trained together, one evaluation period at a time.

:func:`run_cell` loads a cell's data and expands its runs; :func:`train_cell` trains them in
five steps, each a function below:

1. :func:`schedule` and :func:`build_programs` — the jitted programs (a period with its evaluation, the steps
   after the last evaluation, the initial states and κ at step 0);
2. :func:`initial_record` — every run's initial state and data order, kept on the host;
3. :func:`train_one_period` — the runs still running, repacked into full programs of
   ``max_runs_per_program`` (:func:`running_chunks`), advance one period; a run that stopped
   (diverged, no learning) costs nothing afterwards;
4. :func:`save_checkpoint` / :func:`resume` — the record, so a killed job resumes exactly;
5. :func:`results_table` — a tidy table with a row per run × evaluation.

Between periods the runs' states wait in host memory, so a cell may hold more runs than fit
on the GPU. The saving from stopped runs is in whole programs: a period whose running runs
still need as many programs as before costs the same.
"""

from __future__ import annotations

import dataclasses
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

from ..core.periods import initial_condition_numbers, train_period
from ..core.training import (
    MATMUL_PRECISIONS,
    RUNNING,
    STATUS_NAMES,
    RunHyper,
    RunState,
    TrainSpec,
    data_order,
    init_run,
)
from ..data import load_prepared
from . import checkpoint as ckpt
from .cells import STATIC_COLUMNS, cell_id, resolve_selected_lrs, run_grid, train_spec
from .devices import CellLayout, batch_sharding, cell_layout, split_runs

# the per-period arrays of a record, [periods, runs] each, in the checkpoint's names
PERIOD_ARRAYS = ("accs", "loss_mean", "loss_min", "energy_mean", "conds")
# every array of a record a checkpoint saves besides the states
RECORD_ARRAYS = (*PERIOD_ARRAYS, "cond_init", "run_loss_min")


class Programs(NamedTuple):
    period: Callable       # test_every steps of a chunk of runs, then the evaluation
    tail: Callable | None  # the steps after the last evaluation (None: there are none)
    init: Callable         # one seed -> its initial state
    order: Callable        # one seed -> its data order
    initial_cond: Callable  # κ(H_z) at step 0


@dataclass
class CellRecord:
    """What a cell's runs have produced so far, on the host: what a checkpoint holds."""

    states: RunState          # stacked over runs
    orders: np.ndarray        # [runs, epochs, n_used] each run's data order
    accs: np.ndarray          # [periods, runs] test accuracy (NaN once stopped)
    loss_mean: np.ndarray     # [periods, runs] mean / min batch loss of the period
    loss_min: np.ndarray
    energy_mean: np.ndarray
    conds: np.ndarray         # [periods, runs] κ(H_z) (NaN unless recorded)
    cond_init: np.ndarray     # [runs] κ(H_z) at step 0
    run_loss_min: np.ndarray  # [runs] minimum over every batch loss, the tail's included
    periods_done: int = 0
    run_steps_computed: int = 0

    def n_running(self) -> int:
        return int(np.sum(self.states.status == RUNNING))


def schedule(spec: TrainSpec, n_train: int) -> tuple[int, int, int, int]:
    """(steps per epoch, total steps, evaluation periods, steps after the last evaluation); an
    error for a cell that cannot run as configured."""
    steps_per_epoch = spec.steps_per_epoch(n_train)
    total = spec.epochs * steps_per_epoch
    n_evals, n_tail = divmod(total, spec.test_every)
    if n_evals == 0:
        raise ValueError(f"test_every={spec.test_every} exceeds the {total} training steps of the cell")
    if spec.dtype == "float64" and not jax.config.jax_enable_x64:
        raise RuntimeError("compute.dtype is float64 but jax_enable_x64 is off: enable it before JAX starts "
                           "(the train_cell job and `pcrepro train-cell` do so for float64 cells)")
    return steps_per_epoch, total, n_evals, n_tail


def spec_with_error_front(spec: TrainSpec, activity_decays: Sequence[float]) -> TrainSpec:
    """The spec a cell trains with: a PC cell whose runs all have activity decay 0 computes only
    the layers the errors have reached (:attr:`TrainSpec.skip_unreached_layers`, about half the
    matmuls of a μPC step with T = H; the same maths, and with the errors measured net of their
    feedforward round-off the same layers stay exactly still), on every platform."""
    decayed = any(float(d) != 0.0 for d in activity_decays)
    if spec.skip_unreached_layers and decayed:
        raise ValueError("skip_unreached_layers needs activity decay 0 for every run (runs.activity_decays)")
    if spec.algorithm != "pc" or decayed:
        return spec
    return dataclasses.replace(spec, skip_unreached_layers=True)


def matmul_precision_here(setting: dict | str | None, dtype: str, platform: str | None = None) -> str:
    """The training matmuls' precision on ``platform`` (default: JAX's backend) from the config's
    ``compute.matmul_precision`` (a precision, or one per platform: ``{cpu: …, gpu: …}``; missing
    means ``highest``). A float64 cell always runs at ``highest``: an explicit algorithm would
    cast its operands to float32."""
    platform = platform or jax.default_backend()
    chosen = setting.get(platform, "highest") if isinstance(setting, dict) else (setting or "highest")
    if chosen not in MATMUL_PRECISIONS:
        raise ValueError(f"compute.matmul_precision for {platform}: {chosen!r} is not one of {MATMUL_PRECISIONS}")
    if platform == "cpu" and chosen == "TF32_TF32_F32_X3":
        raise ValueError("compute.matmul_precision.cpu: XLA:CPU has no TF32_TF32_F32_X3; use highest")
    return "highest" if dtype == "float64" else chosen


def build_programs(spec: TrainSpec, n_train: int, steps_per_epoch: int, n_tail: int,
                   layout: CellLayout = CellLayout()) -> Programs:
    """The cell's jitted programs, laid out over the devices as ``layout`` says
    (:func:`pcrepro.pipeline.devices.cell_layout`)."""
    if layout.run_devices > 1 and layout.batch_devices > 1:
        raise ValueError("split a cell's runs or its batches over devices, not both")
    sharding = batch_sharding(layout.batch_devices)

    def compiled(n_steps, evaluate):
        fn = lambda s, h, o, d, t: train_period(  # noqa: E731
            s, h, o, d, t, n_steps=n_steps, evaluate=evaluate, spec=spec, steps_per_epoch=steps_per_epoch,
            batch_sharding=sharding)
        return jax.jit(split_runs(fn, layout.run_devices, 3), donate_argnums=(0,))

    n_used = steps_per_epoch * spec.batch_size
    return Programs(
        period=compiled(spec.test_every, True),
        tail=compiled(n_tail, False) if n_tail else None,
        # One run at a time, so that these programs depend on the net's shape (and the data's)
        # but not on the cell's number of runs: the compilation cache then serves them to every
        # cell of that shape. Compiling them per cell cost more than the training program (the
        # random draws' threefry compiles slowly on a CPU); the draws are bit for bit the vmapped ones.
        init=jax.jit(lambda s: init_run(s, spec)),
        order=jax.jit(lambda s: data_order(s, spec.epochs, n_train, n_used)),
        initial_cond=jax.jit(initial_condition_numbers, static_argnums=5),
    )


def running_chunks(status: np.ndarray, size: int) -> list[tuple[np.ndarray, int]]:
    """The runs still running, repacked into chunks of ``size`` indices, the last padded with
    copies of its last index (so every chunk runs the same compiled program); with each
    chunk's real length. ``status`` all RUNNING gives every run."""
    alive = np.flatnonzero(status == RUNNING)
    return [(np.concatenate([real, np.repeat(real[-1:], size - len(real))]), len(real))
            for real in (alive[lo:lo + size] for lo in range(0, len(alive), size))]


def _take(tree, idx: np.ndarray):
    """Rows ``idx`` of a stacked host pytree, on the device."""
    return jax.tree_util.tree_map(lambda a: jnp.asarray(a[idx]), tree)


def _put(tree, idx: np.ndarray, new, n: int) -> None:
    """Write the first ``n`` rows of ``new`` (device) back into rows ``idx[:n]`` of ``tree`` (host)."""
    for host, dev in zip(jax.tree_util.tree_leaves(tree), jax.tree_util.tree_leaves(new)):
        host[idx[:n]] = np.asarray(dev)[:n]


def _nan_stats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: stopped runs
        return np.nanmean(values, axis=1), np.nanmin(values, axis=1)


def initial_record(programs: Programs, spec: TrainSpec, hypers: RunHyper, device_data, n_evals: int,
                   size: int) -> CellRecord:
    """Every run's initial state and data order (and κ at step 0), drawn in chunks of ``size``."""
    n = len(hypers.seed)
    states = orders = None
    for run, seed in enumerate(hypers.seed):
        st, od = programs.init(seed), np.asarray(programs.order(seed))
        if states is None:
            states = jax.tree_util.tree_map(lambda a: np.zeros((n, *a.shape), a.dtype), st)
            orders = np.zeros((n, *od.shape), od.dtype)
        for host, device in zip(jax.tree_util.tree_leaves(states), jax.tree_util.tree_leaves(st)):
            host[run] = np.asarray(device)
        orders[run] = od
    cond_init = np.full(n, np.nan)
    if spec.record_condition_number:
        for idx, k in running_chunks(np.full(n, RUNNING), size):
            cond = programs.initial_cond(_take(states, idx), _take(hypers, idx), jnp.asarray(orders[idx]),
                                         *device_data[:2], spec)
            cond_init[idx[:k]] = np.asarray(cond)[:k]
    per_period = {name: np.full((n_evals, n), np.nan) for name in PERIOD_ARRAYS}
    return CellRecord(states, orders, **per_period, cond_init=cond_init, run_loss_min=np.full(n, np.nan))


def train_one_period(program: Callable, record: CellRecord, hypers: RunHyper, device_data, period: int | None,
                     start_step: int, size: int) -> None:
    """The running runs advance ``program``'s steps from ``start_step``, a chunk at a time; the
    period's statistics go to row ``period`` of the record (None: the tail, which only updates
    each run's minimum loss)."""
    for idx, k in running_chunks(record.states.status, size):
        st, losses, energies, acc, cond = program(_take(record.states, idx), _take(hypers, idx),
                                                  jnp.asarray(record.orders[idx]), device_data, start_step)
        _put(record.states, idx, st, k)
        real = idx[:k]
        loss_mean, loss_min = _nan_stats(np.asarray(losses)[:k])
        record.run_loss_min[real] = np.fmin(record.run_loss_min[real], loss_min)
        record.run_steps_computed += size * np.shape(losses)[1]
        if period is None:
            continue
        record.accs[period, real] = np.asarray(acc)[:k]
        record.loss_mean[period, real], record.loss_min[period, real] = loss_mean, loss_min
        record.energy_mean[period, real] = _nan_stats(np.asarray(energies)[:k])[0]
        if cond is not None:
            record.conds[period, real] = np.asarray(cond)[:k]


def save_checkpoint(path: str | Path, key: str, record: CellRecord) -> None:
    arrays = {name: getattr(record, name) for name in (*RECORD_ARRAYS, "periods_done", "run_steps_computed")}
    ckpt.save(path, key, record.states, **arrays)


def resume(path: str | Path, key: str, record: CellRecord) -> bool:
    """Load the checkpoint at ``path`` into ``record`` if it was written for this cell (``key``)."""
    saved = ckpt.load(path, key, record.states)
    if saved is None:
        return False
    record.states, arrays = saved
    for name in RECORD_ARRAYS:
        setattr(record, name, arrays[name])
    record.periods_done, record.run_steps_computed = int(arrays["periods_done"]), int(arrays["run_steps_computed"])
    return True


def results_table(spec: TrainSpec, runs: Sequence[dict], record: CellRecord, steps_per_epoch: int) -> pd.DataFrame:
    """A row per run × evaluation: the run's values, the evaluation's statistics, its final status."""
    rows = []
    for j, run in enumerate(runs):
        for e in range(record.accs.shape[0]):
            step = (e + 1) * spec.test_every
            rows.append({
                "seed": int(run["seed"]),
                "activity_lr": float(run["activity_lr"]),
                "weight_lr": float(run["weight_lr"]),
                "activity_decay": float(run["activity_decay"]),
                "step": step,
                "epoch": step / steps_per_epoch,
                "test_acc": float(record.accs[e, j]),
                "train_loss": float(record.loss_mean[e, j]),
                "train_loss_min": float(record.loss_min[e, j]),
                "run_train_loss_min": float(record.run_loss_min[j]),
                "energy": float(record.energy_mean[e, j]),
                "status": STATUS_NAMES[int(record.states.status[j])],
                "stop_step": int(record.states.stop_step[j]),
                **({"cond_num": float(record.conds[e, j]), "cond_num_init": float(record.cond_init[j])}
                   if spec.record_condition_number else {}),
            })
    table = pd.DataFrame(rows)
    table.attrs["run_steps_computed"] = record.run_steps_computed
    return table


def _progress_line(label: str, record: CellRecord, spec: TrainSpec, *, total: int, n_evals: int,
                   first_period: int, computed_at_start: int, elapsed: float) -> str:
    n, e = len(record.cond_init), record.periods_done
    step = e * spec.test_every
    done = n if e == n_evals else n - record.n_running()  # stopped early or finished
    reached = record.accs[:e]  # best over every evaluation so far: its runs may have stopped since
    best = f"{np.nanmax(reached):.1f} %" if np.isfinite(reached).any() else "none (no run evaluated)"
    return (f"[{label}] step {step}/{total} (period {e}/{n_evals}): runs done {done}/{n}, "
            f"{(step - first_period * spec.test_every) / elapsed:.1f} steps/s "
            f"({(record.run_steps_computed - computed_at_start) / elapsed:.0f} run-steps/s, incl. compile), "
            f"best test acc so far {best}")


def run_hypers(runs: Sequence[dict], dtype) -> RunHyper:
    """The runs' values as :class:`RunHyper` arrays over runs, each field from the run key of its
    name (seeds as uint32, the rest in ``dtype``)."""
    missing = sorted({f for f in RunHyper._fields for r in runs if f not in r})
    if missing:
        raise ValueError(f"runs lack {', '.join(missing)}: each run needs {', '.join(RunHyper._fields)} "
                         "(pcrepro.pipeline.cells.run_grid)")
    return RunHyper(**{f: np.asarray([int(r[f]) if f == "seed" else float(r[f]) for r in runs],
                                     np.uint32 if f == "seed" else dtype) for f in RunHyper._fields})


def train_cell(spec: TrainSpec, runs: Sequence[dict], data, *, max_runs_per_program: int = 16,
               split_batch: bool = False, log: Callable[[str], None] | None = print, label: str = "cell",
               checkpoint: str | Path | None = None, checkpoint_every_s: float = 300.0,
               log_every_s: float = 30.0) -> pd.DataFrame:
    """Train every run of a cell (``runs``: dicts of seed, activity_lr, weight_lr, activity_decay) on
    ``data`` (a :class:`pcrepro.data.Dataset`, normalised, one-hot labels); :func:`results_table`.

    ``checkpoint``: a file the record is saved to after a period once ``checkpoint_every_s`` have
    passed since the last save (0: after every period); a job started again with the same cell,
    runs and data resumes from it and computes exactly what an uninterrupted job does; it is removed
    when the cell is done. Progress is logged at most every ``log_every_s`` s and after the last period.
    How the runs sit on the devices (``max_runs_per_program`` on a GPU, one run per device on a CPU,
    ``split_batch``) is :func:`pcrepro.pipeline.devices.cell_layout`'s.
    ``table.attrs["run_steps_computed"]`` counts the run-steps trained (padding included)."""
    log = log or (lambda _msg: None)
    n_train = data.x_train.shape[0]
    spe, total, n_evals, n_tail = schedule(spec, n_train)
    dtype = np.dtype(spec.dtype)  # data, weights and the lrs in one precision, whatever x64 says
    device_data = tuple(jnp.asarray(a, dtype) for a in (data.x_train, data.y_train, data.x_test, data.y_test))
    hypers = run_hypers(runs, dtype)
    compiled_spec = spec_with_error_front(spec, hypers.activity_decay)
    layout = cell_layout(compiled_spec, len(runs), max_runs_per_program, split_batch)
    n, size = len(runs), layout.runs_per_program
    programs = build_programs(compiled_spec, n_train, spe, n_tail, layout)
    record = initial_record(programs, spec, hypers, device_data, n_evals, size)

    @functools.cache
    def key():  # hashes the whole data set: only when a checkpoint is read or first written
        # the compiled form: a checkpoint resumes only into the program that wrote it (round-off included)
        return ckpt.fingerprint(compiled_spec, layout.run_devices, layout.batch_devices, runs, size,
                                *map(np.asarray, (data.x_train, data.y_train, data.x_test, data.y_test)))

    if checkpoint and Path(checkpoint).exists():
        if resume(checkpoint, key(), record):
            log(f"[{label}] resuming from checkpoint {checkpoint}: step {record.periods_done * spec.test_every}/"
                f"{total}, {record.n_running()}/{n} runs still running")
        else:
            log(f"[{label}] ignoring checkpoint {checkpoint}: written for other settings, runs or data")
    first_period, computed_at_start = record.periods_done, record.run_steps_computed
    t0 = last_log = last_save = time.perf_counter()
    log(f"[{label}] {n} runs in programs of {size}"
        + (f" split over {layout.run_devices} CPU devices, one run each" if layout.run_devices > 1 else "")
        + (f", each batch split over {layout.batch_devices} CPU devices" if layout.batch_devices > 1 else "")
        + f", {total} steps each ({n_evals} periods of {spec.test_every})"
        + (", inference on the layers the errors have reached" if compiled_spec.skip_unreached_layers else "")
        + (f"; checkpoint every {checkpoint_every_s:g} s to {checkpoint}" if checkpoint else ""))
    for e in range(first_period, n_evals):
        train_one_period(programs.period, record, hypers, device_data, e, e * spec.test_every, size)
        record.periods_done, now = e + 1, time.perf_counter()
        if checkpoint and e + 1 < n_evals and now - last_save >= checkpoint_every_s:
            save_checkpoint(checkpoint, key(), record)
            last_save = now
        if now - last_log >= log_every_s or e + 1 == n_evals:
            last_log = now
            log(_progress_line(label, record, spec, total=total, n_evals=n_evals, first_period=first_period,
                               computed_at_start=computed_at_start, elapsed=now - t0))
    if programs.tail is not None:
        train_one_period(programs.tail, record, hypers, device_data, None, n_evals * spec.test_every, size)
    table = results_table(spec, runs, record, spe)
    if checkpoint:
        Path(checkpoint).unlink(missing_ok=True)
    stopped = {name: int(np.sum(record.states.status == code)) for code, name in STATUS_NAMES.items()
               if code != RUNNING}
    log(f"[{label}] done: {record.run_steps_computed} run-steps trained ({n * total} if no run had stopped early); "
        f"{sum(stopped.values())} of {n} runs stopped early ({stopped['diverged']} diverged, "
        f"{stopped['no_learning']} no learning)")
    return table


def run_cell(cell: dict, dataset_path: str | Path, *, max_runs_per_program: int = 16, split_batch: bool = False,
             log: Callable[[str], None] | None = print, selection_path: str | Path | None = None,
             checkpoint: str | Path | None = None, checkpoint_every_s: float = 300.0) -> pd.DataFrame:
    """Train one cell on a prepared dataset; :func:`train_cell`'s table with the cell's static keys
    as columns. A cell whose lrs come from another sweep (``runs.lrs_from``) needs that sweep's
    ``selection_path``."""
    if cell["runs"].get("lrs_from"):
        if selection_path is None:
            raise ValueError(f"cell {cell_id(cell)} takes its lrs from the selection of "
                             f"{cell['runs']['lrs_from']['study']}: give its selection.csv")
        cell = resolve_selected_lrs(cell, pd.read_csv(selection_path))
    if not cell.get("normalisation"):
        raise ValueError(f"cell {cell_id(cell)} has no input normalisation for dataset {cell['dataset']!r}: "
                         "set data.normalisation in the config")
    data = load_prepared(Path(dataset_path), cell["normalisation"], test_subset=cell.get("test_subset"))
    r = cell["runs"]
    runs = run_grid(r["seeds"], r["activity_lrs"], r["weight_lrs"], r["activity_decays"])
    cid = cell_id(cell)
    precision = matmul_precision_here(cell.get("matmul_precision"), cell["train"].get("dtype", "float32"))
    cell = {**cell, "train": {**cell["train"], "matmul_precision": precision}}
    table = train_cell(train_spec(cell), runs, data, max_runs_per_program=max_runs_per_program,
                       split_batch=split_batch, log=log, label=cid, checkpoint=checkpoint, checkpoint_every_s=checkpoint_every_s)
    static = {**cell["net"], **cell["train"], "dataset": cell["dataset"]}
    for key in STATIC_COLUMNS:
        table[key] = static[key]
    for key, value in cell.get("labels", {}).items():
        table[key] = value
    table["study"] = cell["study"]
    table["cell"] = cid
    table["data_source"] = data.source
    table["matmul_precision"] = precision
    return table


__all__ = ["CellRecord", "Programs", "schedule", "spec_with_error_front", "matmul_precision_here", "build_programs",
           "initial_record", "running_chunks", "run_hypers", "train_one_period", "save_checkpoint", "resume",
           "results_table", "train_cell", "run_cell"]
