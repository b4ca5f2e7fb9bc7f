"""A float32 cell gives the same table whether or not the process enables JAX's x64 mode: the
test suite runs with x64 on, a workflow job with it off, and their float32 results must agree
bit for bit (claims are judged on them)."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

# Trains one small float32 μPC cell (two seeds, two activity lrs, ReLU, skips) on the blobs and
# prints its table as JSON; x64 is set from the command line before anything touches JAX.
SCRIPT = """
import sys, jax
jax.config.update("jax_enable_x64", sys.argv[1] == "1")
import dataclasses
from synthetic import SPEC, blobs
from pcrepro.core.nets import NetSpec
from pcrepro.pipeline.cells import run_grid
from pcrepro.pipeline.runner import train_cell
net = NetSpec(20, 16, 4, 10, "relu", "mupc", True, "standard_gauss")
spec = dataclasses.replace(SPEC, net=net, n_infer_steps=4, dtype="float32")
table = train_cell(spec, run_grid([0, 1], [0.5, 0.05], [0.01], [0.0]), blobs(), log=None)
print(table.to_json(orient="records", double_precision=15))
"""


def _train(x64: bool, repo) -> pd.DataFrame:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo / "tests"), str(repo / "src")]),
           "JAX_PLATFORMS": "cpu"}
    env.pop("JAX_ENABLE_X64", None)
    out = subprocess.run([sys.executable, "-c", SCRIPT, "1" if x64 else "0"], capture_output=True, text=True,
                         env=env, cwd=repo, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return pd.DataFrame(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_a_float32_cell_trains_the_same_with_and_without_x64(repo):
    plain, x64 = _train(False, repo), _train(True, repo)
    assert len(plain) and plain["test_acc"].notna().any()
    pd.testing.assert_frame_equal(plain, x64, check_exact=True)
