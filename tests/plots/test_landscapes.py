"""pcrepro.plots.landscapes: what the Hessian figures put on the page."""

import numpy as np
import pytest

from pcrepro.plots.landscapes import _signed_decade, spectrum_overlay


def test_eigenvalue_overlay_bins_all_spectra_alike_and_names_the_smallest_eigenvalues():
    """A lone negative eigenvalue far from a cluster near zero gets a bar of its own (one grid of
    equal bins for loss, numeric and theory), and λ_min of both energy spectra is in the legend."""
    loss = np.zeros(50)
    energy = np.concatenate([[-1.02], np.linspace(0.0, 0.1, 49)])
    theory = np.concatenate([[-1.0], np.zeros(49)])
    fig, data = spectrum_overlay(loss, energy, theory, bins=40)
    histograms = [t for t in fig.data if t.type == "histogram"]
    assert len({(t.xbins.start, t.xbins.end, t.xbins.size) for t in histograms}) == 1
    xbins = histograms[0].xbins
    assert xbins.size == pytest.approx((0.1 + 1.02) / 40)
    counts, _ = np.histogram(energy, bins=np.arange(xbins.start, xbins.end + xbins.size / 2, xbins.size))
    assert counts[0] == 1 and counts[1:5].sum() == 0  # the escape direction stands alone
    names = [t.name for t in fig.data if t.type == "scatter"]
    assert names == ["λ<sub>min</sub> numeric = -1.02", "λ<sub>min</sub> theory = -1"]
    assert fig.layout.yaxis.range[0] == pytest.approx(-np.log10(50) - 0.5)  # a single value's bar is visible
    assert len(data) == 150


@pytest.mark.parametrize("value, label", [(0.0, "0"), (1e-3, "10⁻³"), (-0.01, "−10⁻²"), (1.0, "10⁰"),
                                          (-100.0, "−10²"), (0.002, "")])
def test_symmetric_log_colour_bar_ticks_are_plain_text_decades(value, label):
    assert _signed_decade(value) == label


@pytest.mark.slow
def test_a_series_of_3d_frames_never_holds_many_figures_open(tmp_path):
    """A GIF of 8 volume figures, drawn one by one from a generator, and 3 saved as PDFs and
    kept as frames: at most one figure is open at any time, and every frame is in the GIF."""
    import matplotlib.pyplot as plt
    from PIL import Image

    from pcrepro.plots.common import FigureWriter
    from pcrepro.plots.landscapes import volume_figure

    axis = np.linspace(-1, 1, 4)
    values = np.add.outer(np.add.outer(axis, axis), axis) ** 2
    most_open = []

    def drawn(n):
        for k in range(n):
            fig = volume_figure(axis, values + k, title=f"frame {k}")
            most_open.append(len(plt.get_fignums()))
            yield fig

    with FigureWriter(tmp_path) as w:
        w.gif(drawn(8), "series.gif", 100)
        kept = [w.matplotlib_frame(fig, f"t{k}.pdf") for k, fig in enumerate(drawn(3))]
        w.gif(kept, "kept.gif", 100)
    assert max(most_open) == 1 and plt.get_fignums() == []
    assert Image.open(tmp_path / "series.gif").n_frames == 8 and Image.open(tmp_path / "kept.gif").n_frames == 3
    assert all((tmp_path / f"t{k}.pdf").stat().st_size > 1000 for k in range(3))
