"""Data that are not downloaded: a labelled synthetic stand-in for an image dataset that cannot be
obtained, and the toy Gaussian data of seeds 000/001."""

from __future__ import annotations

import hashlib

import numpy as np


def synthetic_standin(name: str, n_train: int = 60000, n_test: int = 10000,
                      n_classes: int = 10) -> dict[str, np.ndarray]:
    """A learnable 28×28 uint8 dataset with ``n_classes`` classes — NOT real data.

    Each class has a smooth random prototype; an example is its prototype,
    shifted by up to two pixels, scaled in contrast, plus pixel noise. Linear
    models reach well above chance; deep ones more. Deterministic per ``name``.
    """
    rng = np.random.default_rng(int(hashlib.sha256(name.encode()).hexdigest()[:8], 16))
    coarse = rng.random((n_classes, 7, 7)) ** 3  # sparse bright strokes
    protos = np.kron(coarse, np.ones((4, 4)))  # 28×28, blocky
    kernel = np.array([1, 4, 6, 4, 1], float) / 16  # smooth the blocks
    for axis in (1, 2):
        protos = np.apply_along_axis(lambda v: np.convolve(v, kernel, "same"), axis, protos)
    protos /= protos.max(axis=(1, 2), keepdims=True)

    def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, n_classes, n)
        shifts = rng.integers(-2, 3, (n, 2))
        images = np.empty((n, 28, 28), np.float32)
        for c in range(n_classes):  # vectorised per class and shift
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    sel = (labels == c) & (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
                    images[sel] = np.roll(protos[c], (dy, dx), axis=(0, 1))
        images *= rng.uniform(0.6, 1.0, (n, 1, 1)).astype(np.float32)
        images += rng.normal(0, 0.25, images.shape).astype(np.float32)
        return (np.clip(images, 0, 1) * 255).astype(np.uint8), labels.astype(np.uint8)

    x_train, y_train = sample(n_train)
    x_test, y_test = sample(n_test)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def toy_gaussian(rng: np.random.Generator, data_dim: int, batch_size: int = 64, mean: float = 1.0,
                 std: float = 0.1, independent_second_target: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The toy data of seeds 000/001: x ~ N(mean, std²) per dimension, y = −x.

    With ``independent_second_target`` (seed 001, data_dim 3 and H = 4) the second
    target row is a fresh N(mean, std²) draw. Returned as [batch, dim].
    """
    x = rng.normal(mean, std, (batch_size, data_dim))
    y = -x
    if independent_second_target:
        y[:, 1] = rng.normal(mean, std, batch_size)
    return x, y
