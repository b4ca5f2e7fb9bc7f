"""Datasets: acquisition, verification, caching and loading.

* MNIST, Fashion-MNIST and EMNIST ("mnist" split) come as IDX files in
  torchvision's raw layout ``<root>/<Name>/raw/<file>``. They are taken from an
  offline mirror (a directory or ``file://`` URL with that layout) when one is
  configured, else downloaded from the public mirrors torchvision uses, trying
  each mirror ``retries`` times. Every file is written under a temporary name,
  verified, and only then renamed into the cache, so a partial or corrupt file
  is never used.
* Verification: the MD5 of the gzip file as published, or, since a mirror may
  re-compress, the MD5 of the decompressed IDX payload as published; plus the
  IDX header (magic number, item count, image size). EMNIST is published as
  one ``gzip.zip`` whose MD5 is checked; a mirror holding the extracted files
  instead is checked by IDX structure and item counts only (no published
  checksums exist for the extracted files).
* MNIST-1D is regenerated locally with the ``mnist1d`` package.
* Seed 004's linear-teacher data are built from a seed (:func:`linear_teacher_data`).
* A synthetic, learnable stand-in of the same shapes replaces a dataset that
  cannot be obtained, only when explicitly asked for; it is labelled as such
  in the prepared file, the result tables and every figure drawn from it.

Nothing here downloads silently into the code tree: every path is an argument.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from .atomic import write_atomic

REAL, STANDIN = "real", "synthetic stand-in"


class DatasetUnavailable(RuntimeError):
    """A dataset could not be obtained (no network, no mirror, corrupt files)."""


class ChecksumError(ValueError):
    """A file does not match its published checksum or IDX structure."""


@dataclass(frozen=True)
class IdxFile:
    name: str  # file name in <Name>/raw/
    gz_md5: str | None  # MD5 of the published .gz
    payload_md5: str | None  # MD5 of the decompressed IDX payload
    count: int  # number of items (images or labels)


@dataclass(frozen=True)
class ImageDataset:
    name: str  # torchvision's folder name
    urls: tuple[str, ...]  # mirrors (base URLs) tried in order
    train_images: IdxFile
    train_labels: IdxFile
    test_images: IdxFile
    test_labels: IdxFile
    archive: tuple[str, str] | None = None  # (file name, MD5) of a zip holding the IDX files
    archive_member_dir: str = ""
    transposed: bool = False  # EMNIST stores images transposed
    n_classes: int = 10

    @property
    def files(self) -> tuple[IdxFile, ...]:
        return (self.train_images, self.train_labels, self.test_images, self.test_labels)


# Checksums: the gzip MD5s are those torchvision verifies; the payload MD5s are
# those of the decompressed files as originally published.
IMAGE_DATASETS: dict[str, ImageDataset] = {
    "MNIST": ImageDataset(
        name="MNIST",
        urls=("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        train_images=IdxFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                             "6bbc9ace898e44ae57da46a324031adb", 60000),
        train_labels=IdxFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432",
                             "a25bea736e30d166cdddb491f175f624", 60000),
        test_images=IdxFile("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3",
                            "2646ac647ad5339dbf082846283269ea", 10000),
        test_labels=IdxFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c",
                            "27ae3e4e09519cfbb04c329615203637", 10000),
    ),
    "FashionMNIST": ImageDataset(
        name="FashionMNIST",
        urls=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        train_images=IdxFile("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                             "f4a8712d7a061bf5bd6d2ca38dc4d50a", 60000),
        train_labels=IdxFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe",
                             "9018921c3c673c538a1fc5bad174d6f9", 60000),
        test_images=IdxFile("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79",
                            "8181f5470baa50b63fa0f6fddb340f0a", 10000),
        test_labels=IdxFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310",
                            "15d484375f8d13e6eb1aabb0c3f46965", 10000),
    ),
    "EMNIST": ImageDataset(
        name="EMNIST",
        urls=("https://biometrics.nist.gov/cs_links/EMNIST/",),
        train_images=IdxFile("emnist-mnist-train-images-idx3-ubyte.gz", None, None, 60000),
        train_labels=IdxFile("emnist-mnist-train-labels-idx1-ubyte.gz", None, None, 60000),
        test_images=IdxFile("emnist-mnist-test-images-idx3-ubyte.gz", None, None, 10000),
        test_labels=IdxFile("emnist-mnist-test-labels-idx1-ubyte.gz", None, None, 10000),
        archive=("gzip.zip", "58c8d27c78d21e728a6bc7b3cc06412e"),
        archive_member_dir="gzip/",
        transposed=True,
    ),
}
ALIASES = {"Fashion-MNIST": "FashionMNIST", "fashion_mnist": "FashionMNIST", "mnist": "MNIST",
           "emnist": "EMNIST"}


def canonical_name(name: str) -> str:
    name = ALIASES.get(name, name)
    if name not in IMAGE_DATASETS and name not in ("MNIST-1D",):
        raise KeyError(f"unknown dataset {name!r}; known: {sorted(IMAGE_DATASETS) + ['MNIST-1D']}")
    return name


# --------------------------------------------------------------------------- IDX


def parse_idx(payload: bytes) -> np.ndarray:
    """Decode an IDX (uint8) payload: magic 0x0000 08 <ndim>, big-endian dims, data."""
    if len(payload) < 4 or payload[:2] != b"\x00\x00" or payload[2] != 0x08:
        raise ChecksumError("not an unsigned-byte IDX file (bad magic number)")
    ndim = payload[3]
    dims = struct.unpack(f">{ndim}I", payload[4 : 4 + 4 * ndim])
    data = np.frombuffer(payload, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ChecksumError(f"IDX payload holds {data.size} bytes, header says {dims}")
    return data.reshape(dims)


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def verify_idx_file(path: Path, spec: IdxFile) -> np.ndarray:
    """Check one raw file against its published checksums and structure; return its array."""
    raw = path.read_bytes()
    try:
        payload = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError) as err:  # truncated gzip stream
        raise ChecksumError(f"{path}: corrupt or truncated gzip ({err})") from err
    known = {m for m in (spec.gz_md5, spec.payload_md5) if m}
    if known and _md5(raw) not in known and _md5(payload) not in known:
        raise ChecksumError(
            f"{path}: MD5 {_md5(payload)} of its content matches no published checksum of {spec.name}"
        )
    array = parse_idx(payload)
    if array.shape[0] != spec.count or (array.ndim == 3 and array.shape[1:] != (28, 28)):
        raise ChecksumError(f"{path}: shape {array.shape}, expected {spec.count} items of 28×28")
    return array


# --------------------------------------------------------------------- fetching


def _resolve_mirror(mirror: str | os.PathLike | None) -> str | None:
    """A mirror given as a directory becomes a file:// URL (trailing slash)."""
    if mirror in (None, ""):
        return None
    mirror = str(mirror)
    if "://" not in mirror:
        mirror = Path(mirror).expanduser().resolve().as_uri()
    return mirror.rstrip("/") + "/"


def _fetch(url: str, dest: Path, timeout: float) -> None:
    """Copy ``url`` to ``dest`` through a temporary file in the same directory."""

    def download(tmp: str) -> None:
        with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as src:
            shutil.copyfileobj(src, out)

    write_atomic(dest, download)


@dataclass
class FetchOptions:
    mirror: str | None = None  # offline mirror root (<root>/<Name>/raw/<file>)
    download: bool = True  # try the public mirrors
    timeout_s: float = 60.0
    retries: int = 2
    log: Callable[[str], None] = field(default=print)


def _sources(ds: ImageDataset, file_name: str, opts: FetchOptions) -> list[str]:
    urls = []
    mirror = _resolve_mirror(opts.mirror)
    if mirror:
        urls.append(f"{mirror}{ds.name}/raw/{file_name}")
    if opts.download:
        urls.extend(base + file_name for base in ds.urls)
    return urls


def _obtain(ds: ImageDataset, file_name: str, dest: Path, verify: Callable[[Path], object],
            opts: FetchOptions) -> list[str]:
    """Make ``dest`` a verified copy of ``file_name``; returns the errors met on the way."""
    errors: list[str] = []
    for url in _sources(ds, file_name, opts):
        attempts = opts.retries if url.startswith(("http://", "https://")) else 1
        for attempt in range(1, attempts + 1):
            try:
                _fetch(url, dest, opts.timeout_s)
                verify(dest)
                opts.log(f"{ds.name}: {file_name} from {url} (verified)")
                return []
            except ChecksumError as err:
                dest.unlink(missing_ok=True)
                errors.append(f"{url}: {err}")
                break  # a corrupt copy will not heal by retrying this source
            except (urllib.error.URLError, OSError, TimeoutError) as err:
                dest.unlink(missing_ok=True)
                errors.append(f"{url} (attempt {attempt}): {err}")
                if attempt < attempts:
                    time.sleep(min(2.0 * attempt, 5.0))
    return errors or ["no source configured (data.mirror is empty and data.download is false)"]


def fetch_raw(name: str, raw_root: Path, opts: FetchOptions) -> dict[str, np.ndarray]:
    """Verified raw arrays of an image dataset, fetching what the cache lacks.

    The cache is ``raw_root/<Name>/raw/``; a cached file that fails verification
    is deleted and fetched again.
    """
    ds = IMAGE_DATASETS[canonical_name(name)]
    raw_dir = Path(raw_root) / ds.name / "raw"
    arrays: dict[str, np.ndarray] = {}
    missing: list[IdxFile] = []
    for f in ds.files:
        path = raw_dir / f.name
        if path.exists():
            try:
                arrays[f.name] = verify_idx_file(path, f)
                continue
            except ChecksumError as err:
                opts.log(f"{ds.name}: cached {path} rejected ({err}); fetching it again")
                path.unlink()
        missing.append(f)
    errors: list[str] = []
    for f in missing:
        errs = _obtain(ds, f.name, raw_dir / f.name, lambda p, f=f: verify_idx_file(p, f), opts)
        if errs and ds.archive is not None:
            errs += _obtain_from_archive(ds, raw_dir, opts)
        if (raw_dir / f.name).exists():
            arrays[f.name] = verify_idx_file(raw_dir / f.name, f)
        else:
            errors += errs
    if errors:
        raise DatasetUnavailable(
            f"dataset {ds.name} could not be obtained:\n  " + "\n  ".join(errors) + "\n"
            f"Set data.mirror in config.yaml to a directory or file:// URL "
            f"holding {ds.name}/raw/<files> (torchvision's layout), or, for tests and offline smoke runs "
            f"only, set data.synthetic_standin: true to use a labelled synthetic stand-in."
        )
    return arrays


def _obtain_from_archive(ds: ImageDataset, raw_dir: Path, opts: FetchOptions) -> list[str]:
    """Fetch the dataset's zip (MD5-checked) and extract its IDX files into ``raw_dir``."""
    archive_name, archive_md5 = ds.archive
    archive = raw_dir / archive_name

    def verify_zip(path: Path) -> None:
        if _md5(path.read_bytes()) != archive_md5:
            raise ChecksumError(f"{path}: MD5 does not match the published {archive_md5}")

    if not archive.exists():
        errs = _obtain(ds, archive_name, archive, verify_zip, opts)
        if errs:
            return errs
    with zipfile.ZipFile(archive) as zf:
        for f in ds.files:
            dest = raw_dir / f.name
            if not dest.exists():
                data = zf.read(ds.archive_member_dir + f.name)
                write_atomic(dest, lambda tmp, data=data: Path(tmp).write_bytes(data))
    return []


# ------------------------------------------------------------------ stand-ins


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


# ------------------------------------------------------------------- prepare


def _save_npz_atomic(path: Path, **arrays) -> None:
    write_atomic(path, lambda tmp: np.savez(tmp, **arrays))


def prepare_image_dataset(name: str, out: Path, raw_root: Path, opts: FetchOptions,
                          synthetic_standin_allowed: bool = False) -> str:
    """Write the prepared cache ``out`` (npz: uint8 images, labels, source); returns the source."""
    ds = IMAGE_DATASETS[canonical_name(name)]
    try:
        raw = fetch_raw(ds.name, raw_root, opts)
        x_train, y_train = raw[ds.train_images.name], raw[ds.train_labels.name]
        x_test, y_test = raw[ds.test_images.name], raw[ds.test_labels.name]
        if ds.transposed:  # EMNIST stores images transposed; make them upright
            x_train, x_test = x_train.transpose(0, 2, 1), x_test.transpose(0, 2, 1)
        arrays, source = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test), REAL
    except DatasetUnavailable as err:
        if not synthetic_standin_allowed:
            raise
        opts.log(f"WARNING: {err}\nUsing a SYNTHETIC STAND-IN for {ds.name} (data.synthetic_standin: true).")
        arrays, source = synthetic_standin(ds.name), STANDIN
    _save_npz_atomic(Path(out), **arrays, source=np.array(source), name=np.array(ds.name))
    return source


def prepare_mnist1d(out: Path, seed: int = 42) -> None:
    """Regenerate MNIST-1D locally with the ``mnist1d`` package (no download)."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = seed
    data = make_dataset(args)
    _save_npz_atomic(Path(out), x_train=np.asarray(data["x"], np.float32), y_train=np.asarray(data["y"]),
                     x_test=np.asarray(data["x_test"], np.float32), y_test=np.asarray(data["y_test"]),
                     source=np.array(REAL), name=np.array("MNIST-1D"))


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


# --------------------------------------------------------------------- loading


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


def load_prepared(path: Path, normalisation: dict | None = None, n_classes: int = 10,
                  test_subset: int | None = None) -> Dataset:
    """Load a prepared npz. Images become pixels in [0, 1], then (x − mean) / std with
    ``normalisation = {"mean": …, "std": …}`` (None: left in [0, 1]); the first
    ``test_subset`` test examples are kept (None: all). A file that cannot be read is reported
    with its path and what to do."""
    try:
        with np.load(path) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise DatasetUnavailable(
            f"prepared dataset {path} cannot be read ({type(err).__name__}: {err}); it is a cache: "
            f"delete it and run the workflow again to rebuild it") from err
    if normalisation is not None and not normalisation.get("std", 0) > 0:
        raise ValueError(f"normalisation of {path}: std must be positive, got {normalisation}")

    def scale(images: np.ndarray) -> np.ndarray:
        x = images.reshape(images.shape[0], -1).astype(np.float32)
        if images.dtype == np.uint8:
            x /= 255.0
        if normalisation is None:
            return x
        return (x - np.float32(normalisation["mean"])) / np.float32(normalisation["std"])

    eye = np.eye(n_classes, dtype=np.float32)
    x_test, y_test = arrays["x_test"], arrays["y_test"]
    if test_subset is not None:
        x_test, y_test = x_test[:test_subset], y_test[:test_subset]
    return Dataset(
        x_train=scale(arrays["x_train"]), y_train=eye[arrays["y_train"].astype(int)],
        x_test=scale(x_test), y_test=eye[y_test.astype(int)],
        name=str(arrays["name"]), source=str(arrays["source"]),
    )


class TeacherData(NamedTuple):
    """Seed 004's linear-teacher data set (:func:`linear_teacher_data`)."""

    x_train: np.ndarray   # [n, d], singular values ``singular_values``, V = I
    y_train: np.ndarray   # [n]
    x_test: np.ndarray    # [test_factor · n, d]
    y_test: np.ndarray    # [test_factor · n], noiseless
    beta: np.ndarray      # [d]
    singular_values: np.ndarray  # f [d] (zeros past rank r)
    noise_projection: np.ndarray  # ε̃ = U_rᵀ(y − Xβ) [d] (zeros past rank r)
    large: np.ndarray     # [d] bool: features with singular value κ


def teacher_modulation(dim: int, n_samples: int, kappa: float) -> np.ndarray:
    """diag(F): of the r = min(n, d) non-zero singular values, p = ⌈r/2⌉ are 1 and r − p are κ,
    sorted in decreasing order (the seed's ``modulation_matrix``), then d − r zeros."""
    r = min(n_samples, dim)
    p = math.ceil(r / 2)
    values = np.sort(np.concatenate([np.ones(p), np.full(r - p, kappa)]))[::-1]
    return np.concatenate([values, np.zeros(dim - r)])


def linear_teacher_data(dim: int, n_samples: int, kappa: float, sigma_noise: float, beta: float,
                        test_factor: int, seed: int) -> TeacherData:
    """Seed 004's linear-teacher data (its ``linear_model`` with ``transform_data=True`` and κ),
    without the z-scoring the seed applies afterwards, which would undo the κ spectrum.

    Gaussian inputs X₀ = U S Wᵀ (n × d) are mapped to X = X₀ W S⁺ F = U_r diag(f): the training
    inputs have exactly the singular values f = :func:`teacher_modulation` and right singular
    vectors V = I; the ``test_factor`` · n test inputs go through the same map and get noiseless
    targets; y = Xβ + N(0, σ²) with β = beta · 1.

    The random numbers are the seed's, draw for draw: numpy's legacy generator seeded with
    ``seed`` (the notebook's ``np.random.seed(12)``), consumed in its ``linear_model.sample``
    order: the training inputs, the noise in two halves then shuffled, the test inputs."""
    rng = np.random.RandomState(seed)
    d, n = dim, n_samples
    raw = rng.randn(n * d).reshape(n, d)
    _, s, wt = np.linalg.svd(raw, full_matrices=True)
    f = teacher_modulation(d, n, kappa)
    r = min(n, d)
    s_pinv = np.zeros(d)
    s_pinv[:r] = 1.0 / s[:r]
    transform = wt.T @ np.diag(s_pinv) @ np.diag(f)     # X₀ W S⁺ F
    x_train = raw @ transform
    beta = np.full(d, float(beta))
    split = math.ceil(n / 2)  # the seed draws its noise in two halves (one σ each; here equal)
    noise = np.concatenate([sigma_noise * rng.randn(split), sigma_noise * rng.randn(n - split)])
    rng.shuffle(noise)
    y_train = x_train @ beta + noise
    x_test = rng.randn(test_factor * n * d).reshape(test_factor * n, d) @ transform
    y_test = x_test @ beta
    # U_r from X itself (X = U_r diag(f)), so that the signs match V = I exactly.
    u_r = x_train[:, :r] / f[:r]
    noise_projection = np.zeros(d)
    noise_projection[:r] = u_r.T @ (y_train - x_train @ beta)
    n_larger = r - math.ceil(r / 2) if kappa >= 1 else math.ceil(r / 2)  # the larger group comes first
    return TeacherData(x_train, y_train, x_test, y_test, beta, f, noise_projection,
                       large=np.arange(d) < n_larger)


__all__ = [
    "IMAGE_DATASETS", "DatasetUnavailable", "ChecksumError", "FetchOptions", "fetch_raw",
    "prepare_image_dataset", "prepare_mnist1d", "synthetic_standin", "toy_gaussian", "load_prepared",
    "Dataset", "TeacherData", "linear_teacher_data", "teacher_modulation", "parse_idx", "verify_idx_file", "canonical_name", "REAL", "STANDIN",
]
