"""Vmapped cell training: per-run stopping, isolation of runs, determinism; best-lr selection."""

import numpy as np
import pandas as pd
import pytest

from pcrepro.core.nets import NetSpec
from pcrepro.core.training import TrainSpec
from pcrepro.data import REAL, Dataset
from pcrepro.pipeline.cells import run_grid
from pcrepro.pipeline.results import best_runs, select_best
from pcrepro.pipeline.runner import train_cell


def _blobs(n_train=640, n_test=200, dim=20, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(10, dim)) * 2.0

    def draw(n):
        labels = rng.integers(0, 10, n)
        return (centres[labels] + rng.normal(size=(n, dim))).astype(np.float64), np.eye(10)[labels]

    x_train, y_train = draw(n_train)
    x_test, y_test = draw(n_test)
    return Dataset(x_train, y_train, x_test, y_test, "blobs", REAL)


# float64 (the suite runs with x64): results compared to 1e-9 between runs and programs
SPEC = TrainSpec(NetSpec(20, 16, 3, 10, "tanh", "mupc", True, "standard_gauss"), "pc", n_infer_steps=3,
                 activity_optim="gd", weight_optim="adam", batch_size=32, epochs=1, test_every=5, dtype="float64")


def _train(runs, spec=SPEC, **kw):
    return train_cell(spec, runs, _blobs(), log=None, **kw)


def _curve(table, **run):
    mask = np.ones(len(table), bool)
    for k, v in run.items():
        mask &= table[k].to_numpy() == v
    return table[mask].sort_values("step")


def test_forced_divergence_is_frozen_and_neighbours_equal_solo_runs():
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


def test_training_is_deterministic_and_chunking_does_not_change_results():
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


def _table(rows):
    """Hand-made result rows: (cell, seed, activity_lr, step, test_acc, status)."""
    df = pd.DataFrame(rows, columns=["cell", "seed", "activity_lr", "step", "test_acc", "status"])
    return df.assign(weight_lr=0.1, activity_decay=0.0, act_fn="relu", n_hidden=8)


def test_selection_picks_argmax_and_counts_stopped_runs_as_chance():
    rows = []
    for seed in (0, 1):
        rows += [("c", seed, 1.0, 100, 50.0, "ok"), ("c", seed, 1.0, 200, 80.0 + seed, "ok")]
        rows += [("c", seed, 0.1, 100, 70.0, "ok"), ("c", seed, 0.1, 200, 75.0, "ok")]
    # lr 10 reaches 95 % on seed 0 but diverges on seed 1 after its first evaluation
    rows += [("c", 0, 10.0, 100, 90.0, "ok"), ("c", 0, 10.0, 200, 95.0, "ok")]
    rows += [("c", 1, 10.0, 100, 60.0, "diverged"), ("c", 1, 10.0, 200, np.nan, "diverged")]
    table = _table(rows)
    sel = select_best(table, ["act_fn"], statistic="final_test_acc", stopped_run_score=10.0)
    scores = sel.set_index("activity_lr")["score_mean"]
    assert scores[1.0] == pytest.approx(80.5) and scores[0.1] == pytest.approx(75.0)
    assert scores[10.0] == pytest.approx((95.0 + 10.0) / 2)  # the stopped run scores chance
    assert sel.loc[sel["selected"], "activity_lr"].tolist() == [1.0]
    assert sel.set_index("activity_lr").loc[10.0, "n_stopped"] == 1
    # with the max statistic the stopped run keeps what it reached: (95 + 60) / 2 = 77.5 < 80.5
    sel_max = select_best(table, ["act_fn"], statistic="max_test_acc", stopped_run_score=10.0)
    assert sel_max.set_index("activity_lr").loc[10.0, "score_mean"] == pytest.approx(77.5)
    assert best_runs(table, sel, ["act_fn"])["activity_lr"].unique().tolist() == [1.0]


def test_selection_tie_breaks_on_fewer_stopped_runs_then_smaller_lr():
    rows = [("c", 0, 1.0, 100, 60.0, "ok"), ("c", 0, 0.5, 100, 60.0, "ok"), ("c", 0, 2.0, 100, 60.0, "ok")]
    sel = select_best(_table(rows), ["act_fn"])
    assert sel.loc[sel["selected"], "activity_lr"].tolist() == [0.5]
    rows = [("c", 0, 0.5, 100, 10.0, "no_learning"), ("c", 0, 1.0, 100, 10.0, "ok")]
    sel = select_best(_table(rows), ["act_fn"])
    assert sel.loc[sel["selected"], "activity_lr"].tolist() == [1.0]


def test_activity_decay_figure_scores_each_run_by_its_padded_maximum():
    """Hand-made table: a run that stopped after one evaluation at 12 % scores max(12, 10) = 12,
    a run that diverged before any evaluation scores chance; mean and (population) std over seeds."""
    from pcrepro.plots.mupc import activity_decay_figure

    rows = []
    for seed, accs, status in ((0, [50.0, 70.0, 60.0], "ok"), (1, [40.0, 80.0, 90.0], "ok")):
        rows += [dict(cell="c", seed=seed, activity_lr=0.1, weight_lr=1e-3, activity_decay=0.0, step=s, test_acc=a,
                      status=status, data_source=REAL) for s, a in zip((1, 2, 3), accs)]
    for seed, accs, status in ((0, [12.0, np.nan, np.nan], "no_learning"), (1, [np.nan] * 3, "diverged")):
        rows += [dict(cell="c", seed=seed, activity_lr=0.1, weight_lr=1e-3, activity_decay=0.5, step=s, test_acc=a,
                      status=status, data_source=REAL) for s, a in zip((1, 2, 3), accs)]
    _, stats = activity_decay_figure(pd.DataFrame(rows), activity_lr=0.1, preset="quick", stopped_run_score=10.0)
    stats = stats.set_index("activity_decay")
    assert stats.loc[0.0, "mean"] == pytest.approx(80.0) and stats.loc[0.0, "std"] == pytest.approx(10.0)
    assert stats.loc[0.5, "mean"] == pytest.approx(11.0) and stats.loc[0.5, "std"] == pytest.approx(1.0)


def test_compare_selection_sets_the_selected_lr_beside_the_notebooks():
    """Hand-made selection tables against seed 002's hard-coded lrs (GD, MNIST, ReLU, H 8: 0.5;
    Fashion-MNIST: 0.1; μPC ReLU: 0.5 for every depth)."""
    from pcrepro.pipeline.notebook_lrs import compare_with_notebook

    rows = []
    for dataset, winner in (("MNIST", 0.5), ("FashionMNIST", 0.5)):
        for lr in (0.5, 0.1, 0.05):
            rows.append(dict(dataset=dataset, variant="GD", act_fn="relu", n_hidden=8, activity_lr=lr,
                             score_mean=90.0 if lr == winner else 50.0, selected=lr == winner))
    table = compare_with_notebook(pd.DataFrame(rows), "mupc_pc_sweeps").set_index("dataset")
    assert table.loc["MNIST", "agrees"] and table.loc["MNIST", "notebook_lr"] == 0.5
    assert not table.loc["FashionMNIST", "agrees"] and table.loc["FashionMNIST", "notebook_lr"] == 0.1
    assert table.loc["FashionMNIST", "notebook_lr_in_grid"]
    mupc = pd.DataFrame([dict(act_fn="relu", activity_lr=lr, score_mean=s, selected=lr == 0.5)
                         for lr, s in ((0.5, 95.0), (1000.0, 10.0))])
    (row,) = compare_with_notebook(mupc, "mupc_sweeps").to_dict("records")
    assert row["agrees"] and row["notebook_line"] > 0


def test_budget_model_reproduces_the_measured_steps_and_counts_runs():
    from pcrepro.pipeline.budget import (
        MEASURED_STEPS,
        seconds_per_run_step,
        step_flops,
        training_budget,
    )
    from pcrepro.pipeline.cells import mupc_sweeps_cells, train_spec

    for (h, n, t), measured in MEASURED_STEPS:
        spec = TrainSpec(NetSpec(784, n, h, 10, "relu", "mupc", True, "standard_gauss"), "pc", n_infer_steps=t)
        assert seconds_per_run_step(step_flops(spec)) == pytest.approx(measured, rel=1e-9)
    cfg = {"dataset": "MNIST", "act_fns": ["relu"], "depth_sweep": {"width": 32, "n_hiddens": [2, 4]},
           "width_sweep": {"n_hidden": 2, "widths": [16]}, "param_type": "mupc", "skips": True,
           "init": "standard_gauss", "n_infer_steps": "depth", "activity_optim": "gd", "activity_lrs": [1.0, 0.1],
           "weight_optim": "adam", "weight_lrs": [0.1], "activity_decays": [0.0], "batch_size": 64, "epochs": 2,
           "test_every": 100, "seeds": [0, 1, 2], "select_by": ["act_fn"]}
    row = training_budget("s", mupc_sweeps_cells(cfg), train_spec, {"MNIST": 6400})
    assert (row["cells"], row["runs"], row["run_epochs"]) == (3, 18, 36)
    assert row["gpu_hours"] > 0


def test_condition_numbers_are_refused_for_bp_cells():
    with pytest.raises(ValueError, match="record_condition_number"):
        TrainSpec(NetSpec(20, 8, 2, 10), "bp", record_condition_number=True)


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


def test_joint_selection_of_weight_and_activity_lr():
    """Two lr keys: the best (weight lr, activity lr) pair per group; ties go to fewer stopped
    runs, then to the smaller weight lr, then the smaller activity lr."""
    rows = []
    for w, a, acc in ((0.1, 1.0, 70.0), (0.1, 0.5, 85.0), (0.01, 1.0, 85.0), (0.01, 0.5, 60.0)):
        rows.append(dict(cell="c", seed=0, activity_lr=a, weight_lr=w, activity_decay=0.0, step=100,
                         test_acc=acc, status="ok", act_fn="relu"))
    table = pd.DataFrame(rows)
    sel = select_best(table, ["act_fn"], ["weight_lr", "activity_lr"])
    assert len(sel) == 4
    assert sel.loc[sel["selected"], ["weight_lr", "activity_lr"]].values.tolist() == [[0.01, 1.0]]
    chosen = best_runs(table, sel, ["act_fn"], ["weight_lr", "activity_lr"])
    assert chosen[["weight_lr", "activity_lr"]].values.tolist() == [[0.01, 1.0]]


def _transfer_rows():
    """Hand-made run table: each run's per-period minima and its run-wide minimum (which may
    come from steps after the last evaluation)."""
    rows = []

    def run(seed, w, a, losses, run_min, status, accs=(50.0, 60.0)):
        for step, loss, acc in zip((100, 200), losses, accs):
            rows.append(dict(cell="c", seed=seed, weight_lr=w, activity_lr=a, activity_decay=0.0, step=step,
                             train_loss_min=loss, run_train_loss_min=run_min, test_acc=acc, status=status,
                             data_source=REAL))
    run(0, 0.1, 1.0, [0.5, 0.2], 0.15, "ok"), run(1, 0.1, 1.0, [0.4, 0.3], 0.25, "ok")
    run(0, 0.1, 10.0, [0.3, np.nan], 0.3, "diverged", (40.0, np.nan)), run(1, 0.1, 10.0, [0.6, 0.1], 0.1, "ok")
    run(0, 0.5, 10.0, [0.9, np.nan], 0.9, "no_learning", (12.0, np.nan))
    run(1, 0.5, 10.0, [np.nan, np.nan], 2.0, "diverged", (np.nan, np.nan))
    return pd.DataFrame(rows)


def test_transfer_surface_is_the_notebooks_mean_of_run_minima_and_marks_stopped_points():
    """As the notebook: a point is the seeds' mean of each run's minimum over every batch loss it
    computed (the last partial period included); a stopped run keeps its pre-stop minimum and
    the point is marked, not blanked (blanking is an option); accuracy: the mean of each run's
    best evaluation, 0 for a run that had none."""
    from pcrepro.plots.mupc import transfer_surface

    rows = _transfer_rows()
    mark = transfer_surface(rows, "loss").set_index(["weight_lr", "activity_lr"])
    assert mark.loc[(0.1, 1.0), "value"] == pytest.approx((0.15 + 0.25) / 2)  # not the per-period 0.2 / 0.3
    assert mark.loc[(0.1, 10.0), "stopped"] and mark.loc[(0.1, 10.0), "value"] == pytest.approx((0.3 + 0.1) / 2)
    assert mark.loc[(0.5, 10.0), "value"] == pytest.approx((0.9 + 2.0) / 2) and mark.loc[(0.5, 10.0), "n_stopped"] == 2
    assert not mark.loc[(0.1, 1.0), "stopped"]
    blank = transfer_surface(rows, "loss", stopped_points="blank").set_index(["weight_lr", "activity_lr"])
    assert np.isnan(blank.loc[(0.1, 10.0), "value"]) and blank.loc[(0.1, 1.0), "value"] == pytest.approx(0.2)
    survivors = transfer_surface(rows, "loss", "all_runs_stopped", "blank").set_index(["weight_lr", "activity_lr"])
    assert not survivors.loc[(0.1, 10.0), "stopped"] and survivors.loc[(0.1, 10.0), "value"] == pytest.approx(0.1)
    assert survivors.loc[(0.5, 10.0), "stopped"] and np.isnan(survivors.loc[(0.5, 10.0), "value"])
    acc = transfer_surface(rows, "accuracy").set_index(["weight_lr", "activity_lr"])
    assert acc.loc[(0.5, 10.0), "value"] == pytest.approx((12.0 + 0.0) / 2)
    assert acc.loc[(0.1, 10.0), "value"] == pytest.approx((40.0 + 60.0) / 2)
    with pytest.raises(ValueError, match="failed_if"):
        transfer_surface(rows, "loss", "some")
    with pytest.raises(ValueError, match="stopped_points"):
        transfer_surface(rows, "loss", stopped_points="hide")


def test_contour_stars_the_selected_pair_and_crosses_stopped_points():
    from pcrepro.plots.mupc import lr_contour_figure

    fig, surface = lr_contour_figure(_transfer_rows(), metric="loss", title="t", preset="quick",
                                     selected=(0.5, 10.0))
    traces = {t.name: t for t in fig.data if t.name}
    star = traces["selected"]
    assert (list(star.x), list(star.y)) == ([10.0], [0.5])  # where the select rule put it, not the lowest loss
    crosses = sorted(zip(traces["stopped run(s)"].y, traces["stopped run(s)"].x))
    assert crosses == [(0.1, 10.0), (0.5, 10.0)]
    z = np.asarray(fig.data[0].z, float)  # log10 of the values (rows: weight lr, columns: activity lr)
    np.testing.assert_allclose(z[:, 1], np.log10([0.2, 1.45]))  # marked points keep their values


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


def test_sweep_curves_are_cut_to_the_shortest_run_as_the_notebook():
    """compute_metric_stats: every seed truncated to the shortest; an empty run counts as one
    evaluation at 10 %; the BP cell turns a run with at most one evaluation into a whole run (three
    evaluations) at 10 %."""
    from pcrepro.pipeline.results import truncated_curve_stats

    def table(accs_per_seed):
        return pd.DataFrame([dict(cell="c", seed=seed, activity_lr=0.1, weight_lr=0.1, activity_decay=0.0,
                                  step=100 * (i + 1), test_acc=acc, status="ok")
                             for seed, accs in enumerate(accs_per_seed) for i, acc in enumerate(accs)])

    full, short = [50.0, 70.0, 80.0], [40.0, 60.0, np.nan]
    stats = truncated_curve_stats(table([full, short]), ["activity_lr"], 10.0)
    assert stats["step"].tolist() == [100, 200]
    np.testing.assert_allclose(stats["mean"], [45.0, 65.0])
    np.testing.assert_allclose(stats["std"], [5.0, 5.0])
    empty = truncated_curve_stats(table([full, [np.nan] * 3]), ["activity_lr"], 10.0)
    assert empty["step"].tolist() == [100] and empty["mean"].tolist() == [30.0]
    bp = truncated_curve_stats(table([full, [35.0, np.nan, np.nan]]), ["activity_lr"], 10.0,
                               min_evals=2, pad_evals=None)
    np.testing.assert_allclose(bp["mean"], [30.0, 40.0, 45.0])


def test_a_cell_takes_its_lrs_from_the_selected_row_of_another_sweep():
    from pcrepro.pipeline.cells import pc_cell, resolve_selected_lrs

    cfg = dict(param_type="sp", n_infer_steps="depth", weight_optim="adam", batch_size=64, epochs=1, test_every=10,
               seeds=[0, 1], activity_lrs=None, weight_lrs=None, activity_decays=[0.0])
    where = {"act_fn": "relu", "n_hidden": 4}
    cell = pc_cell("s", "MNIST", cfg, width=8, n_hidden=4, act_fn="relu", skips=True, init="standard",
                   activity_optim="gd", lrs_from={"study": "sweep", "where": where, "keys": ["weight_lr", "activity_lr"]})
    selection = pd.DataFrame({"act_fn": ["relu"] * 3, "n_hidden": [4, 4, 8], "weight_lr": [0.1, 0.01, 0.1],
                              "activity_lr": [1.0, 0.5, 0.1], "selected": [False, True, True]})
    runs = resolve_selected_lrs(cell, selection)["runs"]
    assert (runs["weight_lrs"], runs["activity_lrs"], runs["seeds"]) == ([0.01], [0.5], [0, 1])
    with pytest.raises(ValueError, match="expected one selected row of sweep"):
        resolve_selected_lrs(cell, selection.assign(selected=False))


def test_orthogonal_tanh_cells_train_with_the_reference_gain():
    """The μPC reference script inits orthogonal tanh nets with gain 1.05 (1 otherwise): the paper
    cells carry it, their hidden matrices are 1.05 × orthogonal, and the feedforward activity RMS
    at depth 128 equals an independent numpy forward pass — several times that of gain 1."""
    from pathlib import Path

    import jax
    import jax.numpy as jnp
    import yaml

    from pcrepro.core.nets import forward, init_params
    from pcrepro.pipeline.cells import train_spec, training_cells

    config = yaml.safe_load((Path(__file__).parents[1] / "config.yaml").read_text())
    config["preset"] = "paper"
    cells = list(training_cells("mupc_pc_sweeps", config).values())
    gains = {(c["labels"]["variant"], c["net"]["act_fn"]): c["net"]["init_gain"] for c in cells}
    assert gains[("orthogonal", "tanh")] == 1.05
    assert gains[("orthogonal", "relu")] == gains[("orthogonal", "linear")] == gains[("GD", "tanh")] == 1.0
    (cell,) = [c for c in cells if c["labels"]["variant"] == "orthogonal" and c["net"]["act_fn"] == "tanh"
               and c["net"]["n_hidden"] == 128 and c["dataset"] == "MNIST"]
    assert "_gain1.05" in cell_id_of(cell)

    x = np.random.default_rng(0).standard_normal((64, 784))
    rms = {}
    for gain in (1.05, 1.0):
        net = train_spec({**cell, "net": {**cell["net"], "init_gain": gain}}).net
        params = jax.tree_util.tree_map(np.asarray, init_params(jax.random.PRNGKey(0), net, jnp.float64))
        w_hidden = params["w_hidden"]
        np.testing.assert_allclose(w_hidden[5] @ w_hidden[5].T, gain**2 * np.eye(128), atol=1e-10)
        z = x @ params["w_in"].T  # sp, no skips: z_l = W_l tanh(z_{l-1})
        for w in w_hidden:
            z = np.tanh(z) @ w.T
        rms[gain] = float(np.sqrt(np.mean(z**2)))
        z_net, _ = forward(init_params(jax.random.PRNGKey(0), net, jnp.float64), jnp.asarray(x), net)
        assert float(jnp.sqrt(jnp.mean(z_net[-1] ** 2))) == pytest.approx(rms[gain], rel=1e-9)
    assert rms[1.05] > 3 * rms[1.0]


def cell_id_of(cell):
    from pcrepro.pipeline.cells import cell_id

    return cell_id(cell)


def test_a_single_run_state_can_be_donated_to_the_jitted_step():
    import functools

    import jax

    from pcrepro.core.training import RunHyper, init_run, train_step

    state = init_run(jax.numpy.uint32(0), SPEC)
    data = _blobs()
    hyper = RunHyper(jax.numpy.uint32(0), 2.0, 0.05, 0.0)
    step = jax.jit(functools.partial(train_step, spec=SPEC), donate_argnums=0)
    new, (loss, energy, _) = step(state, hyper, data.x_train[:32], data.y_train[:32], 1)
    assert np.isfinite(float(loss)) and int(new.opt_state.count) == 1


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


def test_log_lines_are_right_when_every_run_stopped():
    lines = []
    spec = TrainSpec(**{**SPEC.__dict__, "no_learning_acc": 101.0})  # every run stops at its first evaluation
    train_cell(spec, run_grid([0, 1], [2.0], [0.05], [0.0]), _blobs(), log=lines.append, log_every_s=0.0)
    periods = [line for line in lines if "period" in line]
    assert periods and not any("nan" in line for line in periods)
    assert "best test acc so far" in periods[-1]
    assert lines[-1].endswith("2 of 2 runs stopped early (0 diverged, 2 no learning)")
