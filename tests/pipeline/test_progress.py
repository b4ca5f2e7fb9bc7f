"""pcrepro.pipeline.progress: heartbeat lines while a call holds the GIL."""

import subprocess
import sys
import time

import numpy as np
import scipy.linalg

from pcrepro.pipeline.progress import log_to


def test_heartbeat_lines_keep_coming_while_lapack_holds_the_gil_and_stop_after(tmp_path):
    path = tmp_path / "job.log"
    matrix = np.random.RandomState(0).standard_normal((1800, 1800))
    matrix = matrix + matrix.T
    with log_to(path) as log:
        with log.heartbeat("eigen-decomposition 1/1", every_s=0.1):
            time.sleep(0.15)  # the heartbeat's interpreter is up
            started = time.perf_counter()
            scipy.linalg.eigvalsh(matrix, driver="evd", check_finite=False)  # one call, holding the GIL throughout
            seconds = time.perf_counter() - started
        during = path.read_text().splitlines()
        time.sleep(0.4)
    after = path.read_text().splitlines()
    # a thread of this process could not have logged during the call: a line per 0.1 s of it came
    assert len(during) >= seconds / 0.1 - 1, (seconds, during)
    assert all(line.endswith(" s so far") and "eigen-decomposition 1/1, " in line for line in during)
    assert after == during  # the heartbeat ended with the block


def test_heartbeat_ends_when_its_job_is_gone(tmp_path):
    path = tmp_path / "job.log"
    code = (f"import os, time\nfrom pcrepro.pipeline.progress import log_to\n"
            f"with log_to({str(path)!r}) as log:\n"
            f"    with log.heartbeat('waiting', every_s=0.1):\n        time.sleep(0.35)\n        os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    time.sleep(0.3)
    count = len(path.read_text().splitlines())
    time.sleep(0.5)
    assert 1 <= count == len(path.read_text().splitlines())


def test_job_times_sum_the_jobs_benchmark_files_per_folder(tmp_path):
    """Snakemake's benchmark files (one per job, beside its log) summed per study folder."""
    from pcrepro.pipeline.progress import job_times

    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for folder, job, s, rss in (("mupc_sweeps", "a", 10.0, 300.5), ("mupc_sweeps", "b", 5.5, 900.0),
                                ("chains", "depth_2", 2.0, "NA")):
        path = tmp_path / folder / f"{job}.benchmark.tsv"
        path.parent.mkdir(exist_ok=True)
        path.write_text(header + f"{s}\t0:00:10\t{rss}\t1\t1\t1\t0\t0\t50\t{s * 0.9}\n")
    table = job_times(tmp_path).set_index("folder")
    assert list(table.index) == ["mupc_sweeps", "chains"]  # most job-seconds first
    assert table.loc["mupc_sweeps", "jobs"] == 2 and table.loc["mupc_sweeps", "total_s"] == 15.5
    assert table.loc["mupc_sweeps", "longest_s"] == 10.0 and table.loc["mupc_sweeps", "max_rss_mb"] == 900.0
    assert abs(table.loc["mupc_sweeps", "cpu_s"] - 13.95) < 1e-9
    assert table.loc["chains", "max_rss_mb"] != table.loc["chains", "max_rss_mb"]  # NA: not measured
