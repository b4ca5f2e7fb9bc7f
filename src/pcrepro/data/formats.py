"""The prepared-dataset format (one npz per dataset) and how it is loaded for training."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .atomic import write_atomic
from .registry import DatasetUnavailable

REAL, STANDIN = "real", "synthetic stand-in"


PROVENANCE_KEY = "__provenance__"  # an npz result's provenance record (pcrepro.pipeline.provenance)


def save_npz_atomic(path: Path, provenance: dict | None = None, **arrays) -> None:
    """Write an npz whole or not at all (a cache is never left half-written); a ``provenance``
    record is kept as the JSON string entry :data:`PROVENANCE_KEY`."""
    if provenance is not None:
        import json

        arrays = {**arrays, PROVENANCE_KEY: np.array(json.dumps(provenance))}
    write_atomic(path, lambda tmp: np.savez(tmp, **arrays))


class Dataset(NamedTuple):
    """A prepared dataset, ready for training: float32 [n, D] inputs, one-hot [n, C] targets."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    source: str  # REAL or STANDIN


# Input normalisation x ← (x − mean) / std of pixels in [0, 1], per dataset, as the reference
# code behind seed 002 (jpc's experiments/datasets.py): MNIST by its pixel statistics,
# Fashion-MNIST to [−1, 1]; EMNIST to [−1, 1] as seed 003's code. The config's
# data.normalisation holds the values the workflow uses (these are its defaults).
REFERENCE_NORMALISATION: dict[str, dict[str, float]] = {
    "MNIST": {"mean": 0.1307, "std": 0.3081},
    "FashionMNIST": {"mean": 0.5, "std": 0.5},
    "EMNIST": {"mean": 0.5, "std": 0.5},
}


def shuffled_batches(x: np.ndarray, y: np.ndarray, seed: int | np.random.Generator, n_steps: int,
                     batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n_steps`` batches of one permutation drawn from ``seed`` → [T, B, ·] each
    (the single-run studies, which need no per-run data order). ``seed`` may be a Generator,
    which then moves on: successive calls give successive epochs."""
    order = np.random.default_rng(seed).permutation(x.shape[0])[: n_steps * batch_size]
    return x[order].reshape(n_steps, batch_size, -1), y[order].reshape(n_steps, batch_size, -1)


def unreadable_prepared(path: Path) -> str | None:
    """Why the prepared file ``path`` cannot be used (truncated, corrupt, not a prepared dataset),
    or None: every member's CRC is checked without decoding the arrays (≈ 0.2 s for MNIST)."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            names = {Path(n).stem for n in archive.namelist()}
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        bad, names = f"{type(err).__name__}: {err}", set()
    else:
        bad = bad and f"member {bad} is corrupt"
    missing = {"x_train", "y_train", "x_test", "y_test", "source", "name"} - names
    if not bad and missing:
        bad = f"no {', '.join(sorted(missing))}"
    return bad and _cannot_read(path, bad)


def _cannot_read(path: Path, reason: str) -> str:
    return (f"prepared dataset {path} cannot be read ({reason}); it is a cache: delete it and run the workflow "
            f"again to rebuild it")


def load_prepared(path: Path, normalisation: dict | None = None, n_classes: int = 10,
                  test_subset: int | None = None) -> Dataset:
    """Load a prepared npz. Images become pixels in [0, 1], then (x − mean) / std with
    ``normalisation = {"mean": …, "std": …}`` (None: left in [0, 1]); the first
    ``test_subset`` test examples are kept (None: all). A file that cannot be read is reported
    with its path and what to do."""
    try:
        with np.load(path) as f:
            arrays = {k: f[k] for k in f.files if k != PROVENANCE_KEY}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise DatasetUnavailable(_cannot_read(path, f"{type(err).__name__}: {err}")) from err
    if normalisation is not None and not normalisation.get("std", 0) > 0:
        raise ValueError(f"normalisation of {path}: std must be positive, got {normalisation}")

    def scale(images: np.ndarray) -> np.ndarray:
        x = images.reshape(images.shape[0], -1).astype(np.float32)
        if images.dtype == np.uint8:
            x /= 255.0
        if normalisation is not None:  # in place: no temporaries the size of the train set
            x -= np.float32(normalisation["mean"])
            x /= np.float32(normalisation["std"])
        return x

    eye = np.eye(n_classes, dtype=np.float32)
    x_test, y_test = arrays["x_test"], arrays["y_test"]
    if test_subset is not None:
        x_test, y_test = x_test[:test_subset], y_test[:test_subset]
    return Dataset(
        x_train=scale(arrays["x_train"]), y_train=eye[arrays["y_train"].astype(int)],
        x_test=scale(x_test), y_test=eye[y_test.astype(int)],
        name=str(arrays["name"]), source=str(arrays["source"]),
    )
