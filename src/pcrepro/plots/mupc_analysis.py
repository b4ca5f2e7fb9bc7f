"""Figures of the μPC analysis families (seed 002): ``mupc_activity_hessian``,
``mupc_forward_pass`` and ``mupc_energy_theory``.

``*_files(grid)`` name every file a family holds (the rules declare exactly these, with the
seed notebook's file names); ``draw_*`` draw them through a :class:`FigureWriter`. Phase
diagrams are matplotlib images (rows N, columns H, one cell per grid point; the notebook
interpolated bicubically), line and histogram figures plotly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pcrepro.studies.mupc_analysis.activity_spectra import matrices_for
from pcrepro.studies.mupc_analysis.energy_theory import LINEAR_SOLUTION_NOTE
from pcrepro.studies.mupc_analysis.forward_pass import LAYER_LABELS

from .common import FigureWriter, power_label, sample_colors

ACT_TITLES = {"linear": "Linear", "tanh": "Tanh", "relu": "ReLU"}
MATRIX_LABELS = {"num": "H<sub>z</sub>", "theory": "H<sub>theory</sub>", "D": "D", "O": "O"}
MATRIX_TEX = {"num": r"H_{\mathbf{z}}", "theory": r"H_{theory}", "D": "D", "O": "O"}
MATRIX_FILES = {"num": "H_num", "theory": "H_theory", "D": "D", "O": "O"}


def _pow2_ticks(values) -> list[str]:
    return [f"$2^{{{int(np.log2(v))}}}$" for v in values]


def phase_diagram(values: np.ndarray, widths, n_hiddens, *, colorbar: str, title: str | None = None,
                  norm=None, cmap: str = "viridis", show_cells: bool = False):
    """Matplotlib phase diagram: rows N (y), columns H (x), as the notebook's ``imshow`` but one
    flat cell per grid point, outlined: the notebook's bicubic shading painted values between
    grid points that were never computed and hid where the points are (docs: departures)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    fig.subplots_adjust(left=0.17, right=0.9, bottom=0.17, top=0.88)
    image = ax.imshow(values, origin="lower", interpolation="nearest", norm=norm, cmap=cmap)
    ax.set_xticks(np.arange(len(n_hiddens) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(widths) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("$H$", fontsize=22)
    ax.set_ylabel("$N$", fontsize=22)
    ax.set_xticks(range(len(n_hiddens)), _pow2_ticks(n_hiddens), fontsize=12)
    ax.set_yticks(range(len(widths)), _pow2_ticks(widths), fontsize=12)
    if title:
        ax.set_title(title, fontsize=20, pad=12)
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(colorbar, fontsize=18)
    if show_cells:
        for i in range(len(widths)):
            for j in range(len(n_hiddens)):
                ax.text(j, i, f"{values[i, j]:.2f}", color="white", ha="center", va="center", fontsize=7)
    return fig


def _grid_table(values: np.ndarray, widths, n_hiddens, name: str) -> pd.DataFrame:
    w, h = np.meshgrid(widths, n_hiddens, indexing="ij")
    return pd.DataFrame({"width": w.ravel(), "n_hidden": h.ravel(), name: values.ravel()})


# -- mupc_activity_hessian -------------------------------------------------------------------

def _slices(grid: dict) -> tuple[int, int]:
    """The notebook slices at N = 128 and H = 128: the largest of each axis of the grid."""
    return max(grid["widths"]), max(grid["n_hiddens"])


def activity_hessian_files(grid: dict) -> list[str]:
    n_slice, h_slice = _slices(grid)
    files = []
    for setting in grid["settings"]:
        for act in grid["act_fns"]:
            root = f"mupc_activity_hessian/{setting}/{act}"
            for m in matrices_for(act):
                name = MATRIX_FILES[m]
                files += [f"{root}/{name}_eigenvals_N_{n_slice}.pdf", f"{root}/{name}_eigenvals_H_{h_slice}.pdf",
                          f"{root}/{name}_max_eigen.pdf", f"{root}/{name}_min_eigen.pdf"]
                if m in ("num", "theory"):
                    files.append(f"{root}/{name}_cond_num.pdf")
    return files


def eigen_slice_histogram(spectra: dict[tuple[int, int], np.ndarray], *, vary: str, fixed: int, matrix: str,
                          n_bins: int = 50) -> tuple[go.Figure, pd.DataFrame]:
    """Overlaid eigenvalue histograms (probability, log density) at a fixed N (one trace per H)
    or a fixed H (one trace per N); each trace pools the seeds."""
    keys = sorted(k for k in spectra if (k[0] == fixed if vary == "n_hidden" else k[1] == fixed))
    label, scale = ("H", "Blues") if vary == "n_hidden" else ("N", "Reds")
    fig, rows = go.Figure(), []
    for (width, n_hidden), color in zip(keys, sample_colors(scale, len(keys), skip=3)):
        value = n_hidden if vary == "n_hidden" else width
        eig = spectra[(width, n_hidden)].ravel()
        fig.add_trace(go.Histogram(x=eig, histnorm="probability", nbinsx=n_bins, marker=dict(color=color),
                                   name=f"{label} = {power_label(value, 2)}"))
        rows.append(pd.DataFrame({"width": width, "n_hidden": n_hidden, "eigenvalue": eig}))
    fixed_label = f"N = {fixed}" if vary == "n_hidden" else f"H = {fixed}"
    fig.update_layout(barmode="overlay", height=400, width=560, font=dict(size=15),
                      title=dict(text=fixed_label, x=0.5, font=dict(size=14)),
                      xaxis=dict(title=f"λ({MATRIX_LABELS[matrix]})"),
                      yaxis=dict(title="Density (log)", type="log", exponentformat="power", dtick=1),
                      margin=dict(b=100))
    fig.update_traces(opacity=0.75)
    return fig, pd.concat(rows, ignore_index=True)


def draw_activity_hessian(writer: FigureWriter, setting: str, act_fn: str, arrays: dict[str, np.ndarray],
                          summary: pd.DataFrame, grid: dict) -> None:
    """Every figure of one (setting, activation): histograms sliced at the largest N and H, and
    phase diagrams of λ_max, λ_min (and κ) over N × H, averaged over seeds."""
    from matplotlib.colors import LogNorm

    widths, n_hiddens = sorted(grid["widths"]), sorted(grid["n_hiddens"])
    n_slice, h_slice = _slices(grid)
    root = f"mupc_activity_hessian/{setting}/{act_fn}"
    title = ACT_TITLES[act_fn]
    # the notebook: linear colour for κ of sp without skips, log colour otherwise
    log_cond = setting != "sp_orthogonal"
    n_seeds = summary["seed_index"].nunique()
    for m in matrices_for(act_fn):
        name, tex = MATRIX_FILES[m], MATRIX_TEX[m]
        spectra = {(w, h): arrays[f"{m}/N{w}_H{h}"] for w in widths for h in n_hiddens}
        fig, data = eigen_slice_histogram(spectra, vary="n_hidden", fixed=n_slice, matrix=m,
                                          n_bins=grid["histogram_bins"])
        writer.plotly(fig, f"{root}/{name}_eigenvals_N_{n_slice}.pdf", data)
        fig, data = eigen_slice_histogram(spectra, vary="width", fixed=h_slice, matrix=m,
                                          n_bins=grid["histogram_bins"])
        writer.plotly(fig, f"{root}/{name}_eigenvals_H_{h_slice}.pdf", data)
        stats = summary[summary["matrix"] == m].groupby(["width", "n_hidden"])[["lambda_max", "lambda_min", "cond"]]
        means = stats.mean().reindex(pd.MultiIndex.from_product([widths, n_hiddens]))
        for column, kind, label in (("lambda_max", "max_eigen", r"\lambda_{max}"),
                                    ("lambda_min", "min_eigen", r"\lambda_{min}"),
                                    ("cond", "cond_num", r"\kappa")):
            if kind == "cond_num" and m not in ("num", "theory"):
                continue
            values = means[column].to_numpy().reshape(len(widths), len(n_hiddens))
            is_cond = kind == "cond_num"
            fig = phase_diagram(values, widths, n_hiddens, colorbar=f"${label}({tex})$",
                                title=title if is_cond else None,
                                norm=LogNorm() if (is_cond and log_cond) else None)
            fig.text(0.5, 0.005, f"mean over {n_seeds} seeds", fontsize=7, color="grey", ha="center")
            writer.matplotlib(fig, f"{root}/{name}_{kind}.pdf", _grid_table(values, widths, n_hiddens, column))


# -- mupc_forward_pass -----------------------------------------------------------------------

FORWARD_PLOTS = (  # (metric, file stem, y label)
    ("activity_l1", "avg_activity_l1", "mean |z<sub>ℓ</sub>|  (‖z<sub>ℓ</sub>‖<sub>1</sub> / size)"),
    ("activity_l2", "avg_activity_l2", "RMS z<sub>ℓ</sub>  (‖z<sub>ℓ</sub>‖<sub>2</sub> / √size)"),
    ("weight_l2", "params_l2_norm", "‖W<sub>ℓ</sub>‖<sub>F</sub>"),
    ("weight_spectral", "params_spectral_norm", "‖W<sub>ℓ</sub>‖<sub>2</sub>"),
)


def _forward_root(act, optim, setting) -> str:
    return f"mupc_forward_pass/{act}/{optim}/{setting}"


def forward_pass_files(grid: dict) -> list[str]:
    widths, depths = sorted(grid["widths"]), sorted(grid["depths"])
    depth, edge_widths = depths[0], sorted({widths[0], widths[-1]})
    files = []
    for act in grid["act_fns"]:
        for optim in grid["optims"]:
            for setting in grid["settings"]:
                root = _forward_root(act, optim, setting)
                for _, stem, _ in FORWARD_PLOTS:
                    for t in range(grid["plot_steps"]):
                        files.append(f"{root}/{stem}_per_N_at_t{t}_L_{depth}.pdf")
                        files += [f"{root}/{stem}_per_L_at_t{t}_N_{n}.pdf" for n in edge_widths]
                files += [f"{root}/params_spectral_norm_over_t_N_{n}.pdf" for n in edge_widths]
    return files


def norms_figure(values: np.ndarray, x, *, x_title: str, y_title: str, colorscale: str,
                 log_y: bool = False) -> go.Figure:
    """One line per recorded layer (ℓ = 1, L/4, L/2, 3L/4, L) against width, depth or iteration."""
    fig = go.Figure()
    over_time = x_title == "Training iteration"
    for layer, row, color in zip(LAYER_LABELS, values, sample_colors(colorscale, len(values), skip=3)):
        fig.add_trace(go.Scatter(x=list(x), y=list(row), name=f"ℓ = {layer}", mode="lines" if over_time else "lines+markers",
                                 line=dict(width=2, color=color), opacity=0.8))
    fig.update_layout(height=350, width=560, font=dict(size=15), margin=dict(r=140, b=95, l=110),
                      xaxis=dict(title=x_title), yaxis=dict(title=y_title))
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power")
    if over_time:
        fig.update_xaxes(tickvals=[0, int(x[-1] / 2), x[-1]])
    else:
        fig.update_xaxes(type="log", tickvals=list(x), ticktext=[power_label(v, 2) for v in x])
    return fig


def draw_forward_pass(writer: FigureWriter, table: pd.DataFrame, grid: dict, *, standin: bool) -> None:
    """Norms vs width (at the smallest depth) and vs depth (at the smallest and largest width)
    for the first ``plot_steps`` steps, and the spectral norms over every recorded step."""
    widths, depths = sorted(grid["widths"]), sorted(grid["depths"])
    depth, edge_widths = depths[0], sorted({widths[0], widths[-1]})
    cube = table.set_index(["act_fn", "optim", "setting", "metric", "layer", "step", "width", "depth"])["value"]
    cube = cube.sort_index()  # lexsorted: each lookup below is a search, not a scan
    for (act, optim, setting), _ in table.groupby(["act_fn", "optim", "setting"], sort=False):
        root = _forward_root(act, optim, setting)
        sp = setting.startswith("sp")  # the notebook draws sp activities on a log axis
        for metric, stem, y_title in FORWARD_PLOTS:
            is_activity = metric.startswith("activity")
            scale = "Reds" if is_activity else "Greens"
            values = cube.loc[act, optim, setting, metric]  # index: layer, step, width, depth
            for t in range(grid["plot_steps"]):
                per_n = np.array([[values[(layer, t, n, depth)] for n in widths] for layer in LAYER_LABELS])
                fig = norms_figure(per_n, widths, x_title="Width", y_title=y_title, colorscale=scale,
                                   log_y=is_activity and sp)
                writer.plotly(fig, f"{root}/{stem}_per_N_at_t{t}_L_{depth}.pdf",
                              _layers_table(per_n, "width", widths), standin=standin)
                for n in edge_widths:
                    per_l = np.array([[values[(layer, t, n, d)] for d in depths] for layer in LAYER_LABELS])
                    fig = norms_figure(per_l, depths, x_title="Depth", y_title=y_title, colorscale=scale,
                                       log_y=is_activity and sp)
                    writer.plotly(fig, f"{root}/{stem}_per_L_at_t{t}_N_{n}.pdf",
                                  _layers_table(per_l, "depth", depths), standin=standin)
        spectral = cube.loc[act, optim, setting, "weight_spectral"]
        steps = sorted(table["step"].unique())
        for n in edge_widths:
            over_t = np.array([[spectral[(layer, t, n, depth)] for t in steps] for layer in LAYER_LABELS])
            fig = norms_figure(over_t, steps, x_title="Training iteration", y_title="‖W<sub>ℓ</sub>‖<sub>2</sub>",
                               colorscale="Greens")
            writer.plotly(fig, f"{root}/params_spectral_norm_over_t_N_{n}.pdf",
                          _layers_table(over_t, "step", steps), standin=standin)


def _layers_table(values: np.ndarray, x_name: str, x) -> pd.DataFrame:
    return pd.DataFrame([{"layer": layer, x_name: xv, "value": v}
                         for layer, row in zip(LAYER_LABELS, values) for xv, v in zip(x, row)])


# -- mupc_energy_theory ----------------------------------------------------------------------

def energy_theory_files(grid: dict) -> list[str]:
    phase, study = grid["phase"], grid["width_study"]
    files = [f"mupc_energy_theory/{p}/loss_energy_ratio_t_{t}.pdf" for p in phase["param_types"]
             for t in phase["plot_steps"]]
    for act in study["act_fns"]:
        for p in study["param_types"]:
            root = f"mupc_energy_theory/width_H{study['n_hidden']}/{act}/{p}"
            files += [f"{root}/{n}.pdf" for n in ("energies_per_width", "losses_per_width",
                                                  "loss_energy_ratios_per_width")]
    return files


def draw_energy_theory_phase(writer: FigureWriter, table: pd.DataFrame, param_type: str, grid: dict, *,
                             standin: bool) -> None:
    """𝓛/F* over N × H at each plotted step (log colour, the notebook's ranges)."""
    from matplotlib.colors import LogNorm

    phase = grid["phase"]
    widths, n_hiddens = sorted(phase["widths"]), sorted(phase["n_hiddens"])
    n_steps = int(table["step"].max()) + 1
    vmin, vmax = phase["color_range"][param_type]
    ratios = table.set_index(["width", "n_hidden", "step"])["ratio"]
    for t in phase["plot_steps"]:
        if t >= n_steps:
            raise ValueError(f"mupc_energy_theory.phase.plot_steps: step {t} not run (the runs have {n_steps} steps)")
        values = np.array([[ratios[(w, h, t)] for h in n_hiddens] for w in widths])
        fig = phase_diagram(values, widths, n_hiddens, colorbar=r"$\mathcal{L} / \mathcal{F}^*$", title=f"$t = {t}$",
                            norm=LogNorm(vmin=vmin, vmax=vmax), cmap="inferno", show_cells=param_type == "mupc")
        writer.matplotlib(fig, f"mupc_energy_theory/{param_type}/loss_energy_ratio_t_{t}.pdf",
                          _grid_table(values, widths, n_hiddens, "ratio"), standin=standin)


def _width_lines(series: dict[int, np.ndarray], *, colorscale: str, y_title: str,
                 loss: np.ndarray | None = None, note: str = "") -> go.Figure:
    fig = go.Figure()
    for (width, values), color in zip(series.items(), sample_colors(colorscale, len(series), skip=3)):
        fig.add_trace(go.Scatter(x=np.arange(len(values)), y=values, name=f"N = {power_label(width, 2)}",
                                 mode="lines", line=dict(width=2, color=color), opacity=0.8))
    if loss is not None:
        fig.add_trace(go.Scatter(x=np.arange(len(loss)), y=loss, name="loss", mode="lines",
                                 line=dict(width=1, color="#EF553B"), legendrank=0))
    n = max(len(v) for v in series.values())
    fig.update_layout(height=350, width=560, font=dict(size=15), margin=dict(r=140, b=95, l=110, t=40 if note else 20),
                      xaxis=dict(title="Training iteration", tickvals=[0, (n - 1) // 2, n - 1]),
                      yaxis=dict(title=y_title), title=dict(text=note, font=dict(size=11)) if note else None)
    return fig


def draw_energy_theory_width(writer: FigureWriter, table: pd.DataFrame, act_fn: str, param_type: str, grid: dict,
                             *, standin: bool) -> None:
    """At fixed H: F* per width (with the widest net's loss), 𝓛 per width, and 𝓛/F* per width."""
    study = grid["width_study"]
    root = f"mupc_energy_theory/width_H{study['n_hidden']}/{act_fn}/{param_type}"
    widths = sorted(study["plot_widths"])
    by_width = {w: table[table["width"] == w].sort_values("step") for w in widths}
    if any(rows.empty for rows in by_width.values()):
        raise ValueError(f"mupc_energy_theory.width_study.plot_widths {widths} not all among the widths run")
    note = LINEAR_SOLUTION_NOTE if act_fn != "linear" else ""
    energies = {w: rows["energy"].to_numpy() for w, rows in by_width.items()}
    losses = {w: rows["loss"].to_numpy() for w, rows in by_width.items()}
    ratios = {w: rows["ratio"].to_numpy() for w, rows in by_width.items()}
    data = pd.concat(by_width.values())[["width", "step", "loss", "energy", "ratio"]]
    writer.plotly(_width_lines(energies, colorscale="Purples", y_title="Equilib. energy", loss=losses[widths[-1]],
                               note=note), f"{root}/energies_per_width.pdf", data, standin=standin)
    writer.plotly(_width_lines(losses, colorscale="Reds", y_title="Loss", note=note),
                  f"{root}/losses_per_width.pdf", standin=standin)
    writer.plotly(_width_lines(ratios, colorscale="Viridis", y_title="Ratio 𝓛 / F*", note=note),
                  f"{root}/loss_energy_ratios_per_width.pdf", standin=standin)
