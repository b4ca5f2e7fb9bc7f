"""Seed 002's training studies (the μPC paper's sweeps): which networks each trains, on which grid.

Every study below reads its own grid (its slice of the preset) and returns the networks it trains
as :class:`CellSpec` s: one static shape and code path each, with the grid of seeds and learning
rates its runs cross (vmapped in one job). The pipeline turns a spec into a job
(:func:`pcrepro.pipeline.cells.training_cells`) and trains it with :mod:`pcrepro.core.training`.

==========================  =================================================================
study                       what it trains (seed 002 section)
==========================  =================================================================
``mupc_sweeps``             μPC activity-lr sweeps over depth and width ('Width', 'Depth')
``mupc_condition_numbers``  μPC at the notebook's κ settings, κ(H_z) recorded ('GD' κ cells)
``mupc_pc_sweeps``          standard PC: GD, Adam, skips, orthogonal ('PC' sections)
``mupc_activity_decay``     standard PC over activity decays ('Activity decay')
``mupc_bp_baseline``        BP with Depth-μP, a weight-lr sweep ('BP baseline')
``mupc_long_runs``          long μPC runs at the transferred lrs ('muPC vs PC vs BP')
``mupc_hp_transfer``        weight lr × activity lr, per shape ('Hyperparameter transfer')
``mupc_vs_pc_vs_bp``        the main figure's BP and deep standard-PC runs ('muPC vs PC vs BP')
==========================  =================================================================
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple


class CellSpec(NamedTuple):
    """One training cell of a study: a network shape and code path, and the grid its runs cross.

    ``grid`` holds the keys every cell shares (param_type, n_infer_steps — a number or "depth"
    for T = H —, weight_optim, batch_size, epochs, max_steps_per_epoch, test_every, test_subset,
    init_gain, and the vmapped seeds / activity_lrs / weight_lrs / activity_decays). ``labels``
    become columns of the cell's table (e.g. a sweep's variant). For BP the activity keys are
    placeholders (T = 1, lr 0, decay 0) that BP never reads. ``lrs_from`` = {"study", "where",
    "keys"}: the lrs named in ``keys`` are the ones another sweep's selection chose for the group
    ``where``, read when the cell runs. ``interval_in_id``: the evaluation interval is part of the
    cell's name (a shape evaluated at two intervals is two cells)."""

    dataset: str
    grid: Mapping
    width: int
    n_hidden: int
    act_fn: str
    skips: bool
    init: str
    activity_optim: str
    record_condition_number: bool = False
    labels: Mapping | None = None
    algorithm: str = "pc"
    lrs_from: Mapping | None = None
    interval_in_id: bool = False


def mupc_sweeps(cfg: dict) -> list[CellSpec]:
    """μPC activity-lr sweeps: the depth sweep at fixed width and the width sweep at fixed depth.

    Every cell runs the full activity-lr grid (vmapped), so that "best" curves
    at any width or depth can be read from the selection table.
    """
    shapes = {(cfg["depth_sweep"]["width"], h) for h in cfg["depth_sweep"]["n_hiddens"]}
    shapes |= {(n, cfg["width_sweep"]["n_hidden"]) for n in cfg["width_sweep"]["widths"]}
    return [CellSpec(cfg["dataset"], cfg, width, n_hidden, act, cfg["skips"], cfg["init"], cfg["activity_optim"])
            for act in cfg["act_fns"] for width, n_hidden in sorted(shapes)]


def mupc_condition_numbers(cfg: dict) -> list[CellSpec]:
    """κ(H_z) over μPC training at the notebook's settings (its own cells, not the sweep's): per
    activation and depth in ``condition_numbers.n_hiddens`` at the depth-sweep width, the runs of
    every seed at one activity lr (the notebook: 0.5) and the sweep's weight lr, evaluated (and κ
    recorded) every ``condition_numbers.test_every`` steps (the notebook: 100). ``cfg`` is
    mupc_sweeps' grid."""
    kappa = cfg.get("condition_numbers") or {}
    if not kappa.get("n_hiddens"):
        return []
    grid = {**cfg, "activity_lrs": [kappa["activity_lr"]], "test_every": kappa["test_every"]}
    return [CellSpec(cfg["dataset"], grid, cfg["depth_sweep"]["width"], n_hidden, act, cfg["skips"], cfg["init"],
                     cfg["activity_optim"], record_condition_number=True)
            for act in cfg["act_fns"] for n_hidden in kappa["n_hiddens"]]


def variant_depths(variant: dict, act_fn: str, default) -> list[int]:
    """A variant's depths: its own list (or per-activation lists), else the study's."""
    depths = variant.get("n_hiddens", default)
    return depths[act_fn] if isinstance(depths, dict) else depths


def mupc_pc_sweeps(cfg: dict) -> list[CellSpec]:
    """Standard-PC activity-lr sweeps (seed 002's "PC" sections): per dataset, variant
    (activity optimiser, skips, init), activation and depth; every cell records κ(H_z)."""
    return [CellSpec(dataset, cfg, cfg["width"], n_hidden, act, variant["skips"], variant["init"],
                     variant["activity_optim"], record_condition_number=cfg["condition_numbers"],
                     labels={"variant": name})
            for dataset in cfg["datasets"] for name, variant in cfg["variants"].items()
            for act in cfg["act_fns"] for n_hidden in variant_depths(variant, act, cfg["n_hiddens"])]


def mupc_activity_decay(cfg: dict) -> list[CellSpec]:
    """One standard-PC cell whose runs cross seeds x activity lrs x activity decays (all vmapped)."""
    return [CellSpec(cfg["dataset"], cfg, cfg["width"], cfg["n_hidden"], cfg["act_fn"], cfg["skips"], cfg["init"],
                     cfg["activity_optim"])]


def mupc_bp_baseline(cfg: dict) -> list[CellSpec]:
    """BP with Depth-μP: a weight-lr sweep (vmapped) per (dataset, epochs, activation)."""
    specs = []
    for block in cfg["blocks"]:
        grid = {**cfg, "epochs": block["epochs"], "test_every": block["test_every"], **BP_PLACEHOLDERS}
        specs += [CellSpec(block["dataset"], grid, cfg["width"], cfg["n_hidden"], act, cfg["skips"], cfg["init"],
                           "gd", algorithm="bp") for act in block["act_fns"]]
    return specs


# what a BP cell's activity keys hold: BP runs no inference, so they are never read
BP_PLACEHOLDERS = {"n_infer_steps": 1, "activity_lrs": [0.0], "activity_decays": [0.0]}


def mupc_long_runs(cfg: dict) -> list[CellSpec]:
    """Long μPC runs: one cell per block (dataset, epochs, evaluation period, weight lr, seeds)."""
    return [CellSpec(block["dataset"], {**cfg, "epochs": block["epochs"], "test_every": block["test_every"],
                                        "weight_lrs": [block["weight_lr"]], "seeds": block["seeds"]},
                     cfg["width"], cfg["n_hidden"], cfg["act_fn"], cfg["skips"], cfg["init"], cfg["activity_optim"])
            for block in cfg["blocks"]]


def transfer_interval(cfg: dict, sweep: str) -> int:
    """The evaluation interval of one of mupc_hp_transfer's sweeps (its own, else the study's)."""
    return (cfg.get(sweep) or {}).get("test_every", cfg["test_every"])


def mupc_hp_transfer(cfg: dict) -> list[CellSpec]:
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
        _require(not clash, f"mupc_hp_transfer.deep.n_hiddens {sorted(clash)} are in depth_sweep.n_hiddens: a "
                            "shape has one lr grid; list each depth in one of the two")
        deep_shapes = {(cfg["dataset"], cfg["depth_sweep"]["width"], h, transfer_interval(cfg, "depth_sweep"))
                       for h in deep["n_hiddens"]}
    specs = []
    for param_type, init in cfg["param_types"].items():
        # shape -> what its runs take instead of the study's seeds and lrs
        todo = {shape: {} for shape in shapes}
        todo |= {shape: {"seeds": deep["seeds"], **deep[param_type]} for shape in deep_shapes}
        if extra and param_type in extra["param_types"]:
            todo.setdefault((extra["dataset"], extra["width"], extra["n_hidden"], transfer_interval(cfg, "extra")), {})
        for act in cfg["act_fns"]:
            specs += [CellSpec(dataset, {**cfg, "param_type": param_type, "test_every": every, **grid}, width,
                               n_hidden, act, cfg["skips"], init, cfg["activity_optim"], interval_in_id=True)
                      for (dataset, width, n_hidden, every), grid in sorted(todo.items())]
    return specs


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def mupc_vs_pc_vs_bp(grids: dict) -> list[CellSpec]:
    """The runs the main figure needs beyond the sweeps it reads (μPC: mupc_sweeps and
    mupc_long_runs; PC: mupc_hp_transfer's sp depth cells): BP with Depth-μP at the lr that
    mupc_bp_baseline selected, per activation at ``bp_n_hiddens``; and for the deep ReLU
    comparison, per mupc_long_runs block, BP and standard PC (sp, skips) at the lrs their sweeps
    selected (PC: the hp_transfer selection on ``comparison.pc_lrs_from``, as the notebook uses
    MNIST's lrs for both datasets). ``grids``: every study's grid (it checks the ones it reads)."""
    study = "mupc_vs_pc_vs_bp"
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
    bp_grid = {**cfg, "param_type": bp["param_type"], **BP_PLACEHOLDERS, "weight_optim": bp["weight_optim"],
               "weight_lrs": None}
    pc_grid = {**cfg, "param_type": "sp", "n_infer_steps": "depth", "activity_lrs": None, "weight_lrs": None,
               "activity_decays": [0.0], "weight_optim": pc["weight_optim"]}

    def bp_cell(dataset, block, n_hidden, act):
        _require((dataset, block["epochs"], act) in bp_blocks,
                 f"{study}: BP needs a mupc_bp_baseline block for {dataset}, {block['epochs']} epochs, {act}")
        where = {"dataset": dataset, "epochs": block["epochs"], "act_fn": act}
        return CellSpec(dataset, {**bp_grid, **block}, cfg["width"], n_hidden, act, bp["skips"], bp["init"], "gd",
                        algorithm="bp", lrs_from={"study": "mupc_bp_baseline", "where": where, "keys": ["weight_lr"]})

    main = {"epochs": cfg["epochs"], "test_every": cfg["test_every"], "seeds": cfg["seeds"]}
    specs = [bp_cell(cfg["dataset"], main, h, act) for act in cfg["act_fns"] for h in cfg["bp_n_hiddens"]]
    for block in long_runs["blocks"]:
        # trained exactly as the μPC long run it is compared with
        run = {"epochs": block["epochs"], "test_every": block["test_every"], "seeds": block["seeds"],
               **{k: long_runs.get(k) for k in ("batch_size", "max_steps_per_epoch", "test_subset")}}
        specs.append(bp_cell(block["dataset"], run, comparison["n_hidden"], comparison["act_fn"]))
        where = {"dataset": comparison["pc_lrs_from"], "param_type": "sp", "act_fn": comparison["act_fn"],
                 "width": long_runs["width"], "n_hidden": comparison["n_hidden"],
                 "test_every": transfer_interval(pc, "depth_sweep")}
        specs.append(CellSpec(block["dataset"], {**pc_grid, **run}, long_runs["width"], comparison["n_hidden"],
                              comparison["act_fn"], pc["skips"], pc["param_types"]["sp"], pc["activity_optim"],
                              lrs_from={"study": "mupc_hp_transfer", "where": where,
                                        "keys": ["weight_lr", "activity_lr"]}))
    return specs


# study -> (every study's grid -> its cells); a study reads its own grid unless GRID_OF says otherwise
STUDIES: dict[str, Callable[[dict], list[CellSpec]]] = {
    "mupc_sweeps": lambda grids: mupc_sweeps(grids["mupc_sweeps"]),
    "mupc_condition_numbers": lambda grids: mupc_condition_numbers(grids["mupc_sweeps"]),
    "mupc_pc_sweeps": lambda grids: mupc_pc_sweeps(grids["mupc_pc_sweeps"]),
    "mupc_activity_decay": lambda grids: mupc_activity_decay(grids["mupc_activity_decay"]),
    "mupc_bp_baseline": lambda grids: mupc_bp_baseline(grids["mupc_bp_baseline"]),
    "mupc_long_runs": lambda grids: mupc_long_runs(grids["mupc_long_runs"]),
    "mupc_hp_transfer": lambda grids: mupc_hp_transfer(grids["mupc_hp_transfer"]),
    "mupc_vs_pc_vs_bp": mupc_vs_pc_vs_bp,
}

# the config grid a study's cells are built from, where it is not the study's own
GRID_OF = {"mupc_condition_numbers": "mupc_sweeps"}
