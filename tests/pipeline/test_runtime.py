"""pcrepro.pipeline.runtime: the process settings every job starts with."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pcrepro.pipeline.devices import host_devices
from pcrepro.pipeline.runtime import compilation_cache_env


def test_the_compilation_cache_is_under_the_workdir_and_user_settings_win(tmp_path):
    env = compilation_cache_env(".cache/jax", tmp_path, environ={})
    assert env["JAX_COMPILATION_CACHE_DIR"] == str((tmp_path / ".cache/jax").resolve())
    assert env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] == "0"
    assert int(env["JAX_COMPILATION_CACHE_MAX_SIZE"]) > 0  # a bound: JAX then locks the cache
    assert compilation_cache_env("/abs/cache", tmp_path, environ={})["JAX_COMPILATION_CACHE_DIR"] == "/abs/cache"
    assert compilation_cache_env(None, tmp_path, environ={}) == {}
    assert compilation_cache_env(".cache/jax", tmp_path, environ={"JAX_COMPILATION_CACHE_DIR": "/mine"}) == {}
    own_floor = compilation_cache_env(".cache/jax", tmp_path, environ={"JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "5"})
    assert "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in own_floor


PROGRAM = """
import json, jax, jax.numpy as jnp
from jax._src import monitoring
hits = []
monitoring.register_event_listener(lambda event, **kw: hits.append(event) if 'cache_hits' in event else None)
out = jax.jit(lambda x: jnp.tanh(x @ x.T).sum())(jnp.ones((16, 16)))
print(json.dumps({"hits": len(hits), "out": float(out)}))
"""


def test_a_second_process_reads_the_program_the_first_one_compiled(tmp_path):
    """What the Snakefile gives its jobs makes a later job load a program instead of compiling it."""
    env = {**os.environ, **compilation_cache_env("cache", tmp_path, environ={}), "JAX_PLATFORMS": "cpu"}
    runs = [json.loads(subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True,
                                      check=True).stdout.strip().splitlines()[-1]) for _ in range(2)]
    assert runs[0]["hits"] == 0 and runs[1]["hits"] >= 1
    assert runs[0]["out"] == runs[1]["out"]
    assert any(Path(tmp_path, "cache").iterdir())


SPLIT_CELL = """
import dataclasses, json, os, sys
from pcrepro.pipeline.devices import host_devices
n = host_devices(int(sys.argv[1]))
import jax, numpy as np
jax.config.update("jax_enable_x64", True)  # as the test suite runs; float32 cells keep float32
sys.path.insert(0, sys.argv[2])
from synthetic import SPEC, blobs
from pcrepro.pipeline.cells import run_grid
from pcrepro.pipeline.runner import train_cell
f32 = dataclasses.replace(SPEC, dtype="float32")
lines, one_run_lines = [], []
table = train_cell(f32, run_grid([0, 1, 2], [1.0, 0.1], [0.05], [0.0]), blobs(), log=lines.append)
one_run = train_cell(SPEC, run_grid([1], [1.0], [0.05], [0.0]), blobs(), log=one_run_lines.append, split_batch=True)
print(json.dumps({"devices": jax.local_device_count(), "log": lines[0], "one_run_log": one_run_lines[0],
                  "table": table.sort_values(["seed", "activity_lr", "step"]).to_json(orient="split", double_precision=15),
                  "bits": table.sort_values(["seed", "activity_lr", "step"])[["test_acc", "train_loss", "energy"]]
                          .to_numpy().tobytes().hex(),
                  "one_run": one_run.sort_values("step").to_json(orient="split", double_precision=15)}))
"""


@pytest.mark.slow
def test_a_float32_cell_gives_the_same_bits_on_1_2_and_4_cpu_devices(tmp_path):
    """compute.cpu_devices: a CPU trains one run per device at a time, so a float32 cell's table
    is bit for bit the same on 1, 2 or 4 devices (6 runs: programs of 1, 2 and 4 runs, the last one
    padded). Asked for (compute.cpu_split_batch), a one-run cell's batch is split over the devices and
    trains as on one device up to the round-off of the gradient's sum in parts (float64 here)."""
    tests_dir = str(Path(__file__).parents[1])
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"} | {"JAX_PLATFORMS": "cpu"}
    out = {}
    for count in (1, 2, 4):
        proc = subprocess.run([sys.executable, "-c", SPLIT_CELL, str(count), tests_dir], env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[count] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [out[c]["devices"] for c in (1, 2, 4)] == [1, 2, 4]
    assert "programs of 1," in out[1]["log"] and "split over" not in out[1]["log"]
    assert "programs of 2 split over 2 CPU devices" in out[2]["log"]
    assert "programs of 4 split over 4 CPU devices" in out[4]["log"]
    assert out[1]["bits"] == out[2]["bits"] == out[4]["bits"]
    one = pd.read_json(io.StringIO(out[1]["table"]), orient="split")
    assert one["test_acc"].iloc[-1] > 50  # they did learn: the comparison is not of two empty runs
    assert "each batch split over 2 CPU devices" in out[2]["one_run_log"]
    assert "batch split" not in out[1]["one_run_log"]
    one, two = (pd.read_json(io.StringIO(out[c]["one_run"]), orient="split") for c in (1, 2))
    np.testing.assert_allclose(two["train_loss"].to_numpy(), one["train_loss"].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(two["energy"].to_numpy(), one["energy"].to_numpy(), rtol=1e-10)
    np.testing.assert_array_equal(one["test_acc"].to_numpy(), two["test_acc"].to_numpy())


def test_host_device_count_comes_from_the_config_unless_xla_flags_set_it(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_foo=1")
    assert host_devices(1) == 1 and os.environ["XLA_FLAGS"] == "--xla_foo=1"
    assert host_devices(3) == 3 and "--xla_force_host_platform_device_count=3" in os.environ["XLA_FLAGS"]
    assert host_devices("auto") == 3  # the flag already set wins
    monkeypatch.setenv("XLA_FLAGS", "")
    assert host_devices("auto") == len(os.sched_getaffinity(0))
    monkeypatch.setenv("XLA_FLAGS", "")
    with pytest.raises(ValueError, match="compute.cpu_devices"):
        host_devices(0)
