"""Seed 002 (μPC, arXiv 2505.13124): the activity Hessian's conditioning, forward activities
across width and depth, deep training of μPC vs standard PC vs BP, learning-rate transfer
across widths and depths, the loss vs the energy, and standard PC's degradation with depth.

Every training claim reads at least two seeds and judges each seed on its own as well; grids
that cannot test a claim (too few seeds, shapes or learning rates, no net deep enough, the
optimum on the grid's edge) make it ``inconclusive at this scale``, with the reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data import STANDIN
from ..pipeline.results import contour_optimum, read_table, rows_where, run_scores
from ..studies.mupc_training import transfer_interval
from .registry import CHECK, FINDING, Claim, Measurement, rule

SOURCE = "seed 002 (μPC plot notebook)"
CHANCE = 20.0       # % test accuracy at or below which a net "stays at chance" (10 classes; runs stop below 15)
TRAINS = 50.0       # % test accuracy at or above which a net "trains" (five times chance)
STOPPED_SCORE = 10.0  # a stopped run's missed evaluations count at chance, as the notebook pads them
MOVES = 2           # grid steps: an optimum that moves this far has not transferred
# The μPC pair the notebook transfers to every depth (main-figure cell "muPC vs PC vs BP with
# Depth-muP": mupc_param_lr = 1e-1; mupc_activity_lr = 1 for linear and tanh, 5e-1 for relu).
TRANSFERRED = {"linear": (0.1, 1.0), "tanh": (0.1, 1.0), "relu": (0.1, 0.5)}
# Depths at which the notebook draws standard PC as failed (main-figure and "PC baseline" cells:
# `(n_hidden >= 64 and act_fn != "tanh") or (n_hidden == 32 and act_fn == "linear")`).
PC_FAILS_FROM = {"relu": 64, "linear": 32}
# The standard-PC (weight lr, activity lr) pairs the notebook found best at those depths (same cells).
PC_NOTEBOOK_PAIRS = {("relu", 64): (0.1, 0.01), ("linear", 32): (0.01, 0.01), ("linear", 64): (0.01, 0.01)}
MIN_SEEDS, MIN_SHAPES, MIN_LRS = 2, 3, 4


def _synthetic(*tables: pd.DataFrame) -> bool:
    return any("data_source" in t and (t["data_source"] == STANDIN).any() for t in tables)


def _seeds(table: pd.DataFrame) -> list:
    return sorted(table["seed"].unique())


def _too_few_seeds(table: pd.DataFrame) -> str:
    n = len(_seeds(table))
    return f"{n} seed(s): a training claim needs ≥ {MIN_SEEDS} to tell a finding from a lucky seed" if n < MIN_SEEDS else ""


# ------------------------------------------------------------------ κ(H_z) of sp + orthogonal (check)


def _kappa_files(grids: dict) -> list[str]:
    return ["mupc_activity_hessian/sp_orthogonal/linear.parquet"]


def _measure_kappa(files: list[Path], grids: dict) -> Measurement:
    table = read_table(files[0])
    num = table[table["matrix"] == "num"]
    theory = 1.0 / np.tan(np.pi / (2 * (num["n_hidden"] + 1))) ** 2
    error = np.abs(num["cond"] / theory - 1)
    worst = num.loc[error.idxmax()]
    return Measurement({"max_rel_error": float(error.max())},
                       f"max |κ/cot²(π/(2(H+1))) − 1| = {error.max():.2g} over {len(num)} nets "
                       f"(worst N = {worst['width']}, H = {worst['n_hidden']})")


# ------------------------------------------------------------------ forward pass, every layer


def _forward_files(grids: dict) -> list[str]:
    g = grids["mupc_forward_pass"]
    return [f"mupc_forward_pass/{act}_{optim}.parquet" for act in g["act_fns"] for optim in g["optims"]]


def _measure_forward(files: list[Path], grids: dict) -> Measurement:
    """Per recorded layer ℓ (1, L/4, L/2, 3L/4, L), the spread max/min of ‖z_ℓ‖ (RMS) at init over
    every width × depth (and activation and optimiser file); the claim reads the largest spread."""
    tables = [read_table(f) for f in files]
    table = pd.concat(tables)
    init = table[(table["step"] == 0) & (table["metric"] == "activity_l2")]
    values, parts = {}, []
    for setting, name in (("depth_mup_skips", "mupc"), ("sp", "sp")):
        rows = init[init["setting"] == setting]
        spread = rows.groupby(["act_fn", "layer"])["value"].agg(lambda v: v.max() / v.min())
        values[f"{name}_max_layer_spread"] = float(spread.max())
        act, layer = spread.idxmax()
        parts.append(f"{'μPC' if name == 'mupc' else 'sp'} largest spread ×{spread.max():.3g} (layer {layer}, {act})")
    n_shapes = len(init[["width", "depth"]].drop_duplicates())
    untestable = "" if n_shapes >= 2 else "one width × depth: no spread to measure"
    return Measurement(values, f"‖z_ℓ‖ at init over {n_shapes} widths × depths, per layer: " + "; ".join(parts),
                       synthetic=_synthetic(*tables), untestable=untestable)


# ------------------------------------------------------------------ the transfer study's grid


def _transfer_files(grids: dict) -> list[str]:
    return ["mupc_hp_transfer/runs.parquet"]


def _sweep_shapes(g: dict, sweep: str) -> list[tuple[int, int]]:
    s = g[f"{sweep}_sweep"]
    return ([(n, s["n_hidden"]) for n in s["widths"]] if sweep == "width"
            else [(s["width"], h) for h in s["n_hiddens"]])


def _sweep_rows(runs: pd.DataFrame, g: dict, sweep: str, act: str, param: str, width: int, n_hidden: int):
    """One cell of a sweep: the study's dataset (not the extra cell's), one activation and shape,
    at the sweep's evaluation interval."""
    return rows_where(runs, dataset=g["dataset"], act_fn=act, param_type=param, width=width, n_hidden=n_hidden,
                      test_every=transfer_interval(g, f"{sweep}_sweep"))


def _final_scores(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per run: its final test accuracy (a stopped run's missed evaluations at chance)."""
    return run_scores(rows, "final_test_acc", STOPPED_SCORE)


# ------------------------------------------------------------------ depth: μPC trains, PC fails


def _measure_depth(files: list[Path], grids: dict) -> Measurement:
    """At each depth where the notebook draws standard PC as failed (ReLU and linear, see
    :data:`PC_FAILS_FROM`) and the grid has a cell at the depth sweep's width (``depth_sweep`` or
    ``deep``): μPC's final test accuracy at the
    transferred lr pair, and standard PC's best over the grid's lr pairs (mean over seeds; per
    seed: that seed's runs)."""
    g = grids["mupc_hp_transfer"]
    runs = read_table(files[0])
    synthetic = _synthetic(runs[["data_source"]])
    depths = [h for _, h in _sweep_shapes(g, "depth")] + list((g.get("deep") or {}).get("n_hiddens", []))
    width = g["depth_sweep"]["width"]
    shapes = [(act, width, h) for act in g["act_fns"] if act in PC_FAILS_FROM for h in depths
              if h >= PC_FAILS_FROM[act]]
    if not shapes:
        return Measurement({}, f"deepest net H = {max(depths)}", synthetic=synthetic,
                           untestable=f"no net (depth_sweep, deep) where the seed draws standard PC as failed "
                                      f"(ReLU/linear H ≥ {PC_FAILS_FROM['relu']}, linear H = 32)")
    # per shape: μPC's mean final accuracy per seed; standard PC's best pair per seed and pooled
    mupc, sp_seeds, sp_pooled, parts, problems = [], [], [], [], []
    for act, width, n_hidden in shapes:
        w_lr, a_lr = TRANSFERRED[act]
        m = _final_scores(rows_where(_sweep_rows(runs, g, "depth", act, "mupc", width, n_hidden),
                                     weight_lr=w_lr, activity_lr=a_lr))
        s = _final_scores(_sweep_rows(runs, g, "depth", act, "sp", width, n_hidden))
        if m.empty:
            problems.append(f"μPC's transferred pair (weight {w_lr:g}, activity {a_lr:g}) is not in the grid")
            continue
        pair = PC_NOTEBOOK_PAIRS.get((act, n_hidden))
        if pair and rows_where(s, weight_lr=pair[0], activity_lr=pair[1]).empty:
            problems.append(f"standard PC's notebook pair at {act} H = {n_hidden} (weight {pair[0]:g}, "
                            f"activity {pair[1]:g}) is not in the grid")
        problems.append(_too_few_seeds(m) or _too_few_seeds(s))
        by_pair = s.groupby(["weight_lr", "activity_lr", "seed"])["score"].mean().unstack("seed")
        best = by_pair.mean(axis=1)
        mupc.append(m.groupby("seed")["score"].mean())
        sp_seeds.append(by_pair.max(axis=0))
        sp_pooled.append(float(best.max()))
        w_sp, a_sp = best.idxmax()
        parts.append(f"{act} H = {n_hidden}: μPC {mupc[-1].mean():.1f} % at ({w_lr:g}, {a_lr:g}), standard PC best "
                     f"{best.max():.1f} % at ({w_sp:g}, {a_sp:g}) of {len(by_pair)} pairs")
    problems = [p for p in problems if p]
    if problems:
        return Measurement({}, "; ".join(parts), untestable="; ".join(dict.fromkeys(problems)), synthetic=synthetic)
    values = {"mupc_min_acc": min(float(m.mean()) for m in mupc), "sp_max_acc": max(sp_pooled)}
    per_seed = {str(seed): {"mupc_min_acc": min(float(m[seed]) for m in mupc),
                            "sp_max_acc": max(float(s[seed]) for s in sp_seeds)} for seed in mupc[0].index}
    return Measurement(values, "final test accuracy: " + "; ".join(parts), per_seed=per_seed, synthetic=synthetic)


# ------------------------------------------------------------------ transfer across widths / depths


def _grid_steps(value: float, grid: list[float]) -> int:
    return int(np.searchsorted(np.sort(grid), value))


def _spread(pairs: list[tuple[float, float] | None], g: dict) -> float:
    """How far a parameterisation's optimum moves over the shapes, in grid steps (the larger of
    the two axes); inf when some shape has no optimum (every point stopped)."""
    if any(p is None for p in pairs):
        return np.inf
    return float(max(np.ptp([_grid_steps(p[i], g[key]) for p in pairs]) for i, key in
                     enumerate(("weight_lrs", "activity_lrs"))))


def _on_edge(pair: tuple[float, float] | None, g: dict) -> bool:
    return pair is not None and any(_grid_steps(pair[i], g[key]) in (0, len(g[key]) - 1)
                                    for i, key in enumerate(("weight_lrs", "activity_lrs")))


def _grid_problems(g: dict, n_shapes: int, seeds: int) -> list[str]:
    """Why the transfer grid cannot test transfer ([] when it can)."""
    problems = []
    if n_shapes < MIN_SHAPES:
        problems.append(f"{n_shapes} shapes in the sweep (≥ {MIN_SHAPES} needed)")
    if seeds < MIN_SEEDS:
        problems.append(f"{seeds} seed(s) (≥ {MIN_SEEDS} needed)")
    for key in ("weight_lrs", "activity_lrs"):
        lrs = np.sort(g[key])
        if len(lrs) < MIN_LRS:
            problems.append(f"{len(lrs)} {key} (≥ {MIN_LRS} needed)")
        elif np.max(lrs[1:] / lrs[:-1]) > 5 + 1e-9:
            problems.append(f"{key} more than a half decade apart (factor {np.max(lrs[1:] / lrs[:-1]):g})")
    for act in g["act_fns"]:
        w, a = TRANSFERRED[act]
        if w not in g["weight_lrs"] or a not in g["activity_lrs"]:
            problems.append(f"μPC's transferred pair for {act} (weight {w:g}, activity {a:g}) is not in the grid")
    return problems


WORST = {"mupc_spread": max, "sp_moves": min}  # per transfer value, the activation that tells against transfer


def _transfer_measure(sweep: str):
    def measure(files: list[Path], grids: dict) -> Measurement:
        """Per activation: where μPC's and standard PC's contour optimum lies at each shape of
        the sweep, how far it moves (grid steps), and whether standard PC fails somewhere (every
        point stopped, or its best final accuracy at chance). Pooled over seeds as the figure,
        and per seed from that seed's runs alone."""
        g = grids["mupc_hp_transfer"]
        runs = read_table(files[0])
        shapes = _sweep_shapes(g, sweep)
        failed_if = g.get("failed_if", "any_run_stopped")
        cells_of = {act: {p: [_sweep_rows(runs, g, sweep, act, p, n, h) for n, h in shapes] for p in ("mupc", "sp")}
                    for act in g["act_fns"]}
        seeds = sorted({s for act in cells_of.values() for cells in act.values() for c in cells for s in c["seed"]})
        problems = _grid_problems(g, len(shapes), len(seeds))
        pooled, by_seed, parts, edges = {}, {str(s): {} for s in seeds}, [], []
        for act, cells in cells_of.items():
            for label, pick in [("pooled", None)] + [(str(s), s) for s in seeds]:
                chosen = {p: [c if pick is None else c[c["seed"] == pick] for c in cells[p]] for p in cells}
                optima = {p: [contour_optimum(c, failed_if) for c in chosen[p]] for p in chosen}
                sp_best = [(_final_scores(c).groupby(["weight_lr", "activity_lr"])["score"].mean().max()
                            if len(c) else np.nan) for c in chosen["sp"]]
                sp_fails = any(o is None for o in optima["sp"]) or min(sp_best) <= CHANCE
                values = {"mupc_spread": _spread(optima["mupc"], g),
                          "sp_moves": np.inf if sp_fails else _spread(optima["sp"], g)}
                target = pooled if pick is None else by_seed[label]
                for key, value in values.items():  # the worst over activations
                    target[key] = WORST[key](target.get(key, value), value)
                if pick is None:  # an optimum on the edge may lie beyond it: only a move it shows is certain
                    if values["mupc_spread"] <= 1:
                        edges += [f"μPC {act} N = {n}, H = {h} at {o}" for (n, h), o in zip(shapes, optima["mupc"])
                                  if _on_edge(o, g)]
                    if values["sp_moves"] < MOVES:
                        edges += [f"standard PC {act} N = {n}, H = {h} at {o}"
                                  for (n, h), o in zip(shapes, optima["sp"]) if _on_edge(o, g)]
                    parts.append(f"{act}: μPC optimum (weight, activity lr) " + ", ".join(
                        f"{n}×{h}: {o}" for (n, h), o in zip(shapes, optima["mupc"]))
                        + f" (moves {values['mupc_spread']:g} steps); standard PC " + ", ".join(
                        f"{n}×{h}: {o}" for (n, h), o in zip(shapes, optima["sp"]))
                        + (" (fails somewhere: best final accuracy " + f"{min(sp_best):.1f} %)" if sp_fails
                           else f" (moves {values['sp_moves']:g} steps)"))
        if edges:
            problems.append("optimum on the grid's edge, the grid does not bracket it: " + "; ".join(edges))
        return Measurement(pooled, f"{sweep} sweep, {len(shapes)} shapes, {len(seeds)} seeds — " + "; ".join(parts),
                           untestable="; ".join(problems), per_seed=by_seed, synthetic=_synthetic(runs[["data_source"]]))
    return measure


TRANSFER_RULE_TEXT = ("on the figure's contours (each run's minimum batch loss, mean over seeds; stopped points are no "
                      f"candidates), μPC's optimum moves ≤ 1 grid step over the sweep's shapes, and standard PC's moves "
                      f"≥ {MOVES} steps or standard PC fails at some shape (every point stopped, or best final accuracy "
                      f"≤ {CHANCE:g} %), for every activation and every seed; the grid needs ≥ {MIN_SHAPES} shapes, "
                      f"≥ {MIN_SEEDS} seeds, ≥ {MIN_LRS} lrs per axis at most half a decade apart, the transferred "
                      "pair, and the optimum inside the grid")


# ------------------------------------------------------------------ depth 128: μPC vs BP


def _bp_files(grids: dict) -> list[str]:
    return ["mupc_sweeps/runs.parquet", "mupc_vs_pc_vs_bp/runs.parquet"]


def _measure_bp(files: list[Path], grids: dict) -> Measurement:
    """μPC at the transferred pair (ReLU: weight 0.1, activity 0.5) against BP at its selected lr,
    at H = 128 after one epoch: final test accuracy, per seed and mean over seeds."""
    sweeps, comparison = (read_table(f) for f in files)
    bp_rows = comparison[comparison["algorithm"] == "bp"]
    depth = int(bp_rows["n_hidden"].max())
    w_lr, a_lr = TRANSFERRED["relu"]
    mupc = _final_scores(rows_where(sweeps, act_fn="relu", n_hidden=depth, weight_lr=w_lr, activity_lr=a_lr))
    bp = _final_scores(bp_rows[(bp_rows["n_hidden"] == depth) & (bp_rows["epochs"] == bp_rows["epochs"].min())
                               & (bp_rows["act_fn"] == "relu")])
    synthetic = _synthetic(sweeps, comparison)
    if depth < 128 or mupc.empty:
        why = f"the deepest BP net has H = {depth} (the claim is at H = 128)" if depth < 128 else \
            f"no μPC sweep cell at H = {depth} with the transferred pair ({w_lr:g}, {a_lr:g})"
        return Measurement({}, f"BP with Depth-μP {bp['score'].mean():.1f} % at H = {depth}", untestable=why,
                           synthetic=synthetic)
    m, b = mupc.groupby("seed")["score"].mean(), bp.groupby("seed")["score"].mean()
    gap = (b - m).dropna()
    return Measurement({"bp_minus_mupc": float(b.mean() - m.mean())},
                       f"H = {depth}, one epoch: μPC {m.mean():.1f} % at ({w_lr:g}, {a_lr:g}), BP with Depth-μP "
                       f"{b.mean():.1f} %", synthetic=synthetic,
                       untestable=_too_few_seeds(mupc) or _too_few_seeds(bp),
                       per_seed={str(s): {"bp_minus_mupc": float(v)} for s, v in gap.items()})


# ------------------------------------------------------------------ loss vs equilibrated energy


def _energy_files(grids: dict) -> list[str]:
    g = grids["mupc_energy_theory"]
    return ([f"mupc_energy_theory/phase_{p}.parquet" for p in g["phase"]["param_types"]]
            + [f"mupc_energy_theory/width_{p}.parquet" for p in g["width_study"]["param_types"]])


def _measure_ratio_floor(files: list[Path], grids: dict) -> Measurement:
    tables = [read_table(f) for f in files]
    linear = pd.concat(tables)
    linear = linear[linear["act_fn"] == "linear"]
    return Measurement({"min_ratio": float(linear["ratio"].min())},
                       f"min 𝓛/F* over every linear net and step = {linear['ratio'].min():.6g}",
                       synthetic=_synthetic(*tables))


def _measure_ratio_width(files: list[Path], grids: dict) -> Measurement:
    """μPC's phase runs at the notebook's plotted steps: per depth and step, log10 of the ratio at
    the widest width over the ratio at the narrowest; the claim reads the largest (> 0: the ratio
    rose with width somewhere)."""
    g = grids["mupc_energy_theory"]["phase"]
    if "mupc" not in g["param_types"]:
        return Measurement({}, "", untestable="no μPC phase runs in the grid")
    table = read_table(next(f for f in files if f.name == "phase_mupc.parquet"))
    steps = [t for t in g["plot_steps"] if t in set(table["step"])]
    rows = table[table["step"].isin(steps)]
    ratio = rows.pivot_table(index=["n_hidden", "step"], columns="width", values="ratio")
    widths = sorted(ratio.columns)
    if len(widths) < 2:
        return Measurement({}, "", untestable="one width in the grid")
    change = np.log10(ratio[widths[-1]] / ratio[widths[0]])
    worst = change.idxmax()
    rising = int((change > 0).sum())
    return Measurement({"max_log10_change": float(change.max())},
                       f"μPC 𝓛/F* from N = {widths[0]} to N = {widths[-1]} at t ∈ {steps}: falls at "
                       f"{len(change) - rising} of {len(change)} (depth, step) points, rises at {rising} (most at "
                       f"H = {worst[0]}, t = {worst[1]}: {ratio.loc[worst, widths[0]]:.3g} → "
                       f"{ratio.loc[worst, widths[-1]]:.3g})", synthetic=_synthetic(table))


# ------------------------------------------------------------------ standard PC degrades with depth; μPC wider is better


def _pc_sweep_files(grids: dict) -> list[str]:
    return ["mupc_pc_sweeps/runs.parquet"]


SEED_PC_DEPTHS = (8, 16, 32)  # the notebook's standard-PC sweeps (GD, Adam, skips, orthogonal)


def _best_per_group(runs: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    """Per group (the index): the activity/weight lr whose mean final accuracy is best (columns
    "activity_lr", "weight_lr"), that mean ("pooled") and each seed's final accuracy at it (one
    column per seed)."""
    scores = _final_scores(runs)
    by_lr = scores.groupby(group + ["activity_lr", "weight_lr", "seed"])["score"].mean().unstack("seed")
    by_lr["pooled"] = by_lr.mean(axis=1)
    best = by_lr.loc[by_lr.groupby(level=group)["pooled"].idxmax()]
    return best.reset_index(["activity_lr", "weight_lr"])


def _measure_pc_depth(files: list[Path], grids: dict) -> Measurement:
    """Per dataset, variant and activation, the best final accuracy (best activity lr, as the
    notebook's "best" curves) at the deepest depth minus at the shallowest; the claim reads the
    largest difference (> 0: some variant did better deeper)."""
    runs = read_table(files[0])
    depths = sorted(int(h) for h in runs["n_hidden"].unique())
    in_seed = [h for h in depths if h in SEED_PC_DEPTHS]
    best = _best_per_group(runs, ["dataset", "variant", "act_fn", "n_hidden"])
    change = []
    accuracies = best.drop(columns=["activity_lr", "weight_lr"])
    for key, group in accuracies.groupby(level=["dataset", "variant", "act_fn"]):
        group = group.droplevel(["dataset", "variant", "act_fn"]).sort_index()
        change.append(((key), group.iloc[-1] - group.iloc[0]))
    diffs = pd.DataFrame({k: v for k, v in change}).T
    worst = diffs["pooled"].idxmax()
    untestable = (f"depths {depths}: the seed's sweeps run H ∈ {list(SEED_PC_DEPTHS)}, this grid has "
                  f"{len(in_seed)} of them (≥ 2 needed)" if len(in_seed) < 2 else _too_few_seeds(runs))
    seeds = [c for c in diffs.columns if c != "pooled"]
    return Measurement({"max_gain_with_depth": float(diffs["pooled"].max())},
                       f"best final accuracy deepest − shallowest (H = {depths[0]} → {depths[-1]}) over "
                       f"{len(diffs)} dataset × variant × activation: largest {diffs['pooled'].max():+.1f} points "
                       f"({'/'.join(map(str, worst))})", untestable=untestable, synthetic=_synthetic(runs),
                       per_seed={str(s): {"max_gain_with_depth": float(diffs[s].max())} for s in seeds})


def _measure_pc_kappa(files: list[Path], grids: dict) -> Measurement:
    """Standard PC (the 'GD' variant: no skips, standard init, GD inference) at each group's best
    activity lr (as the notebook's best curves): per dataset, activation and depth, log10 of κ(H_z)
    at the run's last evaluation over κ at initialisation (over training), and per dataset and
    activation, log10 of the last κ at the deepest depth over the shallowest (with depth). The
    claim reads the smallest of each (mean over seeds; per seed on its own)."""
    runs = read_table(files[0])
    gd = runs[runs["variant"] == "GD"]
    if gd.empty or gd["cond_num"].isna().all():
        return Measurement({}, "no κ(H_z) of the 'GD' variant", untestable="no standard-PC κ(H_z) in the grid",
                           synthetic=_synthetic(runs))
    group = ["dataset", "act_fn", "n_hidden"]
    best = _best_per_group(gd, group).reset_index()
    chosen = gd.merge(best[group + ["activity_lr", "weight_lr"]], on=group + ["activity_lr", "weight_lr"])
    last = (chosen.dropna(subset=["cond_num"]).sort_values("step")
            .groupby(group + ["seed"]).agg(end=("cond_num", "last"), start=("cond_num_init", "first")))
    train = np.log10(last["end"] / last["start"]).unstack("seed")
    ends = np.log10(last["end"]).unstack("seed")
    depth = ends.groupby(level=["dataset", "act_fn"]).agg(lambda v: v.iloc[-1] - v.iloc[0])
    depths = sorted(int(h) for h in gd["n_hidden"].unique())
    in_seed = [h for h in depths if h in SEED_PC_DEPTHS]
    untestable = (f"depths {depths}: the seed's sweeps run H ∈ {list(SEED_PC_DEPTHS)}, this grid has "
                  f"{len(in_seed)} of them (≥ 2 needed)" if len(in_seed) < 2 else _too_few_seeds(gd))
    values = {"min_log10_growth_over_training": float(train.mean(axis=1).min()),
              "min_log10_growth_with_depth": float(depth.mean(axis=1).min())}
    per_seed = {str(s): {"min_log10_growth_over_training": float(train[s].min()),
                         "min_log10_growth_with_depth": float(depth[s].min())} for s in train.columns}
    return Measurement(values, f"standard PC (GD) at its best lr, H = {depths}: κ(H_z) last / init over training "
                               f"≥ ×{10 ** values['min_log10_growth_over_training']:.3g} everywhere; deepest / "
                               f"shallowest ≥ ×{10 ** values['min_log10_growth_with_depth']:.3g}",
                       untestable=untestable, per_seed=per_seed, synthetic=_synthetic(runs))


def _mupc_sweep_files(grids: dict) -> list[str]:
    return ["mupc_sweeps/runs.parquet"]


def _measure_wider(files: list[Path], grids: dict) -> Measurement:
    """The width sweep at fixed depth, at each activation's selected activity lr (one per
    activation, as the notebook): final accuracy at the widest minus at the narrowest width."""
    g = grids["mupc_sweeps"]
    runs = read_table(files[0])
    sweep = runs[(runs["n_hidden"] == g["width_sweep"]["n_hidden"]) & runs["width"].isin(g["width_sweep"]["widths"])]
    scores = _final_scores(sweep)
    lr = scores.groupby(["act_fn", "activity_lr"])["score"].mean()
    chosen = lr.groupby(level="act_fn").idxmax()
    gains, per_seed, parts = [], {}, []
    for act, (_, a_lr) in chosen.items():
        at = scores[(scores["act_fn"] == act) & (scores["activity_lr"] == a_lr)]
        table = at.groupby(["width", "seed"])["score"].mean().unstack("seed").sort_index()
        gain = table.iloc[-1] - table.iloc[0]
        gains.append(float(gain.mean()))
        for s, v in gain.items():
            per_seed.setdefault(str(s), {"min_gain_with_width": np.inf})
            per_seed[str(s)]["min_gain_with_width"] = min(per_seed[str(s)]["min_gain_with_width"], float(v))
        parts.append(f"{act} (activity lr {a_lr:g}): " + ", ".join(f"N = {n}: {v:.1f} %"
                                                                 for n, v in table.mean(axis=1).items()))
    widths = sorted(sweep["width"].unique())
    untestable = "one width in the sweep" if len(widths) < 2 else _too_few_seeds(sweep)
    return Measurement({"min_gain_with_width": min(gains)}, "final accuracy at H = "
                       f"{g['width_sweep']['n_hidden']}: " + "; ".join(parts), untestable=untestable,
                       per_seed=per_seed, synthetic=_synthetic(runs))


CLAIMS = [
    Claim(
        id="002.kappa_sp_orthogonal", seed="002", kind=CHECK,
        statement="The activity Hessian of a linear sp net with orthogonal init has condition number "
                  "cot²(π/(2(H+1))) at every width.",
        source=f"{SOURCE}: section 'Hessian analysis results' (sp, orthogonal init, no skips; κ phase diagram). "
               "An identity: with orthogonal weights the linear activity Hessian is a scaled path-graph Laplacian.",
        family="mupc_activity_hessian", study="mupc_activity_hessian", files=_kappa_files, measure=_measure_kappa,
        expected="κ(H_z) = cot²(π/(2(H+1))), independent of N",
        rule=rule("max relative error ≤ 1e-4", ("max_rel_error", "<=", 1e-4))),
    Claim(
        id="002.mupc_forward_order_one", seed="002", kind=FINDING,
        statement="At initialisation μPC (Depth-μP with skips) keeps every layer's activities O(1) across "
                  "width and depth, while standard parameterisation's explode or vanish.",
        source=f"{SOURCE}: section 'Forward pass results' (‖z_ℓ‖ at ℓ = 1, L/4, L/2, 3L/4, L against width and "
               "depth, sp vs depth_mup with skips). The 10× and 100× thresholds are this project's.",
        family="mupc_forward_pass", study="mupc_forward_pass", files=_forward_files, measure=_measure_forward,
        expected="μPC: O(1) at every layer; sp: grows or decays with depth",
        rule=rule("at every recorded layer μPC's ‖z_ℓ‖ varies ≤ 10× over widths × depths; sp's varies ≥ 100× at "
                  "some layer", ("mupc_max_layer_spread", "<=", 10), ("sp_max_layer_spread", ">=", 100))),
    Claim(
        id="002.mupc_trains_deep_pc_fails", seed="002", kind=FINDING,
        statement="Where the seed draws standard PC as failed (ReLU and linear nets with 64 or more hidden layers, "
                  "linear with 32), μPC at its transferred learning rates trains while standard PC stays at chance "
                  "at every learning-rate pair of the grid.",
        source=f"{SOURCE}: cells 'muPC vs PC vs BP with Depth-muP' and 'PC baseline' (failed PC depths "
               "`(n_hidden >= 64 and act_fn != \"tanh\") or (n_hidden == 32 and act_fn == \"linear\")`, μPC lrs "
               "0.1 / 0.5 for ReLU); evaluation interval of the 'Depth' transfer cell (test_every = 100). The "
               f"{TRAINS:g} % (five times chance) and {CHANCE:g} % thresholds are this project's.",
        family="mupc_vs_pc_vs_bp", study="mupc_hp_transfer", files=_transfer_files, measure=_measure_depth,
        expected="μPC 128-layer ReLU MNIST: ≈ 96 % after one epoch; standard PC: chance",
        rule=rule(f"at every such depth, μPC's final test accuracy ≥ {TRAINS:g} % and standard PC's best ≤ "
                  f"{CHANCE:g} %, on every seed", ("mupc_min_acc", ">=", TRAINS), ("sp_max_acc", "<=", CHANCE))),
    Claim(
        id="002.mupc_width_transfer", seed="002", kind=FINDING,
        statement="μPC's best (weight, activity) learning rates stay put across widths, while standard PC's "
                  "move or standard PC fails to train.",
        source=f"{SOURCE}: section 'Hyperparameter transfer results', cell 'Width' (min training loss contours, "
               "H = 8, N = 64…1024, weight lrs 0.5…0.01, activity lrs 1000…0.01, 3 seeds); the transferred pair "
               "from the main-figure cell; paper Fig. 'zero-shot transfer'. Thresholds (grid steps) are this "
               "project's.",
        family="mupc_hp_transfer", study="mupc_hp_transfer", files=_transfer_files,
        measure=_transfer_measure("width"), expected="μPC's optimum transfers across widths; sp's does not",
        rule=rule(TRANSFER_RULE_TEXT, ("mupc_spread", "<=", 1), ("sp_moves", ">=", MOVES))),
    Claim(
        id="002.mupc_depth_transfer", seed="002", kind=FINDING,
        statement="μPC's best (weight, activity) learning rates stay put across depths, while standard PC's "
                  "move or standard PC fails to train.",
        source=f"{SOURCE}: section 'Hyperparameter transfer results', cell 'Depth' (N = 512, H = 8…128, T = H, "
               "\"can be used to plot both SP and muPC results\"); the transferred pair from the main-figure cell. "
               "Thresholds (grid steps) are this project's.",
        family="mupc_hp_transfer", study="mupc_hp_transfer", files=_transfer_files,
        measure=_transfer_measure("depth"), expected="μPC's optimum transfers across depths; sp's does not",
        rule=rule(TRANSFER_RULE_TEXT, ("mupc_spread", "<=", 1), ("sp_moves", ">=", MOVES))),
    Claim(
        id="002.mupc_close_to_bp_at_depth_128", seed="002", kind=FINDING,
        statement="A 128-layer μPC ReLU net at its transferred learning rates comes close to BP with Depth-μP at "
                  "the same depth after one epoch.",
        source=f"{SOURCE}: cell 'muPC vs PC vs BP with Depth-muP' (BP drawn at H = 128; μPC at weight lr 0.1, "
               "activity lr 0.5); paper's main figure. The 5-point threshold is this project's reading of "
               "'competitive'.",
        family="mupc_vs_pc_vs_bp", study="mupc_vs_pc_vs_bp", files=_bp_files, measure=_measure_bp,
        expected="μPC within a few points of BP (paper's main figure)",
        rule=rule("BP − μPC ≤ 5 points of final test accuracy, on every seed", ("bp_minus_mupc", "<=", 5))),
    Claim(
        id="002.loss_above_energy", seed="002", kind=CHECK,
        statement="For linear nets the feedforward loss is never below the equilibrated energy (𝓛/F* ≥ 1).",
        source=f"{SOURCE}: section 'Theory energy results' (colour scales start at 1). An identity: F* is the "
               "minimum of F over the activities and F at the feedforward activities is 𝓛.",
        family="mupc_energy_theory", study="mupc_energy_theory", files=_energy_files, measure=_measure_ratio_floor,
        expected="𝓛/F* ≥ 1", rule=rule("min ratio ≥ 1 − 1e-4", ("min_ratio", ">=", 1 - 1e-4))),
    Claim(
        id="002.mupc_energy_near_loss_with_width", seed="002", kind=FINDING,
        statement="Under μPC the ratio of the loss to the equilibrated energy falls towards 1 as width grows, "
                  "at every depth and throughout training.",
        source=f"{SOURCE}: section 'Theory energy results', cell 'Vary depth & width' (μPC phase diagrams of "
               "𝓛/F* at t ∈ PLOT_TS = 0…900, colour range 1…10³ against sp's 1…10⁷); paper's width limit of the "
               "energy. Reading it as 'lower at the widest than at the narrowest width' is this project's.",
        family="mupc_energy_theory", study="mupc_energy_theory", files=_energy_files, measure=_measure_ratio_width,
        expected="μPC: 𝓛/F* → 1 with width",
        rule=rule("at every depth and plotted step, μPC's ratio at the widest width ≤ at the narrowest",
                  ("max_log10_change", "<=", 0.0))),
    Claim(
        id="002.pc_degrades_with_depth", seed="002", kind=FINDING,
        statement="Standard PC's best test accuracy falls with depth in every variant (GD, Adam, skips, "
                  "orthogonal init).",
        source=f"{SOURCE}: sections 'GD', 'Adam', 'Skips', 'Orthogonal init' (best-lr curves over H = 8, 16, 32 per "
               "activation and dataset).",
        family="mupc_pc_sweeps", study="mupc_pc_sweeps", files=_pc_sweep_files, measure=_measure_pc_depth,
        expected="every variant: lower accuracy at H = 32 than at H = 8",
        rule=rule("for every dataset × variant × activation, the best final accuracy at the deepest depth is no "
                  "higher than at the shallowest, on every seed", ("max_gain_with_depth", "<=", 0.0))),
    Claim(
        id="002.pc_kappa_grows", seed="002", kind=FINDING,
        statement="Standard PC's activity Hessian grows more ill-conditioned over training and with depth.",
        source=f"{SOURCE}: section 'GD', cell 'best GD results' (κ(H_z) over training at the best activity lr per "
               "H = 8, 16, 32: best_cond_nums_GD_<act>); paper Section 3 (arXiv 2505.13124: the inference landscape of "
               "standard PCNs becomes increasingly ill-conditioned with width, depth and training time).",
        family="mupc_pc_sweeps", study="mupc_pc_sweeps", files=_pc_sweep_files, measure=_measure_pc_kappa,
        expected="κ(H_z) rises over training and is larger at H = 32 than at H = 8",
        rule=rule("for every dataset, activation and depth, κ at the last evaluation above κ at initialisation; for "
                  "every dataset and activation, the last κ at the deepest depth above the shallowest's; on every seed",
                  ("min_log10_growth_over_training", ">=", 1e-9), ("min_log10_growth_with_depth", ">=", 1e-9))),
    Claim(
        id="002.mupc_wider_is_better", seed="002", kind=FINDING,
        statement="At fixed depth, wider μPC nets reach higher test accuracy.",
        source=f"{SOURCE}: section 'Width (wider is better)' (best μPC curves at H = 8 over N).",
        family="mupc_sweeps", study="mupc_sweeps", files=_mupc_sweep_files, measure=_measure_wider,
        expected="accuracy grows with N at H = 8",
        rule=rule("at every activation, the final accuracy at the widest width is above the narrowest's, on every "
                  "seed", ("min_gain_with_width", ">=", 1e-9))),
]
