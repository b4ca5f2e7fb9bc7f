"""Grid expansion: a study's config → its cells (one Snakemake job each).

Static keys (shapes, code paths) make a cell; vmapped keys (seed, learning
rates, decay) are the cell's runs. A cell is a plain JSON-able dict, so the
workflow can pass it to a job as ``params`` and a change of any value reruns
exactly the jobs it touches.
"""

from __future__ import annotations

import math
from typing import Callable

import pandas as pd

from pcrepro.core.nets import NetSpec, resolve_init_gain
from pcrepro.core.training import TrainSpec
from pcrepro.data import REFERENCE_NORMALISATION

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


def pc_cell(study: str, dataset: str, cfg: dict, *, width: int, n_hidden: int, act_fn: str, skips: bool,
            init: str, activity_optim: str, record_condition_number: bool = False,
            labels: dict | None = None, algorithm: str = "pc", lrs_from: dict | None = None) -> dict:
    """One training cell from a study's config (``cfg`` supplies the shared keys: param_type,
    n_infer_steps, weight_optim, batch_size, epochs, max_steps_per_epoch, test_every,
    test_subset, the vmapped seeds / activity_lrs / weight_lrs / activity_decays, and optionally
    init_gain: "reference" (the default: 1.05 for orthogonal tanh nets, else 1) or a number).
    The input normalisation and the precision start at the reference's (:data:`REFERENCE_NORMALISATION`,
    float32); :func:`training_cells` sets them from the config.
    ``labels`` become columns of the cell's table (e.g. the variant of a sweep). For BP the
    activity keys are placeholders (T = 1, lr 0, decay 0): BP cells never read them.

    ``lrs_from`` = {"study", "where", "keys"}: the lrs named in ``keys`` are not in the config
    but are the ones another sweep's selection table chose for the group ``where`` (read when
    the cell runs, :func:`resolve_selected_lrs`); the config's values for them are ignored."""
    runs = {"seeds": cfg["seeds"], "activity_lrs": cfg["activity_lrs"], "weight_lrs": cfg["weight_lrs"],
            "activity_decays": cfg["activity_decays"]}
    if lrs_from:
        runs.update({f"{key}s": None for key in lrs_from["keys"]}, lrs_from=lrs_from)
    return {
        "study": study,
        "dataset": dataset,
        "normalisation": REFERENCE_NORMALISATION.get(dataset),
        "test_subset": cfg.get("test_subset"),
        "labels": labels or {},
        "net": {"input_dim": INPUT_DIMS[dataset], "width": width, "n_hidden": n_hidden, "output_dim": 10,
                "act_fn": act_fn, "param_type": cfg["param_type"], "skips": skips, "init": init,
                "init_gain": resolve_init_gain(cfg.get("init_gain", "reference"), init, act_fn)},
        "train": {"algorithm": algorithm, "n_infer_steps": _infer_steps(cfg["n_infer_steps"], n_hidden),
                  "activity_optim": activity_optim, "weight_optim": cfg["weight_optim"],
                  "batch_size": cfg["batch_size"], "epochs": cfg["epochs"],
                  "max_steps_per_epoch": cfg.get("max_steps_per_epoch"), "test_every": cfg["test_every"],
                  "record_condition_number": record_condition_number, "dtype": "float32"},
        "runs": runs,
    }


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
    runs = {**cell["runs"], **{f"{key}s": [float(rows[key].iloc[0])] for key in source["keys"]}}
    return {**cell, "runs": runs}


def n_runs(cell: dict) -> int:
    """Runs of a cell (an lr taken from a selection counts once)."""
    r = cell["runs"]
    return math.prod(len(r[k]) if r[k] is not None else 1
                     for k in ("seeds", "activity_lrs", "weight_lrs", "activity_decays"))


def mupc_sweeps_cells(cfg: dict, study: str = "mupc_sweeps") -> dict[str, dict]:
    """μPC activity-lr sweeps: the depth sweep at fixed width and the width sweep at fixed depth.

    Every cell runs the full activity-lr grid (vmapped), so that "best" curves
    at any width or depth can be read from the selection table.
    """
    shapes = {(cfg["depth_sweep"]["width"], h) for h in cfg["depth_sweep"]["n_hiddens"]}
    shapes |= {(n, cfg["width_sweep"]["n_hidden"]) for n in cfg["width_sweep"]["widths"]}
    cells = {}
    for act in cfg["act_fns"]:
        for width, n_hidden in sorted(shapes):
            cell = pc_cell(study, cfg["dataset"], cfg, width=width, n_hidden=n_hidden, act_fn=act,
                           skips=cfg["skips"], init=cfg["init"], activity_optim=cfg["activity_optim"])
            cells[cell_id(cell)] = cell
    return cells


def mupc_condition_number_cells(cfg: dict, study: str = "mupc_condition_numbers") -> dict[str, dict]:
    """κ(H_z) over μPC training at the notebook's settings (its own cells, not the sweep's): per
    activation and depth in ``condition_numbers.n_hiddens`` at the depth-sweep width, the runs of
    every seed at one activity lr (the notebook: 0.5) and the sweep's weight lr, evaluated (and κ
    recorded) every ``condition_numbers.test_every`` steps (the notebook: 100)."""
    kappa = cfg.get("condition_numbers") or {}
    if not kappa.get("n_hiddens"):
        return {}
    grid = {**cfg, "activity_lrs": [kappa["activity_lr"]], "test_every": kappa["test_every"]}
    cells = {}
    for act in cfg["act_fns"]:
        for n_hidden in kappa["n_hiddens"]:
            cell = pc_cell(study, cfg["dataset"], grid, width=cfg["depth_sweep"]["width"], n_hidden=n_hidden,
                           act_fn=act, skips=cfg["skips"], init=cfg["init"], activity_optim=cfg["activity_optim"],
                           record_condition_number=True)
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


def mupc_hp_transfer_cells(cfg: dict, study: str = "mupc_hp_transfer") -> dict[str, dict]:
    """Learning-rate transfer: every (weight lr, activity lr, seed) of a static cell vmapped in
    one job, per parameterisation, activation and shape — the width sweep at fixed depth, the
    depth sweep at fixed width (T = H) and the extra dataset's cells, each evaluated every
    ``test_every`` steps of its own sweep (the notebook: 300 for widths, 100 for depths and the
    extra). A shape in two sweeps is one cell if they evaluate it at the same interval, else one
    cell per interval (the notebook's N = 512, H = 8 runs twice). The interval is in every cell's
    file name and table (``test_every``), so that each figure reads its sweep's cell. ``deep``
    adds depths beyond the depth sweep, at its width and interval, on the seeds and the smaller lr
    grid per parameterisation that ``deep`` gives (no figure draws them; the depth claim reads
    them)."""
    shapes = {(cfg["dataset"], n, cfg["width_sweep"]["n_hidden"], transfer_interval(cfg, "width_sweep"))
              for n in cfg["width_sweep"]["widths"]}
    shapes |= {(cfg["dataset"], cfg["depth_sweep"]["width"], h, transfer_interval(cfg, "depth_sweep"))
               for h in cfg["depth_sweep"]["n_hiddens"]}
    extra, deep = cfg.get("extra"), cfg.get("deep")
    deep_shapes = set()
    if deep:  # depths beyond the sweep on a smaller lr grid of their own (the depth claim reads them)
        clash = set(deep["n_hiddens"]) & set(cfg["depth_sweep"]["n_hiddens"])
        _require(not clash, f"{study}.deep.n_hiddens {sorted(clash)} are in depth_sweep.n_hiddens: a shape has "
                            "one lr grid; list each depth in one of the two")
        deep_shapes = {(cfg["dataset"], cfg["depth_sweep"]["width"], h, transfer_interval(cfg, "depth_sweep"))
                       for h in deep["n_hiddens"]}
    cells = {}
    for param_type, init in cfg["param_types"].items():
        # shape -> what its runs take instead of the study's seeds and lrs
        todo = {shape: {} for shape in shapes}
        todo |= {shape: {"seeds": deep["seeds"], **deep[param_type]} for shape in deep_shapes}
        if extra and param_type in extra["param_types"]:
            todo.setdefault((extra["dataset"], extra["width"], extra["n_hidden"], transfer_interval(cfg, "extra")), {})
        for act in cfg["act_fns"]:
            for (dataset, width, n_hidden, every), grid in sorted(todo.items()):
                cell = {**pc_cell(study, dataset, {**cfg, "param_type": param_type, "test_every": every, **grid},
                                  width=width, n_hidden=n_hidden, act_fn=act, skips=cfg["skips"], init=init,
                                  activity_optim=cfg["activity_optim"]),
                        "interval_in_id": True}
                cells[cell_id(cell)] = cell
    return cells


def transfer_interval(cfg: dict, sweep: str) -> int:
    """The evaluation interval of one of mupc_hp_transfer's sweeps (its own, else the study's)."""
    return (cfg.get(sweep) or {}).get("test_every", cfg["test_every"])


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def mupc_vs_pc_vs_bp_cells(grids: dict, study: str = "mupc_vs_pc_vs_bp") -> dict[str, dict]:
    """The runs the main figure needs beyond the sweeps it reads (μPC: mupc_sweeps and
    mupc_long_runs; PC: mupc_hp_transfer's sp depth cells): BP with Depth-μP at the lr that
    mupc_bp_baseline selected, per activation at ``bp_n_hiddens``; and for the deep ReLU
    comparison, per mupc_long_runs block, BP and standard PC (sp, skips) at the lrs their sweeps
    selected (PC: the hp_transfer selection on ``comparison.pc_lrs_from``, as the notebook uses
    MNIST's lrs for both datasets)."""
    cfg, bp, pc = grids[study], grids["mupc_bp_baseline"], grids["mupc_hp_transfer"]
    long_runs, sweeps = grids["mupc_long_runs"], grids["mupc_sweeps"]
    comparison = cfg["comparison"]
    _require(set(cfg["n_hiddens"]) <= set(sweeps["depth_sweep"]["n_hiddens"])
             and cfg["width"] == sweeps["depth_sweep"]["width"],
             f"{study}: n_hiddens {cfg['n_hiddens']} at width {cfg['width']} must be in mupc_sweeps.depth_sweep")
    _require("sp" in pc["param_types"] and set(cfg["n_hiddens"]) <= set(pc["depth_sweep"]["n_hiddens"])
             and cfg["width"] == pc["depth_sweep"]["width"],
             f"{study}: standard PC at n_hiddens {cfg['n_hiddens']}, width {cfg['width']} must be in "
             "mupc_hp_transfer.depth_sweep with param_type sp")
    _require(comparison["n_hidden"] in pc["depth_sweep"]["n_hiddens"] and long_runs["width"] == pc["depth_sweep"]["width"]
             and comparison["n_hidden"] == long_runs["n_hidden"] and comparison["act_fn"] == long_runs["act_fn"],
             f"{study}.comparison: H={comparison['n_hidden']} ({comparison['act_fn']}) must match mupc_long_runs "
             "and be in mupc_hp_transfer.depth_sweep")
    bp_blocks = {(b["dataset"], b["epochs"], act) for b in bp["blocks"] for act in b["act_fns"]}
    bp_cfg = {**cfg, "param_type": bp["param_type"], "n_infer_steps": 1, "activity_lrs": [0.0],
              "activity_decays": [0.0], "weight_optim": bp["weight_optim"], "weight_lrs": None}
    pc_cfg = {**cfg, "param_type": "sp", "n_infer_steps": "depth", "activity_lrs": None, "weight_lrs": None,
              "activity_decays": [0.0], "weight_optim": pc["weight_optim"]}

    def bp_cell(dataset, block, n_hidden, act):
        _require((dataset, block["epochs"], act) in bp_blocks,
                 f"{study}: BP needs a mupc_bp_baseline block for {dataset}, {block['epochs']} epochs, {act}")
        where = {"dataset": dataset, "epochs": block["epochs"], "act_fn": act}
        return pc_cell(study, dataset, {**bp_cfg, **block}, width=cfg["width"], n_hidden=n_hidden, act_fn=act,
                       skips=bp["skips"], init=bp["init"], activity_optim="gd", algorithm="bp",
                       lrs_from={"study": "mupc_bp_baseline", "where": where, "keys": ["weight_lr"]})

    cells = []
    main = {"epochs": cfg["epochs"], "test_every": cfg["test_every"], "seeds": cfg["seeds"]}
    cells += [bp_cell(cfg["dataset"], main, h, act) for act in cfg["act_fns"] for h in cfg["bp_n_hiddens"]]
    for block in long_runs["blocks"]:
        # trained exactly as the μPC long run it is compared with
        run = {"epochs": block["epochs"], "test_every": block["test_every"], "seeds": block["seeds"],
               **{k: long_runs.get(k) for k in ("batch_size", "max_steps_per_epoch", "test_subset")}}
        cells.append(bp_cell(block["dataset"], run, comparison["n_hidden"], comparison["act_fn"]))
        where = {"dataset": comparison["pc_lrs_from"], "param_type": "sp", "act_fn": comparison["act_fn"],
                 "width": long_runs["width"], "n_hidden": comparison["n_hidden"],
                 "test_every": transfer_interval(pc, "depth_sweep")}
        cells.append(pc_cell(study, block["dataset"], {**pc_cfg, **run}, width=long_runs["width"],
                             n_hidden=comparison["n_hidden"], act_fn=comparison["act_fn"], skips=pc["skips"],
                             init=pc["param_types"]["sp"], activity_optim=pc["activity_optim"],
                             lrs_from={"study": "mupc_hp_transfer", "where": where,
                                       "keys": ["weight_lr", "activity_lr"]}))
    return {cell_id(c): c for c in cells}


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
    for cell in STUDY_CELLS[study](grids).values():
        cell = {**cell, "normalisation": dataset_normalisation(config, cell["dataset"]),
                "train": {**cell["train"], "dtype": dtype},
                "matmul_precision": config.get("compute", {}).get("matmul_precision", "highest")}
        cells[cell_id(cell)] = cell
    return cells


# Training studies whose cells go through the generic train_cell rule: study -> (preset grids -> cells).
STUDY_CELLS: dict[str, Callable[[dict], dict[str, dict]]] = {
    "mupc_sweeps": lambda g: mupc_sweeps_cells(g["mupc_sweeps"]),
    "mupc_condition_numbers": lambda g: mupc_condition_number_cells(g["mupc_sweeps"]),
    "mupc_pc_sweeps": lambda g: mupc_pc_sweeps_cells(g["mupc_pc_sweeps"]),
    "mupc_activity_decay": lambda g: mupc_activity_decay_cells(g["mupc_activity_decay"]),
    "mupc_bp_baseline": lambda g: mupc_bp_baseline_cells(g["mupc_bp_baseline"]),
    "mupc_long_runs": lambda g: mupc_long_runs_cells(g["mupc_long_runs"]),
    "mupc_hp_transfer": lambda g: mupc_hp_transfer_cells(g["mupc_hp_transfer"]),
    "mupc_vs_pc_vs_bp": mupc_vs_pc_vs_bp_cells,
}

# The config grid a study's cells are built from, where it is not the study's own.
CELL_GRID = {"mupc_condition_numbers": "mupc_sweeps"}
