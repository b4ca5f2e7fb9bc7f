"""Kernel tests run in float64 so that closed forms can be held to tight tolerances."""

import os
from pathlib import Path

import jax
import pytest

jax.config.update("jax_enable_x64", True)

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "datasets" / "MNIST" / "raw"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def pytest_configure(config):
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
