"""pcrepro.core.training: the single-run train step (jitted, donated) and the spec's checks."""

import numpy as np
import pytest
from synthetic import SPEC, blobs

from pcrepro.core.nets import NetSpec
from pcrepro.core.training import TrainSpec


def test_condition_numbers_are_refused_for_bp_cells():
    with pytest.raises(ValueError, match="record_condition_number"):
        TrainSpec(NetSpec(20, 8, 2, 10), "bp", record_condition_number=True)


def test_a_single_run_state_can_be_donated_to_the_jitted_step():
    import functools

    import jax

    from pcrepro.core.training import RunHyper, init_run, train_step

    state = init_run(jax.numpy.uint32(0), SPEC)
    data = blobs()
    hyper = RunHyper(jax.numpy.uint32(0), 2.0, 0.05, 0.0)
    step = jax.jit(functools.partial(train_step, spec=SPEC), donate_argnums=0)
    new, (loss, energy, _) = step(state, hyper, data.x_train[:32], data.y_train[:32], 1)
    assert np.isfinite(float(loss)) and int(new.opt_state.count) == 1
