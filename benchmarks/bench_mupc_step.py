"""Benchmark: one μPC training step (feedforward init, T GD inference steps, Adam weight step).

Default shape is the issue's target: depth 128, width 512, batch 64, 128 inference
steps, ReLU, skips, Adam on weights, for 1 run and for 16 vmapped runs. Prints ms
per batch per run, compile time and achieved TFLOP/s (analytic matmul count).
Runs anywhere JAX runs; no Snakemake needed:

    python benchmarks/bench_mupc_step.py                    # the target shape (GPU)
    python benchmarks/bench_mupc_step.py --depth 16 --width 128 --infer-steps 16 --runs 1 4   # CPU
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import time

import jax
import jax.numpy as jnp

from pcrepro.core.nets import NetSpec
from pcrepro.core.training import RunHyper, TrainSpec, init_run, train_step
from pcrepro.pipeline.budget import step_flops as matmul_flops


def bench(spec: TrainSpec, n_runs: int, repeats: int) -> dict:
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (n_runs, spec.batch_size, spec.net.input_dim))
    y = jax.nn.one_hot(jax.random.randint(key, (n_runs, spec.batch_size), 0, 10), 10)
    seeds = jnp.arange(n_runs, dtype=jnp.uint32)
    hyper = RunHyper(seeds, jnp.full(n_runs, 0.5), jnp.full(n_runs, 0.1), jnp.zeros(n_runs))
    states = jax.vmap(lambda s: init_run(s, spec))(seeds)
    step = jax.jit(jax.vmap(lambda st, h, xb, yb: train_step(st, h, xb, yb, 1, spec)), donate_argnums=(0,))

    t0 = time.perf_counter()
    states, metrics = step(states, hyper, x, y)
    jax.block_until_ready(metrics)
    compile_s = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        states, metrics = step(states, hyper, x, y)
        jax.block_until_ready(metrics)
        times.append(time.perf_counter() - t0)
    best = min(times)
    return {
        "runs": n_runs,
        "compile_s": round(compile_s, 3),
        "ms_per_batch": round(1e3 * best, 3),
        "ms_per_batch_per_run": round(1e3 * best / n_runs, 3),
        "tflops": round(matmul_flops(spec) * n_runs / best / 1e12, 3),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--depth", type=int, default=128, help="hidden layers H")
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--infer-steps", type=int, default=128)
    p.add_argument("--act", default="relu")
    p.add_argument("--runs", type=int, nargs="+", default=[1, 16])
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--out", default=None, help="append the results as JSON lines to this file")
    args = p.parse_args()
    spec = TrainSpec(NetSpec(784, args.width, args.depth, 10, args.act, "mupc", True, "standard_gauss"),
                     "pc", n_infer_steps=args.infer_steps, activity_optim="gd", weight_optim="adam",
                     batch_size=args.batch)
    device = jax.devices()[0]
    header = {"date": datetime.date.today().isoformat(), "device": getattr(device, "device_kind", str(device)),
              "platform": device.platform, "host": platform.node(), "jax": jax.__version__,
              "depth": args.depth, "width": args.width, "batch": args.batch, "infer_steps": args.infer_steps,
              "act": args.act}
    print(json.dumps(header))
    for n_runs in args.runs:
        row = {**header, **bench(spec, n_runs, args.repeats)}
        print(f"runs={n_runs:3d}  {row['ms_per_batch_per_run']:9.2f} ms/batch/run  "
              f"compile {row['compile_s']:.2f} s  {row['tflops']:.2f} TFLOP/s", flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
