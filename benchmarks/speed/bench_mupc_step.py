"""Benchmark: one μPC training step (feedforward init, T GD inference steps, Adam weight step).

Default shape is the issue's target: depth 128, width 512, batch 64, 128 inference
steps, ReLU, skips, Adam on weights, for 1 run and for 16 vmapped runs. Prints ms
per batch per run, compile time and achieved TFLOP/s (analytic matmul count).
Runs anywhere JAX runs; no Snakemake needed:

    python benchmarks/speed/bench_mupc_step.py                    # the target shape (GPU)
    python benchmarks/speed/bench_mupc_step.py --depth 16 --width 128 --infer-steps 16 --runs 1 4   # CPU
    python benchmarks/speed/bench_mupc_step.py --activity-grad autodiff explicit   # both forms of ∂F/∂z, interleaved

``--activity-grad`` times the inference with ∂F/∂z by autodiff (``core.energy.activity_grad``, what
the training cells use) and/or written out (``core.energy.activity_grad_explicit``; the same
function, tested equal in float64).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import platform
import sys
import time
from pathlib import Path
from unittest import mock

import jax
import jax.numpy as jnp

from pcrepro.core import inference
from pcrepro.core.energy import activity_grad, activity_grad_explicit
from pcrepro.experimental.fused_grad import activity_grad_fused
from pcrepro.core.nets import NetSpec
from pcrepro.core.training import RunHyper, TrainSpec, init_run, train_step
from pcrepro.pipeline.budget import step_flops as matmul_flops

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared timing
from timing import timed  # noqa: E402

_INTERPRET = jax.default_backend() != "gpu"  # the Pallas kernel compiles for GPUs; elsewhere it is interpreted
ACTIVITY_GRADS = {
    "autodiff": activity_grad,
    "explicit": activity_grad_explicit,
    "fused": functools.partial(activity_grad_fused, interpret=_INTERPRET),  # 64-row blocks, 64 × 64 tiles
    "fused_r32": functools.partial(activity_grad_fused, interpret=_INTERPRET, row_block=32, col_block=32),
}


def _compiled_step(spec: TrainSpec, n_runs: int, grad: str):
    """The jitted step of ``n_runs`` vmapped runs with ∂F/∂z in the form ``grad``, its inputs, its
    compile time and the first call's (energy after inference, probe activities): every form starts
    from the same weights and batch, so these must agree to round-off."""
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (n_runs, spec.batch_size, spec.net.input_dim))
    y = jax.nn.one_hot(jax.random.randint(key, (n_runs, spec.batch_size), 0, 10), 10)
    seeds = jnp.arange(n_runs, dtype=jnp.uint32)
    hyper = RunHyper(seeds, jnp.full(n_runs, 0.5), jnp.full(n_runs, 0.1), jnp.zeros(n_runs))
    states = jax.vmap(lambda s: init_run(s, spec))(seeds)
    step = jax.jit(jax.vmap(lambda st, h, xb, yb: train_step(st, h, xb, yb, 1, spec)), donate_argnums=(0,))
    with mock.patch.object(inference, "activity_grad", ACTIVITY_GRADS[grad]):  # read when the step is traced
        t0 = time.perf_counter()
        states, metrics = step(states, hyper, x, y)
        jax.block_until_ready(metrics)
    return step, [states, hyper, x, y], time.perf_counter() - t0, (metrics[1], metrics[2])


def bench_forms(spec: TrainSpec, n_runs: int, repeats: int, grads: list[str]) -> list[dict]:
    """Best of ``repeats`` steps of ``n_runs`` vmapped runs for each form of ∂F/∂z in ``grads``,
    timed round by round (interleaved), so that every form sees the same machine state."""
    compiled, failed = {}, {}
    for g in grads:
        try:
            compiled[g] = _compiled_step(spec, n_runs, g)
        except Exception as err:  # a candidate kernel that does not compile here is reported, not fatal
            failed[g] = f"{type(err).__name__}: {str(err)[:300]}"
    times = {g: [] for g in compiled}
    for _ in range(repeats):
        for g, (step, args, _, _) in compiled.items():
            (args[0], _), seconds = timed(step, *args)
            times[g].append(seconds)
    rows = [{"runs": n_runs, "activity_grad": g, "error": msg} for g, msg in failed.items()]
    first = next(iter(compiled.values()), None)
    for g in compiled:
        best = min(times[g])
        energy, probe = compiled[g][3]
        agreement = {  # with the first form's first call
            "energy_rel_diff": float(jnp.max(jnp.abs(energy - first[3][0]) / jnp.abs(first[3][0]))),
            "probe_max_abs_diff": float(jnp.max(jnp.abs(probe - first[3][1]))),
        }
        rows.append({
            "runs": n_runs,
            "activity_grad": g,
            "matmul_precision": spec.matmul_precision,
            "compile_s": round(compiled[g][2], 3),
            "ms_per_batch": round(1e3 * best, 3),
            "ms_per_batch_per_run": round(1e3 * best / n_runs, 3),
            "tflops": round(matmul_flops(spec) * n_runs / best / 1e12, 3),
            **({"vs": next(iter(compiled)), **agreement} if g != next(iter(compiled)) else {}),
        })
    return rows


def bench(spec: TrainSpec, n_runs: int, repeats: int) -> dict:
    """Best of ``repeats`` steps of ``n_runs`` vmapped runs, as the training cells run them."""
    return bench_forms(spec, n_runs, repeats, ["autodiff"])[0]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--depth", type=int, default=128, help="hidden layers H")
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--infer-steps", type=int, default=128)
    p.add_argument("--act", default="relu")
    p.add_argument("--runs", type=int, nargs="+", default=[1, 16])
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--activity-grad", nargs="+", default=["autodiff"], choices=sorted(ACTIVITY_GRADS),
                   help="form(s) of ∂F/∂z to time (several: interleaved, in one process); fused*: the Pallas "
                        "kernel reading each hidden weight once (interpreted, so slow, off a GPU)")
    p.add_argument("--skip-unreached", action="store_true",
                   help="inference only on the layers the errors have reached (a CPU cell's default; not yet "
                        "measured on a GPU); TFLOP/s still counts every layer's matmuls")
    p.add_argument("--out", default=None, help="append the results as JSON lines to this file")
    args = p.parse_args()
    spec = TrainSpec(NetSpec(784, args.width, args.depth, 10, args.act, "mupc", True, "standard_gauss"),
                     "pc", n_infer_steps=args.infer_steps, activity_optim="gd", weight_optim="adam",
                     batch_size=args.batch, skip_unreached_layers=args.skip_unreached)
    device = jax.devices()[0]
    header = {"date": datetime.date.today().isoformat(), "device": getattr(device, "device_kind", str(device)),
              "platform": device.platform, "host": platform.node(), "jax": jax.__version__,
              "depth": args.depth, "width": args.width, "batch": args.batch, "infer_steps": args.infer_steps,
              "act": args.act, "skip_unreached_layers": args.skip_unreached}
    print(json.dumps(header))
    for n_runs in args.runs:
        for result in bench_forms(spec, n_runs, args.repeats, args.activity_grad):
            row = {**header, **result}
            if "error" in row:
                print(f"runs={n_runs:3d}  {row['activity_grad']:8s}  failed: {row['error']}", flush=True)
            else:
                agree = f"  energy vs {row['vs']}: {row['energy_rel_diff']:.1e}" if "vs" in row else ""
                print(f"runs={n_runs:3d}  {row['activity_grad']:8s}  {row['ms_per_batch_per_run']:9.2f} ms/batch/run  "
                      f"compile {row['compile_s']:.2f} s  {row['tflops']:.2f} TFLOP/s{agree}", flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
