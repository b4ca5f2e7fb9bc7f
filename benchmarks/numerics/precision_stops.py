"""Does training precision change which learning-rate pairs stop? (compute.dtype)

Trains every standard-PC (sp) cell of ``mupc_hp_transfer`` of a preset twice, once with
``compute.dtype: float32`` and once with float64 (as the reference script that made the μPC
sweeps), on a prepared dataset, and prints per cell the (weight lr, activity lr, seed) runs
that stopped (diverged / no learning) under each precision, and where they differ.

    python benchmarks/numerics/precision_stops.py --preset quick --dataset data/prepared/MNIST.npz
"""

from __future__ import annotations

import argparse
import datetime
import platform
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)  # float64 cells need it; float32 cells stay float32

from pcrepro.pipeline.cells import training_cells  # noqa: E402
from pcrepro.pipeline.config import load_config  # noqa: E402
from pcrepro.pipeline.runner import run_cell

REPO = Path(__file__).resolve().parents[2]


def stopped_runs(table) -> dict[tuple, str]:
    runs = table.drop_duplicates(["seed", "weight_lr", "activity_lr"])
    return {(r.weight_lr, r.activity_lr, r.seed): f"{r.status}@{r.stop_step}"
            for r in runs.itertuples() if r.status != "ok"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="quick", choices=["quick", "paper"])
    p.add_argument("--dataset", type=Path, required=True, help="prepared MNIST (.npz)")
    args = p.parse_args()
    print(f"{datetime.date.today()} · {platform.node()} · {jax.devices()[0].device_kind} · preset {args.preset}")
    totals = {}
    for dtype in ("float32", "float64"):
        config = load_config(REPO / "config.yaml", REPO / "schemas" / "config.schema.yaml", {"preset": args.preset})
        config["compute"]["dtype"] = dtype
        cells = {cid: c for cid, c in training_cells("mupc_hp_transfer", config).items()
                 if c["net"]["param_type"] == "sp" and c["dataset"] == "MNIST"}
        totals[dtype] = {cid.removesuffix("_f64"): stopped_runs(run_cell(cell, args.dataset, log=None))
                         for cid, cell in sorted(cells.items())}
    for cid in totals["float32"]:
        a, b = totals["float32"][cid], totals["float64"][cid]
        print(f"\n{cid}: stopped float32 {len(a)}, float64 {len(b)}")
        for run in sorted(set(a) | set(b)):
            mark = "" if a.get(run) == b.get(run) else "   <- differs"
            print(f"  (weight lr, activity lr, seed) {run}: float32 {a.get(run, 'ok')}, float64 {b.get(run, 'ok')}{mark}")


if __name__ == "__main__":
    main()
