"""Check: does a float32 training cell give the same table on 1, 2 or 4 CPU devices?

``compute.cpu_devices`` splits the CPU into JAX devices, and a cell trains one run per device at a
time (``pipeline.devices.cell_layout``); ``compute.cpu_split_batch`` splits a one-run cell's batch
over them instead. The maths is the same; the question is whether the layout changes the rounding,
and so the table. This trains one small μPC ReLU cell (synthetic Gaussian clusters,
20 steps, float32) for each run count and device count, each in a fresh process (the device count
is fixed when JAX starts), and prints a fingerprint of each table (test accuracy, train loss and
energy at every evaluation, bit for bit): equal fingerprints in a row mean the layout changed no
bit. ``--no-eigen-threads`` turns off Eigen's multi-threaded contractions in every process;
``--vmapped`` trains every run vmapped in one program per device instead (a GPU's layout, and the
CPU's before it trained one run per device: those rows of the record show why it changed);
``--split-batch`` splits the one-run cell's batch.

    python benchmarks/numerics/layout_determinism.py --out benchmarks/results/cpu_layout_determinism_<date>.jsonl
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import hashlib, json, os, sys
from pcrepro.core.nets import NetSpec
from pcrepro.core.training import TrainSpec
from pcrepro.pipeline.cells import run_grid
from pcrepro.pipeline.runner import train_cell

seeds, lrs, width, depth, vmapped, split_batch = json.loads(sys.argv[1])
sys.path.insert(0, sys.argv[2])  # benchmarks/
from clusters import clusters
if vmapped:  # runs vmapped per device, as a GPU trains them
    from pcrepro.pipeline import devices
    devices._backend = lambda: "gpu"
data = clusters(640, 200, 20, spread=2.0)
spec = TrainSpec(NetSpec(20, width, depth, 10, "relu", "mupc", True, "standard_gauss"), "pc", n_infer_steps=depth,
                 batch_size=32, epochs=1, test_every=5, dtype="float32")
lines = []
table = train_cell(spec, run_grid(list(range(seeds)), lrs, [0.05], [0.0]), data, log=lines.append,
                   split_batch=split_batch)
values = table.sort_values(["seed", "activity_lr", "step"])[["test_acc", "train_loss", "energy"]].to_numpy()
print(json.dumps({"fingerprint": hashlib.sha256(values.tobytes()).hexdigest()[:12], "layout": lines[0].split("] ")[1]}))
"""

BENCHMARKS = str(Path(__file__).resolve().parents[1])  # the children import clusters from here
# (seeds, activity lrs): one run (its batch is split), and 2, 4, 6, 8 runs
RUN_GRIDS = [(1, [0.5]), (1, [0.5, 0.1]), (2, [0.5, 0.1]), (3, [0.5, 0.1]), (4, [0.5, 0.1])]


def fingerprint(n_devices: int, seeds: int, lrs: list[float], width: int, depth: int, eigen_threads: bool,
                vmapped: bool, split_batch: bool) -> dict:
    flags = f"--xla_force_host_platform_device_count={n_devices}"
    if not eigen_threads:
        flags += " --xla_cpu_multi_thread_eigen=false"
    env = {**os.environ, "XLA_FLAGS": flags, "JAX_PLATFORMS": "cpu"}
    spec = json.dumps([seeds, lrs, width, depth, vmapped, split_batch])
    out = subprocess.run([sys.executable, "-c", CHILD, spec, BENCHMARKS], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--devices", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depth", type=int, default=6)
    p.add_argument("--no-eigen-threads", action="store_true")
    p.add_argument("--vmapped", action="store_true", help="every run vmapped in one program per device")
    p.add_argument("--split-batch", action="store_true", help="split the one-run cell's batch over the devices")
    p.add_argument("--out", default=None, help="append the results as JSON lines to this file")
    args = p.parse_args()
    import jax

    header = {"date": datetime.date.today().isoformat(), "host": platform.node(), "cpus": os.cpu_count(),
              "jax": jax.__version__, "width": args.width, "depth": args.depth,
              "eigen_threads": not args.no_eigen_threads, "vmapped": args.vmapped, "split_batch": args.split_batch}
    rows = []
    for seeds, lrs in RUN_GRIDS:
        found = {n: fingerprint(n, seeds, lrs, args.width, args.depth, not args.no_eigen_threads, args.vmapped,
                                args.split_batch) for n in args.devices}
        prints = [found[n]["fingerprint"] for n in args.devices]
        row = {**header, "runs": seeds * len(lrs), "fingerprints": dict(zip(map(str, args.devices), prints)),
               "layouts": {str(n): found[n]["layout"] for n in args.devices}, "all_equal": len(set(prints)) == 1}
        rows.append(row)
        print(f"{row['runs']} run(s): " + ", ".join(f"{n} device(s) {f}" for n, f in zip(args.devices, prints))
              + ("  (all equal)" if row["all_equal"] else "  (differ)"), flush=True)
    if args.out:
        with open(args.out, "a") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)


if __name__ == "__main__":
    main()
