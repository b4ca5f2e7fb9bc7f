"""pcrepro.pipeline.bundle: a finished run's results packed with their provenance and checksums,
verified, refused when corrupt, incomplete or made by other code, and unpacked once."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pcrepro.data import save_npz_atomic
from pcrepro.pipeline.bundle import MANIFEST, BundleError, create, sha256_of, use_bundle, verify
from pcrepro.pipeline.provenance import finished, job_provenance
from pcrepro.pipeline.results import write_table


def _results(root: Path) -> Path:
    """A small results/quick: a training table, an aggregated one made from it, an analysis
    array, and the claims (which are never bundled)."""
    results = root / "results" / "quick"
    train = finished(job_provenance(rule="train_cell", params={"code": "aaa"}, wildcards={}, preset="quick",
                                    dtype="float32"), matmul_precision="highest")
    write_table(pd.DataFrame({"acc": [1.0, 2.0]}), results / "s" / "runs" / "c.parquet", train)
    write_table(pd.DataFrame({"acc": [1.0, 2.0]}), results / "s" / "runs.parquet",
                finished(job_provenance(rule="aggregate", params={"code": "bbb"}, wildcards={}, preset="quick"),
                         inputs=[train]))
    save_npz_atomic(results / "chains" / "depth_2.npz",
                    finished(job_provenance(rule="chains_depth", params={"code": "ccc"}, wildcards={}, preset="quick")),
                    x=np.arange(3.0))
    (results / "claims.csv").write_text("claim\n")
    (results / "claims").mkdir()
    (results / "claims" / "s.json").write_text("[]")
    return results


def _rewrite(bundle: Path, out: Path, change) -> Path:
    """A copy of ``bundle`` with ``change(name, data) -> data or None (dropped)`` applied to members."""
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = change(name, src.read(name))
            if data is not None:
                dst.writestr(name, data)
    return out


def test_a_bundle_holds_the_computed_results_with_checksums_and_the_code_that_made_them(tmp_path):
    results = _results(tmp_path)
    manifest = create(results, "quick", tmp_path / "b.zip", log=lambda m: None)
    assert sorted(manifest["files"]) == ["chains/depth_2.npz", "s/runs.parquet", "s/runs/c.parquet"]
    assert manifest["code"] == {"chains_depth": ["ccc"], "train_cell": ["aaa"]}  # the computing jobs
    assert manifest["files"]["s/runs.parquet"]["sha256"] == sha256_of(results / "s" / "runs.parquet")
    assert verify(tmp_path / "b.zip", sha256_of(tmp_path / "b.zip"))["preset"] == "quick"


def test_a_flipped_byte_a_missing_file_or_a_truncated_bundle_is_refused_naming_it(tmp_path):
    create(_results(tmp_path), "quick", tmp_path / "b.zip", log=lambda m: None)
    flipped = _rewrite(tmp_path / "b.zip", tmp_path / "flipped.zip",
                       lambda n, d: bytes([d[0] ^ 1]) + d[1:] if n == "s/runs.parquet" else d)
    with pytest.raises(BundleError, match="s/runs.parquet does not match its checksum"):
        verify(flipped)
    missing = _rewrite(tmp_path / "b.zip", tmp_path / "missing.zip", lambda n, d: None if n.endswith(".npz") else d)
    with pytest.raises(BundleError, match="chains/depth_2.npz is listed in its manifest but missing"):
        verify(missing)
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes((tmp_path / "b.zip").read_bytes()[:300])
    with pytest.raises(BundleError, match="truncated.zip cannot be read"):
        verify(truncated)
    with pytest.raises(BundleError, match="its SHA-256 is"):
        verify(tmp_path / "b.zip", "0" * 64)
    with pytest.raises(BundleError, match="no such file"):
        verify(tmp_path / "none.zip")


def test_a_bundle_of_other_code_is_refused_unless_allowed_and_unpacked_once(tmp_path):
    create(_results(tmp_path / "made"), "quick", tmp_path / "b.zip", log=lambda m: None)
    results = tmp_path / "use" / "results" / "quick"
    (results / "mine").mkdir(parents=True)
    (results / "mine" / "keep.txt").write_text("kept")
    same = {"train_cell": "aaa", "chains_depth": "ccc", "aggregate": "bbb"}

    def use(current, allow=False):
        return use_bundle(str(tmp_path / "b.zip"), sha256=None, results_dir=results, preset="quick",
                          current_code=current, allow_other_code=allow, log=lambda m: None)

    with pytest.raises(BundleError, match="rule train_cell: code aaa in the bundle, zzz here"):
        use({**same, "train_cell": "zzz"})
    assert not (results / "s").exists()  # refused before anything was unpacked
    files, note = use(same)
    assert note == "" and sorted(Path(f).relative_to(results).as_posix() for f in files) == [
        "chains/depth_2.npz", "s/runs.parquet", "s/runs/c.parquet"]
    assert (results / "mine" / "keep.txt").read_text() == "kept"  # nothing else touched
    stamp = (results / "s" / "runs.parquet").stat().st_mtime_ns
    files, note = use({**same, "train_cell": "zzz"}, allow=True)  # already unpacked: not again
    assert note.startswith("results from a bundle made by other code") and \
        (results / "s" / "runs.parquet").stat().st_mtime_ns == stamp
    with pytest.raises(BundleError, match="holds preset 'quick'"):
        use_bundle(str(tmp_path / "b.zip"), sha256=None, results_dir=tmp_path / "p", preset="paper",
                   current_code=same, allow_other_code=False)


def test_results_without_provenance_are_not_bundled(tmp_path):
    results = tmp_path / "results" / "quick"
    write_table(pd.DataFrame({"a": [1]}), results / "s" / "runs.parquet")
    with pytest.raises(BundleError, match="no provenance record"):
        create(results, "quick", tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as z:
        z.writestr(MANIFEST, json.dumps({"format": "other"}))
    with pytest.raises(BundleError, match="format 'other'"):
        verify(tmp_path / "x.zip")
