"""Figures of seeds 000/001: training curves of chains, landscapes, Hessians and spectra.

2-D figures are plotly, as the seeds draw them. Hessian heatmaps are matplotlib (as the
seeds), and so are the 3-D surfaces and volumes: plotly's WebGL export costs 2–8 s a
figure in headless Chromium (measured on the 2-core CI machine), matplotlib ≈0.3 s.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.figure_factory as ff
import plotly.graph_objects as go

COLORSCALE = "RdBu_r"
BP_COLOR, PC_COLOR = "#EF553B", "#636EFA"
LAYER_COLORS = ["#AB36FA", "#FFA15A", "#19D3F3", "#636EFA", "#EF553B", "#00CC96"]
TRAJECTORY_COLOR = "rgb(255, 255, 51)"
LOSS, ENERGY = "ℒ", "ℱ"


def _iteration_axis(n: int) -> dict:
    return dict(title="Training iteration", tickvals=[1, max(n // 2, 1), n])


def lines_figure(series: dict[str, np.ndarray], *, y_title: str, x_title: str = "Training iteration",
                 colors: Sequence[str] | None = None, width: int = 320, height: int = 300) -> tuple[go.Figure, pd.DataFrame]:
    """One line per named series over iterations 1 … T (the seeds' loss / weight / gradient plots)."""
    fig = go.Figure()
    rows = []
    for i, (name, values) in enumerate(series.items()):
        x = np.arange(1, len(values) + 1)
        line = dict(width=3) | (dict(color=colors[i % len(colors)]) if colors else {})
        fig.add_trace(go.Scatter(x=x, y=values, name=name, mode="lines", line=line))
        rows.append(pd.DataFrame({"series": name, "iteration": x, "value": values}))
    n = max(len(v) for v in series.values())
    fig.update_layout(width=width, height=height, xaxis=_iteration_axis(n) | dict(title=x_title),
                      yaxis=dict(title=y_title, nticks=3), font=dict(size=14), margin=dict(l=60, r=20, t=40, b=60))
    return fig, pd.concat(rows, ignore_index=True)


def layer_names(prefix: str, n_layers: int) -> list[str]:
    return [f"{prefix}<sub>{i + 1}</sub>" for i in range(n_layers)]


def stats_figure(bp: np.ndarray, pc: np.ndarray, *, y_title: str) -> tuple[go.Figure, pd.DataFrame]:
    """BP vs PC mean ± std over seeds ([S, T] each, already cut to the shortest run)."""
    fig = go.Figure()
    rows = []
    for name, values, color in (("BP", bp, BP_COLOR), ("PC", pc, PC_COLOR)):
        mean, std = values.mean(axis=0), values.std(axis=0)
        x = list(range(1, len(mean) + 1))
        fig.add_trace(go.Scatter(x=x + x[::-1], y=list(mean + std) + list((mean - std)[::-1]), fill="toself",
                                 fillcolor=color, opacity=0.3, line=dict(color="rgba(255,255,255,0)"),
                                 hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=x, y=mean, name=name, mode="lines+markers", line=dict(width=3, color=color)))
        rows.append(pd.DataFrame({"method": name, "iteration": x, "mean": mean, "std": std, "n_seeds": len(values)}))
    n = max(bp.shape[1], pc.shape[1])
    fig.update_layout(width=380, height=300, xaxis=_iteration_axis(n), yaxis=dict(title=y_title, nticks=3),
                      font=dict(size=14), margin=dict(l=60, r=20, t=40, b=60))
    return fig, pd.concat(rows, ignore_index=True)


def contour_figure(axis: np.ndarray, values: np.ndarray, descent: np.ndarray, *, objective: str, title: str,
                   trajectory: np.ndarray | None = None, arrow_scale: float = 0.1) -> go.Figure:
    """Contours of a 2-D objective (``values[i, j]`` at w₁ = axis[i], w₂ = axis[j]) with its
    descent field, rescaled by its RMS length so arrows are visible (the seed standardised
    the field, which also shifted it by its mean and so turned the arrows; directions are
    kept here), and optionally a training trajectory [T+1, 2]."""
    fig = go.Figure(go.Contour(z=values.T, x=axis, y=axis, colorscale=COLORSCALE, showscale=False,
                               contours_coloring="heatmap"))
    field = descent / (np.sqrt(np.mean(np.sum(descent**2, axis=-1))) + 1e-30)
    w1, w2 = np.meshgrid(axis, axis, indexing="ij")
    step = max(len(axis) // 15, 1)  # at most ~15 arrows a side
    sl = (slice(None, None, step),) * 2
    quiver = ff.create_quiver(x=w1[sl].ravel(), y=w2[sl].ravel(), u=field[sl][..., 0].ravel(),
                              v=field[sl][..., 1].ravel(), scale=arrow_scale * (axis[-1] - axis[0]) / 2,
                              line_width=0.8, marker_color=TRAJECTORY_COLOR, showlegend=False)
    fig.add_trace(quiver.data[0])
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="none",
                             marker=dict(colorscale=COLORSCALE, showscale=True, cmin=float(values.min()),
                                         cmax=float(values.max()),
                                         colorbar=dict(title=dict(text=objective, side="right"), len=0.5,
                                                       tickvals=[float(values.min()), float(values.max())],
                                                       ticktext=["Low", "High"]))))
    if trajectory is not None:
        _add_trajectory_2d(fig, trajectory)
    lim = [float(axis[0]), float(axis[-1])]
    fig.update_layout(title=dict(text=title, x=0.1), width=500, height=420, plot_bgcolor="white",
                      xaxis=dict(title="w<sub>1</sub>", range=lim), yaxis=dict(title="w<sub>2</sub>", range=lim),
                      font=dict(size=14), margin=dict(r=100, b=50, l=50, t=60))
    return fig


def _add_trajectory_2d(fig: go.Figure, trajectory: np.ndarray) -> None:
    n = len(trajectory)
    sizes = [10] + [5] * (n - 2) + [13] if n > 1 else [10]
    symbols = ["diamond"] + ["circle"] * (n - 2) + ["cross"] if n > 1 else ["diamond"]
    text = ["w<sup>0</sup>"] + [""] * (n - 2) + (["w<sup>*</sup>"] if n > 1 else [])
    fig.add_trace(go.Scatter(x=trajectory[:, 0], y=trajectory[:, 1], mode="markers+text", text=text,
                             textposition="top right", textfont=dict(color=TRAJECTORY_COLOR),
                             marker=dict(size=sizes, symbol=symbols, color=TRAJECTORY_COLOR), showlegend=False))


def surface_figure(axis_a: np.ndarray, axis_b: np.ndarray, values: np.ndarray, *, title: str = "",
                   objective: str = "", trajectory: np.ndarray | None = None, z_max: float | None = None,
                   labels: tuple[str, str] = ("w₁", "w₂")):
    """Matplotlib 3-D surface of ``values[i, j]`` over (axis_a[i], axis_b[j]) with its contour
    map projected below, and optionally a trajectory [T+1, 3] (w₁, w₂, value)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6, 5))
    ax = fig.add_subplot(projection="3d")
    a, b = np.meshgrid(axis_a, axis_b, indexing="ij")
    lo, hi = float(values.min()), float(values.max() if z_max is None else z_max)
    floor = lo - 0.25 * (hi - lo + 1e-12)
    ax.plot_surface(a, b, values, cmap=COLORSCALE, linewidth=0, antialiased=True, alpha=0.95, vmin=lo, vmax=hi)
    ax.contourf(a, b, values, zdir="z", offset=floor, cmap=COLORSCALE, levels=15, vmin=lo, vmax=hi)
    if trajectory is not None:
        ax.scatter(trajectory[:, 0], trajectory[:, 1], trajectory[:, 2] + 0.02 * (hi - lo + 1e-12), color="yellow",
                   edgecolors="black", s=25, depthshade=False)
    ax.set_zlim(floor, hi if z_max is None else z_max)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_zlabel(objective)
    ax.set_title(title)
    ax.view_init(elev=30, azim=-125)
    return fig


def volume_figure(axis: np.ndarray, values: np.ndarray, *, title: str = "", trajectory: np.ndarray | None = None):
    """A 3-D objective ``values[i, j, k]`` (w₁, w₂, w₃ = axis[i], axis[j], axis[k]) as translucent
    points coloured by value — low values opaque, so the valleys show — with an optional
    weight trajectory [T+1, 3]."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6, 5.5))
    ax = fig.add_subplot(projection="3d")
    w = np.meshgrid(axis, axis, axis, indexing="ij")
    v = values.ravel()
    rank = (v - v.min()) / (np.ptp(v) + 1e-30)
    colors = plt.get_cmap(COLORSCALE)(rank)
    colors[:, 3] = 0.03 + 0.7 * (1 - rank) ** 3
    size = 12 * (15 / len(axis)) ** 2  # the same filled volume at any resolution
    ax.scatter(w[0].ravel(), w[1].ravel(), w[2].ravel(), c=colors, s=size, depthshade=False, linewidths=0)
    if trajectory is not None:
        ax.plot(trajectory[:, 0], trajectory[:, 1], trajectory[:, 2], color="gold", lw=1)
        ax.scatter(*trajectory[0], marker="D", color="gold", edgecolors="black", s=40)
        ax.scatter(*trajectory[-1], marker="X", color="gold", edgecolors="black", s=60)
    ax.set_xlabel("w₁")
    ax.set_ylabel("w₂")
    ax.set_zlabel("w₃")
    ax.set_title(title)
    ax.view_init(elev=20, azim=-60)
    return fig


def predictions_gif(writer, frames: Sequence[tuple[np.ndarray, np.ndarray, str]], gif_path: str,
                    duration_ms: int = 200) -> None:
    """Predictions vs targets over the examples of a batch, one frame per (targets,
    predictions, title); matplotlib, one figure redrawn (plotly PNG frames cost ≈0.3 s each)."""
    import matplotlib.pyplot as plt

    from .common import png_bytes

    fig, ax = plt.subplots(figsize=(6, 3))
    fig.subplots_adjust(left=0.1, right=0.78, bottom=0.18, top=0.85)
    targets, predictions, title = frames[0]
    x = np.arange(1, len(targets) + 1)
    true_line, = ax.plot(x, targets, lw=2.5, color=PC_COLOR, label="true")
    pred_line, = ax.plot(x, predictions, lw=2.5, color=BP_COLOR, label="prediction")
    ax.set_xlabel("Data")
    ax.set_ylabel("y")
    ax.set_xticks([1, len(x) // 2, len(x)])
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    all_values = np.concatenate([np.concatenate([f[0], f[1]]) for f in frames])
    pad = 0.05 * (np.ptp(all_values) + 1e-12)
    ax.set_ylim(all_values.min() - pad, all_values.max() + pad)
    rendered = []
    for targets, predictions, title in frames:
        true_line.set_ydata(targets)
        pred_line.set_ydata(predictions)
        ax.set_title(title)
        rendered.append(png_bytes(fig))
    plt.close(fig)
    writer.gif(rendered, gif_path, duration_ms)


def _symlog_norm(matrix: np.ndarray):
    """Symmetric log colour scale over ±max|entry|, linear within 10⁻³ of it."""
    from matplotlib.colors import SymLogNorm

    vmax = max(float(np.abs(matrix).max()), 1e-12)
    return SymLogNorm(linthresh=1e-3 * vmax, vmin=-vmax, vmax=vmax)


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _signed_decade(value: float, _position=None) -> str:
    """A symmetric-log colour-bar tick as ±10ᵏ in plain text (matplotlib's default is mathtext,
    re-typeset at every save of every frame: ≈ 0.07 s a figure)."""
    if value == 0:
        return "0"
    exponent = round(np.log10(abs(value)))
    if not np.isclose(abs(value), 10.0 ** exponent):
        return ""  # a minor tick
    return ("−" if value < 0 else "") + "10" + str(exponent).translate(_SUPERSCRIPTS)


def hessian_heatmap(matrix: np.ndarray, *, title: str = "", log: bool = False, pool: int = 1):
    """Matplotlib heatmap in the seeds' 'bwr' map: linear colour clipped to [−1, 1], or a
    symmetric log scale (the seed used LogNorm, which blanks every negative entry of a
    signed Hessian; SymLogNorm shows both signs). ``pool`` > 1 notes that each pixel is the
    largest-magnitude entry of a pool × pool block."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.5))  # no layout engine: it triples the save time
    # interpolation "none": a PDF holds every pixel of the (pooled) matrix, for the reader's zoom,
    # instead of a copy resampled to the page (5x slower to write, and coarser); PNG frames as "nearest"
    if log:
        image = ax.imshow(matrix, cmap="bwr", norm=_symlog_norm(matrix), interpolation="none")
        fig.colorbar(image, ax=ax, format=_signed_decade)
    else:
        image = ax.imshow(matrix, cmap="bwr", vmin=-1, vmax=1, interpolation="none")
        fig.colorbar(image, ax=ax, ticks=[-1, 0, 1])
    size = len(matrix)
    if size <= 12 and pool == 1:
        ticks = np.arange(size)
        ax.set_xticks(ticks, ticks + 1)
        ax.set_yticks(ticks, ticks + 1)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    if pool > 1:
        ax.set_xlabel(f"each pixel: the largest |entry| of a {pool}×{pool} block")
    ax.set_title(title, fontsize=14)
    return fig


def heatmap_series(writer, matrices: Sequence[np.ndarray], titles: Sequence[str], paths: Sequence[str],
                   gif_path: str, *, log: bool = False, pool: int = 1) -> None:
    """One heatmap PDF per matrix and a GIF of them all, redrawing one figure (a new
    matplotlib figure per frame costs ≈0.3 s; swapping the image data ≈0.05 s)."""
    from .common import png_bytes

    fig = hessian_heatmap(matrices[0], title=titles[0], log=log, pool=pool)
    ax = fig.axes[0]
    image = ax.images[0]
    frames = []
    for matrix, title, path in zip(matrices, titles, paths):
        image.set_data(matrix)
        if log:
            image.set_norm(_symlog_norm(matrix))
            image.colorbar.update_normal(image)
        ax.set_title(title, fontsize=14)
        writer.matplotlib(fig, path, close=False)
        frames.append(png_bytes(fig))
    import matplotlib.pyplot as plt

    plt.close(fig)
    writer.gif(frames, gif_path)


def log_density_axis(n_values: int) -> dict:
    """The y axis of a probability histogram on a log scale. Its smallest non-zero bar is at
    least 1/n: with few values (a chain's 2–10 eigenvalues) the bars span under two decades,
    where one tick per decade would leave a single label, so 2 and 5 are labelled too."""
    return dict(title="Density (log)", type="log", exponentformat="power", dtick="D2" if n_values <= 100 else 1)


def eigen_histogram(values: np.ndarray, *, title: str = "", bin_size: float | None = 0.2) -> go.Figure:
    """Eigenvalue histogram with log density, as seed 001 draws it."""
    xbins = dict(size=bin_size) if bin_size else None
    fig = go.Figure(go.Histogram(x=values, histnorm="probability", xbins=xbins, marker_color="#FF7F0E"))
    fig.update_layout(width=500, height=325, title=dict(text=title, x=0.5), xaxis=dict(title="Hessian eigenvalue"),
                      yaxis=log_density_axis(len(values)), font=dict(size=14))
    return fig


def spectrum_overlay(loss: np.ndarray, energy: np.ndarray, theory: np.ndarray | None, *, title: str = "",
                     bins: int = 40) -> tuple[go.Figure, pd.DataFrame]:
    """Loss vs numerical energy vs theoretical energy eigenvalues (theory as outlined bars), all
    on one set of ``bins`` equal bins over the whole range, so that a lone negative eigenvalue
    (the saddle's escape direction) gets a bar of its own instead of sharing a wide one; lines
    mark the smallest numerical (dotted) and theoretical (dashed) eigenvalues, their values in
    the legend, which sits under the plot."""
    fig = go.Figure()
    series = [("loss", loss, BP_COLOR), ("energy (numeric)", energy, PC_COLOR)]
    if theory is not None:
        series.append(("energy (theory)", theory, "rgba(0,0,0,0)"))
    every = np.concatenate([values for _, values, _ in series])
    lo, hi = float(every.min()), float(every.max())
    size = (hi - lo) / bins if hi > lo else 1.0
    xbins = dict(start=lo - size / 2, end=hi + size / 2, size=size)
    rows = []
    for name, values, color in series:
        fig.add_trace(go.Histogram(x=values, histnorm="probability", xbins=xbins, autobinx=False, name=name,
                                   marker=dict(color=color, line=dict(color="black", width=2 if "theory" in name else 0))))
        rows.append(pd.DataFrame({"hessian": name, "eigenvalue": values}))
    for name, values, dash in (("numeric", energy, "dot"), ("theory", theory, "dash")):
        if values is not None and float(np.min(values)) < 0:
            fig.add_vline(x=float(np.min(values)), line=dict(color="black", width=1, dash=dash))
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color="black", width=1, dash=dash),
                                     name=f"λ<sub>min</sub> {name} = {float(np.min(values)):.4g}"))
    fig.update_layout(barmode="overlay", width=560, height=420, title=dict(text=title, x=0.5),
                      xaxis=dict(title="Hessian eigenvalue", range=[lo - 3 * size, hi + 3 * size]),
                      # the lowest possible bar (one value of the longest series) stands half a decade tall
                      yaxis=dict(log_density_axis(min(len(loss), len(energy))),
                                 range=[-np.log10(max(len(v) for _, v, _ in series)) - 0.5, 0.05]),
                      legend=dict(orientation="h", yanchor="top", y=-0.3, xanchor="center", x=0.5, font=dict(size=12)),
                      margin=dict(b=160), font=dict(size=14))
    fig.update_traces(opacity=0.75, selector=dict(type="histogram"))
    return fig, pd.concat(rows, ignore_index=True)
