"""Figures of the μPC study (seed 002). Each function returns ``(figure, data)``:
the plotly figure and the tidy table it draws (written beside it as CSV).

Stopped runs (diverged / no learning) are drawn as the notebook's cell for that figure
draws them, and each figure says how: the lr-sweep, best-lr, BP-sweep and long-run curves
end where the group's shortest run stopped (:func:`pcrepro.pipeline.results.truncated_curve_stats`);
the main figure and the deep comparison draw the evaluations a run missed at chance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.colors as pcolors
import plotly.graph_objects as go

from pcrepro.pipeline.results import (
    RUN_KEYS,
    curve_stats,
    rows_where,
    run_scores,
    surface_optimum,
    transfer_surface,
    truncated_curve_stats,
)
from pcrepro.studies.mupc_training import transfer_interval, variant_depths

from .common import (
    band_figure,
    power_label,
    provenance_note,
    single_value,
)

ACT_TITLES = {"linear": "Linear", "tanh": "Tanh", "relu": "ReLU"}


def _note(fig: go.Figure, table: pd.DataFrame, preset: str, stopped_run_score: float,
          stopped_text: str | None = None) -> go.Figure:
    """Preset footer, naming how many runs stopped and how they are drawn."""
    stopped = table.loc[table["status"] != "ok", list(RUN_KEYS)].drop_duplicates()
    how = stopped_text or f"drawn at {stopped_run_score:g} %"
    extra = f"{len(stopped)} stopped run(s) {how}" if len(stopped) else ""
    return provenance_note(fig, preset=preset, data_source=single_value(table["data_source"]), extra=extra)


def truncated_text(stopped_run_score: float) -> str:
    return (f"— each curve ends where its group's shortest run ends; a run with no evaluation counts as "
            f"one at {stopped_run_score:g} %")


def lr_sweep_figure(table: pd.DataFrame, *, act_fn: str, n_hidden: int, width: int, preset: str,
                    stopped_run_score: float, label: str = "μPC") -> tuple[go.Figure, pd.DataFrame]:
    """Test accuracy over training per activity lr, for one (activation, depth) cell."""
    cell = table[(table["act_fn"] == act_fn) & (table["n_hidden"] == n_hidden) & (table["width"] == width)]
    if cell.empty:
        raise ValueError(f"no results for act_fn={act_fn}, H={n_hidden}, N={width}")
    stats = truncated_curve_stats(cell, ["activity_lr"], stopped_run_score)
    fig = band_figure(stats, "activity_lr", series_label="η", colorscale="Oranges", height=450, width=650,
                      title=f"{label} {ACT_TITLES[act_fn]}, H={n_hidden}, N={width}")
    return _note(fig, cell, preset, stopped_run_score, truncated_text(stopped_run_score)), stats.assign(act_fn=act_fn, n_hidden=n_hidden, width=width)


def select_rows(table: pd.DataFrame, what: str, **where) -> pd.DataFrame:
    """Rows of ``table`` matching every key = value of ``where``; a clear error if none."""
    rows = rows_where(table, **where)
    if rows.empty:
        raise ValueError(f"no {what} with {where}")
    return rows


def best_curves_figure(best: pd.DataFrame, *, act_fn: str, vary: str, fixed: dict, preset: str,
                       stopped_run_score: float, label: str = "μPC", lr_keys: tuple[str, ...] = ("activity_lr",),
                       chance_if_all_stopped: bool = False) -> tuple[go.Figure, pd.DataFrame]:
    """Best-lr test accuracy over training, one curve per value of ``vary`` (n_hidden or width).

    ``best``: the runs at their selected lrs (:func:`pcrepro.pipeline.results.best_runs`). With one lr
    key the title lists the selected values; with several (a joint choice per curve) each
    curve's legend names its own.
    """
    rows = select_rows(best, "selected runs", act_fn=act_fn, **fixed)
    stats = truncated_curve_stats(rows, [vary, *lr_keys], stopped_run_score,
                                  chance_if_all_stopped=chance_if_all_stopped)
    series, scale = ("H", "Blues") if vary == "n_hidden" else ("N", "Reds")
    fixed_text = ", ".join(f"{'H' if k == 'n_hidden' else 'N'}={v}" for k, v in fixed.items())
    if len(lr_keys) == 1:
        lrs = ", ".join(f"{v:g}" for v in sorted(rows[lr_keys[0]].unique()))
        fig = band_figure(stats, vary, series_label=series, colorscale=scale, label_base=2,
                          title=f"{label} {ACT_TITLES[act_fn]}, {fixed_text}, selected η: {lrs}")
    else:
        chosen = stats.drop_duplicates(vary).set_index(vary)
        suffix = {v: " (" + ", ".join(f"{LR_SYMBOLS.get(k, k)} {chosen.loc[v, k]:g}" for k in lr_keys) + ")"
                  for v in chosen.index}
        fig = band_figure(stats, vary, series_label=series, colorscale=scale, label_base=2, width=600,
                          name_suffix=suffix, title=f"{label} {ACT_TITLES[act_fn]}, {fixed_text}, selected lrs")
    return _note(fig, rows, preset, stopped_run_score, truncated_text(stopped_run_score)), stats.assign(act_fn=act_fn, **fixed)


LR_SYMBOLS = {"weight_lr": "η<sub>W</sub>", "activity_lr": "η<sub>z</sub>"}


def condition_number_figure(best: pd.DataFrame, *, act_fn: str, width: int, n_hiddens, preset: str,
                            label: str = "μPC", lr_text: str = "selected η") -> tuple[go.Figure, pd.DataFrame]:
    """κ(H_z) over training, mean ± std over seeds, one curve per H (step 0: initial weights,
    feedforward activities), for runs at one activity lr per H (``best``: the selected lr of a
    sweep, or the runs of the κ cells). Runs that stopped drop out of the mean."""
    rows = best[(best["act_fn"] == act_fn) & (best["width"] == width) & best["n_hidden"].isin(n_hiddens)]
    if rows.empty or "cond_num" not in rows or rows["cond_num"].isna().all():
        raise ValueError(f"no condition numbers recorded for act_fn={act_fn}, N={width}, H in {list(n_hiddens)}")
    initial = rows.drop_duplicates(list(RUN_KEYS)).assign(step=0, cond_num=lambda d: d["cond_num_init"])
    stats = curve_stats(pd.concat([initial, rows], ignore_index=True), ["n_hidden"], 0.0, metric="cond_num")
    lrs = ", ".join(f"{v:g}" for v in sorted(rows["activity_lr"].unique()))
    fig = band_figure(stats, "n_hidden", series_label="H", colorscale="Viridis", label_base=2,
                      y_title="κ(H<sub>z</sub>)", title=f"{label} {ACT_TITLES[act_fn]}, N={width}, {lr_text}: {lrs}")
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
    # the notebook's BP cell: a run with at most one evaluation becomes a whole run (its three) at chance
    stats = truncated_curve_stats(rows, ["weight_lr"], stopped_run_score, min_evals=2, pad_evals=None)
    fig = band_figure(stats, "weight_lr", series_label="η",
                      colorscale="Oranges", height=400, width=575,
                      title=f"{title}, {ACT_TITLES[act_fn]}, selected η: {selected_lr:g}")
    text = (f"— each curve ends where its lr's shortest run ends; a run with ≤ 1 evaluation counts as a whole "
            f"run at {stopped_run_score:g} %")
    return _note(fig, rows, preset, stopped_run_score, text), stats.assign(act_fn=act_fn)


def long_run_figure(table: pd.DataFrame, *, title: str, preset: str,
                    stopped_run_score: float) -> tuple[go.Figure, pd.DataFrame]:
    """Test accuracy over training of one long-run cell, mean ± std over its seeds."""
    if table.empty:
        raise ValueError(f"no runs for {title}")
    stats = truncated_curve_stats(table, ["n_hidden"], stopped_run_score)
    fig = band_figure(stats, "n_hidden", series_label="H", colorscale="Blues", label_base=2, title=title,
                      height=300, width=450)
    return _note(fig, table, preset, stopped_run_score, truncated_text(stopped_run_score)), stats


# -- learning-rate transfer ------------------------------------------------------------------

def loss_tick_label(log10_value: float) -> str:
    """A colour-bar label of the log-loss contours: a whole decade as a power of ten, any other
    tick as the loss itself (three significant digits), never a "10^-0.0"."""
    if abs(log10_value - round(log10_value)) < 1e-9:
        return f"10<sup>{int(round(log10_value))}</sup>"
    return f"{10 ** log10_value:.3g}"


def _log_cell_edges(values) -> list[float]:
    """Cell edges around points on a log axis: geometric midpoints, the ends mirrored."""
    logs = np.log10(np.asarray(sorted(values), dtype=float))
    step = np.diff(logs) if len(logs) > 1 else np.array([1.0])
    edges = np.concatenate([[logs[0] - step[0] / 2], (logs[:-1] + logs[1:]) / 2, [logs[-1] + step[-1] / 2]])
    return list(10.0 ** edges)


def lr_contour_figure(cell: pd.DataFrame, *, metric: str, title: str, preset: str,
                      selected: tuple[float, float] | None = None, failed_if: str = "any_run_stopped",
                      stopped_points: str = "mark") -> tuple[go.Figure, pd.DataFrame]:
    """Contours over activity lr (x) × weight lr (y) of :func:`transfer_surface`, both axes
    logarithmic; loss on a log colour scale (RdBu_r, as the notebook), accuracy on a linear
    one (Greens). Points with stopped runs are marked × (and left blank under
    ``stopped_points="blank"``); ``selected`` = (weight lr, activity lr), the pair the select
    rule chose for this cell, is starred; on loss contours the lowest point the transfer claims
    judge (:func:`surface_optimum`) is circled. Each axis labels exactly the grid's lrs."""
    surface = transfer_surface(cell, metric, failed_if, stopped_points)
    grid = surface.pivot(index="weight_lr", columns="activity_lr", values="value").sort_index()
    grid = grid[sorted(grid.columns)]
    z = grid.to_numpy()
    is_loss = metric == "loss"
    with np.errstate(divide="ignore", invalid="ignore"):
        shown = np.log10(z) if is_loss else z
    finite = np.isfinite(shown)
    colorbar = dict(title=dict(text="Min training loss" if is_loss else "Max test accuracy (%)", side="right"),
                    len=1.05)
    # colours over the data's range, as the notebook; explicit levels, since plotly.js's automatic
    # ones fail to render some grids with a single finite point; loss ticks as the notebook's
    # (six between the whole decades around the data; those outside its range are not drawn)
    lo, hi = (float(np.min(shown[finite])), float(np.max(shown[finite]))) if finite.any() else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1.0
    if is_loss:
        ticks = np.linspace(np.floor(lo), np.ceil(hi), 6)
        if np.sum((ticks >= lo) & (ticks <= hi)) < 3:  # a narrow range (small grids): ticks across it
            ticks = np.linspace(lo, hi, 5)
        colorbar.update(tickvals=list(ticks), ticktext=[loss_tick_label(t) for t in ticks])
    colours = dict(colorscale="RdBu_r" if is_loss else "Greens", zmin=lo, zmax=hi, colorbar=colorbar,
                   showscale=bool(finite.any()))
    # contours need a few points each way to mean anything: on a thinner grid, or where most
    # points are blank, plotly's interpolation paints slanted strips beyond the measured points,
    # so each measured point is drawn as its own cell instead
    as_cells = min(z.shape) < 3 or finite.sum() < z.size / 2
    if as_cells:
        fig = go.Figure(go.Heatmap(z=np.where(finite, shown, np.nan), x=_log_cell_edges(grid.columns),
                                   y=_log_cell_edges(grid.index), xgap=2, ygap=2, **colours))
    else:
        fig = go.Figure(go.Contour(z=np.where(finite, shown, np.nan), x=list(grid.columns), y=list(grid.index),
                                   connectgaps=False, autocontour=False,
                                   contours=dict(start=lo, end=hi, size=(hi - lo) / 24, coloring="heatmap"),
                                   **colours))
    stopped = surface[surface["stopped"]]
    if len(stopped):
        fig.add_trace(go.Scatter(x=stopped["activity_lr"], y=stopped["weight_lr"], mode="markers",
                                 marker=dict(symbol="x", size=9, color="#444"), name="stopped run(s)",
                                 showlegend=True))
    optimum = surface_optimum(surface) if is_loss else None
    surface = surface.assign(claims_optimum=[(w, a) == optimum for w, a in zip(surface["weight_lr"],
                                                                               surface["activity_lr"])])
    if optimum is not None:
        fig.add_trace(go.Scatter(x=[optimum[1]], y=[optimum[0]], mode="markers", name="lowest loss (claims)",
                                 marker=dict(symbol="circle-open", size=18, color="black", line=dict(width=2)),
                                 showlegend=True))
    if selected is not None:
        fig.add_trace(go.Scatter(x=[selected[1]], y=[selected[0]], mode="markers",
                                 marker=dict(symbol="star", size=14, color="gold", line=dict(width=1, color="black")),
                                 name="selected", showlegend=True))
    # one labelled tick per lr of the grid, so that each cell reads its lrs (no log-axis minor digits)
    ticks = {axis: dict(type="log", tickmode="array", tickvals=list(values), ticktext=[f"{v:g}" for v in values],
                        title=title_) for axis, values, title_ in (("x", grid.columns, "Activity lr"),
                                                                    ("y", grid.index, "Weight lr"))}
    fig.update_layout(width=560, height=440, font=dict(size=14), plot_bgcolor="white",
                      xaxis=ticks["x"], yaxis=ticks["y"],
                      legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),
                      margin=dict(r=100, b=110, t=90), title=dict(text=title, font=dict(size=13), y=0.97))
    rule = "a run" if failed_if == "any_run_stopped" else "all runs"
    how = "left blank" if stopped_points == "blank" else "value = their pre-stop minimum" if is_loss else \
        "value = their best evaluation (0 if none)"
    extra = (f"×: {len(stopped)} of {len(surface)} lr pairs where {rule} stopped (diverged / no learning; {how}); "
             "★: the pair the select rule chose (best final test accuracy)"
             + ("; ○: the lowest point among pairs without a stopped run, which the transfer claims judge"
                if optimum is not None else "")
             + ("; one cell per lr pair (too few points for contours)" if as_cells else ""))
    fig = provenance_note(fig, preset=preset, data_source=single_value(cell["data_source"]), extra=extra)
    return fig, surface


# -- μPC vs PC vs BP ---------------------------------------------------------------------------

def _bands(fig: go.Figure, stats: pd.DataFrame, color: str, *, dash: str = "solid", mode: str = "lines+markers",
           name: str | None = None, width: float = 2, group: str | None = None, group_title: str | None = None) -> None:
    s = stats.sort_values("step")
    x, upper, lower = list(s["step"]), list(s["mean"] + s["std"]), list(s["mean"] - s["std"])
    fig.add_trace(go.Scatter(x=x + x[::-1], y=upper + lower[::-1], fill="toself", fillcolor=color, opacity=0.3,
                             line=dict(color="rgba(255,255,255,0)"), hoverinfo="skip", showlegend=False,
                             legendgroup=group))
    fig.add_trace(go.Scatter(x=x, y=list(s["mean"]), mode=mode, line=dict(width=width, color=color, dash=dash),
                             marker=dict(color=color), name=name, showlegend=name is not None, legendgroup=group,
                             legendgrouptitle=dict(text=group_title) if group_title else None))


def depth_colors(n: int) -> dict[str, list[str]]:
    """Colours per depth, the notebook's scales: μPC Blues, PC Reds — both kept off their
    darkest end, so that no PC curve reads as BP's black one."""
    def shades(scale: str) -> list[str]:
        return pcolors.sample_colorscale(scale, list(np.linspace(0.4, 0.85, n))) if n > 1 else \
            pcolors.sample_colorscale(scale, [0.7]) * n

    return {"mupc": shades("Blues"), "pc": shades("Reds")}


def _seed_count(table: pd.DataFrame) -> str:
    """'3 seeds' (or '2–3 seeds' where the curves differ) for a legend group's title."""
    counts = table.groupby(["n_hidden", "step"])["n"].max() if len(table) else pd.Series([0])
    lo, hi = int(counts.min()), int(counts.max())
    return f"{lo} seed{'s' * (hi != 1)}" if lo == hi else f"{lo}–{hi} seeds"


def mupc_vs_pc_vs_bp_figure(mupc: pd.DataFrame, pc: pd.DataFrame, bp: pd.DataFrame, *, act_fn: str, n_hiddens,
                            preset: str, stopped_run_score: float) -> tuple[go.Figure, pd.DataFrame]:
    """Test accuracy over training at the selected lrs (mean ± std over seeds), per depth H: μPC
    (blues, solid), standard PC (reds, dashed) and BP with Depth-μP (black, dotted; at the depths
    it was run, which need not be among ``n_hiddens``), with a legend per algorithm that says how
    many seeds each curve averages. As the notebook: every curve ends where its shortest run
    ends, except a PC depth whose runs all stopped, drawn at chance over the whole run (the
    notebook's "failed" depths)."""
    colors = depth_colors(len(n_hiddens))
    curves = {"μPC": [], "PC": [], "BP": []}
    for i, h in enumerate(n_hiddens):
        for algo, rows in (("μPC", mupc), ("PC", pc)):
            stats = truncated_curve_stats(select_rows(rows, f"{algo} runs", act_fn=act_fn, n_hidden=h),
                                          ["n_hidden"], stopped_run_score, chance_if_all_stopped=algo == "PC")
            curves[algo].append((h, stats, colors["mupc" if algo == "μPC" else "pc"][i]))
    bp_rows = bp[bp["act_fn"] == act_fn]
    for h in sorted(bp_rows["n_hidden"].unique()):
        curves["BP"].append((int(h), truncated_curve_stats(bp_rows[bp_rows["n_hidden"] == h], ["n_hidden"],
                                                           stopped_run_score), "black"))
    fig, frames = go.Figure(), []
    styles = {"μPC": ("solid", "lines+markers", 2), "PC": ("dash", "lines+markers", 2), "BP": ("dot", "lines", 3)}
    for algo, entries in curves.items():
        if not entries:
            continue
        title = f"{algo} ({_seed_count(pd.concat([stats for _, stats, _ in entries]))})"
        for h, stats, color in entries:
            dash, mode, width = styles[algo]
            _bands(fig, stats, color, dash=dash, mode=mode, width=width, name=f"H = {h}", group=algo,
                   group_title=title)
            frames.append(stats.assign(algorithm=algo))
    fig.update_layout(height=380, width=640, font=dict(size=14), showlegend=True,
                      legend=dict(groupclick="toggleitem", font=dict(size=12), tracegroupgap=8),
                      xaxis=dict(title="Training iteration"), yaxis=dict(title="Test accuracy (%)"),
                      margin=dict(r=20, t=60, b=95),
                      title=dict(text=f"{ACT_TITLES[act_fn]}: μPC vs standard PC vs BP (Depth-μP)", font=dict(size=14)))
    used = pd.concat([mupc[mupc["act_fn"] == act_fn], pc[pc["act_fn"] == act_fn], bp_rows])
    text = (f"— mean ± std over seeds; curves end where their shortest run ends; a PC depth whose runs all "
            f"stopped is drawn at {stopped_run_score:g} %")
    return _note(fig, used, preset, stopped_run_score, text), pd.concat(frames, ignore_index=True).assign(act_fn=act_fn)


def deep_comparison_figure(mupc: pd.DataFrame, pc: pd.DataFrame, bp: pd.DataFrame, *, title: str, preset: str,
                           stopped_run_score: float) -> tuple[go.Figure, pd.DataFrame]:
    """One deep net trained by BP, standard PC and μPC (mean ± std over seeds), the notebook's
    colours; the x axis in epochs when the evaluations are about an epoch apart (the notebook's
    15-epoch Fashion-MNIST panel), else in training iterations."""
    steps = np.sort(bp["step"].unique())
    steps_per_epoch = float((bp["step"] / bp["epoch"]).iloc[0]) if len(bp) else 1.0
    per_epoch = len(steps) > 1 and np.median(np.diff(steps)) >= 0.9 * steps_per_epoch
    fig, frames = go.Figure(), []
    for name, rows, color, dash, mode, width in (("BP", bp, "#222A2A", "solid", "lines", 2),
                                                 ("PC", pc, "#EF553B", "dash", "lines", 3),
                                                 ("μPC", mupc, "#636EFA", "solid", "markers", 2)):
        if rows.empty:
            raise ValueError(f"no {name} runs for {title}")
        stats = curve_stats(rows, ["n_hidden"], stopped_run_score)
        if per_epoch:
            stats = stats.assign(step=stats["step"] / steps_per_epoch)
        _bands(fig, stats, color, dash=dash, mode=mode, name=name, width=width)
        frames.append(stats.assign(algorithm=name))
    fig.update_layout(height=320, width=470, font=dict(size=14), margin=dict(r=40, t=60, b=95),
                      xaxis=dict(title="Epoch" if per_epoch else "Training iteration"),
                      yaxis=dict(title="Test accuracy (%)"), title=dict(text=title, font=dict(size=13)))
    return _note(fig, pd.concat([bp, pc, mupc]), preset, stopped_run_score), pd.concat(frames, ignore_index=True)


def depth_legend_figure(n_hiddens, algorithm: str) -> go.Figure:
    """The notebook's separate horizontal legends: μPC blue solid, PC red dashed, BP black dotted."""
    colors = {**depth_colors(len(n_hiddens)), "bp": ["black"] * len(n_hiddens)}[algorithm]
    dash = {"mupc": "solid", "pc": "dash", "bp": "dot"}[algorithm]
    fig = go.Figure([go.Scatter(x=[None], y=[None], mode="lines" if algorithm == "bp" else "lines+markers",
                                line=dict(width=2, color=c, dash=dash), marker=dict(size=5, color=c),
                                name=f"H = {power_label(h, 2)}") for h, c in zip(n_hiddens, colors)])
    fig.update_layout(showlegend=True, height=50, width=1000, margin=dict(l=0, r=0, t=0, b=0),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="center", x=0.5,
                                  font=dict(size=12)),
                      xaxis=dict(visible=False), yaxis=dict(visible=False), plot_bgcolor="white")
    return fig


# -- each family's file names (relative to the figures root; seed 002's names) ----------------------

def sweeps_files(grid: dict) -> dict[str, list[str]]:
    """Family mupc_sweeps: the lr sweep per (activation, depth), the best accuracy over width and
    over depth per activation, and κ(H_z) per activation where the κ cells run."""
    acts = grid["act_fns"]
    kappa = (grid.get("condition_numbers") or {}).get("n_hiddens")
    return {"lr_sweep": [f"mupc_sweeps/test_accs_muPC_{act}_{h}_n_hidden.pdf"
                         for act in acts for h in grid["depth_sweep"]["n_hiddens"]],
            "best_width": [f"mupc_sweeps/best_test_accs_width_muP_{act}.pdf" for act in acts],
            "best_depth": [f"mupc_sweeps/best_test_accs_depth_muP_{act}.pdf" for act in acts],
            "cond_nums": [f"mupc_sweeps/best_cond_nums_mupc_{act}.pdf" for act in (acts if kappa else [])]}


def activity_decay_files(grid: dict) -> list[str]:
    """Family mupc_activity_decay: the best accuracy over decays, per activity lr."""
    return [f"mupc_activity_decay/max_test_accs_per_activity_decay_lr_{lr}.pdf" for lr in grid["activity_lrs"]]


def bp_baseline_files(grid: dict) -> list[str]:
    """Family mupc_bp_baseline: one weight-lr sweep per (block, activation)."""
    return [f"mupc_bp_baseline/{b['dataset']}/{act}_best_test_accs_{b['epochs']}_epochs.pdf"
            for b in grid["blocks"] for act in b["act_fns"]]


def long_runs_files(grid: dict) -> list[str]:
    """Family mupc_long_runs: one accuracy curve per block."""
    return [f"mupc_long_runs/mupc_{grid['n_hidden']}_{b['dataset']}_acc_{b['epochs']}_epochs.pdf"
            for b in grid["blocks"]]


def pc_baseline_files(transfer: dict) -> list[str]:
    """Family mupc_pc_baseline (drawn from mupc_hp_transfer's grid): standard PC's best accuracy over
    depth per activation, where the transfer grid trains standard PC."""
    acts = transfer["act_fns"] if "sp" in transfer["param_types"] else []
    return [f"mupc_pc_baseline/{transfer['dataset']}/best_test_accs_depth_SP_{act}.pdf" for act in acts]


def vs_pc_vs_bp_files(grid: dict, long_runs: dict) -> dict[str, list[str]]:
    """Family mupc_vs_pc_vs_bp: the main figure per activation, the deep comparison per long-run
    block, and the three colour legends."""
    comparison = grid["comparison"]
    return {"main": [f"mupc_vs_pc_vs_bp/{act}_mupc_vs_pc_best_accs.pdf" for act in grid["act_fns"]],
            "comparison": [f"mupc_vs_pc_vs_bp/{b['dataset']}/mupc_vs_pc_vs_bp_{comparison['n_hidden']}_"
                           f"{comparison['act_fn']}_net.pdf" for b in long_runs["blocks"]],
            "legends": [f"mupc_vs_pc_vs_bp/n_hiddens_{colour}_legend.pdf" for colour in ["blue", "red", "black"]]}


def pc_sweeps_files(grid: dict) -> dict[str, list[str]]:
    """Family mupc_pc_sweeps, per dataset and variant: the lr sweep per (activation, depth), the
    best-lr accuracy and κ(H_z) per activation (seed 002's file names, one pattern for every variant)."""
    files = {"lr_sweep": [], "best": [], "cond_nums": []}
    for dataset in grid["datasets"]:
        for name, variant in grid["variants"].items():
            for act in grid["act_fns"]:
                root = f"mupc_pc_sweeps/{dataset}"
                files["lr_sweep"] += [f"{root}/test_accs_{name}_{act}_{h}_n_hidden.pdf"
                                      for h in variant_depths(variant, act, grid["n_hiddens"])]
                files["best"].append(f"{root}/best_test_accs_{name}_{act}.pdf")
                if grid["condition_numbers"]:
                    files["cond_nums"].append(f"{root}/best_cond_nums_{name}_{act}.pdf")
    return files


def transfer_contours(grid: dict) -> list[tuple]:
    """Family mupc_hp_transfer: one contour per (parameterisation, activation, shape) as
    (dataset, param_type, act, width, n_hidden, test_every, metric, path) — the interval picks
    the sweep's own cell — seed 002's file names under a folder per parameterisation; the extra
    dataset adds accuracy contours."""
    rows = []
    every = {sweep: transfer_interval(grid, sweep) for sweep in ("width_sweep", "depth_sweep", "extra")}
    for param in grid["param_types"]:
        root = f"mupc_hp_transfer/{param}"
        for act in grid["act_fns"]:
            ds, depth, width = grid["dataset"], grid["depth_sweep"], grid["width_sweep"]
            rows += [(ds, param, act, n, width["n_hidden"], every["width_sweep"], "loss",
                      f"{root}/min_train_losses_over_lrs_{act}_width_{n}.pdf") for n in width["widths"]]
            rows += [(ds, param, act, depth["width"], h, every["depth_sweep"], "loss",
                      f"{root}/min_train_losses_over_lrs_{act}_depth_{h}.pdf") for h in depth["n_hiddens"]]
            extra = grid.get("extra")
            if extra and param in extra["param_types"]:
                n, h, ds = extra["width"], extra["n_hidden"], extra["dataset"]
                rows += [(ds, param, act, n, h, every["extra"], metric,
                          f"{root}/{prefix}_over_lrs_{ds}_{act}_width_{n}.pdf")
                         for metric, prefix in (("loss", "min_train_losses"), ("accuracy", "max_test_accs"))]
    return rows
