"""The science changes, the results follow: a job is planned again when the package code it runs
changes in substance, and only then (pcrepro.pipeline.provenance, the rules' ``code`` parameter)."""

import re
import shutil
from pathlib import Path

import pytest
from test_workflow import _snakemake, _standin_override

from pcrepro.pipeline.provenance import code_hash, read_provenance

pytestmark = pytest.mark.slow  # Snakemake end to end

CHECKOUT = ("Snakefile", "config.yaml", "src", "rules", "workflow_scripts", "schemas", "envs")


def _planned(repo: Path, workdir: Path, override: Path) -> dict[str, str]:
    """The jobs a dry run plans: {rule: the reasons Snakemake gives}."""
    proc = _snakemake(repo, workdir, "-n", "--cores", "1", "error_optim", "--configfile", str(repo / "config.yaml"),
                      str(override), "--config", "preset=quick")
    return {m.group(1): m.group(2).lower()
            for m in re.finditer(r"^(?:local)?rule (\w+):\n(?:.*\n)*?\s+reason: (.*)$", proc.stdout, re.M)}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_a_job_is_planned_again_only_when_the_code_it_runs_changes(repo, tmp_path):
    checkout, workdir = tmp_path / "checkout", tmp_path / "work"
    checkout.mkdir()
    for name in CHECKOUT:
        (shutil.copytree if (repo / name).is_dir() else shutil.copy2)(
            repo / name, checkout / name, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                             if (repo / name).is_dir() else {}))
    workdir.mkdir()
    override = _standin_override(workdir)
    _snakemake(checkout, workdir, "--cores", "2", "error_optim", "--configfile", str(checkout / "config.yaml"),
               str(override), "--config", "preset=quick")
    assert _planned(checkout, workdir, override) == {}
    # the result carries which code, config, versions and device made it
    record = read_provenance(next((workdir / "results" / "quick" / "error_optim").glob("*.npz")))
    assert record["rule"] == "error_optim_compare" and record["preset"] == "quick" and record["wall_s"] > 0
    assert record["code"] == code_hash(checkout / "workflow_scripts" / "error_optim_compare.py",
                                       checkout / "src" / "pcrepro")
    assert record["dtype"] in ("float32", "float64") and record["device"]["platform"] == "cpu"
    # and its job's time beside its log, summed by pcrepro job-times
    from pcrepro.pipeline.progress import job_times

    times = job_times(workdir / "logs" / "quick").set_index("folder")
    assert times.loc["error_optim", "jobs"] == 1 and 0 < times.loc["error_optim", "total_s"] < 600

    # wording only: a docstring and a comment of a module the compute job runs
    science = checkout / "src" / "pcrepro" / "studies" / "error_optim.py"
    _edit(science, '"""', '"""Reworded. ')
    _edit(science, "\nimport ", "\n# a comment\nimport ")
    assert _planned(checkout, workdir, override) == {}

    # plotting code: the figure job only
    _edit(checkout / "src" / "pcrepro" / "plots" / "error_optim.py", "\nimport ", "\n_CHANGED = 1\nimport ")
    planned = _planned(checkout, workdir, override)
    assert "error_optim_compare" not in planned and "params" in planned["error_optim_figures"]

    # the shared maths: the compute job, and the figures because their input will change
    _edit(checkout / "src" / "pcrepro" / "core" / "energy.py", "\nimport ", "\n_CHANGED = 1\nimport ")
    planned = _planned(checkout, workdir, override)
    assert "params" in planned["error_optim_compare"] and "error_optim_figures" in planned


def test_a_corrupt_bundle_stops_the_run_before_any_job_naming_it(repo, tmp_path):
    """A truncated bundle: Snakemake stops while reading the workflow, naming the file, and
    deletes nothing already in the working directory."""
    import subprocess
    import sys

    bundle = tmp_path / "results.zip"
    bundle.write_bytes(b"PK\x03\x04 not a whole zip")
    kept = tmp_path / "results" / "quick" / "mine.txt"
    kept.parent.mkdir(parents=True)
    kept.write_text("kept")
    override = _standin_override(tmp_path)
    override.write_text(override.read_text() + f"results: {{bundle: {bundle}}}\n")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(repo / "Snakefile"), "--directory",
                           str(tmp_path), "-n", "--cores", "1", "--configfile", str(repo / "config.yaml"), str(override),
                           "--config", "preset=quick"], capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and f"bundle {bundle} cannot be read" in out, out[-3000:]
    assert kept.read_text() == "kept" and not (tmp_path / "results" / "quick" / ".bundle.json").exists()
