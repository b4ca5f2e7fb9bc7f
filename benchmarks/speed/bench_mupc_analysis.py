"""Benchmark: the paper-scale cells of the μPC analysis families, without Snakemake.

Sections (each prints one JSON line; ``--out`` appends them to a file):

  *_job             (only when named) whole jobs at paper scale: ``activity_hessian_job`` (the
                    N x H grid of one setting and activation), ``energy_theory_job`` (the N x H
                    phase grid of one parameterisation), ``forward_pass_job`` (one setting of a
                    forward-pass job over every width and depth);
  activity_hessian  one (N, H) cell of ``mupc_activity_hessian`` at paper scale (default
                    N = H = 128, H_z of 16384², every seed), seconds per cell and per seed,
                    plus the float32-vs-float64 error of the spectra at ``--check-size``;
  cond_number       one κ(H_z) during training (a ``mupc_sweeps`` cell records one per run
                    and evaluation; default N = 512, H = 32);
  energy_theory     one run of ``mupc_energy_theory`` (default N = H = 64, 937 steps);
  forward_pass      one (setting, N, L) of ``mupc_forward_pass`` (default N = 1024, L = 512).

Timings exclude compilation (reported apart). Inputs are random arrays of the real shapes.

    PYTHONPATH=src python benchmarks/speed/bench_mupc_analysis.py                      # all sections (GPU)
    PYTHONPATH=src python benchmarks/speed/bench_mupc_analysis.py --sections activity_hessian --width 16 --depth 16
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)  # for the float64 precision check only

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from pcrepro.core.nets import NetSpec, forward, init_params  # noqa: E402
from pcrepro.core.periods import activity_condition_number  # noqa: E402
from pcrepro.studies.mupc_analysis import (  # noqa: E402
    activity_spectra,
    energy_theory,
    forward_pass,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared timing
from timing import timed  # noqa: E402


def bench_activity_hessian(args) -> dict:
    spec = activity_spectra.cell_spec(args.setting, args.act, args.width, args.depth)
    fn = activity_spectra.cell_spectra
    _, first = timed(fn, 0, spec, jnp.float32)  # compile + first seed
    per_seed = [timed(fn, s, spec, jnp.float32)[1] for s in range(1, args.seeds)]
    check_w = check_h = int(np.sqrt(args.check_size))
    check = activity_spectra.precision_check(activity_spectra.cell_spec(args.setting, args.act, check_w, check_h), 0,
                                             jnp.float32)
    return {"section": "activity_hessian", "setting": args.setting, "act_fn": args.act, "width": args.width,
            "n_hidden": args.depth, "matrix_size": args.width * args.depth,
            "first_seed_incl_compile_s": round(first, 2), "seed_s": round(min(per_seed), 2) if per_seed else None,
            "cell_s_all_seeds": round(first + sum(per_seed), 2), "precision_check": check}


def bench_activity_hessian_job(args) -> dict:
    """A whole ``mupc_activity_hessian_cell`` job: every (N, H) of the paper grid, all seeds."""
    grid = [2**k for k in range(1, 8)]
    t0 = time.perf_counter()
    _, summary, precision = activity_spectra.analyse(args.setting, args.act, grid, grid, list(range(args.seeds)),
                                                     check_size=args.check_size, log=lambda _m: None)
    return {"section": "activity_hessian_job", "setting": args.setting, "act_fn": args.act, "cells": len(grid) ** 2,
            "seeds": args.seeds, "job_s_incl_compile": round(time.perf_counter() - t0, 1),
            "cond_num_N128_H128": float(summary.query("matrix == 'num' and width == 128 and n_hidden == 128")["cond"].mean()),
            "precision_check": precision.to_dict("records")}


def _mnist_like(n: int = 60000):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 784)).astype(np.float32), np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]


def bench_energy_theory_job(args) -> dict:
    """A whole ``mupc_energy_theory_phase`` job: N, H ∈ {1 … 64}, one epoch each."""
    grid = [2**k for k in range(7)]
    x, y = _mnist_like()
    t0 = time.perf_counter()
    energy_theory.run_grid(args.param_type, "linear", grid, grid, 0.1 if args.param_type == "mupc" else 1e-4,
                           x, y, seed=4320, batch_size=64, log=lambda _m: None)
    return {"section": "energy_theory_job", "param_type": args.param_type, "runs": len(grid) ** 2,
            "job_s_incl_compile": round(time.perf_counter() - t0, 1)}


def bench_forward_pass_job(args) -> dict:
    """One setting of a ``mupc_forward_pass_cell`` job (a job runs five): every width x depth."""
    x, y = _mnist_like(5 * 64)
    times = []
    forward_pass.run_setting_grid(args.act, "adam", [args.fp_setting], [128, 256, 512, 1024],
                                  [16, 32, 64, 128, 256, 512], x, y, seed=54638, n_steps=5, batch_size=64, lr=1e-3,
                                  log=lambda m: times.append(float(m.split(": ")[1].split(" s")[0])))
    return {"section": "forward_pass_job", "setting": args.fp_setting, "act_fn": args.act, "shapes": len(times),
            "total_s": round(sum(times), 1), "first_shape_s": times[0], "median_shape_s": float(np.median(times))}


def bench_cond_number(args) -> dict:
    spec = NetSpec(784, args.cond_width, args.cond_depth, 10, args.act, "mupc", True, "standard_gauss")
    params = init_params(jax.random.PRNGKey(0), spec, jnp.float32)
    x = jax.random.normal(jax.random.PRNGKey(1), (1, 784), jnp.float32)
    y = jax.nn.one_hot(jnp.array([3]), 10, dtype=jnp.float32)
    z, _ = forward(params, x, spec)
    fn = jax.jit(lambda p, zz: activity_condition_number(p, zz, x, y, spec, 0.0))
    _, first = timed(fn, params, z)
    times = [timed(fn, params, z)[1] for _ in range(2)]
    return {"section": "cond_number", "width": args.cond_width, "n_hidden": args.cond_depth,
            "matrix_size": args.cond_width * args.cond_depth, "compile_and_first_s": round(first, 2),
            "per_condition_number_s": round(min(times), 3)}


def bench_energy_theory(args) -> dict:
    spec = energy_theory.net_spec(args.param_type, "linear", args.et_width, args.et_depth)
    xs = jax.random.normal(jax.random.PRNGKey(0), (args.et_steps, 64, 784), jnp.float32)
    ys = jax.nn.one_hot(jax.random.randint(jax.random.PRNGKey(1), (args.et_steps, 64), 0, 10), 10, dtype=jnp.float32)
    params = init_params(jax.random.PRNGKey(4320), spec, jnp.float32)
    lr = 0.1 if args.param_type == "mupc" else 1e-4
    _, first = timed(energy_theory._train, params, xs, ys, spec, lr)
    _, again = timed(energy_theory._train, params, xs, ys, spec, lr)
    return {"section": "energy_theory", "param_type": args.param_type, "width": args.et_width,
            "n_hidden": args.et_depth, "steps": args.et_steps, "compile_and_run_s": round(first, 2),
            "run_s": round(again, 2)}


def bench_forward_pass(args) -> dict:
    spec = forward_pass.net_spec(args.fp_setting, args.act, args.fp_width, args.fp_depth)
    xs = jax.random.normal(jax.random.PRNGKey(0), (5, 64, 784), jnp.float32)
    ys = jax.nn.one_hot(jax.random.randint(jax.random.PRNGKey(1), (5, 64), 0, 10), 10, dtype=jnp.float32)
    params = init_params(jax.random.PRNGKey(54638), spec, jnp.float32)
    _, first = timed(forward_pass._track, params, xs, ys, spec, "adam", 1e-3)
    _, again = timed(forward_pass._track, params, xs, ys, spec, "adam", 1e-3)
    return {"section": "forward_pass", "setting": args.fp_setting, "width": args.fp_width, "depth": args.fp_depth,
            "compile_and_run_s": round(first, 2), "run_s": round(again, 2)}


SECTIONS = {"activity_hessian": bench_activity_hessian, "activity_hessian_job": bench_activity_hessian_job,
            "energy_theory_job": bench_energy_theory_job, "forward_pass_job": bench_forward_pass_job,
            "cond_number": bench_cond_number,
            "energy_theory": bench_energy_theory, "forward_pass": bench_forward_pass}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sections", nargs="+", default=[s for s in SECTIONS if not s.endswith("_job")],
                   choices=list(SECTIONS))
    p.add_argument("--setting", default="sp_orthogonal", choices=sorted(activity_spectra.SETTINGS))
    p.add_argument("--act", default="linear")
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--depth", type=int, default=128, help="hidden layers H of the activity-Hessian cell")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--check-size", type=int, default=4096, help="N·H of the float64 check (a square cell)")
    p.add_argument("--cond-width", type=int, default=512)
    p.add_argument("--cond-depth", type=int, default=32)
    p.add_argument("--param-type", default="mupc", choices=["sp", "mupc"])
    p.add_argument("--et-width", type=int, default=64)
    p.add_argument("--et-depth", type=int, default=64)
    p.add_argument("--et-steps", type=int, default=937)
    p.add_argument("--fp-setting", default="depth_mup_skips", choices=sorted(forward_pass.SETTINGS))
    p.add_argument("--fp-width", type=int, default=1024)
    p.add_argument("--fp-depth", type=int, default=512)
    p.add_argument("--out", default=None, help="append the results as JSON lines to this file")
    args = p.parse_args()
    device = jax.devices()[0]
    meta = {"device": f"{device.platform}:{getattr(device, 'device_kind', '')}", "host": platform.node(),
            "date": datetime.date.today().isoformat(), "jax": jax.__version__}
    for name in args.sections:
        result = {**SECTIONS[name](args), **meta}
        line = json.dumps(result)
        print(line, flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
