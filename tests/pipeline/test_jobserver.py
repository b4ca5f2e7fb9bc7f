"""pcrepro.pipeline.jobserver: a forked job behaves as the job's own process would."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pcrepro.pipeline import jobserver

# A stand-in for a Snakemake job script: the preamble's `snakemake` object, then an adapter that
# delegates first and reports where and how it ran.
JOB = """
import json, os, sys, time
class Resources:
    gpu = int(os.environ.get("TEST_GPU", "0"))
class Job:
    resources = Resources()
snakemake = Job()
from pcrepro.pipeline.jobserver import delegate
delegate(snakemake)

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=3"  # as start_job sets flags
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import numpy as np
value = float(jax.jit(lambda x: jnp.sum(jnp.sin(x) ** 2))(jnp.arange(10.0)))
mode = os.environ.get("TEST_MODE", "report")
print("job says hello")
if mode == "fail":
    raise ValueError("this job fails on purpose")
if mode == "exit":
    sys.exit(3)
if mode == "wait":
    open(sys.argv[2], "w").write(str(os.getpid()))
    time.sleep(60)
json.dump({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(), "argv": sys.argv,
           "marker": os.environ.get("TEST_MARKER"), "devices": jax.device_count(),
           "x64": jnp.zeros(1).dtype.name, "value": value, "draw": float(np.random.random())},
          open(sys.argv[1], "w"))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("server") / "server.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(jobserver.SOCKET_ENV, raising=False)
        patch.delenv(jobserver.GPU_JOBS_ENV, raising=False)
        process = jobserver.start(log, gpus=[])  # sets both in this process's environment
        assert process is not None, log.read_text()
        socket_path = os.environ[jobserver.SOCKET_ENV]
        patch.setenv(jobserver.SOCKET_ENV, socket_path)  # so that leaving the context removes them
        patch.setenv(jobserver.GPU_JOBS_ENV, os.environ[jobserver.GPU_JOBS_ENV])
        process.log = log
        yield process
    process.terminate()
    process.wait(timeout=30)
    assert not Path(socket_path).exists()  # the server removes its socket when it ends


def run_job(tmp_path, name="out.json", env=None, **kwargs):
    script = tmp_path / "job.py"
    script.write_text(JOB)
    # as Snakemake starts a job of one thread
    environ = {**os.environ, **{name: "1" for name in jobserver.THREAD_ENV}, "TEST_MARKER": "from the job",
               **(env or {})}
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / name), str(tmp_path / "pid")],
                            cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


def finished(process):
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def test_a_forked_job_computes_what_its_own_process_computes(tmp_path, server):
    forks_before = server.log.read_text().count("job.py forked as pid")
    job = run_job(tmp_path, "forked.json")
    code, out, err = finished(job)
    assert code == 0, err
    forked = json.loads((tmp_path / "forked.json").read_text())
    own_code, _, own_err = finished(run_job(tmp_path, "own.json", env={jobserver.SOCKET_ENV: ""}))
    assert own_code == 0, own_err
    own = json.loads((tmp_path / "own.json").read_text())

    assert forked["ppid"] == server.pid and forked["pid"] != job.pid  # it ran in the server's fork
    assert own["ppid"] != server.pid
    assert out == "job says hello\n"  # the job's standard streams are the child's
    for key in ("cwd", "marker", "devices", "x64", "value"):
        assert forked[key] == own[key], key
    assert forked["argv"][0] == own["argv"][0] and forked["argv"][1].endswith("forked.json")
    assert forked["devices"] == 3 and forked["x64"] == "float64"  # flags set by the job took effect
    second = run_job(tmp_path, "again.json")
    assert finished(second)[0] == 0
    # each fork gets its own NumPy stream, as a fresh process would
    assert json.loads((tmp_path / "again.json").read_text())["draw"] != forked["draw"]
    assert server.log.read_text().count("job.py forked as pid") == forks_before + 2


def test_a_forked_jobs_failure_and_exit_code_reach_snakemake(tmp_path, server):
    code, out, err = finished(run_job(tmp_path, env={"TEST_MODE": "fail"}))
    assert code == 1
    assert "ValueError: this job fails on purpose" in err and 'job.py", line' in err
    code, _, _ = finished(run_job(tmp_path, env={"TEST_MODE": "exit"}))
    assert code == 3


def wait_for(path, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while not (path.exists() and path.read_text()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return int(path.read_text())


def gone(pid, timeout_s=10):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{pid}/stat") as stat:  # a zombie has ended (its parent reaps it)
            if stat.read().split(") ")[1].startswith("Z"):
                return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_a_job_stops_its_fork(tmp_path, server, how):
    job = run_job(tmp_path, env={"TEST_MODE": "wait"})
    child = wait_for(tmp_path / "pid")
    assert child != job.pid
    job.send_signal(how)  # SIGTERM: passed on; SIGKILL: the fork sees its job gone and ends itself
    code, _, _ = finished(job)
    assert code != 0
    assert gone(child)


def test_jobs_that_the_server_cannot_run_exactly_run_themselves(tmp_path, server):
    code, _, err = finished(run_job(tmp_path, "x64.json", env={"JAX_ENABLE_X64": "1"}))
    assert code == 0, err
    assert json.loads((tmp_path / "x64.json").read_text())["ppid"] != server.pid
    assert "JAX or thread settings in its environment differ" in server.log.read_text()
    # a rule of two threads: its BLAS must start two, which the server's (loaded with one) cannot
    code, _, err = finished(run_job(tmp_path, "threads.json", env={"OPENBLAS_NUM_THREADS": "2"}))
    assert code == 0, err
    assert json.loads((tmp_path / "threads.json").read_text())["ppid"] != server.pid
    # a GPU job on a machine with GPUs claims one: its JAX must start a GPU backend itself
    code, _, err = finished(run_job(tmp_path, "gpu.json", env={"TEST_GPU": "1", jobserver.GPU_JOBS_ENV: "0"}))
    assert code == 0, err
    assert json.loads((tmp_path / "gpu.json").read_text())["ppid"] != server.pid
    # on a machine without GPUs it runs on the CPU like any other job
    code, _, err = finished(run_job(tmp_path, "cpu.json", env={"TEST_GPU": "1"}))
    assert code == 0, err
    assert json.loads((tmp_path / "cpu.json").read_text())["ppid"] == server.pid


def test_pcrepro_jobserver_0_runs_a_job_as_an_ordinary_process(tmp_path, server, monkeypatch):
    """For debugging: with PCREPRO_JOBSERVER=0 a job runs itself even where a server serves, and a
    run starts no server."""
    code, _, err = finished(run_job(tmp_path, "plain.json", env={jobserver.OFF_ENV: "0"}))
    assert code == 0, err
    assert json.loads((tmp_path / "plain.json").read_text())["ppid"] != server.pid
    assert jobserver.wanted(True)
    monkeypatch.setenv(jobserver.OFF_ENV, "0")
    assert not jobserver.wanted(True) and not jobserver.wanted(False)


def test_the_server_ends_with_its_run(tmp_path):
    code = (f"import os, sys, time\nfrom pcrepro.pipeline import jobserver\n"
            f"server = jobserver.start({str(tmp_path / 'server.log')!r}, gpus=[])\n"
            f"print(server.pid, os.environ[jobserver.SOCKET_ENV], flush=True)\nos._exit(0)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         timeout=60).stdout.split()
    pid, socket_path = int(out[0]), Path(out[1])
    assert gone(pid, timeout_s=30)
    assert not socket_path.exists()


def test_a_job_whose_server_goes_away_before_forking_runs_itself(tmp_path):
    import socket
    import threading

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "s.sock"))
    listener.listen(1)

    def hang_up():  # accepts the job, then ends without an answer (a server that died)
        connection, _ = listener.accept()
        connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    code, _, err = finished(run_job(tmp_path, "alone.json", env={jobserver.SOCKET_ENV: str(tmp_path / "s.sock"),
                                                                 jobserver.GPU_JOBS_ENV: "1"}))
    listener.close()
    assert code == 0, err
    assert json.loads((tmp_path / "alone.json").read_text())["value"] > 0  # it ran, in its own process


def test_leftovers_of_killed_runs_are_removed_and_those_of_live_runs_kept(tmp_path, monkeypatch):
    """A run SIGKILLed with its server leaves its socket and export pool in the temporary folder;
    the next server removes those whose Snakemake is gone, and nothing else."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    uid = os.getuid()
    dead = [tmp_path / f"pcrepro-jobs-{uid}-{ended.pid}-1.sock", tmp_path / f"pcrepro-export-{uid}-{ended.pid}-1-ab"]
    alive = [tmp_path / f"pcrepro-jobs-{uid}-{os.getpid()}-2.sock", tmp_path / f"pcrepro-export-{uid}-{os.getpid()}-2-cd"]
    other = [tmp_path / f"pcrepro-notes-{uid}-{ended.pid}-3.txt", tmp_path / "unrelated"]
    for path in dead + alive + other:
        if "export" in path.name:
            path.mkdir()
            (path / "slot-0.lock").touch()
        else:
            path.touch()
    jobserver.remove_leftovers()
    assert [p.exists() for p in dead] == [False, False]
    assert all(p.exists() for p in alive + other)
