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
import json, os, sys
from pcrepro.pipeline.devices import host_devices
n = host_devices(int(sys.argv[1]))
import jax, numpy as np
jax.config.update("jax_enable_x64", True)  # the synthetic cell is float64, as the conftest sets it up
sys.path.insert(0, sys.argv[2])
from synthetic import SPEC, blobs
from pcrepro.pipeline.cells import run_grid
from pcrepro.pipeline.devices import devices_for_batch, devices_for_runs
from pcrepro.pipeline.runner import train_cell
lines, one_run_lines = [], []
table = train_cell(SPEC, run_grid([0, 1], [1.0, 0.1], [0.05], [0.0]), blobs(), log=lines.append)
one_run = train_cell(SPEC, run_grid([1], [1.0], [0.05], [0.0]), blobs(), log=one_run_lines.append)
print(json.dumps({"devices": jax.local_device_count(), "split": devices_for_runs(4), "split_of_3": devices_for_runs(3),
                  "batch_split": devices_for_batch(SPEC.batch_size, 1), "log": lines[0],
                  "one_run_log": one_run_lines[0],
                  "table": table.sort_values(["seed", "activity_lr", "step"]).to_json(orient="split"),
                  "one_run": one_run.sort_values("step").to_json(orient="split")}))
"""


@pytest.mark.slow
def test_runs_split_over_host_devices_give_the_one_device_results(tmp_path):
    """A cell's runs spread over 2 CPU devices (compute.cpu_devices) train exactly as on one, in
    float64 (the synthetic cell's precision; float32 differs by round-off between the programs);
    a one-run cell's batches spread over them train as on one device up to the round-off of the
    weight gradients' sum over the batch, done in two parts."""
    tests_dir = str(Path(__file__).parents[1])
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"} | {"JAX_PLATFORMS": "cpu"}
    out = {}
    for count in (1, 2):
        proc = subprocess.run([sys.executable, "-c", SPLIT_CELL, str(count), tests_dir], env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[count] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out[1]["devices"] == 1 and out[1]["split"] == 1 and "split over" not in out[1]["log"]
    assert out[2]["devices"] == 2 and out[2]["split"] == 2 and out[2]["split_of_3"] == 1
    assert "split over 2 CPU devices" in out[2]["log"]
    one, two = (pd.read_json(io.StringIO(out[c]["table"]), orient="split") for c in (1, 2))
    np.testing.assert_array_equal(one["train_loss"].to_numpy(), two["train_loss"].to_numpy())
    np.testing.assert_array_equal(one["test_acc"].to_numpy(), two["test_acc"].to_numpy())
    assert one["test_acc"].iloc[-1] > 50  # they did learn: the comparison is not of two empty runs
    assert out[2]["batch_split"] == 2 and "each batch split over 2 CPU devices" in out[2]["one_run_log"]
    assert out[1]["batch_split"] == 1 and "batch split" not in out[1]["one_run_log"]
    one, two = (pd.read_json(io.StringIO(out[c]["one_run"]), orient="split") for c in (1, 2))
    np.testing.assert_allclose(two["train_loss"].to_numpy(), one["train_loss"].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(two["energy"].to_numpy(), one["energy"].to_numpy(), rtol=1e-10)
    np.testing.assert_array_equal(one["test_acc"].to_numpy(), two["test_acc"].to_numpy())
    assert one["test_acc"].iloc[-1] > 50


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
