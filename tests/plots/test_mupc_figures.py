"""pcrepro.plots.mupc: what the μPC figures compute from the tables (scores, transfer surfaces, curve cuts)."""

import numpy as np
import pandas as pd
import pytest

from pcrepro.data import REAL


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


def test_transfer_surface_is_the_notebooks_mean_of_run_minima_and_marks_stopped_points():
    """As the notebook: a point is the seeds' mean of each run's minimum over every batch loss it
    computed (the last partial period included); a stopped run keeps its pre-stop minimum and
    the point is marked, not blanked (blanking is an option); accuracy: the mean of each run's
    best evaluation, 0 for a run that had none."""
    from pcrepro.pipeline.results import transfer_surface

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


def test_loss_colour_bar_labels_are_decades_or_the_loss_itself():
    from pcrepro.plots.mupc import loss_tick_label

    assert loss_tick_label(-0.0) == "10<sup>0</sup>" and loss_tick_label(-2.0) == "10<sup>-2</sup>"
    assert loss_tick_label(np.log10(0.5)) == "0.5" and loss_tick_label(np.log10(0.0123)) == "0.0123"


def test_a_grid_too_thin_for_contours_is_drawn_as_one_cell_per_lr_pair():
    """_transfer_rows has 2 weight lrs × 2 activity lrs: plotly's contour would interpolate
    slanted strips between them, so each pair is a cell whose edges sit halfway (in log) between
    neighbouring lrs."""
    from pcrepro.plots.mupc import lr_contour_figure

    fig, _ = lr_contour_figure(_transfer_rows(), metric="loss", title="t", preset="quick")
    cells = fig.data[0]
    assert cells.type == "heatmap"
    np.testing.assert_allclose(cells.x, [10 ** -0.5, 10 ** 0.5, 10 ** 1.5])  # around activity lrs 1, 10
    np.testing.assert_allclose(np.log10(cells.y), [np.log10(0.1) - np.log10(5) / 2, np.log10(np.sqrt(0.05)),
                                                   np.log10(0.5) + np.log10(5) / 2])
    assert any("one cell per lr pair" in a.text for a in fig.layout.annotations)


def test_main_figure_draws_bp_at_its_own_depths_with_a_legend_of_seeds():
    from pcrepro.plots.mupc import mupc_vs_pc_vs_bp_figure

    def runs(algorithm, depth, seeds, acc):
        return pd.DataFrame([dict(cell=f"{algorithm}{depth}", seed=s, activity_lr=0.1, weight_lr=0.1,
                                  activity_decay=0.0, act_fn="relu", n_hidden=depth, step=step, epoch=1,
                                  test_acc=acc + s + step / 100, status="ok", data_source=REAL)
                             for s in seeds for step in (100, 200)])

    mupc = pd.concat([runs("mupc", 8, [0, 1, 2], 80), runs("mupc", 16, [0, 1, 2], 75)])
    pc = pd.concat([runs("pc", 8, [0, 1], 60), runs("pc", 16, [0, 1], 40)])
    bp = runs("bp", 32, [0, 1], 90)  # BP's depth is not among the drawn μPC / PC depths
    fig, data = mupc_vs_pc_vs_bp_figure(mupc, pc, bp, act_fn="relu", n_hiddens=[8, 16], preset="quick",
                                        stopped_run_score=10.0)
    named = [t for t in fig.data if t.showlegend]
    assert [(t.legendgroup, t.name) for t in named] == [("μPC", "H = 8"), ("μPC", "H = 16"), ("PC", "H = 8"),
                                                        ("PC", "H = 16"), ("BP", "H = 32")]
    titles = {t.legendgroup: t.legendgrouptitle.text for t in named if t.legendgrouptitle.text}
    assert titles == {"μPC": "μPC (3 seeds)", "PC": "PC (2 seeds)", "BP": "BP (2 seeds)"}
    bp_line = named[-1]
    assert bp_line.line.dash == "dot" and list(bp_line.y) == pytest.approx([91.5, 92.5])  # mean of seeds 0, 1
    assert set(data["algorithm"]) == {"μPC", "PC", "BP"}
