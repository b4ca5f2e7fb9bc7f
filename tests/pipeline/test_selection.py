"""pcrepro.pipeline.results: best-lr selection, its tie-breaks and joint selection; cells whose lrs come from another sweep; the notebook comparison."""

import numpy as np
import pandas as pd
import pytest

from pcrepro.pipeline.results import best_runs, select_best


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


def test_a_cell_takes_its_lrs_from_the_selected_row_of_another_sweep():
    from pcrepro.pipeline.cells import cell_from_spec, resolve_selected_lrs
    from pcrepro.studies.mupc_training import CellSpec

    cfg = dict(param_type="sp", n_infer_steps="depth", weight_optim="adam", batch_size=64, epochs=1, test_every=10,
               seeds=[0, 1], activity_lrs=None, weight_lrs=None, activity_decays=[0.0])
    where = {"act_fn": "relu", "n_hidden": 4}
    cell = cell_from_spec("s", CellSpec("MNIST", cfg, width=8, n_hidden=4, act_fn="relu", skips=True, init="standard",
                                        activity_optim="gd",
                                        lrs_from={"study": "sweep", "where": where, "keys": ["weight_lr", "activity_lr"]}))
    selection = pd.DataFrame({"act_fn": ["relu"] * 3, "n_hidden": [4, 4, 8], "weight_lr": [0.1, 0.01, 0.1],
                              "activity_lr": [1.0, 0.5, 0.1], "selected": [False, True, True]})
    runs = resolve_selected_lrs(cell, selection)["runs"]
    assert (runs["weight_lrs"], runs["activity_lrs"], runs["seeds"]) == ([0.01], [0.5], [0, 1])
    with pytest.raises(ValueError, match="expected one selected row of sweep"):
        resolve_selected_lrs(cell, selection.assign(selected=False))
