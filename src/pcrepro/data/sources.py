"""Acquisition: raw IDX files from an offline mirror or the public mirrors, verified, then prepared.

Every file is written under a temporary name, verified, and only then renamed into the cache,
so a partial or corrupt file is never used (see :mod:`pcrepro.data` for the whole story).
"""

from __future__ import annotations

import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .atomic import write_atomic
from .formats import REAL, STANDIN, save_npz_atomic
from .registry import (
    IMAGE_DATASETS,
    ChecksumError,
    DatasetUnavailable,
    IdxFile,
    ImageDataset,
    canonical_name,
    md5,
    verify_idx_file,
)
from .standins import synthetic_standin

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
        raise DatasetUnavailable(f"dataset {ds.name} could not be obtained:\n  " + "\n  ".join(errors) + "\n"
                                 + how_to_provide(ds.name))
    return arrays


def how_to_provide(name: str) -> str:
    """What to do when dataset ``name`` cannot be obtained (the README's offline route)."""
    return (f"Put its raw files in torchvision's layout, <dir>/{name}/raw/<files>, and run with a small extra "
            f"config file (targets, if any, before --configfile):\n"
            f"    printf 'data:\\n  mirror: <dir>\\n  download: false\\n' > offline.yaml\n"
            f"    snakemake --cores all --configfile config.yaml offline.yaml\n"
            f"For tests and offline smoke runs only, data.synthetic_standin: true uses a labelled synthetic "
            f"stand-in instead.")


def unobtainable(name: str, raw_root: Path, opts: FetchOptions, probe_timeout_s: float = 10.0) -> str | None:
    """Why dataset ``name`` surely cannot be obtained, or None if it may be: checked before any job
    runs, so that a run without the data stops at once instead of failing after unrelated work.

    Cheap and conservative: raw files already cached or present in a local mirror count as
    obtainable (they are verified by the job); otherwise, with ``opts.download``, one public mirror
    must answer a HEAD request within ``probe_timeout_s``; a remote offline mirror (http) is
    trusted as configured.
    """
    ds = IMAGE_DATASETS[canonical_name(name)]
    raw_dir = Path(raw_root) / ds.name / "raw"
    needed = [f.name for f in ds.files if not (raw_dir / f.name).exists()]
    if not needed:
        return None
    mirror = _resolve_mirror(opts.mirror)
    if mirror and not mirror.startswith("file:"):
        return None
    if mirror:
        root = Path(urllib.request.url2pathname(urllib.parse.urlparse(mirror).path)) / ds.name / "raw"
        archive = ds.archive is not None and (root / ds.archive[0]).exists()
        if archive or all((root / f).exists() for f in needed):
            return None
    problems = [f"the offline mirror {opts.mirror} has no {ds.name}/raw/{needed[0]}" if mirror
                else "no offline mirror is configured (data.mirror)"]
    if not opts.download:
        problems.append("downloading is off (data.download: false)")
    else:
        for base in ds.urls:
            try:
                request = urllib.request.Request(base + (ds.archive[0] if ds.archive else needed[0]), method="HEAD")
                with urllib.request.urlopen(request, timeout=min(opts.timeout_s, probe_timeout_s)):
                    return None
            except urllib.error.HTTPError as err:  # the server answered: the network works
                if err.code < 500:
                    return None
                problems.append(f"{base}: {err}")
            except (urllib.error.URLError, OSError, TimeoutError) as err:
                problems.append(f"{base}: {getattr(err, 'reason', err)}")
    return (f"dataset {ds.name} cannot be obtained, so nothing was run:\n  " + "\n  ".join(problems) + "\n"
            + how_to_provide(ds.name))


def _obtain_from_archive(ds: ImageDataset, raw_dir: Path, opts: FetchOptions) -> list[str]:
    """Fetch the dataset's zip (MD5-checked) and extract its IDX files into ``raw_dir``."""
    archive_name, archive_md5 = ds.archive
    archive = raw_dir / archive_name

    def verify_zip(path: Path) -> None:
        if md5(path.read_bytes()) != archive_md5:
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
    save_npz_atomic(Path(out), **arrays, source=np.array(source), name=np.array(ds.name))
    return source


def prepare_mnist1d(out: Path, seed: int = 42) -> None:
    """Regenerate MNIST-1D locally with the ``mnist1d`` package (no download)."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = seed
    data = make_dataset(args)
    save_npz_atomic(Path(out), x_train=np.asarray(data["x"], np.float32), y_train=np.asarray(data["y"]),
                     x_test=np.asarray(data["x_test"], np.float32), y_test=np.asarray(data["y_test"]),
                     source=np.array(REAL), name=np.array("MNIST-1D"))
