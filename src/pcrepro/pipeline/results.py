"""Result tables: atomic writes, aggregation, best-lr selection, curve statistics.

A result table is tidy: a row per run × evaluation step, with the run's
configuration (static keys of its cell, seed, learning rates, decay), its
metrics (test_acc, train_loss, …) and its final ``status`` (ok / diverged /
no_learning) with ``stop_step``. ``test_acc`` is NaN at evaluations after a
run stopped.
"""

from __future__ import annotations

import json

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from pcrepro.data.atomic import write_atomic

RUN_KEYS = ("cell", "seed", "activity_lr", "weight_lr", "activity_decay")


def write_table(df: pd.DataFrame, path: str | Path, provenance: dict | None = None) -> None:
    """Parquet (or CSV for a .csv path), written atomically, with its ``provenance`` record
    (:mod:`pcrepro.pipeline.provenance`): in a parquet table's schema metadata, beside a CSV."""
    from .provenance import PARQUET_KEY, write_sidecar

    if str(path).endswith(".csv"):
        write_atomic(path, lambda tmp: df.to_csv(tmp, index=False))
        if provenance is not None:
            write_sidecar(path, provenance)
        return
    if provenance is None:
        write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = {**(table.schema.metadata or {}), PARQUET_KEY: json.dumps(provenance).encode()}
    write_atomic(path, lambda tmp: pq.write_table(table.replace_schema_metadata(meta), tmp))


class UnreadableTable(RuntimeError):
    """A result table that exists but cannot be read (truncated or corrupt)."""


def read_table(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A parquet result table; one that cannot be read is reported with its path and what to do."""
    try:
        return pd.read_parquet(path, columns=None if columns is None else list(columns))
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise UnreadableTable(_cannot_read(path, err)) from err


def unreadable_table(path: str | Path) -> str | None:
    """Why the parquet table ``path`` cannot be used, from its footer alone (cheap enough to check
    every table a run reads before it starts), or None."""
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
    except (OSError, ValueError) as err:
        return _cannot_read(path, err)
    return None


def _cannot_read(path: str | Path, err: Exception) -> str:
    return (f"result table {path} cannot be read ({type(err).__name__}: {err}); the job that wrote it rebuilds it: "
            f"delete the file and run the workflow again with the same targets")


def aggregate(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Concatenate the per-cell tables of a study."""
    frames = [read_table(p) for p in paths]
    if not frames:
        raise ValueError("no result tables to aggregate")
    return pd.concat(frames, ignore_index=True)


def padded_test_acc(df: pd.DataFrame, stopped_run_score: float) -> pd.Series:
    """test_acc with the evaluations a stopped run missed set to ``stopped_run_score``.

    This is how the notebook draws stopped runs (chance accuracy, 10 %).
    """
    return df["test_acc"].fillna(stopped_run_score)


def run_scores(df: pd.DataFrame, statistic: str, stopped_run_score: float) -> pd.DataFrame:
    """One score per run: its final or its maximum (padded) test accuracy."""
    df = df.assign(acc=padded_test_acc(df, stopped_run_score)).sort_values("step")
    grouped = df.groupby(list(RUN_KEYS), sort=False)
    if statistic == "final_test_acc":
        scores = grouped["acc"].last()
    elif statistic == "max_test_acc":
        scores = grouped["acc"].max()
    else:
        raise ValueError(f"unknown selection statistic {statistic!r}")
    first = grouped.first()
    out = first.drop(columns=["acc", "test_acc", "step"], errors="ignore").assign(score=scores)
    out["stopped"] = first["status"] != "ok"
    return out.reset_index()


def select_best(
    df: pd.DataFrame,
    group_by: Sequence[str],
    lr_key: str | Sequence[str] = "activity_lr",
    *,
    statistic: str = "final_test_acc",
    stopped_run_score: float = 10.0,
    tie_tolerance: float = 1e-6,
) -> pd.DataFrame:
    """Rank the candidates ``lr_key`` within each group; a row per (group, candidate).

    ``lr_key`` is one learning-rate column or several (a joint choice, e.g. weight and
    activity lr). Columns: the group keys, the lr key(s), ``score_mean``/``score_std``
    (over the runs of the group with those lrs: seeds and pooled cells), ``n_runs``,
    ``n_stopped`` and ``selected`` (one True per group). The best mean wins;
    candidates within ``tie_tolerance`` of it go to fewer stopped runs, then to
    the smaller learning rate(s), in the order of ``lr_key``.
    """
    lr_keys = _as_list(lr_key)
    scores = run_scores(df, statistic, stopped_run_score)
    keys = list(group_by) + lr_keys
    table = (
        scores.groupby(keys)
        .agg(score_mean=("score", "mean"), score_std=("score", "std"), n_runs=("score", "size"),
             n_stopped=("stopped", "sum"))
        .reset_index()
    )
    table["score_std"] = table["score_std"].fillna(0.0)
    table["selected"] = False
    for _, group in table.groupby(list(group_by)) if group_by else [((), table)]:
        best = group["score_mean"].max()
        tied = group[group["score_mean"] >= best - tie_tolerance]
        winner = tied.sort_values(["n_stopped", *lr_keys]).index[0]
        table.loc[winner, "selected"] = True
    table["statistic"] = statistic
    return table


def curve_stats(df: pd.DataFrame, by: Sequence[str], stopped_run_score: float,
                metric: str = "test_acc") -> pd.DataFrame:
    """Mean and std over seeds of ``metric`` per step, per ``by`` group (stopped runs padded)."""
    values = padded_test_acc(df, stopped_run_score) if metric == "test_acc" else df[metric]
    stats = (
        df.assign(value=values)
        .groupby(list(by) + ["step"])["value"]
        .agg(mean="mean", std=lambda v: float(np.std(v, ddof=0)), n="size")
        .reset_index()
    )
    return stats


def truncated_curve_stats(df: pd.DataFrame, by: Sequence[str], stopped_run_score: float, *,
                          min_evals: int = 1, pad_evals: int | None = 1,
                          chance_if_all_stopped: bool = False) -> pd.DataFrame:
    """Mean and std of test_acc per step and ``by`` group, as the notebook's sweep and best-lr
    curves compute them (``compute_metric_stats``): each run contributes the evaluations it
    recorded before it stopped; a run with fewer than ``min_evals`` of them is replaced by
    ``pad_evals`` evaluations at ``stopped_run_score`` (None: as many as the group's evaluation
    steps; the μPC cells: an empty run becomes one point at 10 %; the BP sweep: a run with at
    most one becomes a whole run's worth, three in the notebook); then every run of a
    group is cut to the group's shortest. ``chance_if_all_stopped``: a group whose runs all
    stopped is drawn at ``stopped_run_score`` at every evaluation (the notebook's "failed"
    standard-PC depths, which it hard-codes as chance). The columns of :func:`curve_stats`."""
    rows = []
    for key, group in df.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        steps = np.sort(group["step"].unique())
        pad = len(steps) if pad_evals is None else min(pad_evals, len(steps))
        if chance_if_all_stopped and (group["status"] != "ok").all():
            rows += [{**dict(zip(by, key)), "step": step, "mean": stopped_run_score, "std": 0.0,
                      "n": group[list(RUN_KEYS)].drop_duplicates().shape[0]} for step in steps]
            continue
        series = []
        for _, run in group.sort_values("step").groupby(list(RUN_KEYS), sort=False):
            values = run["test_acc"].dropna().to_numpy()
            series.append(values if len(values) >= min_evals else np.full(pad, stopped_run_score))
        length = min(len(v) for v in series)
        stacked = np.stack([v[:length] for v in series]) if length else np.zeros((len(series), 0))
        for i in range(length):
            rows.append({**dict(zip(by, key)), "step": steps[i], "mean": float(stacked[:, i].mean()),
                         "std": float(stacked[:, i].std()), "n": len(series)})
    return pd.DataFrame(rows, columns=[*by, "step", "mean", "std", "n"])


def best_runs(table: pd.DataFrame, selection: pd.DataFrame, group_by: Sequence[str],
              lr_key: str | Sequence[str] = "activity_lr") -> pd.DataFrame:
    """The rows of ``table`` whose lr(s) ``lr_key`` are the ones selected for their group."""
    keys = list(group_by) + _as_list(lr_key)
    chosen = selection.loc[selection["selected"], keys]
    return table.merge(chosen, on=keys, how="inner")


def rows_where(table: pd.DataFrame, **where) -> pd.DataFrame:
    """The rows of ``table`` whose column ``key`` equals ``value`` for every ``key=value``."""
    mask = np.ones(len(table), bool)
    for key, value in where.items():
        mask &= (table[key] == value).to_numpy()
    return table[mask]


def _as_list(keys: str | Sequence[str]) -> list[str]:
    return [keys] if isinstance(keys, str) else list(keys)


FAILED_RULES = ("any_run_stopped", "all_runs_stopped")
STOPPED_POINTS = ("mark", "blank")


def transfer_surface(cell: pd.DataFrame, metric: str, failed_if: str = "any_run_stopped",
                     stopped_points: str = "mark") -> pd.DataFrame:
    """One value per (weight lr, activity lr) of a cell, as the notebook computes it: the mean
    over its seeds of each run's minimum over every batch loss it computed
    (``metric="loss"``, column ``run_train_loss_min``: a run that stopped keeps the minimum it
    reached before it stopped) or of each run's maximum test accuracy (``"accuracy"``; a run
    stopped before its first evaluation counts 0, as the notebook's array left it).

    A point is ``stopped`` when any of its runs stopped (``failed_if="any_run_stopped"``) or when
    all did (``"all_runs_stopped"``). ``stopped_points="mark"`` (the notebook's values) keeps its
    value and the figure marks it ×; ``"blank"`` removes the value (under ``all_runs_stopped``
    the other points then average only their runs that did not stop)."""
    if failed_if not in FAILED_RULES:
        raise ValueError(f"failed_if {failed_if!r} not in {FAILED_RULES}")
    if stopped_points not in STOPPED_POINTS:
        raise ValueError(f"stopped_points {stopped_points!r} not in {STOPPED_POINTS}")
    grouped = cell.groupby(list(RUN_KEYS))
    if metric == "loss":
        values = grouped["run_train_loss_min"].min()
    elif metric == "accuracy":
        values = grouped["test_acc"].max().fillna(0.0)
    else:
        raise ValueError(f"metric {metric!r} not in ('loss', 'accuracy')")
    runs = pd.DataFrame({"value": values, "stopped": grouped["status"].first() != "ok"}).reset_index()
    rows = []
    for (w, a), group in runs.groupby(["weight_lr", "activity_lr"]):
        n_stopped = int(group["stopped"].sum())
        stopped = n_stopped > 0 if failed_if == "any_run_stopped" else n_stopped == len(group)
        kept = group[~group["stopped"]] if (stopped_points == "blank" and failed_if == "all_runs_stopped") else group
        value = np.nan if (stopped and stopped_points == "blank") else float(kept["value"].mean())
        rows.append({"weight_lr": w, "activity_lr": a, "value": value, "n_runs": len(group),
                     "n_stopped": n_stopped, "stopped": stopped})
    return pd.DataFrame(rows)


def surface_optimum(surface: pd.DataFrame) -> tuple[float, float] | None:
    """The (weight lr, activity lr) of a :func:`transfer_surface`'s lowest point among the points
    where no run stopped (a point that stopped is no candidate; the transfer claims and the
    figures' circle read this). None: every point stopped."""
    valid = surface[~surface["stopped"]].dropna(subset=["value"])
    if valid.empty:
        return None
    best = valid.loc[valid["value"].idxmin()]
    return float(best["weight_lr"]), float(best["activity_lr"])


def contour_optimum(cell: pd.DataFrame, failed_if: str = "any_run_stopped") -> tuple[float, float] | None:
    """The lowest point of a cell's minimum-batch-loss contour (the notebook's transfer figure:
    the mean over seeds of each run's minimum batch loss), :func:`surface_optimum`."""
    return surface_optimum(transfer_surface(cell, "loss", failed_if, "mark"))
