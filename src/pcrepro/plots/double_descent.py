"""Figure families of study ``double_descent`` (seed 004), from one result file per init.

Curves are drawn at ``plot_points`` geometrically spaced iterations (log time), as in the seed.
Vector fields draw the direction of the flow at each point with arrows of one length (the
speeds span orders of magnitude); where the points form a grid, the speed is the background.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pcrepro.studies import double_descent as dd

FAMILIES = ("dd_training", "dd_jacobian", "dd_alignment", "dd_rank_one", "dd_theory", "dd_vector_fields")
FIELD_PLANES = ("u_z1", "u_z2", "z1_z2", "total_weights", "weight_error")
NET_COLOR, LARGE_COLOR, SMALL_COLOR, OTHER_COLOR = "rgb(33,145,140)", "rgb(68,1,84)", "rgb(122,209,81)", "rgb(230,97,1)"


def dd_files(grid: dict) -> dict[str, list[str]]:
    per_init = {"dd_jacobian", "dd_alignment", "dd_theory"}
    files = {f: [f"{f}/{init}.pdf" for init in dd.INITS] for f in per_init}
    files["dd_training"] = ["dd_training/constant.pdf"]
    files["dd_rank_one"] = ["dd_rank_one/rank_one.pdf"]
    files["dd_vector_fields"] = [f"dd_vector_fields/{plane}.pdf" for plane in FIELD_PLANES]
    return {f: files[f] for f in FAMILIES}


def data_from_result(r: Mapping[str, np.ndarray]) -> dd.TeacherData:
    return dd.TeacherData(*(np.asarray(r[k]) for k in dd.TeacherData._fields))


def plot_steps(n_iterations: int, n_points: int) -> np.ndarray:
    """Geometrically spaced iterations 1 … T−1 (the seed's ``geo_samples``), without repeats."""
    return np.unique(np.geomspace(1, n_iterations - 1, num=n_points).astype(int))


def _line(fig, x, y, name, color, row, col, dash=None, legend=True, width=2.5):
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, line=dict(color=color, width=width, dash=dash),
                             showlegend=legend, legendgroup=name), row=row, col=col)


def _finish(fig: go.Figure, height: int, width: int) -> go.Figure:
    fig.update_xaxes(type="log", title="t iterations")
    fig.update_layout(height=height, width=width, font=dict(size=12), margin=dict(t=70, b=90, l=70, r=30),
                      legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.12, yanchor="top"))
    return fig


def training_figure(r: Mapping[str, np.ndarray], n_points: int, *, extras: bool) -> tuple[go.Figure, pd.DataFrame]:
    """Risk (and the control κ's risk where the run has one), loss, weight norms (layer 1,
    its large- and small-feature columns, layer 2) and the relative weight error of the large, the
    small and all features; ``extras`` adds the gradient norms and the ranks of both layers (the
    rank-one run)."""
    t = plot_steps(len(r["net_loss"]), n_points)
    large = np.asarray(r["large"], bool)
    error = r["net_weight_error"][t]
    risk = {"risk": r["net_risk"][t]}
    if "control_risk" in r:  # the double-descent claim's control: one feature scale, no second descent
        risk[f"risk, κ = {float(r['control_kappa']):g} (control)"] = r["control_risk"][t]
    panels = [("Risk", risk), ("Loss", {"loss": r["net_loss"][t]}),
              ("Weight norm", {"Layer 1": r["net_weight_norms"][t, 0], "Layer 1, large": r["net_weight_norms"][t, 1],
                               "Layer 1, small": r["net_weight_norms"][t, 2], "Layer 2": r["net_weight_norms"][t, 3]}),
              ("Relative weight error, large", {"large": error[:, large].mean(axis=1)}),
              ("Relative weight error, small", {"small": error[:, ~large].mean(axis=1) if (~large).any() else np.nan * t}),
              ("Relative weight error, all", {"all": error.mean(axis=1)})]
    if extras:
        panels += [("Gradient norm", {"grad Layer 1": r["net_grad_norms"][t, 0], "grad Layer 2": r["net_grad_norms"][t, 1]}),
                   ("Rank of weights", {"rank Layer 1": r["net_ranks"][t, 0], "rank Layer 2": r["net_ranks"][t, 1]})]
    cols = 4 if extras else 3
    fig = make_subplots(rows=2, cols=cols, subplot_titles=[p[0] for p in panels], horizontal_spacing=0.07,
                        vertical_spacing=0.2)
    # single-curve panels in black and the features in their own colours, so that no curve
    # borrows the colour of "Layer 1" in the legend
    colors = {"Layer 1": NET_COLOR, "Layer 1, large": LARGE_COLOR, "Layer 1, small": SMALL_COLOR, "Layer 2": OTHER_COLOR,
              "grad Layer 1": NET_COLOR, "grad Layer 2": OTHER_COLOR, "rank Layer 1": NET_COLOR, "rank Layer 2": OTHER_COLOR,
              "large": LARGE_COLOR, "small": SMALL_COLOR}
    colors.update({name: "black" if i == 0 else "rgb(160,160,160)" for i, name in enumerate(risk)})
    y_titles = {"Risk": "risk", "Loss": "loss", "Weight norm": "Frobenius norm", "Gradient norm": "norm",
                "Rank of weights": "rank"}
    table = {"iteration": t}
    for i, (title, series) in enumerate(panels):
        row, col = divmod(i, cols)
        for name, values in series.items():
            _line(fig, t, values, name, colors.get(name, "black"), row + 1, col + 1, legend=len(series) > 1)
            table[f"{title}: {name}"] = values
        fig.update_yaxes(title_text=y_titles.get(title, "relative error"), row=row + 1, col=col + 1)
    fig.update_yaxes(type="log", row=1, col=1)  # the risk falls by orders of magnitude: log shows both stages
    fig.update_yaxes(type="log", row=1, col=2)
    return _finish(fig, 620, 330 * cols), pd.DataFrame(table)


def theory_figure(r: Mapping[str, np.ndarray], n_points: int) -> tuple[go.Figure, pd.DataFrame]:
    """The reduced (u, z) dynamics (dashed) over the network's curves (solid): risk, loss, gradient
    norms, the relative weight error of each feature, u and z."""
    t = plot_steps(len(r["net_loss"]), n_points)
    d = r["net_z"].shape[1]
    titles = ["Risk", "Loss", "Gradient norms", "Relative weight error per feature", "u", "z"]
    fig = make_subplots(rows=2, cols=3, subplot_titles=titles, horizontal_spacing=0.08, vertical_spacing=0.2)
    feature_colors = [LARGE_COLOR if large else SMALL_COLOR for large in np.asarray(r["large"], bool)]
    table = {"iteration": t}
    panels = [(1, 1, "risk", None, ["risk"]), (1, 2, "loss", None, ["loss"]),
              (1, 3, "grad_norms", [0, 1], ["‖∂/∂W₁‖ = ‖dz‖", "‖∂/∂W₂‖ = |du|"]),
              (2, 1, "weight_error", list(range(d)), [f"feature {i}" for i in range(d)]),
              (2, 2, "u", None, ["u"]), (2, 3, "z", list(range(d)), [f"z{i + 1}" for i in range(d)])]
    for row, col, key, index, names in panels:
        for j, name in enumerate(names):
            color = feature_colors[j] if key in ("weight_error", "z") else (OTHER_COLOR if j else NET_COLOR)
            for source, dash, width in (("net", None, 4), ("reduced", "dash", 2)):
                values = r[f"{source}_{key}"][t] if index is None else r[f"{source}_{key}"][t, index[j]]
                network = source == "net"
                _line(fig, t, values, name if network else "reduced", color if network else "black", row, col,
                      dash=dash, legend=network and key in ("grad_norms", "z"), width=width)
                table[f"{key} {name} {source}"] = values
    _line(fig, [None], [None], "reduced (u, z) dynamics", "black", 1, 1, dash="dash", width=2)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.add_annotation(text=f"network: solid · reduced dynamics: dashed · max |W_tot(network) − u z| / max |W_tot| = "
                            f"{float(r['reduced_gap']):.1e}",
                       xref="paper", yref="paper", x=1, y=1.09, showarrow=False, xanchor="right", font=dict(size=11))
    return _finish(fig, 640, 1050), pd.DataFrame(table)


def _numerically_zero(values: np.ndarray) -> np.ndarray:
    return values <= values.max() * values.size * np.finfo(float).eps


def jacobian_figure(r: Mapping[str, np.ndarray]) -> tuple[go.Figure, pd.DataFrame]:
    """Singular values σ_i of the network Jacobian vs the norm of each right singular vector's part
    in W (layer 1), in v (layer 2) and in both, one panel per snapshot (log-log; numerically
    zero σ_i are left out and counted)."""
    snapshots = [int(s) for s in r["snapshots"]]
    fig = make_subplots(rows=1, cols=len(snapshots), subplot_titles=[f"iteration {s}" for s in snapshots],
                        horizontal_spacing=0.06)
    rows = []
    for col, s in enumerate(snapshots, start=1):
        sv = r[f"t{s}_singular_values"]
        keep = ~_numerically_zero(sv)
        for key, name, color, size in (("w1", "W", LARGE_COLOR, 11), ("w2", "v", NET_COLOR, 9),
                                       ("both", "W + v", SMALL_COLOR, 6)):
            fig.add_trace(go.Scatter(x=sv[keep], y=r[f"t{s}_{key}"][keep], mode="markers", name=name,
                                     marker=dict(color=color, size=size), showlegend=col == 1), row=1, col=col)
            rows += [{"iteration": s, "part": name, "singular_value": a, "norm": b}
                     for a, b in zip(sv, r[f"t{s}_{key}"])]
        fig.add_annotation(text=f"{int((~keep).sum())} of {len(sv)} σ numerically 0", x=0.5, y=-0.01,
                           xref=f"{'x' if col == 1 else f'x{col}'} domain",
                           yref=f"{'y' if col == 1 else f'y{col}'} domain", showarrow=False, yanchor="top",
                           yshift=-58, font=dict(size=10))
        fig.update_xaxes(type="log", title="σ<sub>i</sub>", row=1, col=col)
        fig.update_yaxes(type="log", row=1, col=col)
    fig.update_yaxes(title="‖v‖<sub>2</sub> of the singular vector's part", row=1, col=1)
    fig.update_layout(height=420, width=380 * len(snapshots) + 60, font=dict(size=12), margin=dict(b=110))
    return fig, pd.DataFrame(rows)


def alignment_figure(r: Mapping[str, np.ndarray]) -> tuple[go.Figure, pd.DataFrame]:
    """Layer 1 projected on the input's right singular vectors (‖W₁v_j‖ vs σ_j(X)) and layer 2 on
    the hidden representation's (|W₂v'_j| vs σ_j(XW₁ᵀ)), at every snapshot."""
    snapshots = [int(s) for s in r["snapshots"]]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=["Layer 1 vs input X", "Layer 2 vs hidden representation XW₁ᵀ"])
    colors = [f"rgba(68,1,84,{0.35 + 0.65 * i / max(len(snapshots) - 1, 1):.2f})" for i in range(len(snapshots))]
    rows = []
    for s, color in zip(snapshots, colors):
        for col, (sv_key, proj_key) in enumerate((("input_singular_values", "w1_projection"),
                                                  ("hidden_singular_values", "w2_projection")), start=1):
            x, y = r[f"t{s}_{sv_key}"], r[f"t{s}_{proj_key}"]
            fig.add_trace(go.Scatter(x=x, y=y, mode="markers", name=f"iteration {s}", marker=dict(color=color, size=10),
                                     showlegend=col == 1), row=1, col=col)
            rows += [{"iteration": s, "layer": col, "singular_value": a, "projection": b} for a, b in zip(x, y)]
    fig.update_xaxes(title="σ<sub>j</sub>")
    fig.update_yaxes(title="‖W v<sub>j</sub>‖", row=1, col=1)
    fig.update_yaxes(title="|W₂ v′<sub>j</sub>|", row=1, col=2)
    fig.update_layout(height=420, width=900, font=dict(size=12), margin=dict(b=90))
    return fig, pd.DataFrame(rows)


# -- vector fields ----------------------------------------------------------------------------

def _arrows(fig, x, y, dx, dy, x_range, y_range, row, col, length):
    """Arrows of one length (``length`` × the axis ranges) along (dx, dy) from each point: one
    trace, arrowheads as ``arrow`` markers angled along their segment."""
    x, y, dx, dy = (np.ravel(v) for v in (x, y, dx, dy))
    scale = np.hypot(dx / x_range, dy / y_range)
    ok = scale > 0
    factor = np.where(ok, length / np.where(ok, scale, 1.0), 0.0)
    ends_x, ends_y = x + factor * dx, y + factor * dy
    nan = np.full_like(x, np.nan)
    xs = np.column_stack([x, ends_x, nan]).ravel()
    ys = np.column_stack([y, ends_y, nan]).ravel()
    sizes = np.tile([0, 7, 0], len(x))
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", line=dict(color="black", width=1), showlegend=False,
                             marker=dict(symbol="arrow", angleref="previous", size=sizes, color="black")),
                  row=row, col=col)


def _span(values: np.ndarray) -> float:
    """The axis range an arrow length is measured in (points off a grid: their extent)."""
    return max(float(np.ptp(values)), 1e-12)


def _speed_background(fig, xs, ys, speed, row, col, show_scale):
    fig.add_trace(go.Heatmap(x=xs, y=ys, z=np.log10(np.maximum(speed, 1e-300)), colorscale="Blues", opacity=0.55,
                             showscale=show_scale, colorbar=dict(title="log₁₀ speed", len=0.8)), row=row, col=col)


def field_figures(r: Mapping[str, np.ndarray], fields: dict) -> dict[str, go.Figure]:
    """The seed's quiver plots of the reduced flow (first two features; other z_i held at 0):
    (u, z₁) at fixed z₂, (u, z₂) at fixed z₁, (z₁, z₂) at fixed u, the end-to-end weights
    w = u z with their velocity, and (z_i, ‖uz − β‖²) with its rate of change."""
    data = data_from_result(r)
    d = len(data.beta)
    if d < 2:
        raise ValueError("double_descent.dim must be >= 2 for the vector fields (they use features 1 and 2)")
    n = fields["grid_points"]
    arrow = 0.7 / (n - 1)  # of the axis range: most of the grid spacing

    def z_of(z1, z2):
        z = np.zeros(np.broadcast(z1, z2).shape + (d,))
        z[..., 0], z[..., 1] = z1, z2
        return z

    figs = {}
    # (u, z_i) planes: u on x, z_i on y, the other z fixed
    for plane, fixed_values, moving in (("u_z1", fields["u_z1_at_z2"], 0), ("u_z2", fields["u_z2_at_z1"], 1)):
        lim = fields["u_z_range"]
        grid = np.linspace(-lim, lim, n)
        uu, zz = np.meshgrid(grid, grid)
        other = f"z{2 - moving}"
        fig = make_subplots(rows=1, cols=len(fixed_values), subplot_titles=[f"{other} = {v:g}" for v in fixed_values])
        for col, value in enumerate(fixed_values, start=1):
            z = z_of(zz, value) if moving == 0 else z_of(value, zz)
            du, dz = dd.reduced_field(uu, z, data)
            _speed_background(fig, grid, grid, np.hypot(du, dz[..., moving]), 1, col, col == len(fixed_values))
            _arrows(fig, uu, zz, du, dz[..., moving], 2 * lim, 2 * lim, 1, col, arrow)
            fig.update_xaxes(title="u", row=1, col=col)
        fig.update_yaxes(title=f"z{moving + 1}", row=1, col=1)
        figs[plane] = fig
    # (z1, z2) at fixed u
    lim = fields["z_range"]
    grid = np.linspace(-lim, lim, n)
    z1, z2 = np.meshgrid(grid, grid)
    fig = make_subplots(rows=1, cols=len(fields["z1_z2_at_u"]), subplot_titles=[f"u = {v:g}" for v in fields["z1_z2_at_u"]])
    for col, u in enumerate(fields["z1_z2_at_u"], start=1):
        _, dz = dd.reduced_field(np.asarray(u), z_of(z1, z2), data)
        _speed_background(fig, grid, grid, np.hypot(dz[..., 0], dz[..., 1]), 1, col, col == len(fields["z1_z2_at_u"]))
        _arrows(fig, z1, z2, dz[..., 0], dz[..., 1], 2 * lim, 2 * lim, 1, col, arrow)
        fig.update_xaxes(title="z1", row=1, col=col)
    fig.update_yaxes(title="z2", row=1, col=1)
    figs["z1_z2"] = fig
    # end-to-end weights w = u z and their velocity: fixed u over a z grid, then fixed z1 / z2 over (u, z_other)
    zf = fields["total_at_z"]
    cases = [(f"u = {u:g}", np.full_like(z1, u), z_of(z1, z2)) for u in fields["total_at_u"]]
    uu, zz = np.meshgrid(grid, grid)
    cases += [(f"z1 = {zf:g}", uu, z_of(zf, zz)), (f"z2 = {zf:g}", uu, z_of(zz, zf))]
    fig = make_subplots(rows=1, cols=len(cases), subplot_titles=[c[0] for c in cases], horizontal_spacing=0.05)
    for col, (_, u, z) in enumerate(cases, start=1):
        w = u[..., None] * z
        w_dot = dd.total_weight_velocity(u, z, data)
        _arrows(fig, w[..., 0], w[..., 1], w_dot[..., 0], w_dot[..., 1], _span(w[..., 0]), _span(w[..., 1]), 1, col,
                arrow)
        fig.update_xaxes(title="w1 = u z1", row=1, col=col)
    fig.update_yaxes(title="w2 = u z2", row=1, col=1)
    figs["total_weights"] = fig
    # (z_i, weight error r = ‖uz − β‖²) with (dz_i, dr/dt)
    lim, at = fields["weight_error_range"], fields["weight_error_at"]
    grid = np.linspace(-lim, lim, n)
    a, b = np.meshgrid(grid, grid)
    cases = [(f"u = {at:g}", "z1", np.full_like(a, at), z_of(a, b), 0),
             (f"z1 = {at:g}", "z2", a, z_of(at, b), 1),
             (f"z2 = {at:g}", "z1", a, z_of(b, at), 0)]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[c[0] for c in cases])
    for col, (_, name, u, z, i) in enumerate(cases, start=1):
        error, rate = dd.weight_error_rate(u, z, data)
        _, dz = dd.reduced_field(u, z, data)
        x = z[..., i]
        _arrows(fig, x, error, dz[..., i], rate, _span(x), _span(error), 1, col, arrow)
        fig.update_xaxes(title=name, row=1, col=col)
    fig.update_yaxes(title="‖u z − β‖²", row=1, col=1)
    figs["weight_error"] = fig
    for fig in figs.values():
        cols = len(fig.layout.annotations)
        fig.update_layout(height=400, width=330 * cols + 80, font=dict(size=12), margin=dict(b=90, t=60))
    return figs
