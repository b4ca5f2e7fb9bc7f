"""Grid expansion: a study's config → its cells (one Snakemake job each).

Static keys (shapes, code paths) make a cell; vmapped keys (seed, learning
rates, decay) are the cell's runs. A cell is a plain JSON-able dict, so the
workflow can pass it to a job as ``params`` and a change of any value reruns
exactly the jobs it touches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from .data import load_prepared
from .nets import NetSpec
from .train import TrainSpec, run_grid, train_cell

INPUT_DIMS = {"MNIST": 784, "FashionMNIST": 784, "EMNIST": 784, "MNIST-1D": 40}
STATIC_COLUMNS = ("dataset", "act_fn", "width", "n_hidden", "param_type", "skips", "init", "algorithm",
                  "n_infer_steps", "activity_optim", "weight_optim", "batch_size", "epochs")


def cell_id(cell: dict) -> str:
    """A readable file name made of the static keys only."""
    net, tr = cell["net"], cell["train"]
    return (
        f"{cell['dataset']}_{net['act_fn']}_N{net['width']}_H{net['n_hidden']}_{net['param_type']}"
        f"_{'skips' if net['skips'] else 'noskips'}_{net['init']}_{tr['algorithm']}_T{tr['n_infer_steps']}"
        f"_{tr['activity_optim']}-{tr['weight_optim']}_B{tr['batch_size']}_e{tr['epochs']}"
    )


def _infer_steps(setting, n_hidden: int) -> int:
    return n_hidden if setting == "depth" else int(setting)


def pc_cell(study: str, dataset: str, cfg: dict, *, width: int, n_hidden: int, act_fn: str, skips: bool,
            init: str, activity_optim: str, record_condition_number: bool = False,
            labels: dict | None = None, algorithm: str = "pc") -> dict:
    """One training cell from a study's config (``cfg`` supplies the shared keys: param_type,
    n_infer_steps, weight_optim, batch_size, epochs, max_steps_per_epoch, test_every,
    test_subset, and the vmapped seeds / activity_lrs / weight_lrs / activity_decays).
    ``labels`` become columns of the cell's table (e.g. the variant of a sweep). For BP the
    activity keys are placeholders (T = 1, lr 0, decay 0): BP cells never read them."""
    return {
        "study": study,
        "dataset": dataset,
        "scaling": "standardise",
        "test_subset": cfg.get("test_subset"),
        "labels": labels or {},
        "net": {"input_dim": INPUT_DIMS[dataset], "width": width, "n_hidden": n_hidden, "output_dim": 10,
                "act_fn": act_fn, "param_type": cfg["param_type"], "skips": skips, "init": init},
        "train": {"algorithm": algorithm, "n_infer_steps": _infer_steps(cfg["n_infer_steps"], n_hidden),
                  "activity_optim": activity_optim, "weight_optim": cfg["weight_optim"],
                  "batch_size": cfg["batch_size"], "epochs": cfg["epochs"],
                  "max_steps_per_epoch": cfg.get("max_steps_per_epoch"), "test_every": cfg["test_every"],
                  "record_condition_number": record_condition_number},
        "runs": {"seeds": cfg["seeds"], "activity_lrs": cfg["activity_lrs"], "weight_lrs": cfg["weight_lrs"],
                 "activity_decays": cfg["activity_decays"]},
    }


def mupc_sweeps_cells(cfg: dict, study: str = "mupc_sweeps") -> dict[str, dict]:
    """μPC activity-lr sweeps: the depth sweep at fixed width and the width sweep at fixed depth.

    Every cell runs the full activity-lr grid (vmapped), so that "best" curves
    at any width or depth can be read from the selection table.
    """
    shapes = {(cfg["depth_sweep"]["width"], h) for h in cfg["depth_sweep"]["n_hiddens"]}
    shapes |= {(n, cfg["width_sweep"]["n_hidden"]) for n in cfg["width_sweep"]["widths"]}
    # κ(H_z) during training for these depths at the depth-sweep width (seed 002's condition numbers)
    conditioned = {(cfg["depth_sweep"]["width"], h) for h in cfg.get("condition_numbers", {}).get("n_hiddens", [])}
    missing = conditioned - shapes
    if missing:
        raise ValueError(f"{study}.condition_numbers.n_hiddens: {sorted(h for _, h in missing)} "
                         f"not among depth_sweep.n_hiddens {cfg['depth_sweep']['n_hiddens']}")
    cells = {}
    for act in cfg["act_fns"]:
        for width, n_hidden in sorted(shapes):
            cell = pc_cell(study, cfg["dataset"], cfg, width=width, n_hidden=n_hidden, act_fn=act,
                           skips=cfg["skips"], init=cfg["init"], activity_optim=cfg["activity_optim"],
                           record_condition_number=(width, n_hidden) in conditioned)
            cells[cell_id(cell)] = cell
    return cells


def variant_depths(variant: dict, act_fn: str, default) -> list[int]:
    """A variant's depths: its own list (or per-activation lists), else the study's."""
    depths = variant.get("n_hiddens", default)
    return depths[act_fn] if isinstance(depths, dict) else depths


def mupc_pc_sweeps_cells(cfg: dict, study: str = "mupc_pc_sweeps") -> dict[str, dict]:
    """Standard-PC activity-lr sweeps (seed 002's "PC" sections): per dataset, variant
    (activity optimiser, skips, init), activation and depth; every cell records κ(H_z)."""
    cells = {}
    for dataset in cfg["datasets"]:
        for name, variant in cfg["variants"].items():
            for act in cfg["act_fns"]:
                for n_hidden in variant_depths(variant, act, cfg["n_hiddens"]):
                    cell = pc_cell(study, dataset, cfg, width=cfg["width"], n_hidden=n_hidden, act_fn=act,
                                   skips=variant["skips"], init=variant["init"],
                                   activity_optim=variant["activity_optim"],
                                   record_condition_number=cfg["condition_numbers"], labels={"variant": name})
                    cells[cell_id(cell)] = cell
    return cells


def mupc_activity_decay_cells(cfg: dict, study: str = "mupc_activity_decay") -> dict[str, dict]:
    """One standard-PC cell whose runs cross seeds x activity lrs x activity decays (all vmapped)."""
    cell = pc_cell(study, cfg["dataset"], cfg, width=cfg["width"], n_hidden=cfg["n_hidden"], act_fn=cfg["act_fn"],
                   skips=cfg["skips"], init=cfg["init"], activity_optim=cfg["activity_optim"])
    return {cell_id(cell): cell}


def mupc_bp_baseline_cells(cfg: dict, study: str = "mupc_bp_baseline") -> dict[str, dict]:
    """BP with Depth-μP: a weight-lr sweep (vmapped) per (dataset, epochs, activation)."""
    cells = {}
    for block in cfg["blocks"]:
        shared = {**cfg, "epochs": block["epochs"], "test_every": block["test_every"], "n_infer_steps": 1,
                  "activity_lrs": [0.0], "activity_decays": [0.0]}
        for act in block["act_fns"]:
            cell = pc_cell(study, block["dataset"], shared, width=cfg["width"], n_hidden=cfg["n_hidden"], act_fn=act,
                           skips=cfg["skips"], init=cfg["init"], activity_optim="gd", algorithm="bp")
            cells[cell_id(cell)] = cell
    return cells


def mupc_long_runs_cells(cfg: dict, study: str = "mupc_long_runs") -> dict[str, dict]:
    """Long μPC runs: one cell per block (dataset, epochs, evaluation period, weight lr, seeds)."""
    cells = {}
    for block in cfg["blocks"]:
        shared = {**cfg, "epochs": block["epochs"], "test_every": block["test_every"],
                  "weight_lrs": [block["weight_lr"]], "seeds": block["seeds"]}
        cell = pc_cell(study, block["dataset"], shared, width=cfg["width"], n_hidden=cfg["n_hidden"],
                       act_fn=cfg["act_fn"], skips=cfg["skips"], init=cfg["init"],
                       activity_optim=cfg["activity_optim"])
        cells[cell_id(cell)] = cell
    return cells


def train_spec(cell: dict) -> TrainSpec:
    return TrainSpec(net=NetSpec(**cell["net"]), **cell["train"])


def run_cell(cell: dict, dataset_path: str | Path, *, max_runs_per_program: int = 16,
             log: Callable[[str], None] | None = print) -> pd.DataFrame:
    """Train one cell on a prepared dataset; the tidy table with its static keys as columns."""
    data = load_prepared(Path(dataset_path), cell["scaling"], test_subset=cell.get("test_subset"))
    r = cell["runs"]
    runs = run_grid(r["seeds"], r["activity_lrs"], r["weight_lrs"], r["activity_decays"])
    cid = cell_id(cell)
    table = train_cell(train_spec(cell), runs, data, max_runs_per_program=max_runs_per_program,
                       log=log, label=cid)
    static = {**cell["net"], **cell["train"], "dataset": cell["dataset"]}
    for key in STATIC_COLUMNS:
        table[key] = static[key]
    for key, value in cell.get("labels", {}).items():
        table[key] = value
    table["study"] = cell["study"]
    table["cell"] = cid
    table["data_source"] = data.source
    return table


# Training studies whose cells go through the generic train_cell rule.
STUDY_CELLS = {"mupc_sweeps": mupc_sweeps_cells, "mupc_pc_sweeps": mupc_pc_sweeps_cells,
               "mupc_activity_decay": mupc_activity_decay_cells, "mupc_bp_baseline": mupc_bp_baseline_cells,
               "mupc_long_runs": mupc_long_runs_cells}
