"""Snakemake end to end: the paper DAG, the quick preset's families on stand-ins, config errors."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import SHARED_MNIST

from pcrepro.claims import CLAIMS, FINDING, HOLDS, REPRODUCED, SYNTHETIC, summary_line
from pcrepro.pipeline.config import preset_config

pytestmark = pytest.mark.slow  # Snakemake end to end

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


@pytest.fixture(scope="module")
def standin_run(tmp_path_factory) -> Path:
    """One working directory for the quick runs on stand-ins: each test builds its families there
    (the stand-in data are prepared once), and the last one builds the claims table over them all."""
    return tmp_path_factory.mktemp("quick_on_standins")


def _snakemake(repo: Path, workdir: Path, *args: str, timeout: int = 1500) -> subprocess.CompletedProcess:
    cmd = [*SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--directory", str(workdir), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
    return proc


def _job_count(output: str) -> int:
    return int(re.search(r"^total\s+(\d+)", output, re.M).group(1))


def _standin_override(workdir: Path, **compute) -> Path:
    """A config file merged over config.yaml: data cached in ``workdir``, synthetic stand-ins, no
    network; ``compute`` keys, if given."""
    override = {"data": {"cache_dir": str(workdir / "data"), "mirror": None, "download": False,
                         "synthetic_standin": True}}
    if compute:
        override["compute"] = compute
    path = workdir / "standin.yaml"
    path.write_text(yaml.safe_dump(override))
    return path


def _quick_on_standins(repo: Path, workdir: Path, *targets: str) -> dict:
    """Build ``targets`` with the quick preset on synthetic stand-ins in ``workdir``; the quick grids."""
    override = _standin_override(workdir)
    _snakemake(repo, workdir, *targets, "--cores", "2", "--configfile", str(repo / "config.yaml"), str(override),
               "--config", "preset=quick")
    return preset_config(yaml.safe_load((repo / "config.yaml").read_text()), "quick")


def _notebook_curve(runs: pd.DataFrame, min_evals: int = 1, pad_evals: int | None = 1) -> np.ndarray:
    """The notebook's compute_metric_stats, transcribed: each run's recorded accuracies (a run
    with fewer than ``min_evals`` replaced by ``pad_evals`` at 10 %; None: a whole run's
    evaluations), every run cut to the shortest, the mean per evaluation."""
    pad_evals = runs["step"].nunique() if pad_evals is None else pad_evals
    series = [run.sort_values("step")["test_acc"].dropna().to_numpy()
              for _, run in runs.groupby(["cell", "seed", "activity_lr", "weight_lr", "activity_decay"])]
    series = [v if len(v) >= min_evals else np.full(pad_evals, 10.0) for v in series]
    length = min(len(v) for v in series)
    return np.mean([v[:length] for v in series], axis=0)


def _assert_every_file_written(figures: Path, *family_files: dict) -> None:
    """Every file of the families' ``{family: [relative paths]}`` maps exists with real content."""
    for files in (f for mapping in family_files for f in mapping.values()):
        for f in files:
            assert (figures / f).stat().st_size > 2000, f


def _check_transfer_baseline_and_comparison(repo, tmp_path):
    quick = preset_config(yaml.safe_load((repo / "config.yaml").read_text()), "quick")
    results, figures = tmp_path / "results" / "quick", tmp_path / "figures" / "quick"
    grid = quick["mupc_hp_transfer"]
    transfer = pd.read_parquet(results / "mupc_hp_transfer" / "runs.parquet")
    # every contour point is the seed mean of each run's minimum batch loss (quick: no steps after
    # the last evaluation, so the per-period minima hold them all), stopped runs included with
    # their pre-stop minimum, and a point with a stopped run is marked
    for param in grid["param_types"]:
        for act in grid["act_fns"]:
            for h in grid["depth_sweep"]["n_hiddens"]:
                shown = pd.read_csv(figures / "mupc_hp_transfer" / param / f"min_train_losses_over_lrs_{act}_depth_{h}.csv")
                cell = transfer[(transfer["param_type"] == param) & (transfer["act_fn"] == act)
                                & (transfer["n_hidden"] == h) & (transfer["width"] == grid["depth_sweep"]["width"])]
                assert len(shown) == len(grid["weight_lrs"]) * len(grid["activity_lrs"])
                for _, point in shown.iterrows():
                    runs = cell[(cell["weight_lr"] == point["weight_lr"]) & (cell["activity_lr"] == point["activity_lr"])]
                    stopped = (runs.groupby("seed")["status"].first() != "ok").any()
                    assert bool(point["stopped"]) == stopped
                    np.testing.assert_allclose(point["value"], runs.groupby("seed")["train_loss_min"].min().mean(),
                                               rtol=1e-12)
    extra = grid["extra"]
    assert (figures / "mupc_hp_transfer" / "mupc"
            / f"max_test_accs_over_lrs_{extra['dataset']}_relu_width_{extra['width']}.pdf").stat().st_size > 5000
    # the PC baseline draws, per depth, the (weight lr, activity lr) pair the transfer sweep selected
    selection = pd.read_csv(results / "mupc_hp_transfer" / "selection.csv")
    assert (selection.groupby(grid["select_by"])["selected"].sum() == 1).all()
    baseline = pd.read_csv(figures / "mupc_pc_baseline" / "MNIST" / "best_test_accs_depth_SP_relu.csv")
    for h in grid["depth_sweep"]["n_hiddens"]:
        chosen = selection[(selection["param_type"] == "sp") & (selection["n_hidden"] == h)
                           & (selection["width"] == grid["depth_sweep"]["width"]) & selection["selected"]]
        shown = baseline[baseline["n_hidden"] == h]
        assert set(zip(shown["weight_lr"], shown["activity_lr"])) == {(chosen["weight_lr"].item(),
                                                                       chosen["activity_lr"].item())}
    # mupc_vs_pc_vs_bp trains BP at the lr mupc_bp_baseline selected and the deep PC net at the pair the
    # transfer sweep selected for its depth; the comparison's μPC curve is the long run's
    own = pd.read_parquet(results / "mupc_vs_pc_vs_bp" / "runs.parquet")
    bp_selection = pd.read_csv(results / "mupc_bp_baseline" / "selection.csv")
    for (dataset, epochs, act), runs in own[own["algorithm"] == "bp"].groupby(["dataset", "epochs", "act_fn"]):
        chosen = bp_selection[(bp_selection["dataset"] == dataset) & (bp_selection["epochs"] == epochs)
                              & (bp_selection["act_fn"] == act) & bp_selection["selected"]]
        assert set(runs["weight_lr"]) == {chosen["weight_lr"].item()}
    comparison = quick["mupc_vs_pc_vs_bp"]["comparison"]
    deep = selection[(selection["param_type"] == "sp") & (selection["n_hidden"] == comparison["n_hidden"])
                     & (selection["act_fn"] == comparison["act_fn"]) & selection["selected"]]
    pc = own[own["algorithm"] == "pc"]
    assert set(zip(pc["weight_lr"], pc["activity_lr"])) == {(deep["weight_lr"].item(), deep["activity_lr"].item())}
    long_runs = pd.read_parquet(results / "mupc_long_runs" / "runs.parquet")
    for block in quick["mupc_long_runs"]["blocks"]:
        shown = pd.read_csv(figures / "mupc_vs_pc_vs_bp" / block["dataset"]
                            / f"mupc_vs_pc_vs_bp_{comparison['n_hidden']}_{comparison['act_fn']}_net.csv")
        mupc = shown[shown["algorithm"] == "μPC"].sort_values("step")
        rows = long_runs[(long_runs["dataset"] == block["dataset"]) & (long_runs["epochs"] == block["epochs"])]
        expected = rows.assign(acc=rows["test_acc"].fillna(10.0)).groupby("step")["acc"].mean()
        np.testing.assert_allclose(mupc["mean"], expected.sort_index(), rtol=1e-12)
        assert set(shown["algorithm"]) == {"BP", "PC", "μPC"}
        for algo in ("BP", "PC"):  # trained for as long as the μPC long run
            assert shown[shown["algorithm"] == algo]["step"].max() == mupc["step"].max()
    for colour in ("blue", "red", "black"):
        assert (figures / "mupc_vs_pc_vs_bp" / f"n_hiddens_{colour}_legend.pdf").stat().st_size > 1000


def _check_pc_sweeps(repo, tmp_path):
    """Standard-PC sweeps: one selected lr per (dataset, variant, act, H), the best figure draws
    exactly those runs, the κ figure their recorded κ."""
    grid = preset_config(yaml.safe_load((repo / "config.yaml").read_text()), "quick")["mupc_pc_sweeps"]
    results, figures = tmp_path / "results" / "quick" / "mupc_pc_sweeps", tmp_path / "figures" / "quick" / "mupc_pc_sweeps"
    table = pd.read_parquet(results / "runs.parquet")
    selection = pd.read_csv(results / "selection.csv")
    groups = selection.groupby(grid["select_by"])["selected"].sum()
    assert (groups == 1).all() and len(groups) == table.groupby(grid["select_by"]).ngroups
    for dataset in grid["datasets"]:
        for variant in grid["variants"]:
            for act in grid["act_fns"]:
                chosen = selection[(selection["dataset"] == dataset) & (selection["variant"] == variant)
                                   & (selection["act_fn"] == act) & selection["selected"]]
                best = pd.read_csv(figures / dataset / f"best_test_accs_{variant}_{act}.csv")
                for _, row in chosen.iterrows():
                    shown = best[best["n_hidden"] == row["n_hidden"]]
                    assert set(shown["activity_lr"]) == {row["activity_lr"]}
                    runs = table[(table["dataset"] == dataset) & (table["variant"] == variant)
                                 & (table["act_fn"] == act) & (table["n_hidden"] == row["n_hidden"])
                                 & (table["activity_lr"] == row["activity_lr"])]
                    np.testing.assert_allclose(shown.sort_values("step")["mean"], _notebook_curve(runs), rtol=1e-12)
                    cond = pd.read_csv(figures / dataset / f"best_cond_nums_{variant}_{act}.csv")
                    kappa = cond[(cond["n_hidden"] == row["n_hidden"]) & (cond["step"] > 0)].sort_values("step")
                    np.testing.assert_allclose(kappa["mean"], runs.groupby("step")["cond_num"].mean(), rtol=1e-12)


def _check_bp_baseline_and_decay(repo, tmp_path):
    quick = preset_config(yaml.safe_load((repo / "config.yaml").read_text()), "quick")
    results, figures = tmp_path / "results" / "quick", tmp_path / "figures" / "quick"
    # BP: the weight lr is what is selected, one per (dataset, epochs, activation); the figure
    # draws every weight lr's mean curve from the table
    bp = pd.read_parquet(results / "mupc_bp_baseline" / "runs.parquet")
    selection = pd.read_csv(results / "mupc_bp_baseline" / "selection.csv")
    assert (selection.groupby(["dataset", "epochs", "act_fn"])["selected"].sum() == 1).all()
    assert sorted(selection["weight_lr"].unique()) == sorted(quick["mupc_bp_baseline"]["weight_lrs"])
    for block in quick["mupc_bp_baseline"]["blocks"]:
        for act in block["act_fns"]:
            shown = pd.read_csv(figures / "mupc_bp_baseline" / block["dataset"]
                                / f"{act}_best_test_accs_{block['epochs']}_epochs.csv")
            rows = bp[(bp["epochs"] == block["epochs"]) & (bp["act_fn"] == act)]
            for lr, runs in rows.groupby("weight_lr"):  # the notebook's BP cell: <= 1 evaluation -> a whole run at 10 %
                curve = shown[shown["weight_lr"] == lr].sort_values("step")["mean"].to_numpy()
                np.testing.assert_allclose(curve, _notebook_curve(runs, min_evals=2, pad_evals=None), rtol=1e-12)
    assert bp.groupby("epochs")["step"].max().to_dict() == {
        b["epochs"]: b["epochs"] * quick["mupc_bp_baseline"]["max_steps_per_epoch"] for b in quick["mupc_bp_baseline"]["blocks"]}
    # activity decay: one cell, every (seed, lr, decay) run present
    decay = pd.read_parquet(results / "mupc_activity_decay" / "runs.parquet")
    grid = quick["mupc_activity_decay"]
    assert decay["cell"].nunique() == 1
    assert len(decay.drop_duplicates(["seed", "activity_lr", "activity_decay"])) == (
        len(grid["seeds"]) * len(grid["activity_lrs"]) * len(grid["activity_decays"]))
    for lr in grid["activity_lrs"]:
        assert (figures / "mupc_activity_decay" / f"max_test_accs_per_activity_decay_lr_{lr}.pdf").stat().st_size > 2000
    # long runs: every epoch is trained and the figure is the seeds' mean (cut to the shortest run)
    long_runs = pd.read_parquet(results / "mupc_long_runs" / "runs.parquet")
    cfg = quick["mupc_long_runs"]
    for block in cfg["blocks"]:
        rows = long_runs[(long_runs["dataset"] == block["dataset"]) & (long_runs["epochs"] == block["epochs"])]
        assert rows["step"].max() == block["epochs"] * cfg["max_steps_per_epoch"]
        assert sorted(rows["seed"].unique()) == block["seeds"]
        shown = pd.read_csv(figures / "mupc_long_runs"
                            / f"mupc_{cfg['n_hidden']}_{block['dataset']}_acc_{block['epochs']}_epochs.csv")
        np.testing.assert_allclose(shown.sort_values("step")["mean"], _notebook_curve(rows), rtol=1e-12)


def test_paper_preset_dag_builds_and_stays_small(repo, tmp_path):
    proc = _snakemake(repo, tmp_path, "-n", "--cores", "1", "--config", "preset=paper")
    total = _job_count(proc.stdout)
    # mupc_sweeps: 3 activations x (5 depths + 4 further widths) = 27 cells; mupc_pc_sweeps: 2 datasets x
    # 3 activations x (3 depths x 3 variants) + 2 x (5 + 5 + 3 orthogonal depths) = 80 cells; activity decay: 1;
    # BP baseline: 5; long runs: 2; hp transfer: 63 (below); mupc_vs_pc_vs_bp: 3 BP + 2 x (BP, PC) = 7;
    # κ over μPC training: 3 activations x 3 depths = 9
    assert re.search(r"^train_cell\s+194$", proc.stdout, re.M), proc.stdout[-2000:]
    assert total < 10_000


def test_paper_hp_transfer_is_one_job_per_static_cell_with_every_lr_pair_vmapped(repo, tmp_path):
    proc = _snakemake(repo, tmp_path, "-n", "--cores", "1", "mupc_hp_transfer", "--config", "preset=paper")
    # 2 parameterisations x 3 activations x (5 widths at H = 8, evaluated every 300 steps + 5 depths at
    # N = 512, every 100: the notebook runs N = 512, H = 8 in both) = 60, + the Fashion-MNIST cell of
    # muPC per activation = 63 jobs
    assert re.search(r"^train_cell\s+63$", proc.stdout, re.M), proc.stdout[-2000:]
    from pcrepro.pipeline.cells import n_runs, study_cells

    paper = yaml.safe_load((repo / "config.yaml").read_text())["presets"]["paper"]["mupc_hp_transfer"]
    cells = list(study_cells("mupc_hp_transfer", {"mupc_hp_transfer": paper}).values())
    assert len(cells) == 63
    assert {n_runs(c) for c in cells} == {4 * 11 * 3}  # weight lrs x activity lrs x seeds in one program
    intervals = {(c["dataset"], c["net"]["width"], c["net"]["n_hidden"], c["train"]["test_every"]) for c in cells}
    assert {("MNIST", n, 8, 300) for n in (64, 128, 256, 512, 1024)} <= intervals  # the notebook's width runs
    assert {("MNIST", 512, h, 100) for h in (8, 16, 32, 64, 128)} <= intervals     # its depth runs
    assert ("FashionMNIST", 512, 8, 100) in intervals and len(intervals) == 11
    from pcrepro.plots.mupc import transfer_contours

    contours = {Path(row[-1]).name: row[5] for row in transfer_contours(paper) if row[1] == "mupc"}
    assert contours["min_train_losses_over_lrs_relu_width_512.pdf"] == 300  # each figure reads its sweep's cell
    assert contours["min_train_losses_over_lrs_relu_depth_8.pdf"] == 100
    assert all(c["train"]["n_infer_steps"] == c["net"]["n_hidden"] for c in cells)  # T = H
    assert {(c["net"]["param_type"], c["net"]["init"]) for c in cells} == {("mupc", "standard_gauss"),
                                                                           ("sp", "standard")}


def test_misspelt_config_key_stops_the_workflow_naming_it(repo, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("data:\n  mirrror: /somewhere\n")
    cmd = [*SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--directory", str(tmp_path), "-n",
           "--configfile", str(repo / "config.yaml"), str(bad)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "unknown config key data.mirrror" in proc.stdout + proc.stderr


def test_quick_preset_on_standins_builds_mupc_sweeps_with_real_content(repo, standin_run):
    tmp_path = standin_run
    quick = _quick_on_standins(repo, tmp_path, "mupc_sweeps", "mupc_pc_sweeps", "mupc_activity_decay",
                               "mupc_bp_baseline", "mupc_long_runs", "mupc_hp_transfer", "mupc_pc_baseline",
                               "mupc_vs_pc_vs_bp")["mupc_sweeps"]
    _check_pc_sweeps(repo, tmp_path)
    _check_bp_baseline_and_decay(repo, tmp_path)
    _check_transfer_baseline_and_comparison(repo, tmp_path)
    figures = tmp_path / "figures" / "quick" / "mupc_sweeps"
    table = pd.read_parquet(tmp_path / "results" / "quick" / "mupc_sweeps" / "runs.parquet")
    kappa = pd.read_parquet(tmp_path / "results" / "quick" / "mupc_condition_numbers" / "runs.parquet")
    assert (table["data_source"] == "synthetic stand-in").all()
    shapes = ({(quick["depth_sweep"]["width"], h) for h in quick["depth_sweep"]["n_hiddens"]}
              | {(n, quick["width_sweep"]["n_hidden"]) for n in quick["width_sweep"]["widths"]})
    n_cells = len(quick["act_fns"]) * len(shapes)  # a shape in both sweeps is one cell
    n_runs = len(quick["seeds"]) * len(quick["activity_lrs"])
    assert table["cell"].nunique() == n_cells
    assert len(table) == n_cells * n_runs * (quick["max_steps_per_epoch"] // quick["test_every"])

    selection = pd.read_csv(tmp_path / "results" / "quick" / "mupc_sweeps" / "selection.csv")
    assert selection.groupby("act_fn")["selected"].sum().tolist() == [1] * len(quick["act_fns"])
    for act in quick["act_fns"]:
        # the lr-sweep figure shows one curve per activity lr, and its data are the table's means
        for n_hidden in quick["depth_sweep"]["n_hiddens"]:
            shown = pd.read_csv(figures / f"test_accs_muPC_{act}_{n_hidden}_n_hidden.csv")
            assert (figures / f"test_accs_muPC_{act}_{n_hidden}_n_hidden.pdf").stat().st_size > 5000
            assert sorted(shown["activity_lr"].unique()) == sorted(quick["activity_lrs"])
            cell = table[(table["act_fn"] == act) & (table["n_hidden"] == n_hidden) & (table["width"] == 32)]
            for lr, runs in cell.groupby("activity_lr"):  # as the notebook: cut to the shortest run
                curve = shown[shown["activity_lr"] == lr].sort_values("step")["mean"].to_numpy()
                np.testing.assert_allclose(curve, _notebook_curve(runs), rtol=1e-12)
        # the best-lr depth figure uses the selected lr, and the nets learned far above chance
        best_lr = selection[(selection["act_fn"] == act) & selection["selected"]]["activity_lr"].item()
        depth = pd.read_csv(figures / f"best_test_accs_depth_muP_{act}.csv")
        assert set(depth["activity_lr"]) == {best_lr}
        assert sorted(depth["n_hidden"].unique()) == quick["depth_sweep"]["n_hiddens"]
        assert depth.groupby("n_hidden")["mean"].last().min() > 30.0
        width = pd.read_csv(figures / f"best_test_accs_width_muP_{act}.csv")
        assert sorted(width["width"].unique()) == quick["width_sweep"]["widths"]
        # κ(H_z) over training from the κ cells (the notebook's lr and interval): step 0 is the runs'
        # initial κ, then one per evaluation
        kappa_cfg = quick["condition_numbers"]
        cond = pd.read_csv(figures / f"best_cond_nums_mupc_{act}.csv")
        assert sorted(cond["n_hidden"].unique()) == kappa_cfg["n_hiddens"]
        for n_hidden in kappa_cfg["n_hiddens"]:
            runs = kappa[(kappa["act_fn"] == act) & (kappa["n_hidden"] == n_hidden)]
            assert set(runs["activity_lr"]) == {kappa_cfg["activity_lr"]}
            assert sorted(runs["step"].unique()) == list(range(kappa_cfg["test_every"], quick["max_steps_per_epoch"] + 1,
                                                               kappa_cfg["test_every"]))
            shown = cond[cond["n_hidden"] == n_hidden].set_index("step")["mean"]
            np.testing.assert_allclose(shown[0], runs.drop_duplicates("seed")["cond_num_init"].mean(), rtol=1e-12)
            np.testing.assert_allclose(shown.drop(0).to_numpy(), runs.groupby("step")["cond_num"].mean(), rtol=1e-12)
            assert (shown > 1).all()
    assert "cond_num" not in table  # the sweep cells no longer pay for κ


def test_paper_preset_mupc_analysis_jobs(repo, tmp_path):
    from pcrepro.pipeline.cells import study_cells

    proc = _snakemake(repo, tmp_path, "mupc_activity_hessian", "mupc_forward_pass", "mupc_energy_theory", "-n",
                      "--cores", "1", "--config", "preset=paper")
    for rule, count in (("mupc_activity_hessian_cell", 6),  # 2 settings x 3 activations, N x H inside
                        ("mupc_forward_pass_cell", 6),      # 3 activations x 2 optimisers
                        ("mupc_energy_theory_phase", 2),    # sp, muPC
                        ("mupc_energy_theory_width", 2)):
        assert re.search(rf"^{rule}\s+{count}$", proc.stdout, re.M), (rule, proc.stdout[-2000:])
    paper = yaml.safe_load((repo / "config.yaml").read_text())["presets"]["paper"]["mupc_sweeps"]
    assert not any(c["train"]["record_condition_number"] for c in study_cells("mupc_sweeps", {"mupc_sweeps": paper}).values())
    kappa = list(study_cells("mupc_condition_numbers", {"mupc_sweeps": paper}).values())  # the notebook's κ cell: lr 0.5, every 100 steps
    assert {(c["net"]["act_fn"], c["net"]["width"], c["net"]["n_hidden"]) for c in kappa} == {
        (a, 512, h) for a in ("linear", "tanh", "relu") for h in (8, 16, 32)}
    assert all(c["train"]["record_condition_number"] and c["train"]["test_every"] == 100
               and c["runs"]["activity_lrs"] == [0.5] and c["runs"]["weight_lrs"] == [0.1] for c in kappa)


def test_quick_mupc_analysis_families_write_every_declared_file_with_the_computed_numbers(repo, standin_run):
    tmp_path = standin_run
    from pcrepro.plots.mupc_analysis import (
        activity_hessian_files,
        energy_theory_files,
        forward_pass_files,
    )

    quick = _quick_on_standins(repo, tmp_path, "mupc_activity_hessian", "mupc_forward_pass", "mupc_energy_theory")
    figures, results = tmp_path / "figures" / "quick", tmp_path / "results" / "quick"
    for f in [*activity_hessian_files(quick["mupc_activity_hessian"]),
              *forward_pass_files(quick["mupc_forward_pass"]), *energy_theory_files(quick["mupc_energy_theory"])]:
        assert (figures / f).stat().st_size > 2000, f
    # the κ phase diagram draws the seed mean of the recorded spectra' |λmax|/|λmin|
    grid = quick["mupc_activity_hessian"]
    with np.load(results / "mupc_activity_hessian" / "sp_orthogonal" / "linear.npz") as spectra:
        shown = pd.read_csv(figures / "mupc_activity_hessian" / "sp_orthogonal" / "linear" / "H_num_cond_num.csv")
        for _, row in shown.iterrows():
            eig = spectra[f"num/N{int(row['width'])}_H{int(row['n_hidden'])}"]
            np.testing.assert_allclose(row["cond"], np.mean(np.abs(eig[:, -1]) / np.abs(eig[:, 0])), rtol=1e-6)
            # sp + orthogonal: κ = cot²(π / 2(H+1)) (float32)
            np.testing.assert_allclose(row["cond"], 1 / np.tan(np.pi / (2 * (row["n_hidden"] + 1))) ** 2, rtol=1e-4)
    precision = pd.read_csv(figures / "mupc_activity_hessian" / "precision_check.csv")
    assert len(precision) == len(grid["settings"]) * len(grid["act_fns"])
    assert (precision["num_cond_rel_err"] < 1e-3).all()
    # the energy-theory phase diagram at step t shows the loop's L / F* at t
    phase = pd.read_parquet(results / "mupc_energy_theory" / "phase_mupc.parquet")
    t = quick["mupc_energy_theory"]["phase"]["plot_steps"][-1]
    shown = pd.read_csv(figures / "mupc_energy_theory" / "mupc" / f"loss_energy_ratio_t_{t}.csv")
    expected = phase[phase["step"] == t].set_index(["width", "n_hidden"])["ratio"]
    np.testing.assert_allclose(shown.set_index(["width", "n_hidden"])["ratio"], expected.loc[
        list(shown.set_index(["width", "n_hidden"]).index)], rtol=1e-6)
    assert (phase.loc[phase["act_fn"] == "linear", "ratio"] >= 1 - 1e-4).all()  # 𝓛 ≥ F* for linear nets
    # forward pass: Depth-μP with skips keeps the last layer's RMS activity within a factor 5 over
    # depth at init, sp without skips loses it
    fp = pd.concat(pd.read_parquet(p) for p in (results / "mupc_forward_pass").glob("*.parquet"))
    init = fp[(fp["metric"] == "activity_l2") & (fp["step"] == 0) & (fp["layer"] == "L/2")]
    for setting, bound in (("depth_mup_skips", 5.0),):
        values = init[init["setting"] == setting]["value"]
        assert values.max() / values.min() < bound
    sp = init[init["setting"] == "sp"].groupby("depth")["value"].mean()
    assert sp.iloc[-1] < 0.1 * sp.iloc[0]


def test_paper_preset_has_one_job_per_chain_depth_and_dln_configuration(repo, tmp_path):
    proc = _snakemake(repo, tmp_path, "chains", "dln_hessian", "-n", "--cores", "1", "--config", "preset=paper")
    assert re.search(r"^chains_depth\s+4$", proc.stdout, re.M), proc.stdout[-2000:]  # H = 1, 2, 5, 10
    # toy, MNIST, MNIST-1D x 4 depths at the origin + the other saddle at H = 3, 4
    assert re.search(r"^dln_hessian_config\s+18$", proc.stdout, re.M), proc.stdout[-2000:]


def test_quick_chains_and_dln_hessian_write_every_declared_file_with_the_computed_numbers(repo, standin_run):
    tmp_path = standin_run
    from PIL import Image

    from pcrepro.plots.chains import chains_files
    from pcrepro.plots.dln_hessian import dln_files
    from pcrepro.studies.dln_hessian import dln_configs

    quick = _quick_on_standins(repo, tmp_path, "chains", "dln_hessian")
    figures, results = tmp_path / "figures" / "quick", tmp_path / "results" / "quick"
    _assert_every_file_written(figures, chains_files(quick["chains"]), dln_files(quick["dln_hessian"]))
    # the Hessian GIF has one frame per inference step 0 … T
    gif = Image.open(figures / "chains_hessian" / "H5" / "energy_hessian_inference.gif")
    assert gif.n_frames == quick["chains"]["setup"]["inference_steps"] + 1
    # the stats figure shows the runs' own means over the statistics seeds
    with np.load(results / "chains" / "depth_2.npz") as r:
        shown = pd.read_csv(figures / "chains_stats" / "H2" / "train_loss_stats.csv")
        bp = shown[shown["method"] == "BP"]["mean"].to_numpy()
        np.testing.assert_allclose(bp, r["bp_train_loss"].mean(axis=0), rtol=1e-12)
    # each spectrum overlay draws the eigenvalues of its configuration's Hessians
    config = dln_configs(quick["dln_hessian"])[0]
    with np.load(results / "dln_hessian" / f"{config.id}.npz") as r:
        shown = pd.read_csv(figures / "dln_spectrum" / f"{config.id}.csv")
        np.testing.assert_allclose(shown[shown["hessian"] == "energy (numeric)"]["eigenvalue"],
                                   r["energy_eigenvalues"][-1], rtol=1e-12)
    with np.load(results / "dln_hessian" / "MNIST_H2_N2_origin.npz") as r:
        assert str(r["source"]) == "synthetic stand-in"


def test_paper_preset_error_optim_and_double_descent_jobs(repo, tmp_path):
    proc = _snakemake(repo, tmp_path, "error_optim", "double_descent", "-n", "--cores", "1", "--config", "preset=paper")
    assert re.search(r"^error_optim_compare\s+1$", proc.stdout, re.M), proc.stdout[-2000:]
    assert re.search(r"^double_descent_simulate\s+2$", proc.stdout, re.M), proc.stdout[-2000:]   # constant and rank-one init
    assert "data/prepared/EMNIST.npz" in proc.stdout                                # the paper runs on EMNIST


def test_quick_error_optim_and_double_descent_draw_the_computed_numbers(repo, standin_run):
    tmp_path = standin_run
    from pcrepro.plots.double_descent import dd_files, plot_steps
    from pcrepro.plots.error_optim import error_optim_files
    from pcrepro.studies import error_optim as eo

    quick = _quick_on_standins(repo, tmp_path, "error_optim", "double_descent")
    figures, results = tmp_path / "figures" / "quick", tmp_path / "results" / "quick"
    _assert_every_file_written(figures, error_optim_files(quick["error_optim"]), dd_files(quick["double_descent"]))
    # convergence: the drawn medians are the run's, and the annotated step counts follow from them
    grid = quick["error_optim"]
    with np.load(results / "error_optim" / f"{grid['dataset']}.npz") as r:
        assert str(r["source"]) == "synthetic stand-in"
        shown = pd.read_csv(figures / "eo_convergence" / f"{grid['dataset']}.csv")
        for layer in grid["plot_layers"]:
            for kind in ("error", "state"):
                s = shown[(shown["layer"] == layer) & (shown["method"] == kind)].sort_values("step")
                np.testing.assert_allclose(s["median"], r[f"{kind}_distance_quantiles"][1:, layer, 1], rtol=1e-12)
                median = np.r_[r[f"{kind}_distance_quantiles"][0, layer, 1], s["median"]]
                assert eo.steps_to_reach(median[:, None], grid["threshold"])[0] == r[f"{kind}_steps_to_threshold"][layer]
        # both relaxations end at the exact equilibrium they are measured against
        assert r["error_scores"].min() < 1e-6 and r["state_scores"].min() < 1e-3
        assert len(r["state_grad_norms"]) == grid["state_steps"] + 1
    # double descent: the theory figure overlays the network on the reduced dynamics, which agree
    with np.load(results / "double_descent" / "constant.npz") as r:
        shown = pd.read_csv(figures / "dd_theory" / "constant.csv")
        t = plot_steps(quick["double_descent"]["iterations"], quick["double_descent"]["plot_points"])
        np.testing.assert_allclose(shown["iteration"], t)
        np.testing.assert_allclose(shown["risk risk net"], r["net_risk"][t], rtol=1e-12)
        np.testing.assert_allclose(shown["risk risk reduced"], shown["risk risk net"], rtol=1e-8)
        assert float(r["reduced_gap"]) < 1e-9
        # the κ spectrum is intact: training singular values κ and 1
        np.testing.assert_allclose(np.linalg.svd(r["x_train"], compute_uv=False), [quick["double_descent"]["kappa"], 1.0],
                                   rtol=1e-12)


def test_quick_claims_table_has_every_claim_and_calls_no_stand_in_a_reproduction(repo, standin_run):
    """The claims of every study, judged on the results the tests above built (stand-in image data):
    each claim has a row; every one that rests on image data is "synthetic data"; the data-free
    findings are reproduced and the data-free checks hold."""
    proc = _snakemake(repo, standin_run, "claims", "--cores", "2", "--configfile", str(repo / "config.yaml"),
                      str(_standin_override(standin_run)), "--config", "preset=quick")
    table = pd.read_csv(standin_run / "results" / "quick" / "claims.csv")
    assert list(table["claim"]) == [c.id for c in CLAIMS]
    verdicts = dict(zip(table["claim"], table["verdict"]))
    # the claims whose results come from toy data, MNIST-1D (generated) or closed forms alone
    data_free = {"000.pc_escapes_origin_faster": REPRODUCED, "000.energy_strict_saddle": REPRODUCED,
                 "000.loss_hessian_zero_at_origin": HOLDS, "001.other_saddle_strict_for_energy": REPRODUCED,
                 "002.kappa_sp_orthogonal": HOLDS, "004.reduced_dynamics_exact": HOLDS,
                 "004.two_stage_learning": REPRODUCED, "004.epoch_wise_double_descent": REPRODUCED}
    assert {c: verdicts[c] for c in data_free} == data_free
    assert {verdicts[c.id] for c in CLAIMS if c.id not in data_free} == {SYNTHETIC}, verdicts
    kinds = dict(zip(table["claim"], table["kind"]))
    n_findings = sum(k == FINDING for k in kinds.values())
    free_findings = sum(kinds[c] == FINDING for c in data_free)
    summary = summary_line(table)
    assert summary.startswith(f"{free_findings} of {n_findings} findings reproduced")
    assert f"of {len(CLAIMS) - n_findings} checks hold" in summary
    assert f"Claims (results/quick/claims.csv): {summary}" in proc.stdout + proc.stderr
    records = json.loads((standin_run / "results" / "quick" / "claims.json").read_text())
    assert [r["claim"] for r in records] == list(table["claim"]) and all("values" in r for r in records)
    assert summary in (standin_run / "results" / "quick" / "claims.html").read_text()


# the jobs that compute results: none of them may run where a bundle holds their results
COMPUTE_RULES = {"train_cell", "aggregate", "select", "prepare_dataset", "prepare_mnist1d", "chains_depth", "dln_hessian_config",
                 "double_descent_simulate", "error_optim_compare", "mupc_activity_hessian_cell", "mupc_forward_pass_cell",
                 "mupc_energy_theory_phase", "mupc_energy_theory_width"}

# the compute jobs a cluster runs: each takes compute.threads CPUs (the others are local rules)
THREADED_RULES = COMPUTE_RULES - {"aggregate", "select", "prepare_dataset", "prepare_mnist1d"}


def test_every_compute_job_takes_the_configured_threads(repo, tmp_path):
    """compute.threads is the `threads:` of every job that computes results (what SLURM allocates);
    every local rule keeps one thread."""
    override = tmp_path / "threads.yaml"
    override.write_text("compute: {threads: 3}\n")
    planned = _snakemake(repo, tmp_path, "-n", "--forceall", "--cores", "4", "--configfile", str(repo / "config.yaml"),
                         str(override), "--config", "preset=quick").stdout
    jobs = re.findall(r"^(?:local)?rule (\w+):\n(.*?)(?:\n\n|\Z)", planned, re.M | re.S)
    threads = {}
    for rule, body in jobs:
        found = re.search(r"^\s+threads: (\d+)$", body, re.M)
        threads.setdefault(rule, set()).add(int(found.group(1)) if found else 1)
    assert THREADED_RULES <= set(threads), THREADED_RULES - set(threads)
    assert {rule: t for rule, t in threads.items() if t != ({3} if rule in THREADED_RULES else {1})} == {}


def test_a_bundle_rebuilds_every_figure_and_verdict_without_computing(repo, standin_run, tmp_path):
    """The quick run's results, bundled, used by a fresh working directory: no compute job is
    planned, and every figure's data (the CSV beside it) and the claims table come out identical."""
    from pcrepro.cli import main

    override = _standin_override(standin_run)
    _snakemake(repo, standin_run, "--cores", "2", "--configfile", str(repo / "config.yaml"), str(override),
               "--config", "preset=quick")  # every family, on the results the tests above computed
    bundle = tmp_path / "quick.zip"
    main(["bundle", "create", "--preset", "quick", "--results", str(standin_run / "results"), "--out", str(bundle)])
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    fresh_override = _standin_override(fresh)
    fresh_override.write_text(fresh_override.read_text() + f"results: {{bundle: {bundle}}}\n")
    args = ["--configfile", str(repo / "config.yaml"), str(fresh_override), "--config", "preset=quick"]
    planned = _snakemake(repo, fresh, "-n", "--cores", "2", *args).stdout
    rules = set(re.findall(r"^(?:local)?rule (\w+):", planned, re.M))
    assert rules and not rules & COMPUTE_RULES, rules & COMPUTE_RULES
    _snakemake(repo, fresh, "--cores", "2", *args)
    built = sorted(p.relative_to(standin_run) for p in (standin_run / "figures" / "quick").rglob("*.csv"))
    assert built
    for rel in built:
        pd.testing.assert_frame_equal(pd.read_csv(fresh / rel), pd.read_csv(standin_run / rel), obj=str(rel))
    pd.testing.assert_frame_equal(pd.read_csv(fresh / "results" / "quick" / "claims.csv"),
                                  pd.read_csv(standin_run / "results" / "quick" / "claims.csv"))


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_MNIST.exists(), reason="needs the real MNIST raw files in ../shared/datasets")
def test_changing_where_the_raw_files_come_from_reruns_nothing(repo, tmp_path):
    """The prepared dataset is identified by its content: made through a mirror, it is up to date
    for a config without the mirror (and with other retries / timeout)."""
    target = str(tmp_path / "data" / "prepared" / "MNIST.npz")
    routes = {"mirror": {"mirror": str(SHARED_MNIST.parents[1]), "download": False},
              "none": {"mirror": None, "download": False, "retries": 5, "timeout_s": 7}}
    files = {}
    for name, route in routes.items():
        files[name] = tmp_path / f"{name}.yaml"
        files[name].write_text(yaml.safe_dump({"data": {"cache_dir": str(tmp_path / "data"), **route}}))
    _snakemake(repo, tmp_path, target, "--cores", "1", "--configfile", str(repo / "config.yaml"), str(files["mirror"]))
    assert Path(target).stat().st_size > 10_000_000
    plan = _snakemake(repo, tmp_path, target, "-n", "--cores", "1", "--configfile", str(repo / "config.yaml"),
                      str(files["none"]))
    assert "Nothing to be done" in plan.stdout + plan.stderr, plan.stdout[-2000:]


def test_a_dataset_that_cannot_be_obtained_stops_the_run_before_any_job(repo, tmp_path):
    """No mirror, no download: the run ends at once with one message, the last thing printed, that
    names the dataset and the offline route; nothing is computed. A target that needs no image
    dataset runs as usual with the same config."""
    no_source = tmp_path / "no_source.yaml"
    no_source.write_text(yaml.safe_dump({"data": {"cache_dir": str(tmp_path / "data"), "mirror": None,
                                                  "download": False}}))
    cmd = [*SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--directory", str(tmp_path), "--cores", "2",
           "--configfile", str(repo / "config.yaml"), str(no_source)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    out = (proc.stdout + proc.stderr).rstrip()
    assert proc.returncode != 0
    assert out.count("dataset MNIST cannot be obtained") == 1, out[-3000:]
    assert out.splitlines()[-1].startswith("For tests and offline smoke runs only"), out[-3000:]
    assert "downloading is off (data.download: false)" in out and "--configfile config.yaml offline.yaml" in out
    assert not (tmp_path / "results").exists() and not (tmp_path / "data" / "prepared").exists()
    _snakemake(repo, tmp_path, "results/quick/double_descent/constant.npz", "--cores", "1",
               "--configfile", str(repo / "config.yaml"), str(no_source))
    assert (tmp_path / "results" / "quick" / "double_descent" / "constant.npz").stat().st_size > 0


def test_a_corrupt_prepared_dataset_stops_the_run_and_keeps_the_tables_made_from_it(repo, tmp_path):
    """A truncated MNIST.npz, newer than a cell's table, makes Snakemake plan that cell again; the
    run stops before any job, so the table Snakemake would delete before a doomed job stays."""
    override = _standin_override(tmp_path)
    table = tmp_path / "results/quick/mupc_sweeps/runs/MNIST_relu_N64_H8_mupc_skips_standard_gauss_pc_T8_gd-adam_B64_e1.parquet"
    table.parent.mkdir(parents=True)
    table.write_bytes(b"the finished table of an earlier run")
    prepared = tmp_path / "data/prepared/MNIST.npz"
    prepared.parent.mkdir(parents=True)
    prepared.write_bytes(b"PK\x03\x04 truncated")
    args = [str(table.relative_to(tmp_path)), "--cores", "1", "--configfile", str(repo / "config.yaml"), str(override)]
    assert "train_cell" in _snakemake(repo, tmp_path, *args, "-n").stdout  # the cell is planned again
    proc = subprocess.run([*SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--directory", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert f"prepared dataset {prepared} cannot be read" in proc.stdout + proc.stderr
    assert table.read_bytes() == b"the finished table of an earlier run"
