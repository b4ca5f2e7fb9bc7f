"""Seed 002 (μPC): the activity Hessian's conditioning, forward activities across width and depth,
deep training of μPC vs standard PC vs BP, learning-rate transfer, and the loss vs the energy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data import STANDIN
from ..pipeline.results import read_table, rows_where, transfer_surface
from .registry import Claim, Measurement, Rule

CHANCE = 20.0  # % test accuracy at or below which a net "stays at chance" (10 classes; the runs stop below 15)
PC_FAILS_FROM = 32  # hidden layers: standard PC is claimed to fail from this depth on


def _synthetic(*tables: pd.DataFrame) -> bool:
    return any("data_source" in t and (t["data_source"] == STANDIN).any() for t in tables)


# ------------------------------------------------------------------ κ(H_z) of sp + orthogonal


def _kappa_files(grids: dict) -> list[str]:
    return ["mupc_activity_hessian/sp_orthogonal/linear.parquet"]


def _measure_kappa(files: list[Path], grids: dict) -> Measurement:
    table = read_table(files[0])
    num = table[table["matrix"] == "num"]
    theory = 1.0 / np.tan(np.pi / (2 * (num["n_hidden"] + 1))) ** 2
    error = np.abs(num["cond"] / theory - 1)
    worst = num.loc[error.idxmax()]
    return Measurement({"max_rel_error": float(error.max()), "n_shapes": float(len(num[["width", "n_hidden"]]
                                                                                    .drop_duplicates()))},
                       f"max |κ/cot²(π/(2(H+1))) − 1| = {error.max():.2g} over {len(num)} nets "
                       f"(worst N = {worst['width']}, H = {worst['n_hidden']})")


# ------------------------------------------------------------------ forward pass


def _forward_files(grids: dict) -> list[str]:
    g = grids["mupc_forward_pass"]
    return [f"mupc_forward_pass/{act}_{optim}.parquet" for act in g["act_fns"] for optim in g["optims"]]


def _measure_forward(files: list[Path], grids: dict) -> Measurement:
    tables = [read_table(f) for f in files]
    table = pd.concat(tables)
    last = table[(table["step"] == 0) & (table["metric"] == "activity_l2") & (table["layer"] == "L")]
    values = {}
    for setting, name in (("depth_mup_skips", "mupc"), ("sp", "sp")):
        v = last.loc[last["setting"] == setting, "value"]
        values[f"{name}_spread"] = float(v.max() / v.min())  # across widths and depths
        values[f"{name}_min"], values[f"{name}_max"] = float(v.min()), float(v.max())
    return Measurement(values, f"‖z_L‖ at init over widths × depths: μPC {values['mupc_min']:.2g}…"
                               f"{values['mupc_max']:.2g} (×{values['mupc_spread']:.3g}), sp {values['sp_min']:.2g}…"
                               f"{values['sp_max']:.2g} (×{values['sp_spread']:.3g})", synthetic=_synthetic(*tables))


# ------------------------------------------------------------------ depth: μPC vs standard PC


def _transfer_files(grids: dict) -> list[str]:
    return ["mupc_hp_transfer/selection.csv", "mupc_hp_transfer/runs.parquet"]


def _sweeps(grids: dict, selection: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The selected rows of mupc_hp_transfer's width sweep and depth sweep (its `extra` cell aside)."""
    g = grids["mupc_hp_transfer"]
    chosen = selection[selection["selected"]]
    width = chosen[(chosen["n_hidden"] == g["width_sweep"]["n_hidden"])
                   & chosen["width"].isin(g["width_sweep"]["widths"])]
    depth = chosen[(chosen["width"] == g["depth_sweep"]["width"])
                   & chosen["n_hidden"].isin(g["depth_sweep"]["n_hiddens"])]
    interval = {k: g[k].get("test_every", g["test_every"]) for k in ("width_sweep", "depth_sweep")}
    return {"width": width[width["test_every"] == interval["width_sweep"]],
            "depth": depth[depth["test_every"] == interval["depth_sweep"]]}


def _measure_depth(files: list[Path], grids: dict) -> Measurement:
    depth = _sweeps(grids, pd.read_csv(files[0]))["depth"]
    deepest = int(depth["n_hidden"].max())
    at = depth[depth["n_hidden"] == deepest].set_index("param_type")["score_mean"]
    values = {"n_hidden": float(deepest), "mupc_acc": float(at.get("mupc", np.nan)), "sp_acc": float(at.get("sp", np.nan))}
    return Measurement(values, f"H = {deepest}: best μPC {values['mupc_acc']:.1f} %, best standard PC "
                               f"{values['sp_acc']:.1f} % (mean over seeds of the final test accuracy)",
                       synthetic=_synthetic(read_table(files[1], columns=["data_source"])),
                       testable=deepest >= PC_FAILS_FROM)


# ------------------------------------------------------------------ transfer


def _grid_index(values, grid: list[float]) -> np.ndarray:
    return np.searchsorted(np.sort(grid), np.asarray(values, float))


def _best_pair(rows: pd.DataFrame, failed_if: str) -> tuple[float, float] | None:
    """The (weight lr, activity lr) of a cell's lowest point on its transfer contour (the mean
    over seeds of each run's minimum batch loss, as the figure); points where a run stopped are
    not candidates. None: every point stopped."""
    surface = transfer_surface(rows, "loss", failed_if, "mark")
    valid = surface[~surface["stopped"]]
    if valid.empty:
        return None
    best = valid.loc[valid["value"].idxmin()]
    return float(best["weight_lr"]), float(best["activity_lr"])


def _measure_transfer(files: list[Path], grids: dict) -> Measurement:
    g = grids["mupc_hp_transfer"]
    sweeps = _sweeps(grids, pd.read_csv(files[0]))
    runs = read_table(files[1])
    values, parts = {}, []
    for sweep, chosen in sweeps.items():
        for param in ("mupc", "sp"):
            shapes = chosen[chosen["param_type"] == param]
            pairs = []
            for _, shape in shapes.iterrows():
                rows = rows_where(runs, param_type=param, width=shape["width"], n_hidden=shape["n_hidden"],
                                  test_every=shape["test_every"])
                pairs.append(_best_pair(rows, g.get("failed_if", "any_run_stopped")))
            found = [p for p in pairs if p is not None]
            spans = [np.ptp(_grid_index([p[i] for p in found], g[f"{lr}s"])) if found else np.nan
                     for i, lr in enumerate(("weight_lr", "activity_lr"))]
            values[f"{param}_{sweep}_span"] = float(max(spans))
            values[f"{param}_{sweep}_failed_shapes"] = float(len(pairs) - len(found))
            values[f"{param}_{sweep}_min_acc"] = float(shapes["score_mean"].min()) if len(shapes) else np.nan
            values[f"{sweep}_points"] = float(len(shapes))
        parts.append(f"{sweep}: best pair spread μPC {values[f'mupc_{sweep}_span']:g}, sp "
                     f"{values[f'sp_{sweep}_span']:g} grid steps over {values[f'{sweep}_points']:g} nets "
                     f"(sp best accuracy ≥ {values[f'sp_{sweep}_min_acc']:.1f} %)")
    testable = values["width_points"] >= 3 and values["depth_points"] >= 3
    return Measurement(values, "; ".join(parts), testable=testable,
                       synthetic=_synthetic(runs[["data_source"]]))


def _transfers(v: dict) -> bool:
    mupc_stays = all(v[f"mupc_{s}_span"] <= 1 and v[f"mupc_{s}_failed_shapes"] == 0 for s in ("width", "depth"))
    sp_moves_or_fails = any(v[f"sp_{s}_span"] >= 2 or v[f"sp_{s}_min_acc"] <= CHANCE
                            or v[f"sp_{s}_failed_shapes"] > 0 for s in ("width", "depth"))
    return mupc_stays and sp_moves_or_fails


# ------------------------------------------------------------------ depth 128: μPC vs BP


def _bp_files(grids: dict) -> list[str]:
    return ["mupc_sweeps/runs.parquet", "mupc_vs_pc_vs_bp/runs.parquet"]


def _final_best(runs: pd.DataFrame) -> float:
    """Best over learning rates of the seeds' mean final test accuracy (a stopped run at chance)."""
    last = runs[runs["step"] == runs["step"].max()].copy()
    last["test_acc"] = last["test_acc"].fillna(10.0)
    return float(last.groupby(["activity_lr", "weight_lr"])["test_acc"].mean().max())


def _measure_bp(files: list[Path], grids: dict) -> Measurement:
    sweeps, comparison = (read_table(f) for f in files)
    depth = int(comparison.loc[comparison["algorithm"] == "bp", "n_hidden"].max())
    mupc = sweeps[(sweeps["act_fn"] == "relu") & (sweeps["n_hidden"] == depth)]
    bp = comparison[(comparison["algorithm"] == "bp") & (comparison["n_hidden"] == depth)
                    & (comparison["epochs"] == comparison["epochs"].min())]
    values = {"n_hidden": float(depth), "mupc_acc": _final_best(mupc) if len(mupc) else np.nan,
              "bp_acc": _final_best(bp)}
    mupc_text = f"μPC {values['mupc_acc']:.1f} %" if len(mupc) else "no μPC sweep cell at this depth"
    return Measurement(values, f"H = {depth}, one epoch: {mupc_text}, BP with Depth-μP {values['bp_acc']:.1f} %",
                       synthetic=_synthetic(sweeps, comparison),
                       testable=depth >= 128 and len(mupc) > 0)


# ------------------------------------------------------------------ loss vs equilibrated energy


def _energy_files(grids: dict) -> list[str]:
    g = grids["mupc_energy_theory"]
    return ([f"mupc_energy_theory/phase_{p}.parquet" for p in g["phase"]["param_types"]]
            + [f"mupc_energy_theory/width_{p}.parquet" for p in g["width_study"]["param_types"]])


def _measure_energy(files: list[Path], grids: dict) -> Measurement:
    tables = [read_table(f) for f in files]
    linear = pd.concat(tables)
    linear = linear[linear["act_fn"] == "linear"]
    phase = read_table(next(f for f in files if f.name == "phase_mupc.parquet"))
    at_init = phase[phase["step"] == 0].groupby(["n_hidden", "width"])["ratio"].first()
    falls = [bool(np.all(np.diff(at_init.loc[h].sort_index().to_numpy()) < 0)) for h in at_init.index.levels[0]]
    values = {"min_ratio": float(linear["ratio"].min()), "mupc_falls_with_width": float(all(falls))}
    return Measurement(values, f"min 𝓛/F* over every linear net and step = {values['min_ratio']:.6g}; μPC's ratio "
                               f"at init falls with width at {sum(falls)} of {len(falls)} depths",
                       synthetic=_synthetic(*tables))


CLAIMS = [
    Claim(
        id="002.kappa_sp_orthogonal", seed="002",
        statement="The activity Hessian of a linear sp net with orthogonal init has condition number "
                  "cot²(π/(2(H+1))) at every width.",
        family="mupc_activity_hessian", study="mupc_activity_hessian", files=_kappa_files, measure=_measure_kappa,
        expected="κ(H_z) = cot²(π/(2(H+1))), independent of N",
        rules={p: Rule("max relative error ≤ 1e-4", lambda v: v["max_rel_error"] <= 1e-4)
               for p in ("quick", "paper")}),
    Claim(
        id="002.mupc_forward_order_one", seed="002",
        statement="At initialisation μPC (Depth-μP with skips) keeps the last layer's activities O(1) across "
                  "width and depth, while standard parameterisation's explode or vanish.",
        family="mupc_forward_pass", study="mupc_forward_pass", files=_forward_files, measure=_measure_forward,
        expected="μPC: O(1); sp: grows or decays with depth",
        rules={p: Rule("μPC's ‖z_L‖ varies less than 10× over widths × depths, sp's more than 100×",
                       lambda v: v["mupc_spread"] < 10 and v["sp_spread"] > 100) for p in ("quick", "paper")}),
    Claim(
        id="002.mupc_trains_deep_pc_fails", seed="002",
        statement="μPC trains deep residual nets (32 hidden layers or more) to high test accuracy while "
                  "standard PC at the same depth stays at chance.",
        family="mupc_vs_pc_vs_bp", study="mupc_hp_transfer", files=_transfer_files, measure=_measure_depth,
        expected="μPC 128-layer ReLU MNIST: low nineties %; standard PC: chance",
        # quick: 200 steps of a narrow net, where "trains" means five times chance, and still rising
        rules={"quick": Rule(f"μPC ≥ 50 % and standard PC ≤ {CHANCE:g} % at the deepest depth (≥ {PC_FAILS_FROM}) "
                             "after 200 steps", lambda v: v["mupc_acc"] >= 50 and v["sp_acc"] <= CHANCE),
               "paper": Rule(f"μPC ≥ 88 % and standard PC ≤ {CHANCE:g} % at the deepest depth",
                             lambda v: v["mupc_acc"] >= 88 and v["sp_acc"] <= CHANCE)}),
    Claim(
        id="002.mupc_lr_transfer", seed="002",
        statement="μPC's best (weight, activity) learning rates stay put across widths and depths, while "
                  "standard PC's move or the net fails to train.",
        family="mupc_hp_transfer", study="mupc_hp_transfer", files=_transfer_files, measure=_measure_transfer,
        expected="μPC's optimum transfers; sp's does not",
        rules={p: Rule("on the figure's contours (mean over seeds of each run's minimum batch loss), μPC's "
                       "lowest point spreads over ≤ 1 grid step in each sweep; sp's over ≥ 2, or sp stays at "
                       f"chance (≤ {CHANCE:g} %) or stops at every point somewhere; ≥ 3 widths and ≥ 3 depths",
                       _transfers)
               for p in ("quick", "paper")}),
    Claim(
        id="002.mupc_close_to_bp_at_depth_128", seed="002",
        statement="A 128-layer μPC ReLU net comes close to BP with Depth-μP at the same depth.",
        family="mupc_vs_pc_vs_bp", study="mupc_vs_pc_vs_bp", files=_bp_files, measure=_measure_bp,
        expected="μPC within a few points of BP (paper's main figure)",
        rules={"paper": Rule("BP − μPC ≤ 5 points of test accuracy after one epoch",
                             lambda v: v["bp_acc"] - v["mupc_acc"] <= 5)}),
    Claim(
        id="002.loss_above_energy", seed="002",
        statement="For linear nets the feedforward loss is never below the equilibrated energy (𝓛/F* ≥ 1), "
                  "and μPC's ratio falls towards 1 as width grows.",
        family="mupc_energy_theory", study="mupc_energy_theory", files=_energy_files, measure=_measure_energy,
        expected="𝓛/F* ≥ 1; μPC: 𝓛/F* → 1 with width",
        rules={p: Rule("min ratio ≥ 1 − 1e-4, and μPC's ratio at init falls with width at every depth",
                       lambda v: v["min_ratio"] >= 1 - 1e-4 and v["mupc_falls_with_width"] == 1)
               for p in ("quick", "paper")}),
]
