"""Figures of the μPC study (seed 002). Each function returns ``(figure, data)``:
the plotly figure and the tidy table it draws (written beside it as CSV).

Stopped runs (diverged / no learning) are drawn at chance accuracy for the
evaluations they missed, as the notebook draws them; each figure says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..results import RUN_KEYS, curve_stats, run_scores
from .common import band_figure, provenance_note, single_value

ACT_TITLES = {"linear": "Linear", "tanh": "Tanh", "relu": "ReLU"}


def _note(fig: go.Figure, table: pd.DataFrame, preset: str, stopped_run_score: float,
          stopped_text: str | None = None) -> go.Figure:
    """Preset footer, naming how many runs stopped and how they are drawn."""
    stopped = table.loc[table["status"] != "ok", list(RUN_KEYS)].drop_duplicates()
    how = stopped_text or f"drawn at {stopped_run_score:g} %"
    extra = f"{len(stopped)} stopped run(s) {how}" if len(stopped) else ""
    return provenance_note(fig, preset=preset, data_source=single_value(table["data_source"]), extra=extra)


def lr_sweep_figure(table: pd.DataFrame, *, act_fn: str, n_hidden: int, width: int, preset: str,
                    stopped_run_score: float, label: str = "μPC") -> tuple[go.Figure, pd.DataFrame]:
    """Test accuracy over training per activity lr, for one (activation, depth) cell."""
    cell = table[(table["act_fn"] == act_fn) & (table["n_hidden"] == n_hidden) & (table["width"] == width)]
    if cell.empty:
        raise ValueError(f"no results for act_fn={act_fn}, H={n_hidden}, N={width}")
    stats = curve_stats(cell, ["activity_lr"], stopped_run_score)
    fig = band_figure(stats, "activity_lr", series_label="η", colorscale="Oranges", height=450, width=650,
                      title=f"{label} {ACT_TITLES[act_fn]}, H={n_hidden}, N={width}")
    return _note(fig, cell, preset, stopped_run_score), stats.assign(act_fn=act_fn, n_hidden=n_hidden, width=width)


def best_curves_figure(best: pd.DataFrame, *, act_fn: str, vary: str, fixed: dict, preset: str,
                       stopped_run_score: float, label: str = "μPC") -> tuple[go.Figure, pd.DataFrame]:
    """Best-lr test accuracy over training, one curve per value of ``vary`` (n_hidden or width).

    ``best``: the runs at their selected activity lr (:func:`pcrepro.results.best_runs`).
    """
    mask = best["act_fn"] == act_fn
    for key, value in fixed.items():
        mask &= best[key] == value
    rows = best[mask]
    if rows.empty:
        raise ValueError(f"no selected runs for act_fn={act_fn} with {fixed}")
    stats = curve_stats(rows, [vary, "activity_lr"], stopped_run_score)
    series, scale = ("H", "Blues") if vary == "n_hidden" else ("N", "Reds")
    fixed_text = ", ".join(f"{'H' if k == 'n_hidden' else 'N'}={v}" for k, v in fixed.items())
    lrs = ", ".join(f"{v:g}" for v in sorted(rows["activity_lr"].unique()))
    fig = band_figure(stats, vary, series_label=series, colorscale=scale, label_base=2,
                      title=f"{label} {ACT_TITLES[act_fn]}, {fixed_text}, selected η: {lrs}")
    return _note(fig, rows, preset, stopped_run_score), stats.assign(act_fn=act_fn, **fixed)


def condition_number_figure(best: pd.DataFrame, *, act_fn: str, width: int, n_hiddens, preset: str,
                            label: str = "μPC") -> tuple[go.Figure, pd.DataFrame]:
    """κ(H_z) over training at the selected activity lr, mean ± std over seeds, one curve per H
    (step 0: initial weights, feedforward activities). Runs that stopped drop out of the mean."""
    rows = best[(best["act_fn"] == act_fn) & (best["width"] == width) & best["n_hidden"].isin(n_hiddens)]
    if rows.empty or "cond_num" not in rows or rows["cond_num"].isna().all():
        raise ValueError(f"no condition numbers recorded for act_fn={act_fn}, N={width}, H in {list(n_hiddens)}")
    initial = rows.drop_duplicates(list(RUN_KEYS)).assign(step=0, cond_num=lambda d: d["cond_num_init"])
    stats = curve_stats(pd.concat([initial, rows], ignore_index=True), ["n_hidden"], 0.0, metric="cond_num")
    lrs = ", ".join(f"{v:g}" for v in sorted(rows["activity_lr"].unique()))
    fig = band_figure(stats, "n_hidden", series_label="H", colorscale="Viridis", label_base=2,
                      y_title="κ(H<sub>z</sub>)", title=f"{label} {ACT_TITLES[act_fn]}, N={width}, selected η: {lrs}")
    fig = _note(fig, rows, preset, 0.0, stopped_text="leave the mean when they stop")
    return fig, stats.assign(act_fn=act_fn, width=width)


def activity_decay_figure(table: pd.DataFrame, *, activity_lr: float, preset: str,
                          stopped_run_score: float) -> tuple[go.Figure, pd.DataFrame]:
    """Max test accuracy over training vs activity decay (mean ± std over seeds), for one
    activity lr; a stopped run scores the max of what it reached and chance, as the selection."""
    rows = table[table["activity_lr"] == activity_lr]
    if rows.empty:
        raise ValueError(f"no runs with activity_lr={activity_lr}")
    scores = run_scores(rows, "max_test_acc", stopped_run_score)
    stats = (scores.groupby("activity_decay")["score"]
             .agg(mean="mean", std=lambda v: float(np.std(v, ddof=0)), n="size")
             .reset_index().sort_values("activity_decay", ascending=False))
    labels = [f"{d:g}" for d in stats["activity_decay"]]
    color = "#636EFA"
    upper, lower = list(stats["mean"] + stats["std"]), list(stats["mean"] - stats["std"])
    fig = go.Figure([
        go.Scatter(x=labels + labels[::-1], y=upper + lower[::-1], fill="toself", fillcolor=color, opacity=0.3,
                   line=dict(color="rgba(255,255,255,0)"), hoverinfo="skip", showlegend=False),
        go.Scatter(x=labels, y=list(stats["mean"]), mode="lines+markers", line=dict(width=2, color=color),
                   showlegend=False),
    ])
    fig.update_layout(height=300, width=450, font=dict(size=14), margin=dict(b=95, t=50),
                      xaxis=dict(title="Activity decay", type="category"), yaxis=dict(title="Max test accuracy (%)"),
                      title=dict(text=f"PC, activity lr η = {activity_lr:g}", font=dict(size=13)))
    return _note(fig, rows, preset, stopped_run_score), stats.assign(activity_lr=activity_lr)


def bp_lr_sweep_figure(table: pd.DataFrame, *, act_fn: str, selected_lr: float, preset: str,
                       stopped_run_score: float, title: str) -> tuple[go.Figure, pd.DataFrame]:
    """BP test accuracy over training per weight lr (one cell); the title names the selected lr."""
    rows = table[table["act_fn"] == act_fn]
    if rows.empty:
        raise ValueError(f"no BP runs for act_fn={act_fn}")
    stats = curve_stats(rows, ["weight_lr"], stopped_run_score)
    fig = band_figure(stats, "weight_lr", series_label="η",
                      colorscale="Oranges", height=400, width=575,
                      title=f"{title}, {ACT_TITLES[act_fn]}, selected η: {selected_lr:g}")
    return _note(fig, rows, preset, stopped_run_score), stats.assign(act_fn=act_fn)


def long_run_figure(table: pd.DataFrame, *, title: str, preset: str,
                    stopped_run_score: float) -> tuple[go.Figure, pd.DataFrame]:
    """Test accuracy over training of one long-run cell, mean ± std over its seeds."""
    if table.empty:
        raise ValueError(f"no runs for {title}")
    stats = curve_stats(table, ["n_hidden"], stopped_run_score)
    fig = band_figure(stats, "n_hidden", series_label="H", colorscale="Blues", label_base=2, title=title,
                      height=300, width=450)
    return _note(fig, table, preset, stopped_run_score), stats
