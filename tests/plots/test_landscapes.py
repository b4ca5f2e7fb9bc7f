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
