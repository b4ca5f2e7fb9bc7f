"""Benchmark: one whole training cell of a study, timed against the budget's estimate.

Builds the study's cells from config.yaml (no Snakemake), picks the one cell matching every
``--match key=value`` (keys of the cell's net / train blocks or its dataset), trains it on a
prepared dataset and prints wall time, the run-steps actually trained (stopped runs are not
trained further) against the grid's total, how the runs ended, and ``pcrepro budget``'s
estimate for the same cell (which charges every run for every step). ``--weight-lrs`` and
``--max-steps-per-epoch`` shrink the cell to fit a time-limited machine; the estimate follows.

    python benchmarks/speed/bench_train_cell.py --study mupc_hp_transfer --preset paper \\
        --match param_type=mupc act_fn=relu n_hidden=128 width=512 dataset=MNIST \\
        --dataset data/prepared/MNIST.npz --out benchmarks/results/h100_train_cell.jsonl
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import time
from pathlib import Path

import jax

from pcrepro.pipeline.budget import training_budget
from pcrepro.pipeline.cells import n_runs, train_spec, training_cells
from pcrepro.pipeline.config import load_config
from pcrepro.pipeline.runner import run_cell
from pcrepro.studies.mupc_training import STUDIES as TRAINING_STUDIES

REPO = Path(__file__).resolve().parents[2]


def matching_cell(cells: dict, match: dict[str, str]) -> dict:
    def fields(cell):
        return {**cell["net"], **cell["train"], "dataset": cell["dataset"]}

    found = [c for c in cells.values() if all(str(fields(c).get(k)) == v for k, v in match.items())]
    if len(found) != 1:
        raise SystemExit(f"--match {match} selects {len(found)} cells; name more keys")
    return found[0]


def run_outcomes(table) -> dict[str, int]:
    """How a cell's runs ended: their count per final status (ok, diverged, no_learning)."""
    return table.drop_duplicates(["seed", "activity_lr", "weight_lr"])["status"].value_counts().to_dict()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--study", required=True, choices=sorted(TRAINING_STUDIES))
    p.add_argument("--preset", default="paper", choices=["quick", "paper"])
    p.add_argument("--match", nargs="+", default=[], help="key=value pairs that pick one cell")
    p.add_argument("--dataset", type=Path, required=True, help="prepared .npz of the cell's dataset")
    p.add_argument("--weight-lrs", type=float, nargs="+", default=None, help="train only these weight lrs")
    p.add_argument("--max-steps-per-epoch", type=int, default=None)
    p.add_argument("--max-runs-per-program", type=int, default=16)
    p.add_argument("--out", default=None, help="append the result as a JSON line to this file")
    args = p.parse_args()

    config = load_config(REPO / "config.yaml", REPO / "schemas" / "config.schema.yaml", {"preset": args.preset})
    cell = matching_cell(training_cells(args.study, config), dict(m.split("=", 1) for m in args.match))
    if args.weight_lrs:
        cell = {**cell, "runs": {**cell["runs"], "weight_lrs": args.weight_lrs}}
    if args.max_steps_per_epoch:
        cell = {**cell, "train": {**cell["train"], "max_steps_per_epoch": args.max_steps_per_epoch}}
    estimate = training_budget(args.study, {"cell": cell}, train_spec, {cell["dataset"]: 60000})

    t0 = time.perf_counter()
    table = run_cell(cell, args.dataset, max_runs_per_program=args.max_runs_per_program, log=print)
    wall = time.perf_counter() - t0
    spec = train_spec(cell)
    total = n_runs(cell) * spec.epochs * spec.steps_per_epoch(60000)
    device = jax.devices()[0]
    row = {
        "date": datetime.date.today().isoformat(), "device": getattr(device, "device_kind", str(device)),
        "host": platform.node(), "jax": jax.__version__, "study": args.study, "cell": table["cell"].iloc[0],
        "runs": n_runs(cell), "max_runs_per_program": args.max_runs_per_program,
        "wall_s": round(wall, 1), "estimated_s": round(estimate["gpu_hours"] * 3600, 1),
        "run_steps_trained": int(table.attrs["run_steps_computed"]), "run_steps_total": int(total),
        "status": run_outcomes(table),
    }
    print(json.dumps(row))
    if args.out:
        with open(args.out, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
