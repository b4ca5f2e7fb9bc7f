"""Seed 002's depth claim at the quick preset, on the real MNIST: the quick grid's deepest μPC and
standard-PC cells are trained as the workflow trains them, selected as it selects, and judged."""

import pandas as pd
import pytest
import yaml
from conftest import SHARED_MNIST

from pcrepro.claims import CLAIMS, REPRODUCED, evaluate
from pcrepro.data import FetchOptions, prepare_image_dataset
from pcrepro.pipeline.cells import training_cells
from pcrepro.pipeline.config import preset_config
from pcrepro.pipeline.results import select_best
from pcrepro.pipeline.runner import run_cell

DEPTH_CLAIM = next(c for c in CLAIMS if c.id == "002.mupc_trains_deep_pc_fails")


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_MNIST.exists(), reason=f"real MNIST files not found at {SHARED_MNIST}")
def test_quick_deep_cells_on_real_mnist_reproduce_the_depth_claim(repo, tmp_path):
    config = {**yaml.safe_load((repo / "config.yaml").read_text()), "preset": "quick"}
    grids = preset_config(config)
    transfer = grids["mupc_hp_transfer"]
    deepest, width = max(transfer["depth_sweep"]["n_hiddens"]), transfer["depth_sweep"]["width"]
    assert deepest >= 32  # the quick grid reaches the depth where standard PC is claimed to fail

    dataset = tmp_path / "MNIST.npz"
    prepare_image_dataset("MNIST", dataset, tmp_path / "raw",
                          FetchOptions(mirror=str(SHARED_MNIST.parents[1]), download=False))
    cells = [c for c in training_cells("mupc_hp_transfer", config).values()
             if c["net"]["n_hidden"] == deepest and c["net"]["width"] == width]
    assert sorted(c["net"]["param_type"] for c in cells) == ["mupc", "sp"]
    runs = pd.concat([run_cell(c, dataset, log=None) for c in cells], ignore_index=True)
    rule = config["selection"]
    selection = select_best(runs, transfer["select_by"], ["weight_lr", "activity_lr"], statistic=rule["statistic"],
                            stopped_run_score=rule["stopped_run_score"], tie_tolerance=rule["tie_tolerance"])
    results = tmp_path / "results"
    (results / "mupc_hp_transfer").mkdir(parents=True)
    selection.to_csv(results / "mupc_hp_transfer" / "selection.csv", index=False)
    runs.to_parquet(results / "mupc_hp_transfer" / "runs.parquet")

    row = evaluate([DEPTH_CLAIM], results, grids, "quick").iloc[0]
    assert row["verdict"] == REPRODUCED, row["measured"]
    assert row["values"]["mupc_acc"] >= 50 and row["values"]["sp_acc"] <= 20
