"""Study dln_hessian (seed 001): its initialisations and samples."""

import numpy as np
import pytest

from pcrepro.core.nets import NetSpec
from pcrepro.studies import dln_hessian as dln


def test_other_saddle_keeps_only_the_penultimate_matrix():
    spec = NetSpec(3, 4, 4, 3)
    params = dln.init_dln(spec, "other_saddle", 0)
    assert not np.any(params["w_in"]) and not np.any(params["w_out"]) and not np.any(params["w_hidden"][:-1])
    bound = 1 / np.sqrt(4)
    assert np.all(np.abs(params["w_hidden"][-1]) <= bound) and np.any(params["w_hidden"][-1])


def test_toy_sample_is_the_notebooks_draw():
    np.random.seed(0)
    x = np.random.normal(1.0, 0.1, (3, 64))
    y2 = np.random.normal(1.0, 0.1, 64)
    got_x, got_y = dln.toy_sample(0, 4, 64, 1.0, 0.1)
    np.testing.assert_array_equal(got_x, x.T)
    np.testing.assert_array_equal(got_y[:, 1], y2)
    np.testing.assert_array_equal(got_y[:, [0, 2]], -x.T[:, [0, 2]])


@pytest.mark.slow
def test_analysis_logs_progress_in_plain_numbers_and_matches_the_closed_form():
    config = dln.DLNConfig("toy_gaussian", 3, 4, "origin")
    x, y = dln.toy_sample(0, 3, 64, 1.0, 0.1)
    lines = []
    out = dln.analyse(config, x, y, seed=0, plot_steps=[0, 2, 60], dt=0.1, heatmap_max_size=1024, chunk_size=16,
                      projections={"domains": [1.0], "resolution": 3}, log=lines.append, progress_every_s=0.0)
    text = "\n".join(lines)
    assert "t = [0, 2, 60]" in text and "np.int64" not in text
    # W_1 (4 x 3) from 4 products; of the hidden weights' 4 x 4 x 2 rows, zero at the origin, only the
    # 8 checked ones; W_3's 3 x 4: 24 of 56
    n, products = int(out["n_params"]), 4 + 8 + 12
    assert n == 56 and f"({products} Hessian-vector products per Hessian)" in text
    progress = [line for line in lines if "Hessian-vector products," in line]
    # the loss and 3 step counts
    assert progress[-1].startswith(f"{config.id}: {4 * products}/{4 * products} Hessian-vector products")
    assert "about 0 s left" in progress[-1]
    assert "whole / eigen = " in lines[-1]
    # after 60 steps the energy Hessian at the origin is within (0.9)^120 of the closed form
    np.testing.assert_allclose(out["energy_eigenvalues"][-1], out["theory_eigenvalues"], atol=1e-5)
    assert out["energy_eigenvalues"][-1][0] < 0 and np.abs(out["loss_eigenvalues"]).max() == 0.0
    assert out["projection_loss"].shape == (1, 3, 3)
