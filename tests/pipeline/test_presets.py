"""What each preset must hold, stated as properties rather than as a frozen copy.

- ``paper`` runs the notebooks' grids: the values below are read from the seed notebooks, each
  with the cell it comes from, and any edit of the paper preset that departs from them fails here.
- ``quick`` (and any other named preset) is an overlay of ``paper``: the same studies and keys,
  smaller grids (fewer run-steps in every training study), and nothing added but what its claims
  need (``mupc_hp_transfer.deep``, the depths the depth claim reads beyond the figure's sweep).
"""

from pathlib import Path

import pytest
import yaml

from pcrepro.pipeline.budget import paper_budget
from pcrepro.pipeline.config import preset_config
from pcrepro.studies.mupc_training import transfer_interval

CONFIG = yaml.safe_load((Path(__file__).resolve().parents[2] / "config.yaml").read_text())

# (study, key path, the notebook's value, where it comes from)
PAPER_FROM_SEEDS = [
    ("mupc_hp_transfer", "act_fns", ["linear", "tanh", "relu"], "002, 'Hyperparameter transfer' cells: act_fns"),
    ("mupc_hp_transfer", "width_sweep.widths", [64, 128, 256, 512, 1024], "002, width cell: 2**i for i in 6..10"),
    ("mupc_hp_transfer", "width_sweep.n_hidden", 8, "002, width cell: n_hidden = 8"),
    ("mupc_hp_transfer", "width_sweep.test_every", 300, "002, width cell: test_every = 300"),
    ("mupc_hp_transfer", "depth_sweep.n_hiddens", [8, 16, 32, 64, 128], "002, depth cell: 2**i for i in 3..7"),
    ("mupc_hp_transfer", "depth_sweep.width", 512, "002, depth cell: width = 512"),
    ("mupc_hp_transfer", "depth_sweep.test_every", 100, "002, depth cell: test_every = 100"),
    ("mupc_hp_transfer", "n_infer_steps", "depth", "002, depth cell: max_infer_iters = n_hidden"),
    ("mupc_hp_transfer", "weight_lrs", [0.5, 0.1, 0.05, 0.01], "002, transfer cells: param_lrs"),
    ("mupc_hp_transfer", "activity_lrs", [1000, 500, 100, 50, 10, 5, 1, 0.5, 0.1, 0.05, 0.01],
     "002, transfer cells: activity_lrs"),
    ("mupc_hp_transfer", "seeds", [0, 1, 2], "002, transfer cells: n_seeds = 3"),
    ("mupc_hp_transfer", "batch_size", 64, "002, transfer cells: batch_size = 64"),
    ("mupc_hp_transfer", "epochs", 1, "002, transfer cells: max_epochs = 1"),
    ("mupc_hp_transfer", "skips", True, "002, transfer cells: use_skips = True"),
    ("mupc_hp_transfer", "weight_optim", "adam", "002, transfer cells: param_optim_id = 'adam'"),
    ("mupc_hp_transfer", "activity_optim", "gd", "002, transfer cells: activity_optim_id = 'gd'"),
    ("mupc_hp_transfer", "dtype", "float64", "jpc 20e91f3, experiments/mupc_paper/train_pcn_no_metrics.py"),
    ("mupc_sweeps", "dtype", "float64", "jpc 20e91f3, experiments/mupc_paper/train_pcn_no_metrics.py"),
    ("mupc_long_runs", "dtype", "float64", "jpc 20e91f3, experiments/mupc_paper/train_pcn_no_metrics.py"),
    ("mupc_pc_sweeps", "n_hiddens", [8, 16, 32], "002, 'PC' sections: n_hiddens = [8, 16, 32]"),
    ("mupc_pc_sweeps", "test_every", 100, "002, 'PC' sections: test_every = 100"),
    ("mupc_pc_sweeps", "seeds", [0, 1, 2], "002, 'PC' sections: n_seeds = 3"),
]

# keys a smaller preset may add to paper's: the depth claim's extra depths on a small lr grid
MAY_ADD = {"mupc_hp_transfer": {"deep"}}
TRAINING_STUDIES = ("mupc_sweeps", "mupc_pc_sweeps", "mupc_activity_decay", "mupc_bp_baseline", "mupc_long_runs",
                    "mupc_hp_transfer", "mupc_vs_pc_vs_bp")


def _at(grid: dict, path: str):
    for key in path.split("."):
        grid = grid[key]
    return grid


@pytest.mark.parametrize("study, path, value, source", PAPER_FROM_SEEDS, ids=lambda v: v if isinstance(v, str) else "")
def test_the_paper_preset_runs_the_notebooks_grid(study, path, value, source):
    assert _at(preset_config(CONFIG, "paper")[study], path) == value, f"paper {study}.{path} must be {value} ({source})"


def _keys(grid: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in grid.items():
        out.add(prefix + key)
        if isinstance(value, dict):
            out |= _keys(value, f"{prefix}{key}.")
    return out


def _smaller_presets() -> list[str]:
    return [name for name in CONFIG["presets"] if name != "paper"]


@pytest.mark.parametrize("preset", _smaller_presets())
def test_a_smaller_preset_keeps_papers_studies_and_keys(preset):
    paper, small = preset_config(CONFIG, "paper"), preset_config(CONFIG, preset)
    assert sorted(small) == sorted(paper)
    for study in paper:
        added = {k for k in _keys(small[study]) - _keys(paper[study])
                 if k.split(".")[0] not in MAY_ADD.get(study, set())}
        assert not added, f"{preset}.{study} adds {sorted(added)}, which paper does not have"
        assert _keys(paper[study]) <= _keys(small[study]), f"{preset}.{study} drops a key of paper"


@pytest.mark.parametrize("preset", _smaller_presets())
def test_a_smaller_preset_trains_less_in_every_study(preset):
    paper = paper_budget(preset_config(CONFIG, "paper")).set_index("study")
    small = paper_budget(preset_config(CONFIG, preset)).set_index("study")
    for study in TRAINING_STUDIES:
        assert small.loc[study, "run_epochs"] <= paper.loc[study, "run_epochs"], study
        assert small.loc[study, "gpu_hours"] < paper.loc[study, "gpu_hours"], study


def test_a_transfer_sweep_evaluates_at_its_own_interval_else_the_studys():
    grid = {"test_every": 7, "width_sweep": {"test_every": 300}, "depth_sweep": {}}
    assert (transfer_interval(grid, "width_sweep"), transfer_interval(grid, "depth_sweep"),
            transfer_interval(grid, "extra")) == (300, 7, 7)
