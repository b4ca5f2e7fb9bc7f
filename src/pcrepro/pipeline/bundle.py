"""Results bundles: a finished run's computed results, shared so that others rebuild every figure
and verdict without computing them again.

A bundle is a zip file of everything under ``results/<preset>/`` that a compute job made
(training tables, analysis arrays, aggregated runs, selections, with their provenance records),
without what is rebuilt from them (the claims), and a manifest (:data:`MANIFEST`): the format,
the preset, the commit and package version that made it, the code hash of every rule that made
a file in it (from the files' provenance), and the SHA-256 and size of every file.

:func:`verify` checks all of it and names the first file that is wrong; :func:`use_bundle`,
which the workflow calls when ``results.bundle`` is set, fetches (an https URL, checked
against ``results.bundle_sha256``) and verifies a bundle, refuses one whose rules ran other
code than this checkout's (unless ``results.bundle_code: any``), and unpacks it once.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import shutil
import urllib.request
import zipfile
from pathlib import Path

from ..data.atomic import write_atomic
from .provenance import checkout_commit, inputs_of, read_provenance

FORMAT = "pcrepro-bundle/1"
MANIFEST = "MANIFEST.json"
# what every claim and figure says when the results come from a bundle made by other code: set by
# the workflow (rules/bundle.smk), read by the claims and by every figure export
RESULTS_NOTE_ENV = "PCREPRO_RESULTS_NOTE"
MARKER = ".bundle.json"  # in results/<preset>/: the bundle unpacked there (its SHA-256 and files)
# rebuilt from the results, never bundled: the claims, and a job's leftovers
NOT_BUNDLED = ("claims", "claims.csv", "claims.json", "claims.html", "claims.csv.provenance.json",
               "claims.json.provenance.json", MARKER)


class BundleError(RuntimeError):
    """A bundle that cannot be used: unreadable, incomplete, corrupt, or made by other code."""


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundled_files(results_dir: Path) -> list[Path]:
    """The computed results under ``results_dir`` (relative paths): every file but the claims,
    checkpoints and hidden files."""
    files = []
    for path in sorted(results_dir.rglob("*")):
        rel = path.relative_to(results_dir)
        if (path.is_file() and rel.parts[0] not in NOT_BUNDLED and not path.name.startswith(".")
                and not path.name.endswith(".checkpoint.npz")):
            files.append(rel)
    return files


def _codes(results_dir: Path, files: list[Path]) -> dict[str, list[str]]:
    """rule -> the code hashes its jobs ran, from the files' provenance."""
    codes: dict[str, set] = {}
    for record in inputs_of([results_dir / f for f in files]):
        codes.setdefault(record.get("rule") or "?", set()).add(record.get("code"))
    return {rule: sorted(c for c in hashes if c) for rule, hashes in sorted(codes.items())}


def create(results_dir: str | Path, preset: str, out: str | Path, log=print) -> dict:
    """Pack the computed results of ``results_dir`` (``results/<preset>``) into the zip ``out``;
    returns the manifest."""
    results_dir, out = Path(results_dir), Path(out)
    files = bundled_files(results_dir)
    if not files:
        raise BundleError(f"no results under {results_dir}: run the workflow at preset {preset} first")
    missing = [f for f in files if f.suffix in (".parquet", ".npz") and read_provenance(results_dir / f) is None]
    if missing:
        raise BundleError(f"{len(missing)} results under {results_dir} have no provenance record (e.g. {missing[0]}): "
                          "they were written before provenance was recorded; run their jobs again first")
    commit, dirty = checkout_commit()
    from importlib import metadata

    manifest = {"format": FORMAT, "preset": preset, "created": datetime.datetime.now(datetime.timezone.utc)
                .isoformat(timespec="seconds"), "commit": commit, "dirty": dirty,
                "version": metadata.version("pcrepro"), "code": _codes(results_dir, files),
                "files": {f.as_posix(): {"sha256": sha256_of(results_dir / f), "bytes": (results_dir / f).stat().st_size}
                          for f in files}}

    def write(tmp):
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
            for f in files:
                z.write(results_dir / f, f.as_posix())

    write_atomic(out, write)
    log(f"bundle {out}: {len(files)} files of preset {preset}, {out.stat().st_size / 1e6:.1f} MB, "
        f"SHA-256 {sha256_of(out)}")
    return manifest


def verify(path: str | Path, sha256: str | None = None) -> dict:
    """The manifest of the bundle ``path``, after checking that it is a bundle, that every file
    it lists is there with its checksum and nothing else is (and the whole file's SHA-256, where
    given); :class:`BundleError` names the first problem."""
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"bundle {path}: no such file (config key results.bundle)")
    if sha256 and sha256_of(path) != sha256.lower():
        raise BundleError(f"bundle {path}: its SHA-256 is {sha256_of(path)}, not the {sha256} given "
                          "(results.bundle_sha256): a corrupt or different file; fetch it again")
    try:
        with zipfile.ZipFile(path) as z:
            manifest = json.loads(z.read(MANIFEST))
            if manifest.get("format") != FORMAT:
                raise BundleError(f"bundle {path}: format {manifest.get('format')!r}, this package reads {FORMAT!r}")
            names = set(z.namelist()) - {MANIFEST}
            listed = set(manifest["files"])
            if listed - names:
                raise BundleError(f"bundle {path}: {sorted(listed - names)[0]} is listed in its manifest but missing")
            if names - listed:
                raise BundleError(f"bundle {path}: {sorted(names - listed)[0]} is not in its manifest")
            for name in sorted(listed):
                digest = hashlib.sha256(z.read(name)).hexdigest()
                if digest != manifest["files"][name]["sha256"]:
                    raise BundleError(f"bundle {path}: {name} does not match its checksum (corrupt)")
    except BundleError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as err:
        raise BundleError(f"bundle {path} cannot be read ({type(err).__name__}: {err}): a truncated or corrupt "
                          "file, or not a bundle; fetch or make it again") from err
    return manifest


def code_differences(manifest: dict, current: dict[str, str]) -> list[str]:
    """How the code that made the bundle differs from this checkout's: per rule in both, the
    hashes it ran there against the one it runs here."""
    return [f"rule {rule}: code {', '.join(hashes)} in the bundle, {current[rule]} here"
            for rule, hashes in manifest.get("code", {}).items() if rule in current and hashes != [current[rule]]]


def fetch(url: str, sha256: str | None, cache_dir: Path, log=print) -> Path:
    """A bundle at an https URL, downloaded once into ``cache_dir`` (named by its SHA-256)."""
    if not sha256:
        raise BundleError(f"results.bundle is a URL ({url}): give its SHA-256 as results.bundle_sha256")
    target = cache_dir / f"{sha256.lower()}.zip"
    if target.exists() and sha256_of(target) == sha256.lower():
        return target
    log(f"downloading the results bundle {url}")
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except OSError as err:
        raise BundleError(f"results.bundle {url} cannot be downloaded ({err}); download it by hand and give its "
                          "local path") from err
    cache_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(target, lambda tmp: Path(tmp).write_bytes(data))
    return target


def use_bundle(setting: str, *, sha256: str | None, results_dir: str | Path, preset: str, current_code: dict[str, str],
               allow_other_code: bool, cache_dir: str | Path = ".cache/bundles", log=print) -> tuple[list[str], str]:
    """Verify the bundle of ``results.bundle`` and unpack it into ``results_dir`` once; returns the
    paths of the results it holds (under ``results_dir``) and a note ("" when its code is this
    checkout's; else what every claim and figure must say)."""
    results_dir = Path(results_dir)
    path = fetch(setting, sha256, Path(cache_dir), log) if setting.startswith(("https://", "http://")) else Path(setting)
    digest = sha256_of(path) if path.is_file() else None
    marker = results_dir / MARKER
    unpacked = json.loads(marker.read_text()) if marker.exists() else {}
    done = digest is not None and unpacked.get("sha256") == digest  # verified and unpacked by an earlier run
    if done:
        manifest = unpacked["manifest"]
    else:
        manifest = verify(path, sha256)
        if manifest["preset"] != preset:
            raise BundleError(f"bundle {path} holds preset {manifest['preset']!r}; this run's preset is {preset!r}")
    differences = code_differences(manifest, current_code)
    note = ""
    if differences:
        if not allow_other_code:
            raise BundleError(f"bundle {path} was made by other code (commit {manifest['commit'][:10]}): "
                              + "; ".join(differences) + ". Check out the commit that made it, or set "
                              "results.bundle_code: any to use it anyway (every claim and figure then says so)")
        note = f"results from a bundle made by other code (commit {manifest['commit'][:10]})"
    if not done:
        with zipfile.ZipFile(path) as z:
            for name in manifest["files"]:
                target = results_dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with z.open(name) as src:
                    write_atomic(target, lambda tmp, src=src: _copy(src, tmp))
        write_atomic(marker, lambda tmp: Path(tmp).write_text(json.dumps({"sha256": digest, "manifest": manifest})))
        log(f"results bundle {path}: {len(manifest['files'])} results of preset {preset} unpacked into {results_dir}")
    return [str(results_dir / name) for name in manifest["files"]], note


def _copy(src: io.BufferedIOBase, tmp) -> None:
    with open(tmp, "wb") as dst:
        shutil.copyfileobj(src, dst)


__all__ = ["BundleError", "FORMAT", "MANIFEST", "RESULTS_NOTE_ENV", "bundled_files", "code_differences", "create", "fetch", "sha256_of",
           "use_bundle", "verify"]
