"""Shared plotting helpers: plotly line-with-band figures, labels, static export.

Static export uses kaleido 1.x, which drives a Chromium found on the machine
(on Debian: ``apt-get install chromium``), through :mod:`pcrepro.plots.export`: every figure
is bounded in time, a browser that stops answering is replaced, and files are written
atomically.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd
import plotly.colors as pcolors
import plotly.graph_objects as go

from pcrepro.data import STANDIN
from pcrepro.data.atomic import write_atomic
from pcrepro.pipeline.results import write_table

from .export import BoundedExporter


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
    name_suffix: dict | None = None,
) -> go.Figure:
    """Mean line with a ±1 std band per value of ``series_key`` (columns step, mean, std);
    ``name_suffix`` appends text to a series' legend name (e.g. its selected lrs)."""
    name_suffix = name_suffix or {}
    fig = go.Figure()
    values = sorted(stats[series_key].unique(), reverse=series_key.endswith("_lr"))  # rates: largest first
    for value, color in zip(values, sample_colors(colorscale, len(values))):
        s = stats[stats[series_key] == value].sort_values("step")
        x = list(s["step"])
        upper, lower = list(s["mean"] + s["std"]), list(s["mean"] - s["std"])
        fig.add_trace(go.Scatter(x=x + x[::-1], y=upper + lower[::-1], fill="toself", fillcolor=color,
                                 line=dict(color="rgba(255,255,255,0)"), hoverinfo="skip",
                                 showlegend=False, opacity=0.3))
        fig.add_trace(go.Scatter(x=x, y=list(s["mean"]), mode="lines+markers", line=dict(width=2, color=color),
                                 name=f"{series_label} = {power_label(value, label_base)}"
                                      + name_suffix.get(value, "")))
    fig.update_layout(height=height, width=width, xaxis=dict(title=x_title), yaxis=dict(title=y_title),
                      font=dict(size=14), margin=dict(r=140, t=70 if title else 40, b=95),
                      title=dict(text=title, font=dict(size=13)) if title else None)
    return fig


def provenance_note(fig: go.Figure, *, preset: str, data_source: str, extra: str = "") -> go.Figure:
    """Footer naming the preset (and ``extra``), wrapped to the figure's width, with room made
    for it below the plot; a loud banner when the data are a synthetic stand-in."""
    import textwrap

    usable = (fig.layout.width or 700) - (fig.layout.margin.l if fig.layout.margin.l is not None else 80)
    lines = textwrap.wrap(f"preset: {preset}" + (f" · {extra}" if extra else ""), width=max(40, int(usable / 5.5)))
    fig.add_annotation(text="<br>".join(lines), xref="paper", yref="paper", x=0, y=0, yshift=-62, yanchor="top",
                       align="left", showarrow=False, font=dict(size=10, color="grey"), xanchor="left")
    bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 80
    fig.update_layout(margin_b=max(bottom, 62 + 14 * len(lines) + 6))
    if data_source == STANDIN:
        _standin_banner(fig)
    return fig


def _standin_banner(fig: go.Figure) -> None:
    title = fig.layout.title.text or ""
    banner = "<span style='color:red'><b>SYNTHETIC STAND-IN DATA</b> — not the real dataset</span>"
    fig.update_layout(title=dict(text=f"{banner}<br>{title}" if title else banner))


def single_value(values: Sequence) -> object:
    unique = pd.unique(pd.Series(values))
    if len(unique) != 1:
        raise ValueError(f"expected one value, got {list(unique)}")
    return unique[0]


class FigureWriter:
    """Writes one job's many figures in batches, every file atomically.

    Plotly figures are queued and rendered in batches by one export worker and its browser
    (≈0.3 s a figure, against ≈3 s for a browser per file; each bounded in time); matplotlib
    figures are saved at once. A GIF is a list of frames (plotly or matplotlib figures)
    rendered to PNG and assembled with Pillow. Given the
    files the rule declared, ``check`` fails naming any file the job did not write.
    Use as a context manager: leaving the block flushes and stops the browser. Paths are
    relative to ``root`` (the working directory by default, so a rule's output paths work as
    they are). Every figure-drawing job writes through this class.
    """

    def __init__(self, root: str | Path = ".", *, footer: str = "", batch: int = 40):
        self.root = Path(root)
        self.footer = footer  # e.g. "preset: quick", written on every figure (not on GIF frames)
        self.written: set[Path] = set()
        self._queue: list[tuple[go.Figure, Path, str]] = []  # (figure, final path, format)
        self._gifs: list[tuple[Path, list, int]] = []          # (final path, frame paths/bytes, ms)
        self._batch = batch
        self._tmpdir = None
        self._session = None

    # -- entry points ---------------------------------------------------------------
    def plotly(self, fig: go.Figure, relpath: str, data: pd.DataFrame | None = None, *, standin: bool = False) -> None:
        path = self.root / relpath
        if self.footer or standin:
            fig = go.Figure(fig)  # a copy: the same figure may also be a GIF frame
            bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 80
            # a long footer is wrapped to the figure's width (≈ 5 px a character at size 9), with
            # room for each line, so that none runs off the page
            lines = textwrap.wrap(self.footer, max(40, int((fig.layout.width or 700) / 5.2))) or [""]
            fig.update_layout(margin_b=bottom + 12 * len(lines) + 6)
            fig.add_annotation(text="<br>".join(lines), xref="paper", yref="paper", x=0, y=0, yshift=-bottom,
                               yanchor="top", xanchor="left", align="left", showarrow=False,
                               font=dict(size=9, color="grey"))
            if standin:
                _standin_banner(fig)
        self._queue.append((fig, path, path.suffix.lstrip(".")))
        self._session.prestart()  # the browser starts while the job builds its other figures
        self._data(path, data)
        if len(self._queue) >= self._batch:
            self._flush()

    def matplotlib(self, fig, relpath: str, data: pd.DataFrame | None = None, *, close: bool = True,
                   standin: bool = False) -> None:
        """Save now; ``close=False`` keeps the figure open to be redrawn or used as a GIF frame."""
        import matplotlib.pyplot as plt

        path = self.root / relpath
        if not getattr(fig, "_pcrepro_marked", False):
            fig.text(0.01, 0.005, self.footer, fontsize=7, color="grey", va="bottom")
            if standin:
                fig.text(0.5, 0.995, "SYNTHETIC STAND-IN DATA — not the real dataset", color="red",
                         fontsize=9, fontweight="bold", ha="center", va="top")
            fig._pcrepro_marked = True
        write_atomic(path, lambda tmp: fig.savefig(tmp))
        if close:
            plt.close(fig)
        self.written.add(path)
        self._data(path, data)

    def matplotlib_frame(self, fig, relpath: str, **kwargs) -> bytes:
        """Save ``fig`` as :meth:`matplotlib` does and return it as a GIF frame (PNG bytes), closed:
        a long series of 3-D figures never holds many open at once."""
        import matplotlib.pyplot as plt

        self.matplotlib(fig, relpath, close=False, **kwargs)
        frame = png_bytes(fig)
        plt.close(fig)
        return frame

    def gif(self, frames: Iterable, relpath: str, duration_ms: int = 1000) -> None:
        """An animated GIF (looping) of ``frames``: plotly figures (rendered with the queue),
        matplotlib figures (rendered and closed now, one by one if ``frames`` is a generator) or
        PNG bytes from :func:`png_bytes`."""
        import matplotlib.pyplot as plt

        rendered: list = []
        for frame in frames:
            if isinstance(frame, go.Figure):
                png = Path(self._frames_dir()) / f"{len(self._gifs)}_{len(rendered)}.png"
                self._queue.append((frame, png, "png"))
                self._session.prestart()
                rendered.append(png)
            elif isinstance(frame, bytes):
                rendered.append(frame)
            else:
                rendered.append(png_bytes(frame))
                plt.close(frame)
        self._gifs.append((self.root / relpath, rendered, duration_ms))
        if len(self._queue) >= self._batch:
            self._flush()

    def check(self, expected: Sequence[str | Path]) -> None:
        """Fail naming the declared files this job did not write (after the ``with`` block)."""
        missing = sorted(str(p) for p in expected if Path(p) not in self.written)
        if missing:
            raise RuntimeError(f"{len(missing)} declared figure(s) not written, e.g. {missing[:3]}")

    # -- internals --------------------------------------------------------------------
    def _data(self, path: Path, data: pd.DataFrame | None) -> None:
        if data is not None:
            write_table(data, path.with_suffix(".csv"))

    def _frames_dir(self) -> str:
        import tempfile

        if self._tmpdir is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="frames-")
        return self._tmpdir.name

    def _flush(self) -> None:
        while self._queue:
            fig, path, fmt = self._queue[0]
            self._session.write(fig, path, fmt)  # atomic; GIF frames go to the scratch folder
            if fmt != "png":
                self.written.add(path)
            self._queue.pop(0)
        for path, frames, duration in self._gifs:
            _write_gif(path, frames, duration)
            self.written.add(path)
        self._gifs = []

    def __enter__(self) -> "FigureWriter":
        self._session = BoundedExporter()
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                self._flush()
        finally:
            if self._tmpdir is not None:
                self._tmpdir.cleanup()
            self._session.close()


def png_bytes(fig, dpi: int = 80) -> bytes:
    """A matplotlib figure as PNG bytes (a GIF frame), leaving the figure open."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _write_gif(path: Path, frames: Sequence, duration_ms: int) -> None:
    """Assemble PNG frames (paths or bytes) into a looping GIF, on a common canvas size."""
    import io

    from PIL import Image

    images = [Image.open(io.BytesIO(f) if isinstance(f, bytes) else f).convert("RGB") for f in frames]
    width, height = max(i.width for i in images), max(i.height for i in images)
    canvas = []
    for image in images:
        frame = Image.new("RGB", (width, height), "white")
        frame.paste(image, (0, 0))
        # a 256-colour palette per frame by fast octree: 5x quicker than the GIF writer's own
        # conversion of RGB frames, and smaller files
        canvas.append(frame.quantize(colors=256, method=Image.Quantize.FASTOCTREE))
    write_atomic(path, lambda tmp: canvas[0].save(tmp, format="GIF", save_all=True, append_images=canvas[1:],
                                                  duration=duration_ms, loop=0))


def subsample(items: Sequence, max_items: int | None) -> list:
    """At most ``max_items`` evenly spaced items, first and last kept (None: all)."""
    items = list(items)
    if max_items is None or len(items) <= max_items:
        return items
    idx = sorted({round(i * (len(items) - 1) / (max_items - 1)) for i in range(max_items)})
    return [items[i] for i in idx]
