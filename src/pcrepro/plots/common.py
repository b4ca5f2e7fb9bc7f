"""Shared plotting helpers: plotly line-with-band figures, labels, static export.

Static export uses kaleido 1.x, which drives a Chromium found on the machine
(on Debian: ``apt-get install chromium``). Files are written atomically.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from pathlib import Path
from typing import Sequence

import pandas as pd
import plotly.colors as pcolors
import plotly.graph_objects as go

from ..data import STANDIN
from ..atomic import write_atomic
from ..results import write_table


def power_label(value: float, base: int = 10) -> str:
    """Legend label as the notebook writes them (2^k for widths/depths, a·10^k for rates), in
    plotly's HTML subset: static export has no MathJax, so LaTeX would show up raw."""
    if base == 2 and value >= 1 and float(value).is_integer() and int(value) & (int(value) - 1) == 0:
        return f"2<sup>{int(math.log2(value))}</sup>"
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    return f"{mantissa:.3g}·10<sup>{exponent}</sup>"


def sample_colors(colorscale: str, n: int, skip: int = 2) -> list[str]:
    """``n`` colours from a sequential scale, skipping its palest ``skip``."""
    return pcolors.sample_colorscale(colorscale, n + skip)[skip:] if n else []


def band_figure(
    stats: pd.DataFrame,
    series_key: str,
    *,
    series_label: str,
    colorscale: str,
    label_base: int = 10,
    x_title: str = "Training iteration",
    y_title: str = "Test accuracy (%)",
    title: str | None = None,
    height: int = 300,
    width: int = 450,
) -> go.Figure:
    """Mean line with a ±1 std band per value of ``series_key`` (columns step, mean, std)."""
    fig = go.Figure()
    values = sorted(stats[series_key].unique(), reverse=series_key == "activity_lr")
    for value, color in zip(values, sample_colors(colorscale, len(values))):
        s = stats[stats[series_key] == value].sort_values("step")
        x = list(s["step"])
        upper, lower = list(s["mean"] + s["std"]), list(s["mean"] - s["std"])
        fig.add_trace(go.Scatter(x=x + x[::-1], y=upper + lower[::-1], fill="toself", fillcolor=color,
                                 line=dict(color="rgba(255,255,255,0)"), hoverinfo="skip",
                                 showlegend=False, opacity=0.3))
        fig.add_trace(go.Scatter(x=x, y=list(s["mean"]), mode="lines+markers", line=dict(width=2, color=color),
                                 name=f"{series_label} = {power_label(value, label_base)}"))
    fig.update_layout(height=height, width=width, xaxis=dict(title=x_title), yaxis=dict(title=y_title),
                      font=dict(size=14), margin=dict(r=140, t=70 if title else 40, b=95),
                      title=dict(text=title, font=dict(size=13)) if title else None)
    return fig


def provenance_note(fig: go.Figure, *, preset: str, data_source: str, extra: str = "") -> go.Figure:
    """Footer naming the preset; a loud banner when the data are a synthetic stand-in."""
    text = f"preset: {preset}" + (f" · {extra}" if extra else "")
    fig.add_annotation(text=text, xref="paper", yref="paper", x=0, y=0, yshift=-62, yanchor="top",
                       showarrow=False, font=dict(size=10, color="grey"), xanchor="left")
    if data_source == STANDIN:
        title = fig.layout.title.text or ""
        banner = "<span style='color:red'><b>SYNTHETIC STAND-IN DATA</b> — not the real dataset</span>"
        fig.update_layout(title=dict(text=f"{banner}<br>{title}" if title else banner))
    return fig


def export(fig: go.Figure, path: str | Path, data: pd.DataFrame | None = None) -> None:
    """Write the figure (format from the suffix) and, if given, the data it shows as CSV beside it."""
    write_atomic(path, lambda tmp: fig.write_image(tmp, format=Path(path).suffix.lstrip(".")))
    if data is not None:
        write_table(data, Path(path).with_suffix(".csv"))


@contextlib.contextmanager
def export_session():
    """Keep one headless Chromium for all exports inside the block (≈0.3 s a figure instead of ≈3 s)."""
    import kaleido

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*kopts argument is ignored.*")
        kaleido.start_sync_server(silence_warnings=True)
        try:
            yield
        finally:
            kaleido.stop_sync_server(silence_warnings=True)


def single_value(values: Sequence) -> object:
    unique = pd.unique(pd.Series(values))
    if len(unique) != 1:
        raise ValueError(f"expected one value, got {list(unique)}")
    return unique[0]
