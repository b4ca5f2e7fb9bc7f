"""Benchmark: one training cell on a CPU, its runs vmapped on one device against one run per device.

A CPU training cell trains one run per JAX device at a time (``pipeline.devices.cell_layout``),
which keeps a run's float32 bits independent of the device count; the question here is what that
costs or gains against every run vmapped in one program on one device (a GPU's layout). Each
layout trains the same cell (μPC ReLU, 784 inputs, skips, T = H, batch 64, 200 steps, 6 runs:
2 seeds x 3 activity lrs, on Gaussian clusters) in a fresh process with the device count set
before JAX starts; the cell is trained twice and the second (compiled) training is timed.

    python benchmarks/speed/bench_cell_layout.py --out benchmarks/results/cpu_cell_layout_<date>.jsonl
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
import json, sys, time
from pcrepro.core.nets import NetSpec
from pcrepro.core.training import TrainSpec
from pcrepro.pipeline.cells import run_grid
from pcrepro.pipeline import devices
from pcrepro.pipeline.runner import train_cell

width, depth, vmapped = json.loads(sys.argv[1])
sys.path.insert(0, sys.argv[2])  # benchmarks/
from clusters import clusters
if vmapped:  # every run in one vmapped program on one device (a GPU's layout)
    devices._backend = lambda: "gpu"
data = clusters(64 * 200, 500, 784)
spec = TrainSpec(NetSpec(784, width, depth, 10, "relu", "mupc", True, "standard_gauss"), "pc", n_infer_steps=depth,
                 batch_size=64, epochs=1, test_every=100, dtype="float32")
runs = run_grid([0, 1], [5.0, 0.5, 0.05], [0.1], [0.0])
lines = []
train_cell(spec, runs, data, log=None)
t0 = time.perf_counter()
train_cell(spec, runs, data, log=lines.append)
print(json.dumps({"seconds": time.perf_counter() - t0, "layout": lines[0].split("] ")[1]}))
"""

BENCHMARKS = str(Path(__file__).resolve().parents[1])  # the children import clusters from here
LAYOUTS = {"vmapped, one device": (1, True), "one run per device, 1 device": (1, False),
           "one run per device, 2 devices": (2, False)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", nargs="+", default=["32x16", "128x16", "16x8"], help="width x depth")
    p.add_argument("--out", default=None, help="append the results as JSON lines to this file")
    args = p.parse_args()
    import jax

    header = {"date": datetime.date.today().isoformat(), "host": platform.node(), "cpus": os.cpu_count(),
              "jax": jax.__version__}
    rows = []
    for shape in args.shapes:
        width, depth = map(int, shape.split("x"))
        seconds = {}
        for name, (n_devices, vmapped) in LAYOUTS.items():
            env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={n_devices}",
                   "JAX_PLATFORMS": "cpu"}
            out = subprocess.run([sys.executable, "-c", CHILD, json.dumps([width, depth, vmapped]), BENCHMARKS], env=env,
                                 capture_output=True, text=True, check=True).stdout
            seconds[name] = round(json.loads(out.strip().splitlines()[-1])["seconds"], 2)
        row = {**header, "width": width, "depth": depth, "runs": 6, "steps": 200, "seconds": seconds}
        rows.append(row)
        print(f"N = {width}, H = {depth}: " + ", ".join(f"{k} {v} s" for k, v in seconds.items()), flush=True)
    if args.out:
        with open(args.out, "a") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)


if __name__ == "__main__":
    main()
