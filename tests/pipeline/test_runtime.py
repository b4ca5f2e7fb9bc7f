"""pcrepro.pipeline.runtime: the process settings every job starts with."""

import json
import os
import subprocess
import sys
from pathlib import Path

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
