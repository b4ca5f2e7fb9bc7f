"""Synthetic training data shared by the benchmarks that need no real dataset: ten Gaussian clusters."""

from __future__ import annotations

import numpy as np

from pcrepro.data import REAL, Dataset


def clusters(n_train: int, n_test: int, dim: int, spread: float = 1.0, seed: int = 0) -> Dataset:
    """Ten clusters in ``dim`` dimensions, centres drawn with standard deviation ``spread``, unit noise
    around them, one-hot labels (the same draws as the test suite's ``blobs`` for dim 20, spread 2)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(10, dim)) * spread

    def draw(n):
        labels = rng.integers(0, 10, n)
        return centres[labels] + rng.normal(size=(n, dim)), np.eye(10)[labels]

    return Dataset(*draw(n_train), *draw(n_test), "clusters", REAL)
