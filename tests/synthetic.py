"""Small synthetic problems shared by the training tests (not data of any seed)."""

import numpy as np

from pcrepro.core.nets import NetSpec
from pcrepro.core.training import TrainSpec
from pcrepro.data import REAL, Dataset


def blobs(n_train: int = 640, n_test: int = 200, dim: int = 20, seed: int = 0) -> Dataset:
    """Ten Gaussian clusters in ``dim`` dimensions, one-hot labels (float64: the suite runs with x64)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(10, dim)) * 2.0

    def draw(n):
        labels = rng.integers(0, 10, n)
        return centres[labels] + rng.normal(size=(n, dim)), np.eye(10)[labels]

    return Dataset(*draw(n_train), *draw(n_test), "blobs", REAL)


# float64 (the suite runs with x64): results compared to 1e-9 between runs and programs
SPEC = TrainSpec(NetSpec(20, 16, 3, 10, "tanh", "mupc", True, "standard_gauss"), "pc", n_infer_steps=3,
                 activity_optim="gd", weight_optim="adam", batch_size=32, epochs=1, test_every=5, dtype="float64")
