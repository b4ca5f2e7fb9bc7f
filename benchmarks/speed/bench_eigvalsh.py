"""Benchmark: dense symmetric eigenvalues (no vectors) on this machine, every solver side by side.

The Hessian studies (seeds 000/001) take all eigenvalues of dense float64 weight Hessians of up
to ≈ 8 000² entries, ten or so per configuration; at paper scale on a CPU that is most of their
time. Candidates, timed interleaved on the same random symmetric matrices, each checked against
the first:

  * ``numpy``       — ``numpy.linalg.eigvalsh`` (LAPACK syevd through numpy's lapack_lite/OpenBLAS);
  * ``scipy-<d>``   — ``scipy.linalg.eigvalsh(driver=d)`` for d in ev (QR), evd (divide and
                      conquer), evr (MRRR), evx (bisection);
  * ``jax``         — ``jnp.linalg.eigvalsh`` on JAX's default device.

    python benchmarks/speed/bench_eigvalsh.py                          # n = 1000, 2000, 4000
    python benchmarks/speed/bench_eigvalsh.py --sizes 5000 8000 --rounds 1 --out benchmarks/results/cpu_eigvalsh_<date>.jsonl
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared timing
from timing import timed  # noqa: E402


def solvers() -> dict:
    out = {"numpy": np.linalg.eigvalsh}
    for driver in ("ev", "evd", "evr", "evx"):
        out[f"scipy-{driver}"] = lambda a, d=driver: scipy.linalg.eigvalsh(a, driver=d, check_finite=False)
    out["jax"] = lambda a: np.asarray(jax.block_until_ready(jnp.linalg.eigvalsh(jnp.asarray(a))))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", default=None, help="append the results as JSON lines to this file")
    args = p.parse_args()
    header = {"date": datetime.date.today().isoformat(), "host": platform.node(), "cpus": os.cpu_count(),
              "device": str(jax.devices()[0]), "numpy": np.__version__, "jax": jax.__version__}
    print(json.dumps(header))
    rows = []
    for n in args.sizes:
        a = np.random.default_rng(n).normal(size=(n, n))
        a = (a + a.T) / 2
        times: dict[str, list[float]] = {}
        reference = None
        for _ in range(args.rounds):
            for name, solve in solvers().items():
                values, seconds = timed(solve, a)
                times.setdefault(name, []).append(seconds)
                reference = values if reference is None else reference
                gap = np.abs(values - reference).max() / np.abs(reference).max()
                if gap > 1e-10:
                    raise SystemExit(f"{name} disagrees with numpy at n = {n}: relative gap {gap:.1e}")
        row = {**header, "n": n, "seconds": {k: statistics.median(v) for k, v in times.items()}}
        rows.append(row)
        print(f"n = {n}: " + ", ".join(f"{k} {v:.2f} s" for k, v in row["seconds"].items()), flush=True)
    if args.out:
        with open(args.out, "a") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)


if __name__ == "__main__":
    main()
