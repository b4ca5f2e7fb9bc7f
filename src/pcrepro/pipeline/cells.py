"""Training cells: a study's networks (:mod:`pcrepro.studies.mupc_training`) → jobs.

A cell is one static network and code path (one Snakemake job); its vmapped keys (seed,
learning rates, decay) are the cell's runs. A cell is a plain JSON-able dict, so the
workflow can pass it to a job as ``params`` and a change of any value reruns
exactly the jobs it touches. This module holds what every training study shares: the cell's
layout and name, its runs, and the settings it takes from outside its study.
"""

from __future__ import annotations

import math

import pandas as pd

from pcrepro.core.nets import NetSpec, resolve_init_gain
from pcrepro.core.training import TrainSpec
from pcrepro.data import REFERENCE_NORMALISATION
from pcrepro.studies.mupc_training import STUDIES, CellSpec

from .config import dataset_normalisation, preset_config
from .results import rows_where

INPUT_DIMS = {"MNIST": 784, "FashionMNIST": 784, "EMNIST": 784, "MNIST-1D": 40}
STATIC_COLUMNS = ("dataset", "act_fn", "width", "n_hidden", "param_type", "skips", "init", "algorithm",
                  "n_infer_steps", "activity_optim", "weight_optim", "batch_size", "epochs", "test_every")


def cell_id(cell: dict) -> str:
    """A readable file name made of the static keys only."""
    net, tr = cell["net"], cell["train"]
    # settings that are usually at their default are named only when they are not
    extras = "".join([
        f"_gain{net['init_gain']:g}" if net.get("init_gain", 1.0) != 1.0 else "",
        "_f64" if tr.get("dtype", "float32") == "float64" else "",
        f"_every{tr['test_every']}" if cell.get("interval_in_id") else "",
    ])
    return (
        f"{cell['dataset']}_{net['act_fn']}_N{net['width']}_H{net['n_hidden']}_{net['param_type']}"
        f"_{'skips' if net['skips'] else 'noskips'}_{net['init']}_{tr['algorithm']}_T{tr['n_infer_steps']}"
        f"_{tr['activity_optim']}-{tr['weight_optim']}_B{tr['batch_size']}_e{tr['epochs']}{extras}"
    )


def _infer_steps(setting, n_hidden: int) -> int:
    return n_hidden if setting == "depth" else int(setting)


# a run's hyperparameter -> the cell's list of its values
RUN_GRID_KEYS = {"seed": "seeds", "activity_lr": "activity_lrs", "weight_lr": "weight_lrs",
                 "activity_decay": "activity_decays"}


def cell_from_spec(study: str, spec: CellSpec) -> dict:
    """The job description of one of ``study``'s cells. The input normalisation and the precision
    start at the reference's (:data:`REFERENCE_NORMALISATION`, float32); :func:`training_cells`
    sets them from the config. An lr that ``spec.lrs_from`` names is left open (None) until the
    cell runs (:func:`resolve_selected_lrs`); the grid's value for it is ignored."""
    cfg = spec.grid
    runs = {key: cfg[key] for key in RUN_GRID_KEYS.values()}
    if spec.lrs_from:
        runs.update({RUN_GRID_KEYS[key]: None for key in spec.lrs_from["keys"]}, lrs_from=dict(spec.lrs_from))
    cell = {
        "study": study,
        "dataset": spec.dataset,
        "normalisation": REFERENCE_NORMALISATION.get(spec.dataset),
        "test_subset": cfg.get("test_subset"),
        "labels": dict(spec.labels or {}),
        "net": {"input_dim": INPUT_DIMS[spec.dataset], "width": spec.width, "n_hidden": spec.n_hidden,
                "output_dim": 10, "act_fn": spec.act_fn, "param_type": cfg["param_type"], "skips": spec.skips,
                "init": spec.init,
                "init_gain": resolve_init_gain(cfg.get("init_gain", "reference"), spec.init, spec.act_fn)},
        "train": {"algorithm": spec.algorithm, "n_infer_steps": _infer_steps(cfg["n_infer_steps"], spec.n_hidden),
                  "activity_optim": spec.activity_optim, "weight_optim": cfg["weight_optim"],
                  "batch_size": cfg["batch_size"], "epochs": cfg["epochs"],
                  "max_steps_per_epoch": cfg.get("max_steps_per_epoch"), "test_every": cfg["test_every"],
                  "record_condition_number": spec.record_condition_number, "dtype": "float32"},
        "runs": runs,
    }
    return {**cell, "interval_in_id": True} if spec.interval_in_id else cell


def resolve_selected_lrs(cell: dict, selection: pd.DataFrame) -> dict:
    """The cell with the lrs its ``runs.lrs_from`` names filled in from ``selection`` (the
    selection table of that sweep): the selected row of the group ``where``."""
    source = cell["runs"].get("lrs_from")
    if not source:
        return cell
    missing = [key for key in source["where"] if key not in selection]
    if missing:
        raise ValueError(f"selection of {source['study']} has no column {missing[0]!r} (cell {cell_id(cell)})")
    rows = rows_where(selection[selection["selected"]], **source["where"])
    if len(rows) != 1:
        raise ValueError(f"cell {cell_id(cell)}: expected one selected row of {source['study']} where "
                         f"{source['where']}, found {len(rows)}")
    runs = {**cell["runs"], **{RUN_GRID_KEYS[key]: [float(rows[key].iloc[0])] for key in source["keys"]}}
    return {**cell, "runs": runs}


def n_runs(cell: dict) -> int:
    """Runs of a cell (an lr taken from a selection counts once)."""
    r = cell["runs"]
    return math.prod(len(r[k]) if r[k] is not None else 1 for k in RUN_GRID_KEYS.values())


def study_cells(study: str, grids: dict) -> dict[str, dict]:
    """A training study's cells by name, from every study's grid (a preset's, merged)."""
    return {cell_id(c): c for c in (cell_from_spec(study, spec) for spec in STUDIES[study](grids))}


def run_grid(seeds, activity_lrs, weight_lrs, activity_decays) -> list[dict]:
    """The runs of a cell: the Cartesian product of its vmapped values."""
    return [
        {"seed": s, "activity_lr": a, "weight_lr": w, "activity_decay": d}
        for s in seeds
        for a in activity_lrs
        for w in weight_lrs
        for d in activity_decays
    ]


def train_spec(cell: dict) -> TrainSpec:
    return TrainSpec(net=NetSpec(**cell["net"]), **cell["train"])


def training_cells(study: str, config: dict) -> dict[str, dict]:
    """A training study's cells from the whole config: its preset grid, plus what every cell takes
    from outside its study: the input normalisation of its dataset (``data.normalisation``), the
    training precision (the study's own ``dtype`` where its grid names one, as the paper preset
    does for the studies the reference trained in float64; else ``compute.dtype``) and the
    matmuls' precision per platform (``compute.matmul_precision``, resolved where the cell runs)."""
    grids = preset_config(config)
    dtype = grids.get(study, {}).get("dtype") or config.get("compute", {}).get("dtype", "float32")
    cells = {}
    for cell in study_cells(study, grids).values():
        cell = {**cell, "normalisation": dataset_normalisation(config, cell["dataset"]),
                "train": {**cell["train"], "dtype": dtype},
                "matmul_precision": config.get("compute", {}).get("matmul_precision", "highest")}
        cells[cell_id(cell)] = cell
    return cells
