"""pcrepro.pipeline.runner: vmapped cell training, per-run stopping and isolation of runs, determinism, condition numbers, progress lines."""

import dataclasses

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from synthetic import SPEC, blobs

from pcrepro.core.hessian import activity_hessian, condition_number
from pcrepro.core.inference import infer_activities
from pcrepro.core.nets import NetSpec, forward
from pcrepro.core.training import TrainSpec, data_order, init_run
from pcrepro.pipeline.cells import run_grid
from pcrepro.pipeline import devices
from pcrepro.pipeline.devices import CellLayout, cell_layout
from pcrepro.pipeline.runner import (
    build_programs,
    matmul_precision_here,
    spec_with_error_front,
    train_cell,
)


def _train(runs, spec=SPEC, **kw):
    return train_cell(spec, runs, blobs(), log=None, **kw)


@pytest.fixture
def gpu_layout(monkeypatch):
    """The GPU's layout on the CPU device: programs of up to max_runs_per_program runs, vmapped
    (a CPU trains one run per device), so that the chunking of runs is exercised here too."""
    monkeypatch.setattr(devices, "_backend", lambda: "gpu")


def _curve(table, **run):
    mask = np.ones(len(table), bool)
    for k, v in run.items():
        mask &= table[k].to_numpy() == v
    return table[mask].sort_values("step")




@pytest.mark.slow
def test_forced_divergence_is_frozen_and_neighbours_equal_solo_runs(gpu_layout):
    good = run_grid([0, 1], [2.0], [0.05], [0.0])
    bad = {"seed": 0, "activity_lr": 1e200, "weight_lr": 0.05, "activity_decay": 0.0}  # overflows to inf
    group = _train([good[0], bad, good[1]], max_runs_per_program=3)
    b = _curve(group, activity_lr=1e200)
    assert (b["status"] == "diverged").all() and (b["stop_step"] == 1).all()
    assert b["test_acc"].isna().all()  # frozen before its first evaluation
    for run in good:
        solo = _curve(_train([run]), seed=run["seed"], activity_lr=2.0)
        in_group = _curve(group, seed=run["seed"], activity_lr=2.0)
        assert (in_group["status"] == "ok").all()
        np.testing.assert_allclose(in_group["test_acc"], solo["test_acc"], rtol=1e-9)
        np.testing.assert_allclose(in_group["train_loss"], solo["train_loss"], rtol=1e-9)
        assert in_group["test_acc"].iloc[-1] > 50  # these runs do learn


@pytest.mark.slow
def test_no_learning_rule_freezes_exactly_the_runs_below_threshold():
    # weight lr 0 never learns (its untrained net, seed 1, is at 5.5 % on these blobs); the neighbour learns.
    spec = TrainSpec(SPEC.net, "pc", 3, "gd", "adam", 32, 1, None, 5, no_learning_acc=15.0, dtype="float64")
    runs = [{"seed": 1, "activity_lr": 2.0, "weight_lr": w, "activity_decay": 0.0} for w in (0.0, 0.05)]
    table = _train(runs, spec=spec)
    frozen, learner = _curve(table, weight_lr=0.0), _curve(table, weight_lr=0.05)
    assert frozen["test_acc"].iloc[0] < 15.0  # an untrained net sits near chance on 10 classes
    assert (frozen["status"] == "no_learning").all() and (frozen["stop_step"] == 5).all()
    assert frozen["test_acc"].iloc[1:].isna().all()
    assert (learner["status"] == "ok").all() and learner["test_acc"].notna().all()


@pytest.mark.slow
def test_training_is_deterministic_and_chunking_does_not_change_results(gpu_layout):
    runs = run_grid([0, 1, 2], [1.0, 0.1], [0.05], [0.0])
    whole = _train(runs, max_runs_per_program=6).sort_values(["seed", "activity_lr", "step"])
    chunked = _train(runs, max_runs_per_program=4).sort_values(["seed", "activity_lr", "step"])
    np.testing.assert_allclose(whole["test_acc"].to_numpy(), chunked["test_acc"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(whole["train_loss"].to_numpy(), chunked["train_loss"].to_numpy(), rtol=1e-9)
    assert len(whole) == len(runs) * (640 // 32 // 5)


def test_bp_training_learns():
    spec = TrainSpec(NetSpec(20, 16, 3, 10, "relu", "depth_mup", True, "standard_gauss"), "bp",
                     n_infer_steps=0, batch_size=32, epochs=2, test_every=10, dtype="float64")
    table = _train(run_grid([0], [0.0], [0.05], [0.0]), spec=spec)
    assert table["test_acc"].iloc[-1] > 60


@pytest.mark.slow
def test_stopped_runs_are_not_trained_further_and_the_rest_is_unchanged():
    # one run per program: the diverging run stops at step 1, so the first evaluation period
    # trains four runs and every later one only the three still running.
    good = run_grid([0, 1, 2], [2.0], [0.05], [0.0])
    bad = {"seed": 5, "activity_lr": 1e200, "weight_lr": 0.05, "activity_decay": 0.0}
    n_evals, period = 640 // 32 // 5, 5
    compacted = _train([bad, *good], max_runs_per_program=1)
    assert compacted.attrs["run_steps_computed"] == (4 + 3 * (n_evals - 1)) * period
    separate = pd.concat([_train([run], max_runs_per_program=1) for run in good])
    key = ["seed", "step"]
    a = compacted[compacted["activity_lr"] == 2.0].sort_values(key)
    b = separate.sort_values(key)
    np.testing.assert_allclose(a["test_acc"], b["test_acc"], rtol=1e-9)
    np.testing.assert_allclose(a["train_loss_min"], b["train_loss_min"], rtol=1e-9)
    assert (compacted[compacted["activity_lr"] == 1e200]["status"] == "diverged").all()


@pytest.mark.slow
def test_run_minimum_counts_the_steps_after_the_last_evaluation():
    """run_train_loss_min = the minimum over every batch loss the run computed. With 20 steps
    evaluated every 7, steps 15-20 come after the last evaluation: the same runs evaluated at
    every step (an independent record of each step's loss) give that minimum exactly, and it is
    below the minimum over the evaluated periods."""
    runs = run_grid([0, 1], [2.0], [0.05], [0.0])
    base = dict(net=SPEC.net, n_infer_steps=3, batch_size=32, epochs=1, no_learning_acc=0.0, dtype="float64")
    sparse = _train(runs, spec=TrainSpec(test_every=7, **base))
    dense = _train(runs, spec=TrainSpec(test_every=1, **base))
    for seed in (0, 1):
        every_step = _curve(dense, seed=seed)["train_loss_min"]
        assert len(every_step) == 20
        run_min = _curve(sparse, seed=seed)["run_train_loss_min"]
        assert run_min.nunique() == 1
        assert run_min.iloc[0] == pytest.approx(every_step.min(), rel=1e-12)
        assert run_min.iloc[0] < _curve(sparse, seed=seed)["train_loss_min"].min()


@pytest.mark.slow
def test_training_precision_follows_the_spec_whatever_x64_says():
    """compute.dtype: float32 cells train in float32 even with x64 on (this suite), float64 ones
    in float64, from the same initial weights: the first losses agree to float32 round-off."""
    from pcrepro.pipeline import runner as T  # the runner's reference to init_run

    runs = run_grid([0], [2.0], [0.05], [0.0])
    seen = {}
    original = T.init_run

    def spy(seed, spec):
        state = original(seed, spec)
        seen[spec.dtype] = state.params["w_hidden"].dtype
        return state

    T.init_run = spy
    try:
        tables = {d: _train(runs, spec=TrainSpec(**{**SPEC.__dict__, "dtype": d})) for d in ("float32", "float64")}
    finally:
        T.init_run = original
    assert str(seen["float32"]) == "float32" and str(seen["float64"]) == "float64"
    for table in tables.values():
        assert table["test_acc"].iloc[-1] > 50  # both learn
    first = [t.sort_values("step")["train_loss"].iloc[0] for t in tables.values()]
    assert first[0] == pytest.approx(first[1], rel=1e-4) and first[0] != first[1]  # different inits: 2.5 %
    with pytest.raises(ValueError, match="compute.dtype"):
        TrainSpec(SPEC.net, dtype="float16")


@pytest.mark.slow
def test_log_lines_are_right_when_every_run_stopped():
    lines = []
    spec = TrainSpec(**{**SPEC.__dict__, "no_learning_acc": 101.0})  # every run stops at its first evaluation
    train_cell(spec, run_grid([0, 1], [2.0], [0.05], [0.0]), blobs(), log=lines.append, log_every_s=0.0)
    periods = [line for line in lines if "period" in line]
    assert periods and not any("nan" in line for line in periods)
    assert "best test acc so far" in periods[-1]
    assert lines[-1].endswith("2 of 2 runs stopped early (0 diverged, 2 no learning)")


@pytest.mark.slow
def test_condition_numbers_recorded_at_post_inference_activities_of_first_example():
    """Rebuild the recorded κ independently: with weight lr 0 the weights stay at their init, so
    κ at an evaluation is that of H_z at the inferred activities of the first example of the
    last batch before it, and κ at step 0 that of the feedforward activities of the first one."""
    data = blobs(256, 100, 12)
    net = NetSpec(12, 6, 3, 10, "tanh", "mupc", True, "standard_gauss")
    spec = TrainSpec(net, "pc", n_infer_steps=4, activity_optim="gd", weight_optim="sgd", batch_size=32,
                     test_every=3, no_learning_acc=0.0, record_condition_number=True, dtype="float64")
    table = train_cell(spec, run_grid([3], [0.7], [0.0], [0.0]), data, log=None)
    params = init_run(3, spec).params
    order = np.asarray(data_order(3, 1, 256, 8 * 32))[0]

    def kappa(z, idx):
        x, y = data.x_train[idx][None], data.y_train[idx][None]
        return float(condition_number(jnp.linalg.eigvalsh(activity_hessian(params, z, x, y, net))))

    x0 = data.x_train[order[:1]]
    z0, _ = forward(params, x0, net)
    np.testing.assert_allclose(table["cond_num_init"], kappa(z0, order[0]), rtol=1e-8)
    for _, row in table.iterrows():
        last = order[(int(row["step"]) - 1) * 32:int(row["step"]) * 32]
        xb, yb = data.x_train[last], data.y_train[last]
        zb, _ = forward(params, xb, net)
        z = infer_activities(params, zb, xb, yb, net, optim="gd", activity_lr=0.7, n_steps=4)
        np.testing.assert_allclose(row["cond_num"], kappa(z[:, :1], last[0]), rtol=1e-8)


@pytest.mark.slow
def test_condition_numbers_off_by_default_and_runs_unchanged():
    data = blobs(256, 100, 12)
    net = NetSpec(12, 6, 2, 10, "linear", "mupc", True, "standard_gauss")
    spec = TrainSpec(net, "pc", n_infer_steps=2, batch_size=32, test_every=4, no_learning_acc=0.0)
    runs = run_grid([0], [0.5], [0.01], [0.0])
    plain = train_cell(spec, runs, data, log=None)
    recorded = train_cell(dataclasses.replace(spec, record_condition_number=True), runs, data, log=None)
    assert "cond_num" not in plain and recorded["cond_num"].notna().all()
    np.testing.assert_array_equal(plain["test_acc"], recorded["test_acc"])
    np.testing.assert_array_equal(plain["train_loss"], recorded["train_loss"])


@pytest.mark.parametrize("init", ["standard_gauss", *(pytest.param(i, marks=pytest.mark.slow)
                                                     for i in ("standard", "orthogonal", "one_over_N"))])
def test_each_runs_initial_draws_are_those_of_the_runs_drawn_together(init):
    """The runner draws a cell's initial weights and data orders one run at a time (programs the
    compilation cache shares between cells of a shape): bit for bit what the runs drawn
    together in one vmapped program get, as before."""
    import jax

    spec = dataclasses.replace(SPEC, net=dataclasses.replace(SPEC.net, init=init))
    seeds = np.arange(5, dtype=np.uint32) + 7
    together = jax.jit(jax.vmap(lambda s: (init_run(s, spec), data_order(s, 2, 300, 256))))(jnp.asarray(seeds))
    init_alone, order_alone = jax.jit(lambda s: init_run(s, spec)), jax.jit(lambda s: data_order(s, 2, 300, 256))
    for run, seed in enumerate(seeds):
        alone = (init_alone(seed), order_alone(seed))
        for a, b in zip(jax.tree_util.tree_leaves(alone), jax.tree_util.tree_leaves(together)):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b)[run])


@pytest.mark.parametrize("platform", ["cpu", "gpu"])
def test_cells_skip_unreached_layers_only_without_activity_decay(monkeypatch, platform):
    monkeypatch.setattr("jax.default_backend", lambda: platform)
    pc, bp = TrainSpec(NetSpec(20, 8, 3, 10), "pc"), TrainSpec(NetSpec(20, 8, 3, 10), "bp")
    assert spec_with_error_front(pc, [0.0, 0.0]).skip_unreached_layers
    assert not spec_with_error_front(pc, [0.0, 0.1]).skip_unreached_layers  # decay moves every layer
    assert spec_with_error_front(bp, [0.0]) == bp
    with pytest.raises(ValueError, match="activity_decays"):
        spec_with_error_front(dataclasses.replace(pc, skip_unreached_layers=True), [0.1])


def test_matmul_precision_is_chosen_per_platform_and_never_casts_float64():
    setting = {"cpu": "highest", "gpu": "TF32_TF32_F32_X3"}
    assert matmul_precision_here(setting, "float32", "gpu") == "TF32_TF32_F32_X3"
    assert matmul_precision_here(setting, "float32", "cpu") == "highest"
    assert matmul_precision_here(setting, "float64", "gpu") == "highest"  # an algorithm would cast to float32
    assert matmul_precision_here(None, "float32", "gpu") == "highest"
    assert matmul_precision_here({"cpu": "default"}, "float32", "gpu") == "highest"
    with pytest.raises(ValueError, match="compute.matmul_precision.cpu"):
        matmul_precision_here({"cpu": "TF32_TF32_F32_X3"}, "float32", "cpu")
    with pytest.raises(ValueError, match="not one of"):
        matmul_precision_here({"gpu": "tf32"}, "float32", "gpu")
    with pytest.raises(ValueError, match="float64"):
        TrainSpec(NetSpec(20, 8, 3, 10), "pc", dtype="float64", matmul_precision="BF16_BF16_F32_X6")


def test_the_cell_layout_is_decided_in_one_place(monkeypatch):
    """A CPU trains one run per device at a time (programs of as many runs as devices); a one-run
    cell splits its batch only when asked; a GPU vmaps up to max_runs_per_program runs."""
    spec = TrainSpec(NetSpec(784, 32, 8, 10, "relu", "mupc", True, "standard_gauss"), "pc")
    monkeypatch.setattr("jax.local_device_count", lambda: 2)
    assert cell_layout(spec, 8, 16) == CellLayout(runs_per_program=2, run_devices=2)
    assert cell_layout(spec, 1, 16) == CellLayout(runs_per_program=1, run_devices=1)
    assert cell_layout(spec, 1, 16, split_batch=True) == CellLayout(1, 1, batch_devices=2)
    assert cell_layout(spec, 3, 16, split_batch=True) == CellLayout(2, 2)  # several runs: never the batch
    monkeypatch.setattr("jax.local_device_count", lambda: 1)
    assert cell_layout(spec, 8, 16) == CellLayout(1, 1) and cell_layout(spec, 1, 16, True) == CellLayout(1, 1)
    monkeypatch.setattr(devices, "_backend", lambda: "gpu")
    assert cell_layout(spec, 40, 16) == CellLayout(16) and cell_layout(spec, 3, 16) == CellLayout(3)
    with pytest.raises(ValueError, match="not both"):
        build_programs(SPEC, 300, 4, 0, CellLayout(2, run_devices=2, batch_devices=2))

def test_run_values_reach_the_step_by_name_whatever_the_order_of_their_keys():
    from pcrepro.pipeline.runner import run_hypers

    runs = [{"weight_lr": 0.1, "activity_decay": 0.0, "seed": 3, "activity_lr": 0.5},
            {"activity_lr": 0.05, "seed": 4, "weight_lr": 0.01, "activity_decay": 0.2}]
    h = run_hypers(runs, np.float32)
    assert h.seed.tolist() == [3, 4] and h.seed.dtype == np.uint32
    np.testing.assert_array_equal(h.activity_lr, np.float32([0.5, 0.05]))
    np.testing.assert_array_equal(h.weight_lr, np.float32([0.1, 0.01]))
    np.testing.assert_array_equal(h.activity_decay, np.float32([0.0, 0.2]))
    with pytest.raises(ValueError, match="runs lack activity_decay"):
        run_hypers([{"seed": 0, "activity_lr": 1.0, "weight_lr": 1.0}], np.float32)
