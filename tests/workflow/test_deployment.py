"""Deployment: SLURM, a killed run resumed, the report, lint, conda environments."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import slurm_cluster
import tomllib
import yaml
from packaging.requirements import Requirement
from report_browser import click_through
from test_workflow import SNAKEMAKE, _snakemake, _standin_override

from pcrepro.plots.catalogue import caption_rst, load_catalogue

pytestmark = pytest.mark.slow  # Snakemake end to end


def _train_cli(repo: Path, workdir: Path, study: str, out: Path) -> dict[str, pd.DataFrame]:
    """Every cell of ``study`` (quick preset) trained by the CLI, outside Snakemake and SLURM,
    with the XLA flags the workflow's quick jobs use."""
    cells_dir = out / "cells"
    env = {**os.environ, "XLA_FLAGS": "--xla_backend_optimization_level=0", "JAX_PLATFORMS": "cpu"}
    subprocess.run(["pcrepro", "cells", "--study", study, "--preset", "quick", "--out", str(cells_dir)],
                   check=True, capture_output=True, env=env)
    tables = {}
    for cell in sorted(cells_dir.glob("*.json")):
        table_path = out / f"{cell.stem}.parquet"
        subprocess.run(["pcrepro", "train-cell", "--cell", str(cell), "--dataset",
                        str(workdir / "data" / "prepared" / "MNIST.npz"), "--out", str(table_path)],
                       check=True, capture_output=True, env=env)
        tables[cell.stem] = pd.read_parquet(table_path)
    return tables


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    try:
        env, stop = slurm_cluster.start(tmp_path_factory.mktemp("slurm"))
    except slurm_cluster.Unavailable as why:
        if os.environ.get("PCREPRO_REQUIRE_SLURM"):  # CI: the cluster must run there
            pytest.fail(f"SLURM test cluster unavailable: {why}")
        pytest.skip(f"SLURM test cluster unavailable: {why}")
    yield env
    stop()


def _gpu_free_profile(repo: Path, target: Path) -> Path:
    """profiles/slurm with what a one-node CPU-only test cluster needs: no GPUs, its one
    partition, small memory requests, quick status checks. Everything else as shipped."""
    profile = yaml.safe_load((repo / "profiles" / "slurm" / "config.yaml").read_text())
    profile["default-resources"].update({"slurm_partition": "debug", "mem_mb": "500 * attempt"})
    for resources in profile["set-resources"].values():
        resources.update({"gpu": 0, "slurm_partition": "debug", "mem_mb": "500 * attempt"})
        resources.pop("gpu_model", None)
    profile.update({"seconds-between-status-checks": 2, "max-status-checks-per-second": 5,
                    "slurm-init-seconds-before-status-checks": 1, "latency-wait": 5})
    target.mkdir(parents=True)
    (target / "config.yaml").write_text(yaml.safe_dump(profile))
    return target


def _wait_for(predicate, timeout_s, what):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _env_requirements(path: Path) -> dict[str, Requirement]:
    env = yaml.safe_load(path.read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return {Requirement(r).name.lower(): Requirement(r) for r in pip}


def _lower_bound(req: Requirement):
    bounds = [s.version for s in req.specifier if s.operator in (">=", "==", "~=")]
    assert bounds, f"{req} has no minimum version"
    from packaging.version import Version
    return max(Version(b) for b in bounds)


def test_slurm_profile_runs_training_jobs_through_sbatch_on_a_real_cluster(repo, tmp_path, slurm):
    profile = _gpu_free_profile(repo, tmp_path / "profile")
    override = _standin_override(tmp_path)
    cmd = [*SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--directory", str(tmp_path), "mupc_bp_baseline",
           "--profile", str(profile), "--configfile", str(repo / "config.yaml"), str(override),
           "--config", "preset=quick", "--slurm-status-command", "squeue", "--slurm-no-account",
           "--slurm-keep-successful-logs"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500, env=slurm)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]

    # the two training cells went through sbatch, and nothing else did (aggregate, select,
    # the figures and the data are local rules)
    submitted = re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", output)
    assert len(submitted) == 2, output[-4000:]
    ctld_log = (Path(slurm["SLURM_CONF"]).parent / "slurmctld.log").read_text()
    for _, slurm_id in submitted:
        assert re.search(rf"_job_complete: JobId={slurm_id} WEXITSTATUS 0", ctld_log), slurm_id
    slurm_logs = list((tmp_path / ".snakemake" / "slurm_logs" / "rule_train_cell").rglob("*.log"))
    assert len(slurm_logs) == 2
    # the plugin turned the rule's runtime (from the cell's GPU budget) into a time limit
    for _, slurm_id in submitted:
        job = subprocess.run(["scontrol", "show", "job", slurm_id], env=slurm, capture_output=True, text=True).stdout
        assert "TimeLimit=00:15:00" in job, job  # max(15, 2 × estimate): a quick cell is tiny
        assert "Partition=debug" in job

    # the outputs are right: each cell's table equals the CLI's, trained outside SLURM
    expected = _train_cli(repo, tmp_path, "mupc_bp_baseline", tmp_path / "cli")
    runs = sorted((tmp_path / "results" / "quick" / "mupc_bp_baseline" / "runs").glob("*.parquet"))
    assert [p.stem for p in runs] == sorted(expected)
    for path in runs:
        pd.testing.assert_frame_equal(pd.read_parquet(path), expected[path.stem])
    assert all(f.stat().st_size > 5000 for f in (tmp_path / "figures" / "quick" / "mupc_bp_baseline").rglob("*.pdf"))


def test_a_killed_run_resumes_where_it_stopped_and_ends_as_an_uninterrupted_one(repo, tmp_path):
    """mupc_long_runs (one cell, several evaluation periods): SIGKILL the whole run after the
    cell's first checkpoint, rerun, and compare with a run that was never interrupted."""
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    for workdir in (killed, clean):
        workdir.mkdir()
    target = ["mupc_long_runs", "--cores", "2", "--config", "preset=quick"]
    override = _standin_override(killed, checkpoint_every_s=0)

    cmd = [*SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--directory", str(killed), *target,
           "--configfile", str(repo / "config.yaml"), str(override)]
    run = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = killed / "logs" / "quick" / "mupc_long_runs"
    checkpoints = killed / "results" / "quick" / "mupc_long_runs" / "runs"
    _wait_for(lambda: any(checkpoints.glob("*.checkpoint.npz")), 900, "the cell's first checkpoint")
    os.killpg(run.pid, signal.SIGKILL)  # the whole run, as a crash or a lost node would
    run.wait()
    outputs = list(checkpoints.glob("*.parquet"))
    assert not outputs  # the cell's table was not written, and no partial one is left under its name
    assert not list(checkpoints.glob(".*"))  # nor a temporary of the atomic writer

    _snakemake(repo, killed, "--unlock", "--configfile", str(repo / "config.yaml"), str(override))
    rerun = _snakemake(repo, killed, *target, "--configfile", str(repo / "config.yaml"), str(override))
    assert "train_cell" in rerun.stdout + rerun.stderr  # the incomplete cell was run again ...
    cell_log = next(log.glob("*.log")).read_text()
    assert "resuming from checkpoint" in cell_log  # ... from where it stopped
    resumed_at = int(re.search(r"resuming from checkpoint .*?: step (\d+)/", cell_log).group(1))
    assert resumed_at > 0
    assert not list(checkpoints.glob("*.checkpoint.npz"))

    _snakemake(repo, clean, *target, "--configfile", str(repo / "config.yaml"), str(_standin_override(clean)))
    for name in ("runs.parquet",):
        pd.testing.assert_frame_equal(pd.read_parquet(killed / "results" / "quick" / "mupc_long_runs" / name),
                                      pd.read_parquet(clean / "results" / "quick" / "mupc_long_runs" / name))
    for figure_data in (clean / "figures" / "quick" / "mupc_long_runs").glob("*.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(killed / "figures" / "quick" / "mupc_long_runs" / figure_data.name),
                                      pd.read_csv(figure_data))
    # and a finished run is not redone
    again = _snakemake(repo, killed, *target, "--configfile", str(repo / "config.yaml"), str(override))
    assert "Nothing to be done" in again.stdout + again.stderr


def test_report_holds_every_figure_with_its_caption(repo, tmp_path):
    # two fake GPUs: the training job claims one and sees only it (JAX itself stays on the CPU here)
    override = _standin_override(tmp_path, gpu_devices=["0", "1"], device_lock_dir=str(tmp_path / "locks"))
    args = ["--configfile", str(repo / "config.yaml"), str(override), "--config", "preset=quick"]
    _snakemake(repo, tmp_path, "chains_stats", "mupc_activity_decay", "--cores", "2", "--resources", "gpu=2", *args)
    train_log = next((tmp_path / "logs" / "quick" / "mupc_activity_decay").glob("*.log")).read_text()
    assert re.search(r"claimed GPU [01] of 0,1", train_log), train_log[:2000]
    assert sorted(p.name for p in (tmp_path / "locks").iterdir()) == ["gpu-0.lock"]
    _snakemake(repo, tmp_path, "chains_stats", "mupc_activity_decay", "--report", "report.zip", *args)
    with zipfile.ZipFile(tmp_path / "report.zip") as archive:
        names = archive.namelist()
        html = "".join(archive.read(n).decode("utf-8", "replace") for n in names if n.endswith(".html"))
    built = sorted(p.name for p in (tmp_path / "figures").rglob("*") if p.suffix in (".pdf", ".png", ".gif"))
    in_report = sorted(Path(n).name for n in names if Path(n).suffix in (".pdf", ".png", ".gif"))
    assert built and in_report == built
    # the captions are in the report's data (JSON inside the page), the preset filled in by Jinja
    catalogue = load_catalogue()
    for family in ("chains_stats", "mupc_activity_decay"):
        caption = catalogue["families"][family]["summary"]
        assert json.dumps(caption[:60])[1:-1] in html, family
    assert html.count(json.dumps('Preset <tt class="docutils literal">quick</tt>')[1:-1]) >= len(built)
    # and a reader sees them: opened in headless Chromium, each seed lists its family, and a
    # figure's caption view shows the family's catalogue text with the preset filled in
    with zipfile.ZipFile(tmp_path / "report.zip") as archive:
        archive.extractall(tmp_path / "report")
    page = next((tmp_path / "report").rglob("report.html"))
    for seed, family, figure in (("Seed 000 · BP vs PC on scalar linear chains", "chains_stats", "test_loss_stats"),
                                 ("Seed 002 · μPC: scaling predictive coding to 100+ layers", "mupc_activity_decay",
                                  "max_test_accs_per_activity_decay_lr_0.5")):
        listing, figures, caption = click_through(page, [seed, family, figure])
        assert family in listing and figure in figures  # a seed with one family lists its figures at once
        assert " ".join(catalogue["families"][family]["summary"].split()[:12]) in " ".join(caption.split())
        assert "Preset quick" in caption and f"snakemake --cores all {family}" in caption


def test_every_paper_figure_is_in_the_report_with_a_caption_of_its_family(repo):
    """Every figure file of the paper DAG is flagged for the report, and the families' captions exist."""
    code = f"""
import sys, json
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, ResourceSettings
with SnakemakeApi() as api:
    wf = api.workflow(snakefile=Path({str(repo / 'Snakefile')!r}), workdir=Path({str(repo)!r}),
                      resource_settings=ResourceSettings(),
                      config_settings=ConfigSettings(config={{"preset": "paper"}}))
    out = []
    for rule in wf._workflow.rules:
        for f in rule.output:
            if f.startswith("figures/paper/") and not f.endswith(".csv"):
                flag = f.flags.get("report")
                out.append([rule.name, str(f), None if flag is None else str(flag.caption)])
    print(json.dumps(out))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(rows) > 300
    unflagged = [f for _, f, caption in rows if caption is None]
    assert not unflagged, unflagged[:5]
    families = {Path(caption).stem for _, _, caption in rows}
    assert families == set(load_catalogue()["families"])  # one caption per family, each in the catalogue
    for family in families:
        text = caption_rst(load_catalogue(), family)
        assert f"**{family}**" in text and 'snakemake.config["preset"]' in text and "seed 00" in text


def test_lint_is_clean(repo):
    proc = subprocess.run([*SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--lint"], capture_output=True,
                          text=True, cwd=repo, timeout=600)
    assert proc.returncode == 0 and "Lints for" not in proc.stdout + proc.stderr, proc.stdout[-4000:]


@pytest.mark.parametrize("env_file, extra", [("jax-cpu.yaml", None), ("jax-cuda.yaml", "gpu")])
def test_conda_envs_hold_every_dependency_of_pyproject_at_a_compatible_version(repo, env_file, extra):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    if extra:
        wanted += [Requirement(r) for r in project["optional-dependencies"][extra]]
    env = _env_requirements(repo / "envs" / env_file)
    for req in wanted:
        name = req.name.lower()
        if name in ("snakemake", "pygments"):
            continue  # the workflow engine (and what its report needs) runs the jobs; not needed inside them
        assert name in env, f"{env_file} lacks {req}"
        assert _lower_bound(env[name]) >= _lower_bound(req), f"{env_file}: {env[name]} below pyproject's {req}"
        assert req.extras <= env[name].extras, f"{env_file}: {env[name]} lacks extras {req.extras}"
    python = next(d for d in yaml.safe_load((repo / "envs" / env_file).read_text())["dependencies"]
                  if isinstance(d, str) and d.startswith("python"))
    assert python.replace(" ", "") == f"python{project['requires-python']}"


def test_every_rule_that_asks_for_a_gpu_gets_one_from_the_slurm_profile():
    """A rule declaring ``gpu=1`` must be sent to the GPU partition by profiles/slurm, or on a
    cluster it would queue on a CPU node and fail to claim its device."""
    repo = Path(__file__).resolve().parents[2]
    gpu_rules = set()
    for smk in (repo / "rules").glob("*.smk"):
        for block in re.split(r"\n(?=rule )", smk.read_text()):
            name = re.match(r"rule (\w+):", block)
            if name and re.search(r"^\s+gpu=1,", block, re.M):
                gpu_rules.add(name.group(1))
    profile = yaml.safe_load((repo / "profiles" / "slurm" / "config.yaml").read_text())["set-resources"]
    assert {"train_cell", "dln_hessian_config"} <= gpu_rules
    for rule in sorted(gpu_rules):
        assert profile.get(rule, {}).get("gpu") == 1 and profile[rule]["slurm_partition"] == "gpu", rule
