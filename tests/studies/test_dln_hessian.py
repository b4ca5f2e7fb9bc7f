"""Study dln_hessian (seed 001): its initialisations and samples."""

import numpy as np

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
