"""GPU check: the paper-scale numbers of seed 002 that one short session on one GPU can produce.

One entry point for a time-limited GPU machine without Snakemake, plotly, kaleido, mnist1d or
internet (JAX, numpy, pandas, pyarrow only). It writes one JSON line per result to ``--out`` as
soon as it is measured, and keeps every trained table under ``--tables``, so that ``--items``
can finish the check in a second window from the first window's tables. Items:

Numerics and speed of the training step (the paper shape: H = 128, N = 512, T = 128, B = 64, ReLU,
μPC with skips, Adam):

``zeros``     on this device, per matmul precision (:data:`PRECISIONS`), with and without the error
              front: one step of a net whose errors reach only its top layers must leave every
              other layer's weights bit for bit as they were; and the compiled step's matmuls
              counted by kind (cuBLAS calls, Triton fusions), to see whether an explicit algorithm
              became a Triton fusion or several cuBLAS calls.
``step``      16 vmapped runs at each precision with the error front, and ``highest`` without it:
              ms per run and batch, compile time.
``accuracy``  the gate a faster precision must pass before it becomes the default: one run from
              the same weights on the same 200 batches in float64, at ``highest`` and at each
              candidate, whose training loss must stay within float32's own distance to float64
              (the largest over the steps); and the 128-layer μPC run (seed 0, 900 steps) at each
              candidate, which must reach 95 % test accuracy as at ``highest`` (96.5 %).

Verdicts of the seed-002 claims that need paper scale, each judged by the claims registry's own
rule on the smallest slice of the paper grid (:data:`SLICES`, in float32) that can decide it; each
verdict line names its slice. A slice narrower than the claim's statement (fewer activations,
variants or shapes) can refute it, and a "reproduced" holds for the slice only:

``deep``            002.mupc_trains_deep_pc_fails
``bp_128``          002.mupc_close_to_bp_at_depth_128 (reads ``deep``'s μPC table)
``width_transfer``  002.mupc_width_transfer
``depth_transfer``  002.mupc_depth_transfer
``pc_depth``        002.pc_degrades_with_depth, 002.pc_kappa_grows

``--plan`` prints each item's estimate from ``pcrepro budget``'s model and stops. The cells are
the pipeline's own (``pcrepro.pipeline.cells``), trained by ``run_cell``; only their grids are
narrowed. ``--toy`` runs every item at toy sizes, on the CPU in minutes (a test does)::

    python benchmarks/gpu_check.py --prepare-carry gpu_carry --mirror ../shared/datasets   # CPU, once
    PYTHONPATH=src:gpu_carry/python python benchmarks/gpu_check.py --mirror gpu_carry/datasets \\
        --items zeros step accuracy deep bp_128 --tables $OUT/tables --out $OUT/check.jsonl   # GPU, window 1
    python benchmarks/gpu_check.py --toy --dataset stand-in.npz --out /tmp/t.jsonl            # CPU test
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import math
import platform
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, NamedTuple

import jax

jax.config.update("jax_enable_x64", True)  # the float64 reference; float32 cells train the same either way

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/: the shared modules and speed/

from speed.bench_mupc_step import bench as bench_step  # noqa: E402
from speed.bench_train_cell import run_outcomes  # noqa: E402
from one_run import train_losses  # noqa: E402

from pcrepro.claims import CLAIMS, verdict  # noqa: E402
from pcrepro.core.nets import NetSpec  # noqa: E402
from pcrepro.core.training import RunHyper, TrainSpec, init_run, train_step  # noqa: E402
from pcrepro.data import REFERENCE_NORMALISATION, load_prepared  # noqa: E402
from pcrepro.pipeline.budget import training_budget  # noqa: E402
from pcrepro.pipeline.cells import cell_id, n_runs, train_spec, training_cells  # noqa: E402
from pcrepro.pipeline.config import load_config, preset_config  # noqa: E402
from pcrepro.pipeline.results import read_table, select_best, write_table  # noqa: E402
from pcrepro.pipeline.runner import run_cell  # noqa: E402

# shapes and lengths: the paper's, and toy ones for the CPU tests
SIZES = {
    "paper": dict(depth=128, width=512, test_every=100, sp_steps=100, accuracy_steps=200, deep_steps=900,
                  step_runs=16, step_repeats=5, zeros_depth=16, widths=[64, 256, 1024], width_depth=8,
                  depths=[8, 16, 32], pc_width=128, pc_depths=[8, 32], pc_steps=None, steps=None, bp_test_every=300,
                  bp_baseline_depth=8),
    "toy": dict(depth=4, width=16, test_every=10, sp_steps=10, accuracy_steps=5, deep_steps=20,
                step_runs=2, step_repeats=2, zeros_depth=6, widths=[8, 12, 16], width_depth=2,
                depths=[2, 3, 4], pc_width=8, pc_depths=[8, 16], pc_steps=20, steps=20, bp_test_every=10,
                bp_baseline_depth=2),
}
# float32 candidates for the training matmuls; "default" is the GPU's TF32, shown for comparison
PRECISIONS = ("highest", "TF32_TF32_F32_X3", "BF16_BF16_F32_X6", "default")
CANDIDATES = ("TF32_TF32_F32_X3", "BF16_BF16_F32_X6")
GATE_ACCURACY = 95.0  # % at step 900: the 128-layer μPC run at highest reached 96.5 % (H200, 2026-11-30)
MUPC_PAIR = {"weight_lrs": [0.1], "activity_lrs": [0.5]}  # the transferred ReLU pair (claims.mupc.TRANSFERRED)
SP_PAIRS = {"weight_lrs": [0.1, 0.01], "activity_lrs": [0.5, 0.05]}
TRANSFER_ACTIVITY_LRS = [5, 1, 0.5, 0.1, 0.05]  # five of the paper's eleven, around the transferred 0.5
SEEDS, SLICE_SEEDS = [0, 1, 2], [0, 1]
ITEMS = ("zeros", "step", "accuracy", "deep", "bp_128", "width_transfer", "depth_transfer", "pc_depth")


def _header() -> dict:
    device = jax.devices()[0]
    return {"date": datetime.date.today().isoformat(), "device": getattr(device, "device_kind", str(device)),
            "platform": device.platform, "host": platform.node(), "jax": jax.__version__}


def _precisions_here() -> list[str]:
    """The candidates this platform compiles (XLA:CPU has no TF32)."""
    return [p for p in PRECISIONS if jax.default_backend() != "cpu" or p in ("highest", "BF16_BF16_F32_X6")]


def _mupc_spec(size: dict, depth: int, steps: int, **kw) -> TrainSpec:
    return TrainSpec(NetSpec(784, size["width"], depth, 10, "relu", "mupc", True, "standard_gauss"), "pc",
                     n_infer_steps=steps, activity_optim="gd", weight_optim="adam", batch_size=64, **kw)


# ------------------------------------------------------------------ numerics and speed of the step


def matmul_kinds(hlo: str) -> dict[str, int]:
    """Matmuls in an optimised HLO module by how XLA runs them: cuBLAS / cuBLASLt calls, Triton
    GEMM fusions, other dots (the CPU's)."""
    return {"cublas": len(re.findall(r'custom_call_target="__cublas\$(?:gemm|lt\$matmul)', hlo)),
            "triton_gemm": len(re.findall(r'"kind":"__triton_gemm"|kind=__triton_gemm|__triton_gemm', hlo)),
            "dot": len(re.findall(r"\bdot\(", hlo))}


def zeros_items(size: dict) -> list[dict]:
    """Per precision and form: the hidden layers whose weights one step moved, against the layers
    its errors reach (T = 4 steps reach the top 4 of H), and the compiled step's matmul kinds."""
    depth, steps = size["zeros_depth"], 4
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (64, 784), jnp.float32)
    y = jax.nn.one_hot(jax.random.randint(key, (64,), 0, 10), 10, dtype=jnp.float32)
    hyper = RunHyper(jnp.uint32(0), jnp.float32(0.5), jnp.float32(0.1), jnp.float32(0.0))
    rows = []
    for precision in _precisions_here():
        for front in (False, True):
            spec = _mupc_spec(size, depth, steps, matmul_precision=precision, skip_unreached_layers=front)
            state = init_run(jnp.uint32(0), spec)
            step = jax.jit(lambda s, spec=spec: train_step(s, hyper, x, y, 1, spec))
            hlo = step.lower(state).compile().as_text()
            new, _ = step(state)
            moved = [int(k) for k in range(depth - 1)
                     if bool(jnp.any(new.params["w_hidden"][k] != state.params["w_hidden"][k]))]
            # W_ℓ₊₁ (w_hidden[ℓ − 1]) changes only where the errors reached z_ℓ₊₁: ℓ ≥ H − T
            unreached_moved = [k for k in moved if k < depth - 1 - steps]
            rows.append({"item": "zeros", "matmul_precision": precision, "error_front": front, "depth": depth,
                         "width": size["width"], "infer_steps": steps, "hidden_layers_moved": moved,
                         "unreached_layers_moved": unreached_moved, "exact": not unreached_moved,
                         "matmuls": matmul_kinds(hlo)})
    return rows


def step_items(size: dict) -> list[dict]:
    """The paper-shape step, ``step_runs`` vmapped runs, at each precision with the error front
    and at highest without it."""
    forms = [(p, True) for p in _precisions_here()] + [("highest", False)]
    rows = []
    for precision, front in forms:
        spec = _mupc_spec(size, size["depth"], size["depth"], matmul_precision=precision,
                          skip_unreached_layers=front)
        rows.append({"item": "step", "depth": size["depth"], "width": size["width"], "error_front": front,
                     **bench_step(spec, size["step_runs"], size["step_repeats"])})
    return rows


def accuracy_items(size: dict, dataset: Path, deep_cell: dict) -> list[dict]:
    """The gate of each candidate precision (module docstring)."""
    data = load_prepared(dataset, REFERENCE_NORMALISATION["MNIST"])
    b = 64
    batches = [(data.x_train[i * b:(i + 1) * b], data.y_train[i * b:(i + 1) * b])
               for i in range(size["accuracy_steps"])]
    spec = _mupc_spec(size, size["depth"], size["depth"], skip_unreached_layers=True)
    reference = train_losses(spec, batches, jnp.float64)
    float32 = train_losses(spec, batches, jnp.float32)

    def distance(losses):
        return max(abs(a - r) if math.isfinite(a) else math.inf for a, r in zip(losses, reference))

    spread = distance(float32)
    rows = [{"item": "accuracy", "matmul_precision": "highest", "steps": len(batches),
             "max_abs_loss_diff_to_float64": spread, "final_loss": float32[-1], "float64_final_loss": reference[-1]}]
    for precision in [p for p in CANDIDATES if p in _precisions_here()]:
        losses = train_losses(spec, batches, jnp.float32, precision)
        cell = _with(deep_cell, size["deep_steps"], MUPC_PAIR, seeds=[0])
        t0 = time.perf_counter()
        table = run_cell({**cell, "matmul_precision": {"cpu": precision, "gpu": precision}}, dataset, log=print)
        final = float(table.groupby("step")["test_acc"].mean().iloc[-1])
        within = distance(losses) <= spread
        rows.append({"item": "accuracy", "matmul_precision": precision, "steps": len(batches),
                     "max_abs_loss_diff_to_float64": distance(losses), "final_loss": losses[-1],
                     "within_float32_spread": within, "deep_steps": size["deep_steps"], "deep_test_acc": final,
                     "deep_wall_s": round(time.perf_counter() - t0, 1),
                     "gate_passed": bool(within and final >= GATE_ACCURACY)})
    return rows


# ------------------------------------------------------------------ claim slices


class Plan(NamedTuple):
    """One item's slice: the cells to train (study, cell), the narrowed paper grids the claims are
    judged on, the claims, what the slice is, and tables of earlier items it reads as its own
    (item, study, the rows' param_type)."""

    cells: list[tuple[str, dict]]
    grids: dict
    claims: list[str]
    slice: str
    reads: list[tuple[str, str, str]] = []


def _with(cell: dict, steps: int | None, lrs: dict, seeds: list[int] | None = None) -> dict:
    """``cell`` trained ``steps`` steps per epoch (None: the whole epoch) at ``lrs``."""
    runs = {**cell["runs"], **lrs, **({"seeds": seeds} if seeds else {})}
    return {**cell, "train": {**cell["train"], "max_steps_per_epoch": steps}, "runs": runs}


def _narrowed(config: dict, study: str, **grid) -> dict:
    """``config`` with the paper grid of ``study`` updated by ``grid``, in float32 (the check's
    precision: the paper preset trains some studies in float64, the reference's)."""
    paper = preset_config(config, "paper")
    narrowed = {**copy.deepcopy(paper[study]), **grid}
    if "dtype" in paper[study] or study.startswith("mupc_"):
        narrowed["dtype"] = "float32"
    return {**config, "presets": {**config["presets"], "paper": {**paper, study: narrowed}}}


def _cells(study: str, config: dict, steps: int | None) -> list[tuple[str, dict]]:
    return [(study, _with(c, steps, {})) for c in training_cells(study, config).values()]


def _transfer_config(config: dict, size: dict, width_sweep: dict, depth_sweep: dict, **grid) -> dict:
    shape = {"test_every": size["test_every"]}
    return _narrowed(config, "mupc_hp_transfer", act_fns=["relu"], extra=None, width_sweep={**width_sweep, **shape},
                     depth_sweep={**depth_sweep, **shape}, **grid)


def deep_plan(config: dict, size: dict) -> Plan:
    h, n = size["depth"], size["width"]
    cfg = _transfer_config(config, size, {"n_hidden": h, "widths": [n]}, {"width": n, "n_hiddens": [h]}, seeds=SEEDS)
    cells = {c["net"]["param_type"]: c for c in training_cells("mupc_hp_transfer", cfg).values()}
    return Plan([("mupc_hp_transfer", _with(cells["mupc"], size["steps"], MUPC_PAIR)),
                 ("mupc_hp_transfer", _with(cells["sp"], size["sp_steps"], SP_PAIRS))],
                preset_config(cfg, "paper"), ["002.mupc_trains_deep_pc_fails"],
                f"ReLU, N = {n}, H = {h}, 3 seeds: μPC at (0.1, 0.5) for one epoch; standard PC at 4 pairs "
                f"(weight 0.1/0.01 × activity 0.5/0.05) to step {size['sp_steps']} or its stop")


def bp_plan(config: dict, size: dict) -> Plan:
    h, n = size["depth"], size["width"]
    cfg = _narrowed(config, "mupc_bp_baseline", seeds=SEEDS, width=n, n_hidden=size["bp_baseline_depth"], blocks=[
        {"dataset": "MNIST", "epochs": 1, "test_every": size["bp_test_every"], "act_fns": ["relu"]}])
    # the paper's BP cell at the deepest depth (its lr from the baseline's selection), at the check's shape
    bp = next(c for c in training_cells("mupc_vs_pc_vs_bp", config).values()
              if c["train"]["algorithm"] == "bp" and c["net"]["act_fn"] == "relu" and c["train"]["epochs"] == 1
              and c["dataset"] == "MNIST")
    bp = {**bp, "net": {**bp["net"], "n_hidden": h, "width": n},
          "train": {**bp["train"], "dtype": "float32", "test_every": size["bp_test_every"]}}
    return Plan(_cells("mupc_bp_baseline", cfg, size["steps"]) + [("mupc_vs_pc_vs_bp", _with(bp, size["steps"], {}))],
                preset_config(cfg, "paper"), ["002.mupc_close_to_bp_at_depth_128"],
                f"ReLU, N = {n}, H = {h}, one epoch, 3 seeds: BP with Depth-μP at the lr the BP baseline "
                f"selects (its 9 lrs at H = 8); μPC at (0.1, 0.5) from item deep",
                reads=[("deep", "mupc_sweeps", "mupc")])


def transfer_plan(config: dict, size: dict, sweep: str) -> Plan:
    lrs = {"activity_lrs": TRANSFER_ACTIVITY_LRS, "seeds": SLICE_SEEDS}
    if sweep == "width":
        widths = size["widths"]
        cfg = _transfer_config(config, size, {"n_hidden": size["width_depth"], "widths": widths},
                               {"width": widths[0], "n_hiddens": [size["width_depth"]]}, **lrs)
        shapes = f"H = {size['width_depth']}, N ∈ {widths}"
    else:
        depths = size["depths"]
        cfg = _transfer_config(config, size, {"n_hidden": depths[0], "widths": [size["width"]]},
                               {"width": size["width"], "n_hiddens": depths}, **lrs)
        shapes = f"N = {size['width']}, H ∈ {depths}"
    g = preset_config(cfg, "paper")["mupc_hp_transfer"]
    return Plan(_cells("mupc_hp_transfer", cfg, size["steps"]), preset_config(cfg, "paper"), [f"002.mupc_{sweep}_transfer"],
                f"ReLU, {shapes}, μPC and standard PC, weight lrs {g['weight_lrs']} × activity lrs "
                f"{TRANSFER_ACTIVITY_LRS}, seeds {SLICE_SEEDS}, one epoch")


def pc_depth_plan(config: dict, size: dict) -> Plan:
    paper = preset_config(config, "paper")["mupc_pc_sweeps"]
    cfg = _narrowed(config, "mupc_pc_sweeps", datasets=["MNIST"], width=size["pc_width"], n_hiddens=size["pc_depths"],
                    variants={"GD": paper["variants"]["GD"]}, seeds=SLICE_SEEDS, test_every=size["test_every"])
    return Plan(_cells("mupc_pc_sweeps", cfg, size["pc_steps"]), preset_config(cfg, "paper"),
                ["002.pc_degrades_with_depth", "002.pc_kappa_grows"],
                f"MNIST, variant GD only, 3 activations, N = {size['pc_width']}, H ∈ {size['pc_depths']} (the "
                f"seed's shallowest and deepest), seeds {SLICE_SEEDS}, the paper's 3 activity lrs, one epoch")


PLANS: dict[str, Callable[[dict, dict], Plan]] = {
    "deep": deep_plan, "bp_128": bp_plan,
    "width_transfer": lambda c, s: transfer_plan(c, s, "width"),
    "depth_transfer": lambda c, s: transfer_plan(c, s, "depth"),
    "pc_depth": pc_depth_plan,
}


def estimate_s(plan: Plan) -> float:
    """The budget model's GPU seconds for a plan's cells."""
    return sum(training_budget(s, {cell_id(c): c}, train_spec, {c["dataset"]: 60000})["gpu_hours"] * 3600
               for s, c in plan.cells if not c["runs"].get("lrs_from"))


def run_plan(name: str, plan: Plan, dataset: Path, tables: Path, write: Callable[[dict], None]) -> None:
    """Train the plan's cells (a cell whose table is already under ``tables`` is read back, so a
    second window resumes), then judge its claims on ``tables/<name>``."""
    root = tables / name
    for study, cell in plan.cells:
        path = root / study / "runs" / f"{cell_id(cell)}.parquet"
        if path.exists():
            print(f"[{name}] {cell_id(cell)}: table read back from {path}", flush=True)
            continue
        selection = None
        if cell["runs"].get("lrs_from"):
            source = cell["runs"]["lrs_from"]["study"]
            selection = root / source / "selection.csv"
            _select(root / source, selection)
        t0 = time.perf_counter()
        table = run_cell(cell, dataset, log=print, selection_path=selection)
        write_table(table, path)
        accs = table.groupby("step")["test_acc"].mean().round(2)
        write({"item": name, "study": study, "cell": cell_id(cell), "runs": n_runs(cell) if not selection else None,
               "wall_s": round(time.perf_counter() - t0, 1), "run_steps_trained": int(table.attrs["run_steps_computed"]),
               "mean_test_acc_by_step": {int(k): float(v) for k, v in accs.items()}, "status": run_outcomes(table),
               "data_source": table["data_source"].iloc[0], "matmul_precision": table["matmul_precision"].iloc[0]})
    for item, study, param_type in plan.reads:
        found = [t for t in map(read_table, sorted((tables / item).glob("*/runs/*.parquet")))
                 if (t["param_type"] == param_type).all()]
        if not found:
            raise SystemExit(f"item {name} reads item {item}'s {param_type} tables under {tables / item}: run "
                             f"--items {item} first (or give --tables the folder that holds them)")
        for table in found:
            write_table(table, root / study / "runs" / f"{table['cell'].iloc[0]}.parquet")
    for study in {s for s, _ in plan.cells} | {s for _, s, _ in plan.reads}:
        parts = sorted((root / study / "runs").glob("*.parquet"))
        write_table(pd.concat([read_table(p) for p in parts], ignore_index=True), root / study / "runs.parquet")
    for claim in [c for c in CLAIMS if c.id in plan.claims]:
        row = verdict(claim, root, plan.grids)
        write({"item": name, "claim": row["claim"], "verdict": row["verdict"], "measured": row["measured"],
               "rule": row["rule"], "values": row["values"], "per_seed": row["per_seed"], "slice": plan.slice})


def _select(study_dir: Path, out: Path) -> None:
    """The BP baseline's weight lr per (dataset, epochs, activation), by the config's rule (as the
    workflow's rule select)."""
    rule = read_config()["selection"]
    runs = pd.concat([read_table(p) for p in sorted((study_dir / "runs").glob("*.parquet"))], ignore_index=True)
    write_table(select_best(runs, ["dataset", "epochs", "act_fn"], "weight_lr", **{
        k: rule[k] for k in ("statistic", "stopped_run_score", "tie_tolerance") if k in rule}), out)


# ------------------------------------------------------------------ entry point


def read_config() -> dict:
    """config.yaml at the paper preset, validated where jsonschema is installed (a GPU machine may
    lack it; the tests validate the same file on every run)."""
    try:
        return load_config(REPO / "config.yaml", REPO / "schemas" / "config.schema.yaml", {"preset": "paper"})
    except ModuleNotFoundError as err:
        if err.name != "jsonschema":
            raise
        import yaml

        print("config.yaml read without validation: jsonschema is not installed here", flush=True)
        return {**yaml.safe_load((REPO / "config.yaml").read_text()), "preset": "paper"}


def prepare_carry(directory: Path, mirror: Path) -> None:
    """Put what the GPU run needs beside the checkout into ``directory`` (an ignored folder the
    device call carries): MNIST's four raw files and a pure-Python copy of PyYAML (the GPU machine
    has no internet, and PyYAML is not among its packages for sure)."""
    import shutil

    import yaml

    raw = directory / "datasets" / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        shutil.copy2(mirror / "MNIST" / "raw" / name, raw / name)
    target = directory / "python" / "yaml"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(Path(yaml.__file__).parent, target, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    print(f"ready: {directory} ({sum(f.stat().st_size for f in directory.rglob('*') if f.is_file()) / 1e6:.1f} MB); "
          f"on the GPU: PYTHONPATH=src:{directory}/python python benchmarks/gpu_check.py --mirror {directory}/datasets")


def _dataset(args) -> Path:
    if args.dataset is not None and args.dataset.exists():
        return args.dataset
    if args.mirror is None:
        raise SystemExit(f"no prepared dataset at {args.dataset}: give --dataset <MNIST.npz> or --mirror <folder with "
                         f"MNIST/raw/>")
    from pcrepro.data import FetchOptions, prepare_image_dataset

    dataset = Path(tempfile.mkdtemp(prefix="gpu-check-data-")) / "MNIST.npz"
    prepare_image_dataset("MNIST", dataset, dataset.parent / "raw", FetchOptions(mirror=str(args.mirror),
                                                                                 download=False))
    return dataset


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", type=Path, help="prepared MNIST (.npz, `pcrepro prepare-dataset`)")
    p.add_argument("--mirror", type=Path, help="or a folder holding MNIST/raw/<the four .gz files>")
    p.add_argument("--toy", action="store_true", help="toy sizes: the whole check on a CPU in minutes")
    p.add_argument("--prepare-carry", type=Path, metavar="DIR",
                   help="copy MNIST's raw files (from --mirror) and PyYAML into DIR for the GPU call, then stop")
    p.add_argument("--items", nargs="+", choices=ITEMS, default=list(ITEMS), help="run only these items")
    p.add_argument("--plan", action="store_true", help="print each claim item's slice and estimated GPU time, then stop")
    p.add_argument("--tables", type=Path, default=None,
                   help="where the trained tables are kept and read back (default: beside --out)")
    p.add_argument("--out", type=Path, default=None, help="JSON lines (default: benchmarks/results/gpu_check_<date>.jsonl)")
    args = p.parse_args(argv)
    if args.prepare_carry:
        if args.mirror is None:
            raise SystemExit("--prepare-carry needs --mirror <folder with MNIST/raw/>")
        return prepare_carry(args.prepare_carry, args.mirror)
    size = SIZES["toy" if args.toy else "paper"]
    config = read_config()
    plans = {name: PLANS[name](config, size) for name in ITEMS if name in PLANS and name in args.items}
    if args.plan:
        for name, plan in plans.items():
            print(f"{name}: {len(plan.cells)} cells, ≈ {estimate_s(plan):.0f} s by the budget model "
                  f"(compile included); {', '.join(plan.claims)}\n    slice: {plan.slice}")
        return
    dataset = _dataset(args)
    out = args.out or REPO / "benchmarks" / "results" / f"gpu_check_{datetime.date.today().isoformat()}.jsonl"
    tables = args.tables or out.parent / f"{out.stem}_tables"
    header, start = _header(), time.perf_counter()

    def write(record: dict) -> None:  # one line per result, as soon as it is measured
        record = {**header, **record, "elapsed_s": round(time.perf_counter() - start, 1)}
        print(json.dumps(record), flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "a") as f:
            f.write(json.dumps(record) + "\n")

    items = set(args.items)
    for name, rows in (("zeros", lambda: zeros_items(size)), ("step", lambda: step_items(size)),
                       ("accuracy", lambda: accuracy_items(size, dataset, deep_plan(config, size).cells[0][1]))):
        if name in items:
            for record in rows():
                write(record)
    for name, plan in plans.items():
        run_plan(name, plan, dataset, tables, write)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
