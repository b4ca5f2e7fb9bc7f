"""Figure families of study ``error_optim`` (seed 003), from the comparison's results.

Time axes are logarithmic over update steps t ≥ 1 (step 0, the feedforward pass, has no place
on a log axis). EO curves end at EO's own step count; the seed pads them with their last value.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

FAMILIES = ("eo_convergence", "eo_grad_cosine", "eo_grad_norms")
EO_COLOR, SO_COLOR = "rgb(31,119,180)", "rgb(214,39,40)"  # the seed's "b" and "C3"
EO_NAME, SO_NAME = "Error-based PC (EO)", "State-based PC (SO)"


def check_layers(grid: dict) -> list[int]:
    """``plot_layers`` index hidden states (< H) and weight matrices (< H + 1)."""
    layers = list(grid["plot_layers"])
    bad = [layer for layer in layers if layer >= grid["n_hidden"]]
    if bad:
        raise ValueError(f"error_optim.plot_layers {bad} out of range: the net has {grid['n_hidden']} hidden states "
                         f"(indices 0 … {grid['n_hidden'] - 1})")
    return layers


def error_optim_files(grid: dict) -> dict[str, list[str]]:
    check_layers(grid)
    return {family: [f"{family}/{grid['dataset']}.pdf"] for family in FAMILIES}


def _steps(values: np.ndarray) -> np.ndarray:
    return np.arange(values.shape[0])


def _finish(fig: go.Figure, n_panels: int, y_title: str, height: int, references: bool = False) -> go.Figure:
    """Shared y title, the legend above the panels (with the reference lines' styles)."""
    if references:
        for name, dash in (("Backpropagation", "dot"), ("Analytical PC gradients", "dash")):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color="black", dash=dash), name=name))
    fig.update_yaxes(title=y_title, row=1, col=1)
    fig.update_layout(height=height, width=380 * n_panels + 80, font=dict(size=13),
                      legend=dict(orientation="h", x=0.5, xanchor="center", y=1.22, yanchor="bottom"),
                      margin=dict(t=150, b=100, l=80, r=30))  # room for two-line panel titles under the legend
    return fig


def convergence_figure(r: Mapping[str, np.ndarray], layers: list[int]) -> tuple[go.Figure, pd.DataFrame]:
    """‖s_ℓ − s*_ℓ‖ over steps (median and IQR over the batch) for EO and SO, with the measured
    speed-up: the steps each needs for the median to fall below the threshold."""
    threshold = float(r["threshold"])
    fig = make_subplots(rows=1, cols=len(layers), shared_yaxes=True, horizontal_spacing=0.03,
                        subplot_titles=[f"Convergence of s<sub>{layer}</sub> to the optimum" for layer in layers])
    rows = []
    for col, layer in enumerate(layers, start=1):
        for kind, color, name in (("state", SO_COLOR, SO_NAME), ("error", EO_COLOR, EO_NAME)):
            q = r[f"{kind}_distance_quantiles"][:, layer, :]
            t = _steps(q)[1:]
            q = q[1:]
            fig.add_trace(go.Scatter(x=np.r_[t, t[::-1]], y=np.r_[q[:, 2], q[::-1, 0]], fill="toself", opacity=0.3,
                                     fillcolor=color, line=dict(width=0), hoverinfo="skip", showlegend=False),
                          row=1, col=col)
            fig.add_trace(go.Scatter(x=t, y=q[:, 1], mode="lines", line=dict(color=color, width=2), name=name,
                                     showlegend=col == 1), row=1, col=col)
            rows += [{"layer": layer, "method": kind, "step": int(s), "q25": a, "median": m, "q75": b}
                     for s, (a, m, b) in zip(t, q)]
        fig.add_hline(y=threshold, line=dict(color="grey", dash="dot", width=1), row=1, col=col)
        eo_t, so_t = int(r["error_steps_to_threshold"][layer]), int(r["state_steps_to_threshold"][layer])
        xref, yref = ("x", "y") if col == 1 else (f"x{col}", f"y{col}")
        if eo_t > 0 and so_t > 0:  # positions on log axes are given as log10
            fig.add_annotation(x=np.log10(so_t), y=np.log10(threshold * 1.4), ax=np.log10(eo_t), ay=np.log10(threshold * 1.4),
                               xref=xref, yref=yref, axref=xref, ayref=yref, showarrow=True,
                               arrowhead=2, arrowside="end+start", arrowwidth=2, text="")
            # under the panel's title rather than over the curves, which cross any spot in the panel
            title = fig.layout.annotations[col - 1]
            title.text += (f"<br><span style='font-size:12px'>same equilibrium, {so_t / eo_t:.0f}× faster "
                           f"(measured: {eo_t} vs {so_t} steps)</span>")
        else:
            missing = [n for n, s in (("EO", eo_t), ("SO", so_t)) if s < 0]
            fig.add_annotation(x=0.5, y=0.04, xref=f"{xref} domain", yref=f"{yref} domain", showarrow=False,
                               text=f"{' and '.join(missing)} did not reach {threshold:g}", font=dict(size=12))
        fig.update_xaxes(type="log", title="Update steps T (log scale)", row=1, col=col)
    fig.update_yaxes(type="log", range=[np.log10(threshold) - 0.3, 0.3], exponentformat="power")
    return _finish(fig, len(layers), "‖s<sub>i</sub> − s<sub>i</sub><sup>*</sup>‖", 420), pd.DataFrame(rows)


def _gradient_series(r: Mapping[str, np.ndarray], key: str, layer: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for kind in ("state", "error"):
        values = r[f"{kind}_{key}"][:, layer]
        out[kind] = (_steps(values)[1:], values[1:])
    return out


def gradient_cosine_figure(r: Mapping[str, np.ndarray], layers: list[int]) -> tuple[go.Figure, pd.DataFrame]:
    """Cosine of the weight gradients to the backprop reference over steps, broken y-axis
    (top 0.9 … 1.01, bottom around 0), with the exact PC equilibrium's cosine (dashed) and
    backprop (dotted, 1)."""
    fig = make_subplots(rows=2, cols=len(layers), shared_xaxes=True, row_heights=[0.88, 0.12], vertical_spacing=0.03,
                        horizontal_spacing=0.05, subplot_titles=[f"Gradient orientation at layer {layer}" for layer in layers])
    rows = []
    for col, layer in enumerate(layers, start=1):
        series = _gradient_series(r, "grad_cosines", layer)
        for row in (1, 2):
            for kind, color, name in (("state", SO_COLOR, SO_NAME), ("error", EO_COLOR, EO_NAME)):
                t, v = series[kind]
                fig.add_trace(go.Scatter(x=t, y=v, mode="lines", line=dict(color=color, width=2), name=name,
                                         showlegend=row == 1 and col == 1), row=row, col=col)
            fig.add_hline(y=float(r["equilibrium_grad_cosines"][layer]), line=dict(color="black", dash="dash", width=1.5),
                          row=row, col=col)
            fig.add_hline(y=1.0, line=dict(color="black", dash="dot", width=1.5), row=row, col=col)
        fig.update_yaxes(range=[0.9, 1.012], row=1, col=col)
        fig.update_yaxes(range=[-0.1, 0.1], tickvals=[0], row=2, col=col)
        fig.update_xaxes(type="log", row=1, col=col, showticklabels=False)
        fig.update_xaxes(type="log", title="Update steps T (log scale)", row=2, col=col)
        for kind, (t, v) in series.items():
            rows += [{"layer": layer, "method": kind, "step": int(s), "cosine": c} for s, c in zip(t, v)]
        rows.append({"layer": layer, "method": "exact_equilibrium", "step": -1,
                     "cosine": float(r["equilibrium_grad_cosines"][layer])})
    return _finish(fig, len(layers), "Cosine similarity w.r.t. backprop", 460, references=True), pd.DataFrame(rows)


def gradient_norm_figure(r: Mapping[str, np.ndarray], layers: list[int]) -> tuple[go.Figure, pd.DataFrame]:
    """‖∂E/∂W_ℓ‖ over steps, with the backprop reference's norm (dotted) and the exact PC
    equilibrium's (dashed). The reference is the one-step EO gradient divided by e_lr, so
    that it is on the scale of backprop (the seed draws the undivided one-step gradient)."""
    fig = make_subplots(rows=1, cols=len(layers), horizontal_spacing=0.06,
                        subplot_titles=[f"Gradient norm at layer {layer}" for layer in layers])
    rows = []
    for col, layer in enumerate(layers, start=1):
        for kind, color, name in (("state", SO_COLOR, SO_NAME), ("error", EO_COLOR, EO_NAME)):
            t, v = _gradient_series(r, "grad_norms", layer)[kind]
            fig.add_trace(go.Scatter(x=t, y=v, mode="lines", line=dict(color=color, width=2), name=name,
                                     showlegend=col == 1), row=1, col=col)
            rows += [{"layer": layer, "method": kind, "step": int(s), "norm": n} for s, n in zip(t, v)]
        for key, dash, method in (("bp_reference_norms", "dot", "backprop"), ("equilibrium_grad_norms", "dash",
                                                                               "exact_equilibrium")):
            fig.add_hline(y=float(r[key][layer]), line=dict(color="black", dash=dash, width=1.5), row=1, col=col)
            rows.append({"layer": layer, "method": method, "step": -1, "norm": float(r[key][layer])})
        fig.update_xaxes(type="log", title="Update steps T (log scale)", row=1, col=col)
    return _finish(fig, len(layers), "‖grad‖<sub>2</sub>", 420, references=True), pd.DataFrame(rows)


def footer(r: Mapping[str, np.ndarray]) -> str:
    def fmt(kind):
        scores = ", ".join(f"{lr:g}: {s:.1e}" for lr, s in zip(r[f"{kind}_lrs"], r[f"{kind}_scores"]))
        return f"{kind} lr {float(r[f'{kind}_lr']):g} of {{{scores}}}"

    return f"{fmt('error')} · {fmt('state')} (mean relative distance at the last step)"


DRAW = {"eo_convergence": convergence_figure, "eo_grad_cosine": gradient_cosine_figure,
        "eo_grad_norms": gradient_norm_figure}
