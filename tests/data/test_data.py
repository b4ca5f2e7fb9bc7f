"""pcrepro.data: acquisition with checksums, offline mirrors, stand-ins, prepared files and their normalisation."""

import functools
import gzip
import hashlib
import http.server
import os
import struct
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_MNIST

from pcrepro import data as D


def _idx_images(n, seed=0):
    arr = np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)
    return struct.pack(">BBBBIII", 0, 0, 8, 3, n, 28, 28) + arr.tobytes()


def _idx_labels(n, seed=0):
    arr = np.random.default_rng(seed).integers(0, 10, n, dtype=np.uint8)
    return struct.pack(">BBBBI", 0, 0, 8, 1, n) + arr.tobytes()


@pytest.fixture
def tiny_dataset(monkeypatch):
    """A registry entry for a tiny made-up IDX dataset whose checksums we know."""
    payloads = {"train-images-idx3-ubyte.gz": _idx_images(50), "train-labels-idx1-ubyte.gz": _idx_labels(50),
                "t10k-images-idx3-ubyte.gz": _idx_images(20, 1), "t10k-labels-idx1-ubyte.gz": _idx_labels(20, 1)}
    counts = {"train-images-idx3-ubyte.gz": 50, "train-labels-idx1-ubyte.gz": 50,
              "t10k-images-idx3-ubyte.gz": 20, "t10k-labels-idx1-ubyte.gz": 20}
    files = [D.IdxFile(name, None, hashlib.md5(p).hexdigest(), counts[name]) for name, p in payloads.items()]
    ds = replace(D.IMAGE_DATASETS["MNIST"], name="Tiny", urls=(), train_images=files[0], train_labels=files[1],
                 test_images=files[2], test_labels=files[3])
    monkeypatch.setitem(D.IMAGE_DATASETS, "Tiny", ds)
    return ds, {name: gzip.compress(p) for name, p in payloads.items()}


def _write_mirror(root: Path, name: str, files: dict) -> Path:
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    for fname, blob in files.items():
        (raw / fname).write_bytes(blob)
    return root


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_corrupted_file_is_rejected_by_checksum(tiny_dataset, tmp_path):
    ds, files = tiny_dataset
    good = tmp_path / "good.gz"
    good.write_bytes(files["train-images-idx3-ubyte.gz"])
    assert D.verify_idx_file(good, ds.train_images).shape == (50, 28, 28)
    payload = bytearray(gzip.decompress(files["train-images-idx3-ubyte.gz"]))
    payload[1000] ^= 0xFF  # one flipped byte, structure intact
    bad = tmp_path / "bad.gz"
    bad.write_bytes(gzip.compress(bytes(payload)))
    with pytest.raises(D.ChecksumError, match="matches no published checksum"):
        D.verify_idx_file(bad, ds.train_images)
    truncated = tmp_path / "truncated.gz"
    truncated.write_bytes(files["train-images-idx3-ubyte.gz"][:-200])
    with pytest.raises(D.ChecksumError, match="corrupt or truncated"):
        D.verify_idx_file(truncated, ds.train_images)


def test_offline_mirror_and_cache_and_a_corrupt_cached_file_is_refetched(tiny_dataset, tmp_path):
    ds, files = tiny_dataset
    mirror = _write_mirror(tmp_path / "mirror", "Tiny", files)
    opts = D.FetchOptions(mirror=mirror.as_uri(), download=False, log=lambda m: None)
    arrays = D.fetch_raw("Tiny", tmp_path / "cache", opts)
    assert arrays["t10k-labels-idx1-ubyte.gz"].shape == (20,)
    cached = tmp_path / "cache" / "Tiny" / "raw" / "train-images-idx3-ubyte.gz"
    cached.write_bytes(cached.read_bytes()[:100])  # a partial file in the cache
    arrays = D.fetch_raw("Tiny", tmp_path / "cache", opts)  # detected, fetched again from the mirror
    assert arrays["train-images-idx3-ubyte.gz"].shape == (50, 28, 28)
    assert sorted(p.name for p in cached.parent.iterdir()) == sorted(files)  # no temporary leftovers


def test_no_network_and_no_mirror_is_one_clear_error(tmp_path):
    with pytest.raises(D.DatasetUnavailable) as err:
        D.fetch_raw("FashionMNIST", tmp_path, D.FetchOptions(mirror=None, download=False, log=lambda m: None))
    message = str(err.value)
    assert "FashionMNIST" in message and "data.mirror" in message and "data.synthetic_standin" in message
    assert not (tmp_path / "FashionMNIST" / "raw").exists() or not any((tmp_path / "FashionMNIST" / "raw").iterdir())


def test_download_retries_over_mirrors_and_never_keeps_a_corrupt_copy(tiny_dataset, tmp_path):
    """Mirror A (loopback HTTP) serves corrupt files, mirror B good ones: B's copy is used."""
    ds, files = tiny_dataset
    corrupt = {k: v[: len(v) // 2] for k, v in files.items()}
    _write_mirror(tmp_path / "a", "Tiny", corrupt)
    _write_mirror(tmp_path / "b", "Tiny", files)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=tmp_path))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        D.IMAGE_DATASETS["Tiny"] = replace(ds, urls=(f"{base}/a/Tiny/raw/", f"{base}/b/Tiny/raw/"))
        log = []
        arrays = D.fetch_raw("Tiny", tmp_path / "cache", D.FetchOptions(download=True, retries=1, log=log.append))
    finally:
        server.shutdown()
    assert arrays["train-images-idx3-ubyte.gz"].shape == (50, 28, 28)
    assert all("/b/Tiny/raw/" in line for line in log)


def test_synthetic_standin_is_labelled_and_learnable_shapes(tmp_path):
    out = tmp_path / "MNIST.npz"
    source = D.prepare_image_dataset("MNIST", out, tmp_path / "raw",
                                     D.FetchOptions(download=False, log=lambda m: None),
                                     synthetic_standin_allowed=True)
    assert source == D.STANDIN
    ds = D.load_prepared(out)
    assert ds.source == D.STANDIN and ds.x_train.shape == (60000, 784) and ds.y_test.shape == (10000, 10)
    assert float(ds.x_train.min()) >= 0.0 and float(ds.x_train.max()) <= 1.0  # no normalisation: pixels
    # learnable: nearest class mean beats chance by far
    means = np.stack([ds.x_train[ds.y_train[:, c] == 1].mean(0) for c in range(10)])
    pred = np.argmin(((ds.x_test[:2000, None] - means) ** 2).sum(-1), 1)
    assert (pred == ds.y_test[:2000].argmax(1)).mean() > 0.5


def test_without_standin_permission_an_unavailable_dataset_fails(tmp_path):
    with pytest.raises(D.DatasetUnavailable):
        D.prepare_image_dataset("EMNIST", tmp_path / "E.npz", tmp_path / "raw",
                                D.FetchOptions(download=False, log=lambda m: None))
    assert not (tmp_path / "E.npz").exists()


@pytest.mark.skipif(not SHARED_MNIST.exists(), reason=f"real MNIST files not found at {SHARED_MNIST}")
def test_real_mnist_from_offline_mirror_passes_published_checksums(tmp_path):
    """The shared files are re-compressed: their payload MD5s, as published, must match."""
    out = tmp_path / "MNIST.npz"
    source = D.prepare_image_dataset("MNIST", out, tmp_path / "raw",
                                     D.FetchOptions(mirror=str(SHARED_MNIST.parents[1]), download=False,
                                                    log=lambda m: None))
    ds = D.load_prepared(out)
    assert source == D.REAL and ds.x_train.shape == (60000, 784)
    assert np.bincount(ds.y_train.argmax(1)).tolist()[:2] == [5923, 6742]  # MNIST's known class counts


def test_toy_gaussian_matches_seed_definition():
    x, y = D.toy_gaussian(np.random.default_rng(0), 3, 64, independent_second_target=True)
    assert x.shape == (64, 3) and np.allclose(y[:, [0, 2]], -x[:, [0, 2]])
    assert abs(y[:, 1].mean() - 1.0) < 0.05  # the independent draw has mean +1, not −1


def test_mnist1d_is_regenerated_locally(tmp_path):
    D.prepare_mnist1d(tmp_path / "m1d.npz")
    ds = D.load_prepared(tmp_path / "m1d.npz")
    assert ds.x_train.shape == (4000, 40) and ds.x_test.shape == (1000, 40)
    assert sorted(np.unique(ds.y_train.argmax(1))) == list(range(10)) and ds.source == D.REAL


@pytest.mark.slow
def test_training_cells_normalise_each_dataset_as_the_reference(tmp_path):
    """data.normalisation defaults to the reference code's: Fashion-MNIST (and EMNIST) to
    [−1, 1] with mean = std = 0.5, MNIST by 0.1307 / 0.3081; every training cell carries its
    dataset's entry and the loaded inputs are exactly (pixel − mean) / std."""
    import yaml

    from pcrepro.pipeline.cells import training_cells
    from pcrepro.pipeline.config import ConfigError, dataset_normalisation

    config = yaml.safe_load((Path(__file__).parents[2] / "config.yaml").read_text())
    assert dataset_normalisation(config, "FashionMNIST") == {"mean": 0.5, "std": 0.5}
    assert dataset_normalisation(config, "MNIST") == {"mean": 0.1307, "std": 0.3081}
    config["preset"] = "paper"
    cells = training_cells("mupc_hp_transfer", config)
    fashion = [c for c in cells.values() if c["dataset"] == "FashionMNIST"]
    assert fashion and all(c["normalisation"] == {"mean": 0.5, "std": 0.5} for c in fashion)
    assert all(c["normalisation"] == {"mean": 0.1307, "std": 0.3081} for c in cells.values() if c["dataset"] == "MNIST")

    for name in ("FashionMNIST", "MNIST"):
        out = tmp_path / f"{name}.npz"
        D.prepare_image_dataset(name, out, tmp_path / "raw", D.FetchOptions(download=False, log=lambda m: None),
                                synthetic_standin_allowed=True)  # labelled stand-ins: the real ones cannot be fetched here
        pixels = np.load(out)["x_train"].reshape(60000, -1).astype(np.float64) / 255.0
        norm = dataset_normalisation(config, name)
        x = D.load_prepared(out, norm).x_train
        np.testing.assert_allclose(x, (pixels - norm["mean"]) / norm["std"], rtol=1e-6, atol=1e-6)
        if name == "FashionMNIST":
            assert x.min() >= -1.0 and x.max() <= 1.0 and x.min() == -1.0
    del config["data"]["normalisation"]["MNIST"]
    with pytest.raises(ConfigError, match="data.normalisation has no entry for dataset 'MNIST'"):
        training_cells("mupc_sweeps", config)


def test_a_truncated_prepared_file_is_named_with_what_to_do(tmp_path):
    out = tmp_path / "MNIST.npz"
    D.prepare_image_dataset("MNIST", out, tmp_path / "raw", D.FetchOptions(download=False, log=lambda m: None),
                            synthetic_standin_allowed=True)
    out.write_bytes(out.read_bytes()[:1000])
    with pytest.raises(D.DatasetUnavailable, match=r"MNIST.npz cannot be read .*delete it"):
        D.load_prepared(out)


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_atomic_writes_get_the_mode_the_umask_gives_a_plain_file(tmp_path, umask):
    """Not the private 0600 of a temporary file: a shared project directory stays readable."""
    from pcrepro.data.atomic import write_atomic

    previous = os.umask(umask)
    try:
        write_atomic(tmp_path / "table.csv", lambda tmp: Path(tmp).write_text("a,b\n"))
        with open(tmp_path / "plain.csv", "w") as f:
            f.write("a,b\n")
    finally:
        os.umask(previous)
    assert (tmp_path / "table.csv").stat().st_mode & 0o777 == (tmp_path / "plain.csv").stat().st_mode & 0o777
    assert (tmp_path / "table.csv").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_corrupt_prepared_file_is_found_without_loading_it(tmp_path):
    out = tmp_path / "MNIST.npz"
    D.prepare_image_dataset("MNIST", out, tmp_path / "raw", D.FetchOptions(download=False, log=lambda m: None),
                            synthetic_standin_allowed=True)
    assert D.unreadable_prepared(out) is None
    payload = bytearray(out.read_bytes())
    out.write_bytes(payload[:1000])
    assert "MNIST.npz cannot be read (BadZipFile" in D.unreadable_prepared(out)
    payload[len(payload) // 2] ^= 0xFF  # one flipped byte inside the image data: the CRC catches it
    out.write_bytes(payload)
    assert "is corrupt); it is a cache: delete it" in D.unreadable_prepared(out)
    np.savez(tmp_path / "other.npz", x_train=np.zeros(3))
    assert "no name, source, x_test, y_test, y_train" in D.unreadable_prepared(tmp_path / "other.npz")
