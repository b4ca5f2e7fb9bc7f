"""benchmarks/gpu_check.py end to end at toy sizes on the CPU, so that its GPU windows cannot fail
on a typo: every item is written, the numerics items hold on the CPU, each claim is judged by the
registry on its slice's tables, and a second window finishes from the first window's tables."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pcrepro.data import FetchOptions, prepare_image_dataset

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "gpu_check.py"
FIRST_WINDOW = ["zeros", "step", "accuracy", "deep"]
SECOND_WINDOW = ["bp_128", "width_transfer", "depth_transfer", "pc_depth"]


def _check(tmp_path, dataset, items, tables, out):
    return subprocess.run([sys.executable, str(SCRIPT), "--toy", "--dataset", str(dataset), "--items", *items,
                           "--tables", str(tables), "--out", str(out)],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)


@pytest.mark.slow
def test_gpu_check_runs_every_item_at_toy_sizes_in_two_windows(tmp_path):
    dataset = tmp_path / "MNIST.npz"
    prepare_image_dataset("MNIST", dataset, tmp_path / "raw", FetchOptions(download=False, log=lambda m: None),
                          synthetic_standin_allowed=True)
    tables, out = tmp_path / "tables", tmp_path / "check.jsonl"
    lonely = _check(tmp_path, dataset, ["bp_128"], tmp_path / "empty", tmp_path / "x.jsonl")
    assert lonely.returncode != 0 and "run --items deep first" in lonely.stderr
    first = _check(tmp_path, dataset, FIRST_WINDOW, tables, out)
    assert first.returncode == 0, first.stderr[-4000:]
    second = _check(tmp_path, dataset, ["deep", *SECOND_WINDOW], tables, out)  # deep: read back, not retrained
    assert second.returncode == 0, second.stderr[-4000:]
    assert second.stdout.count("table read back") == 2
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(r["device"] and r["jax"] and r["date"] for r in records)
    by_item = {}
    for r in records:
        by_item.setdefault(r["item"], []).append(r)
    # on the CPU: highest and BF16_BF16_F32_X6 (no TF32), each with and without the error front
    zeros = by_item["zeros"]
    assert [(z["matmul_precision"], z["error_front"]) for z in zeros] == [
        ("highest", False), ("highest", True), ("BF16_BF16_F32_X6", False), ("BF16_BF16_F32_X6", True)]
    assert all(z["exact"] and z["hidden_layers_moved"] == [1, 2, 3, 4] for z in zeros)  # H = 6, T = 4
    assert [(s["matmul_precision"], s["error_front"]) for s in by_item["step"]] == [
        ("highest", True), ("BF16_BF16_F32_X6", True), ("highest", False)]
    assert all(s["runs"] == 2 and s["ms_per_batch"] > 0 for s in by_item["step"])
    reference, candidate = by_item["accuracy"]
    assert reference["matmul_precision"] == "highest" and candidate["matmul_precision"] == "BF16_BF16_F32_X6"
    assert 0 < reference["max_abs_loss_diff_to_float64"] < 1e-2 and candidate["deep_steps"] == 20
    # one line per trained cell, then the claims of the item, judged on the slice
    cells = {item: [r for r in rows if "cell" in r and "claim" not in r] for item, rows in by_item.items()}
    assert {item: len(c) for item, c in cells.items() if c} == {
        "deep": 2, "bp_128": 2, "width_transfer": 6, "depth_transfer": 6, "pc_depth": 6}
    mupc, sp = cells["deep"]
    assert mupc["runs"] == 3 and mupc["run_steps_trained"] == 3 * 20 and sp["runs"] == 12
    assert all(c["runs"] == 4 * 5 * 2 for c in cells["width_transfer"] + cells["depth_transfer"])
    claims = {r["claim"]: r for r in records if "claim" in r}
    assert sorted(claims) == ["002.mupc_close_to_bp_at_depth_128", "002.mupc_depth_transfer",
                              "002.mupc_trains_deep_pc_fails", "002.mupc_width_transfer", "002.pc_degrades_with_depth",
                              "002.pc_kappa_grows"]
    assert all(r["slice"] and r["rule"] for r in claims.values())
    # a stand-in reproduces nothing, whatever the numbers (the measurements are tested on hand-made tables)
    assert {r["verdict"] for r in claims.values()} == {"synthetic data"}


def test_gpu_check_plan_names_every_claim_slice_and_its_estimate():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--plan"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for item in ("deep", "bp_128", "width_transfer", "depth_transfer", "pc_depth"):
        assert f"{item}: " in proc.stdout
    assert proc.stdout.count("slice: ") == 5 and "H ∈ [8, 16, 32]" in proc.stdout


def test_gpu_check_without_a_dataset_says_how_to_give_one(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--toy", "--items", "deep", "--out", str(tmp_path / "x.jsonl")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "give --dataset <MNIST.npz> or --mirror" in proc.stderr
