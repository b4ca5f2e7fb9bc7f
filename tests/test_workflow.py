"""The workflow itself: DAG sizes, and a quick-preset run end to end on synthetic stand-ins."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def _snakemake(repo: Path, workdir: Path, *args: str, timeout: int = 1500) -> subprocess.CompletedProcess:
    cmd = [*SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--directory", str(workdir), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
    return proc


def _job_count(output: str) -> int:
    return int(re.search(r"^total\s+(\d+)", output, re.M).group(1))


def test_paper_preset_dag_builds_and_stays_small(repo, tmp_path):
    proc = _snakemake(repo, tmp_path, "-n", "--cores", "1", "--config", "preset=paper")
    total = _job_count(proc.stdout)
    # 3 activations x (5 depths + 4 further widths) cells + data + aggregate/select/figures/targets
    assert re.search(r"^train_cell\s+27$", proc.stdout, re.M), proc.stdout[-2000:]
    assert total < 10_000


def test_misspelt_config_key_stops_the_workflow_naming_it(repo, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("data:\n  mirrror: /somewhere\n")
    cmd = [*SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--directory", str(tmp_path), "-n",
           "--configfile", str(repo / "config.yaml"), str(bad)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "unknown config key data.mirrror" in proc.stdout + proc.stderr


@pytest.mark.workflow
def test_quick_preset_on_standins_builds_mupc_sweeps_with_real_content(repo, tmp_path):
    override = tmp_path / "standin.yaml"
    override.write_text(yaml.safe_dump({"data": {"cache_dir": str(tmp_path / "data"), "mirror": None,
                                                 "download": False, "synthetic_standin": True}}))
    _snakemake(repo, tmp_path, "mupc_sweeps", "--cores", "2", "--configfile", str(repo / "config.yaml"),
               str(override), "--config", "preset=quick")
    quick = yaml.safe_load((repo / "config.yaml").read_text())["presets"]["quick"]["mupc_sweeps"]
    figures = tmp_path / "figures" / "quick" / "mupc_sweeps"
    table = pd.read_parquet(tmp_path / "results" / "quick" / "mupc_sweeps" / "runs.parquet")
    assert (table["data_source"] == "synthetic stand-in").all()
    n_cells = len(quick["act_fns"]) * 3  # (N=32: H 2, 4) + (N=16: H 2)
    n_runs = len(quick["seeds"]) * len(quick["activity_lrs"])
    assert table["cell"].nunique() == n_cells
    assert len(table) == n_cells * n_runs * (quick["max_steps_per_epoch"] // quick["test_every"])

    selection = pd.read_csv(tmp_path / "results" / "quick" / "mupc_sweeps" / "selection.csv")
    assert selection.groupby("act_fn")["selected"].sum().tolist() == [1, 1, 1]
    for act in quick["act_fns"]:
        # the lr-sweep figure shows one curve per activity lr, and its data are the table's means
        for n_hidden in quick["depth_sweep"]["n_hiddens"]:
            shown = pd.read_csv(figures / f"test_accs_muPC_{act}_{n_hidden}_n_hidden.csv")
            assert (figures / f"test_accs_muPC_{act}_{n_hidden}_n_hidden.pdf").stat().st_size > 5000
            assert sorted(shown["activity_lr"].unique()) == sorted(quick["activity_lrs"])
            last = shown[shown["step"] == shown["step"].max()].set_index("activity_lr")["mean"]
            cell = table[(table["act_fn"] == act) & (table["n_hidden"] == n_hidden) & (table["width"] == 32)]
            final = cell[cell["step"] == cell["step"].max()]
            expected = final.assign(acc=final["test_acc"].fillna(10.0)).groupby("activity_lr")["acc"].mean()
            pd.testing.assert_series_equal(last.sort_index(), expected.sort_index(), check_names=False)
        # the best-lr depth figure uses the selected lr, and the nets learned far above chance
        best_lr = selection[(selection["act_fn"] == act) & selection["selected"]]["activity_lr"].item()
        depth = pd.read_csv(figures / f"best_test_accs_depth_muP_{act}.csv")
        assert set(depth["activity_lr"]) == {best_lr}
        assert sorted(depth["n_hidden"].unique()) == quick["depth_sweep"]["n_hiddens"]
        assert depth.groupby("n_hidden")["mean"].last().min() > 30.0
        width = pd.read_csv(figures / f"best_test_accs_width_muP_{act}.csv")
        assert sorted(width["width"].unique()) == quick["width_sweep"]["widths"]


def test_paper_preset_has_one_job_per_chain_depth_and_dln_configuration(repo, tmp_path):
    proc = _snakemake(repo, tmp_path, "chains", "dln_hessian", "-n", "--cores", "1", "--config", "preset=paper")
    assert re.search(r"^chains_depth\s+4$", proc.stdout, re.M), proc.stdout[-2000:]  # H = 1, 2, 5, 10
    # toy, MNIST, MNIST-1D x 4 depths at the origin + the other saddle at H = 3, 4
    assert re.search(r"^dln_config\s+18$", proc.stdout, re.M), proc.stdout[-2000:]


@pytest.mark.workflow
def test_quick_chains_and_dln_hessian_write_every_declared_file_with_the_computed_numbers(repo, tmp_path):
    from PIL import Image

    from pcrepro.dln import dln_configs
    from pcrepro.plots.chains import chains_files
    from pcrepro.plots.dln import dln_files

    override = tmp_path / "standin.yaml"
    override.write_text(yaml.safe_dump({"data": {"cache_dir": str(tmp_path / "data"), "mirror": None,
                                                 "download": False, "synthetic_standin": True}}))
    _snakemake(repo, tmp_path, "chains", "dln_hessian", "--cores", "2", "--configfile", str(repo / "config.yaml"),
               str(override), "--config", "preset=quick")
    quick = yaml.safe_load((repo / "config.yaml").read_text())["presets"]["quick"]
    figures, results = tmp_path / "figures" / "quick", tmp_path / "results" / "quick"
    for files in [*chains_files(quick["chains"]).values(), *dln_files(quick["dln_hessian"]).values()]:
        for f in files:
            assert (figures / f).stat().st_size > 2000, f
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
