"""The image datasets: their files, published checksums and IDX structure, and how a file is verified."""

from __future__ import annotations

import gzip
import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np


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


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def verify_idx_file(path: Path, spec: IdxFile) -> np.ndarray:
    """Check one raw file against its published checksums and structure; return its array."""
    raw = path.read_bytes()
    try:
        payload = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError) as err:  # truncated gzip stream
        raise ChecksumError(f"{path}: corrupt or truncated gzip ({err})") from err
    known = {m for m in (spec.gz_md5, spec.payload_md5) if m}
    if known and md5(raw) not in known and md5(payload) not in known:
        raise ChecksumError(
            f"{path}: MD5 {md5(payload)} of its content matches no published checksum of {spec.name}"
        )
    array = parse_idx(payload)
    if array.shape[0] != spec.count or (array.ndim == 3 and array.shape[1:] != (28, 28)):
        raise ChecksumError(f"{path}: shape {array.shape}, expected {spec.count} items of 28×28")
    return array
