"""GPU check: the paper-scale numbers of seed 002 that one short session on one GPU can produce.

One entry point for a time-limited GPU machine without Snakemake, plotly, kaleido, mnist1d or
internet (JAX, numpy, pandas, pyarrow only). On one H200 (2026-11-30) items 1–3 and 5 took 228 s
at the training step's full float32 precision, and all five 185 s at TF32 (records:
``benchmarks/results/h200_gpu_check_2026-11-30.jsonl``). It writes one JSON line per item to
``--out`` (``--items`` runs a subset):

1. ``step``: the μPC training step at the paper shape (H = 128, N = 512, T = 128, B = 64, ReLU,
   skips, Adam), 1 and 16 vmapped runs: ms per run and batch, compile time, TFLOP/s
   (``bench_mupc_step.py``).
2. ``mupc_deep``: the 128-layer μPC ReLU net at activity lr 0.5, weight lr 0.1, 3 seeds vmapped,
   900 steps on the real MNIST, test accuracy every 100 steps (the depth sweep's interval), wall time.
3. ``sp_deep``: standard PC (sp, skips) at the same shape over 4 (weight lr, activity lr) pairs,
   3 seeds, to its first evaluation (step 100) or its stop.
4. ``transfer_slice``: one weight lr of the depth-128 μPC ``mupc_hp_transfer`` cell (11 activity
   lrs × 3 seeds) for 100 steps, timed against ``pcrepro budget``'s estimate for the same slice.
5. ``claims``: the verdicts of the claims these runs bear on (``002.mupc_trains_deep_pc_fails``),
   through the claims registry, from the tables of items 2 and 3 as one depth cell each of a
   one-depth ``mupc_hp_transfer`` grid (the claim's one rule).

The cells are the pipeline's own (``pcrepro.pipeline.cells``), trained by ``run_cell``; only
their grids are narrowed. ``--toy`` runs every item at toy sizes, on the CPU in a minute (the
tests do), so that the one GPU call does not fail on a typo::

    python benchmarks/gpu_check.py --prepare-carry gpu_carry --mirror ../shared/datasets   # CPU, once
    PYTHONPATH=src:gpu_carry/python python benchmarks/gpu_check.py --mirror gpu_carry/datasets  # GPU
    python benchmarks/gpu_check.py --toy --dataset stand-in.npz --out /tmp/t.jsonl       # CPU test
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import jax
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the benchmark scripts beside this file

from bench_mupc_step import bench as bench_step  # noqa: E402
from bench_train_cell import matching_cell, run_outcomes  # noqa: E402

from pcrepro.claims import claims_of, verdict  # noqa: E402
from pcrepro.core.nets import NetSpec  # noqa: E402
from pcrepro.core.training import TrainSpec  # noqa: E402
from pcrepro.pipeline.budget import training_budget  # noqa: E402
from pcrepro.pipeline.cells import (  # noqa: E402
    n_runs,
    train_spec,
    training_cells,
)
from pcrepro.pipeline.config import load_config, preset_config  # noqa: E402
from pcrepro.pipeline.results import select_best, write_table  # noqa: E402
from pcrepro.pipeline.runner import run_cell  # noqa: E402

# shape, steps and learning rates of each item: the paper's, and toy ones for the CPU tests
SIZES = {
    "paper": dict(depth=128, width=512, mupc_steps=900, sp_steps=100, test_every=100, slice_steps=100,
                  step_runs=(1, 16), step_repeats=5),
    "toy": dict(depth=4, width=16, mupc_steps=30, sp_steps=10, test_every=10, slice_steps=10,
                step_runs=(1, 4), step_repeats=2),
}
MUPC_LRS = {"activity_lrs": [0.5], "weight_lrs": [0.1]}
SP_LRS = {"activity_lrs": [0.5, 0.05], "weight_lrs": [0.1, 0.01]}
SEEDS = [0, 1, 2]
ITEMS = ("step", "mupc_deep", "sp_deep", "transfer_slice", "claims")


def _header() -> dict:
    device = jax.devices()[0]
    return {"date": datetime.date.today().isoformat(), "device": getattr(device, "device_kind", str(device)),
            "platform": device.platform, "host": platform.node(), "jax": jax.__version__}


def step_items(size: dict) -> list[dict]:
    spec = TrainSpec(NetSpec(784, size["width"], size["depth"], 10, "relu", "mupc", True, "standard_gauss"), "pc",
                     n_infer_steps=size["depth"], activity_optim="gd", weight_optim="adam", batch_size=64)
    return [{"item": "step", "depth": size["depth"], "width": size["width"], **bench_step(spec, runs, size["step_repeats"])}
            for runs in size["step_runs"]]


def check_config(config: dict, size: dict) -> dict:
    """``config`` with the paper's mupc_hp_transfer grid narrowed to one ReLU shape, H = depth,
    N = width, T = H, evaluated every ``test_every`` steps: one μPC and one sp cell. In float32,
    as the check's records were measured: the paper preset itself trains these cells in float64
    (the paper-era reference's precision), so the check's verdict is a float32 one."""
    paper = preset_config(config, "paper")
    grid = copy.deepcopy(paper["mupc_hp_transfer"])
    shape = dict(test_every=size["test_every"])
    grid.update(dtype="float32", act_fns=["relu"], seeds=SEEDS,
                width_sweep={"n_hidden": size["depth"], "widths": [size["width"]], **shape},
                depth_sweep={"width": size["width"], "n_hiddens": [size["depth"]], **shape}, extra=None)
    return {**config, "presets": {**config["presets"], "paper": {**paper, "mupc_hp_transfer": grid}}}


def check_cells(config: dict, size: dict) -> dict[str, dict]:
    """The narrowed grid's two cells, by parameterisation ("mupc", "sp")."""
    return {c["net"]["param_type"]: c for c in training_cells("mupc_hp_transfer", check_config(config, size)).values()}


def _with(cell: dict, steps: int, lrs: dict) -> dict:
    """``cell`` trained ``steps`` steps at ``lrs``."""
    return {**cell, "train": {**cell["train"], "max_steps_per_epoch": steps}, "runs": {**cell["runs"], **lrs}}


def train_item(name: str, cell: dict, dataset: Path) -> tuple[dict, pd.DataFrame]:
    t0 = time.perf_counter()
    table = run_cell(cell, dataset, log=print)
    wall = time.perf_counter() - t0
    accs = table.groupby("step")["test_acc"].mean().round(2)
    return ({"item": name, "cell": table["cell"].iloc[0], "runs": n_runs(cell), "wall_s": round(wall, 1),
             "run_steps_trained": int(table.attrs["run_steps_computed"]),
             "mean_test_acc_by_step": {int(k): float(v) for k, v in accs.items()}, "status": run_outcomes(table),
             "data_source": table["data_source"].iloc[0]}, table)


def transfer_slice(config: dict, size: dict, toy: bool, dataset: Path) -> dict:
    """One weight lr of the depth-H μPC transfer cell (every activity lr, 3 seeds), timed."""
    if toy:  # the paper's activity lrs on the toy shape
        cell = check_cells(config, size)["mupc"]
        cell = {**cell, "runs": {**cell["runs"], "activity_lrs": preset_config(config, "paper")
                                 ["mupc_hp_transfer"]["activity_lrs"]}}
    else:
        cell = matching_cell(training_cells("mupc_hp_transfer", config), {
            "param_type": "mupc", "act_fn": "relu", "dataset": "MNIST", "n_hidden": str(size["depth"]),
            "width": str(size["width"])})
    cell = _with(cell, size["slice_steps"], {"weight_lrs": [0.1]})
    estimate = training_budget("mupc_hp_transfer", {"cell": cell}, train_spec, {cell["dataset"]: 60000})
    record, _ = train_item("transfer_slice", cell, dataset)
    return {**record, "estimated_s": round(estimate["gpu_hours"] * 3600, 1)}


def claim_items(config: dict, size: dict, tables: list[pd.DataFrame]) -> list[dict]:
    """The verdicts of the depth claim on items 2 and 3, as the one-depth transfer grid's cells."""
    grids = preset_config(check_config(config, size), "paper")
    g = grids["mupc_hp_transfer"]
    runs = pd.concat(tables, ignore_index=True)
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        root = Path(tmp) / "mupc_hp_transfer"
        write_table(runs, root / "runs.parquet")
        selection = select_best(runs, g["select_by"], ["weight_lr", "activity_lr"], **{
            k: config["selection"][k] for k in ("statistic", "stopped_run_score", "tie_tolerance")})
        write_table(selection, root / "selection.csv")
        rows = [verdict(c, Path(tmp), grids) for c in claims_of("mupc_hp_transfer")
                if c.id == "002.mupc_trains_deep_pc_fails"]
    return [{"item": "claims", "claim": r["claim"], "verdict": r["verdict"], "measured": r["measured"],
             "rule": r["rule"], "values": r["values"]} for r in rows]


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


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", type=Path, help="prepared MNIST (.npz, `pcrepro prepare-dataset`)")
    p.add_argument("--mirror", type=Path, help="or a folder holding MNIST/raw/<the four .gz files>")
    p.add_argument("--toy", action="store_true", help="toy sizes: the whole check on a CPU in a minute")
    p.add_argument("--prepare-carry", type=Path, metavar="DIR",
                   help="copy MNIST's raw files (from --mirror) and PyYAML into DIR for the GPU call, then stop")
    p.add_argument("--items", nargs="+", choices=ITEMS, default=list(ITEMS),
                   help="run only these items (claims needs mupc_deep and sp_deep)")
    p.add_argument("--out", type=Path, default=None, help="JSON lines (default: benchmarks/results/gpu_check_<date>.jsonl)")
    args = p.parse_args(argv)
    if args.prepare_carry:
        if args.mirror is None:
            raise SystemExit("--prepare-carry needs --mirror <folder with MNIST/raw/>")
        return prepare_carry(args.prepare_carry, args.mirror)
    size = SIZES["toy" if args.toy else "paper"]
    out = args.out or REPO / "benchmarks" / "results" / f"gpu_check_{datetime.date.today().isoformat()}.jsonl"
    dataset = args.dataset
    if dataset is None or not dataset.exists():
        if args.mirror is None:
            raise SystemExit(f"no prepared dataset at {dataset}: give --dataset <MNIST.npz> or --mirror <folder with "
                             f"MNIST/raw/>")
        from pcrepro.data import FetchOptions, prepare_image_dataset

        dataset = Path(tempfile.mkdtemp(prefix="gpu-check-data-")) / "MNIST.npz"
        prepare_image_dataset("MNIST", dataset, dataset.parent / "raw", FetchOptions(mirror=str(args.mirror),
                                                                                     download=False))
    config = read_config()
    header, start = _header(), time.perf_counter()

    def write(record: dict) -> None:  # one line per item, as soon as it is measured
        record = {**header, **record, "elapsed_s": round(time.perf_counter() - start, 1)}
        print(json.dumps(record), flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "a") as f:
            f.write(json.dumps(record) + "\n")

    items = set(args.items)
    if "claims" in items and not {"mupc_deep", "sp_deep"} <= items:
        raise SystemExit("--items claims needs mupc_deep and sp_deep: the verdict is judged on their tables")
    if "step" in items:
        for record in step_items(size):
            write(record)
    cells, tables = check_cells(config, size), []
    for name, cell, steps, lrs in (("mupc_deep", "mupc", size["mupc_steps"], MUPC_LRS),
                                   ("sp_deep", "sp", size["sp_steps"], SP_LRS)):
        if name in items:
            record, table = train_item(name, _with(cells[cell], steps, lrs), dataset)
            write(record)
            tables.append(table)
    if "transfer_slice" in items:
        write(transfer_slice(config, size, args.toy, dataset))
    if "claims" in items:
        for record in claim_items(config, size, tables):
            write(record)

if __name__ == "__main__":
    main()
