"""pcrepro.pipeline.devices: one GPU per job, released when a job dies; CPU jobs stay on the CPU."""

import os
import signal
import subprocess
import sys

from pcrepro.pipeline.devices import claim_device, release_devices, visible_gpus

CLAIMER = """
import os, sys, time
from pcrepro.pipeline.devices import claim_device
device = claim_device(sys.argv[1].split(","), sys.argv[2], poll_s=0.05)
print(device, os.environ.get("CUDA_VISIBLE_DEVICES"), time.time(), flush=True)
time.sleep(float(sys.argv[3]))
"""


def _claimer(devices, lock_dir, hold_s, env=None):
    return subprocess.Popen([sys.executable, "-c", CLAIMER, devices, str(lock_dir), str(hold_s)],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def _claim(proc):
    device, visible, at = proc.stdout.readline().split()
    return device, visible, float(at)


def _no_slurm():
    return {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}


def test_concurrent_jobs_get_distinct_devices_and_a_third_waits_for_a_release(tmp_path):
    env = {"SLURM_JOB_ID": ""}
    first, second = _claimer("0,1", tmp_path, 1.5, env), _claimer("0,1", tmp_path, 30, env)
    claims = [_claim(first), _claim(second)]
    assert {c[0] for c in claims} == {"0", "1"}
    assert all(device == visible for device, visible, _ in claims)  # each job sees only its own device
    third = _claimer("0,1", tmp_path, 0, env)
    device, visible, at = _claim(third)
    first.wait()
    assert device == claims[0][0] == visible  # the device the first job released
    assert at >= claims[0][2] + 1.4  # not before the first job ended
    third.wait()
    second.kill()
    second.wait()


def test_a_killed_job_releases_its_device(tmp_path):
    env = {"SLURM_JOB_ID": ""}
    holder = _claimer("7", tmp_path, 60, env)
    assert _claim(holder)[0] == "7"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    follower = _claimer("7", tmp_path, 0, env)
    assert _claim(follower)[0] == "7"
    follower.wait()


def test_auto_uses_cuda_visible_devices_and_a_cpu_machine_is_left_alone(tmp_path, monkeypatch):
    for key in [k for k in os.environ if k.startswith("SLURM_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert visible_gpus("auto") == ["2", "3"]
    assert claim_device("auto", tmp_path) == "2" and os.environ["CUDA_VISIBLE_DEVICES"] == "2"
    release_devices()
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi: a CPU machine
    assert visible_gpus("auto") == []
    assert claim_device("auto", tmp_path) is None and "CUDA_VISIBLE_DEVICES" not in os.environ


def test_under_slurm_the_scheduler_binds_devices(tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "42")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5")
    assert claim_device(["0", "1"], tmp_path) is None
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "5" and not list(tmp_path.iterdir())


def test_a_job_without_a_gpu_is_kept_on_the_cpu(tmp_path):
    code = ("import os; from pcrepro.pipeline.runtime import start_job; "
            "d = start_job(False, 0, {'gpu_devices': ['0']}, None); "
            "print(d, os.environ.get('JAX_PLATFORMS'), os.environ.get('CUDA_VISIBLE_DEVICES'))")
    env = {k: v for k, v in _no_slurm().items() if k not in ("JAX_PLATFORMS", "CUDA_VISIBLE_DEVICES")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["None", "cpu", "None"]
    code = code.replace("start_job(False, 0,", "start_job(False, 1, ").replace("['0']}", f"['0'], 'device_lock_dir': '{tmp_path}'}}")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["0", "None", "0"]
