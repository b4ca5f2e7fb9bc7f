"""Benchmark: what a workflow job costs before it does any work, in a process of its own and forked
from the run's job server (:mod:`pcrepro.pipeline.jobserver`), side by side in one process.

A stand-in job script does what every adapter does first (Snakemake's preamble, ``delegate``,
then the imports of a training cell or a figure job: the runner, the result tables, plotly's
export, matplotlib) and starts a JAX CPU backend with one tiny computation; it exits there.
Both ways are timed interleaved, round by round, from the job's start to its exit, as
Snakemake sees them (wall time of the job process), with the linear-algebra thread counts
Snakemake gives a one-thread job.

    python benchmarks/speed/bench_job_start.py                      # 10 rounds, median per way
    python benchmarks/speed/bench_job_start.py --out benchmarks/results/cpu_job_start_<date>.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pcrepro.pipeline import jobserver

JOB = """
import snakemake.script as _preamble  # what Snakemake's preamble imports to unpickle its object
class Resources:
    gpu = 1  # as the compute rules declare; a machine without GPUs runs them on the CPU
class Job:
    resources = Resources()
snakemake = Job()
from pcrepro.pipeline.jobserver import delegate
delegate(snakemake)
import jax, jax.numpy as jnp
import pcrepro.pipeline.runner, pcrepro.pipeline.results, pcrepro.plots.common, matplotlib.pyplot
jnp.zeros(4).block_until_ready()
"""


def time_job(script: Path, environ: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(script)], env=environ, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--out", type=Path, help="append one JSON line per way")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        script = scratch / "job.py"
        script.write_text(JOB)
        environ = {**os.environ, "JAX_PLATFORMS": "cpu", **{name: "1" for name in jobserver.THREAD_ENV}}
        environ.pop(jobserver.SOCKET_ENV, None)
        server = jobserver.start(scratch / "server.log", gpus=[])
        if server is None:
            sys.exit(f"the job server did not start: {(scratch / 'server.log').read_text()}")
        forked_environ = {**environ, jobserver.SOCKET_ENV: os.environ[jobserver.SOCKET_ENV],
                          jobserver.GPU_JOBS_ENV: "1"}
        try:
            time_job(script, forked_environ)  # the first waits for the server's imports
            times = {"own process": [], "forked": []}
            for _ in range(args.rounds):
                times["own process"].append(time_job(script, environ))
                times["forked"].append(time_job(script, forked_environ))
        finally:
            server.terminate()
            server.wait()
        forks = (scratch / "server.log").read_text().count("forked as pid")
    if forks != args.rounds + 1:
        sys.exit(f"expected {args.rounds + 1} forked jobs, the server forked {forks}")
    machine = f"{platform.node()} ({os.cpu_count()} CPUs)"
    for way, seconds in times.items():
        record = {"benchmark": "job_start", "way": way, "median_s": round(statistics.median(seconds), 3),
                  "min_s": round(min(seconds), 3), "rounds": args.rounds, "machine": machine,
                  "date": time.strftime("%Y-%m-%d")}
        print(json.dumps(record))
        if args.out:
            with open(args.out, "a") as handle:
                handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
