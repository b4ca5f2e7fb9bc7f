"""mkdocs hook: the pages' generated parts, each from its one source, where the page has its marker:
the configuration reference from config.yaml, and the latest measured numbers from their records
in benchmarks/results/ (each with its machine and date)."""

import functools
import json
from pathlib import Path

import pandas as pd
import yaml

from pcrepro.claims.registry import summary_line
from pcrepro.pipeline.budget import paper_budget
from pcrepro.pipeline.config import preset_config
from pcrepro.pipeline.config_reference import grids_markdown, settings_markdown

REPO = Path(__file__).resolve().parents[2]


@functools.cache
def _config_text(repo: Path = REPO) -> str:
    return (repo / "config.yaml").read_text()


@functools.cache
def _paper_budget(repo: Path = REPO) -> pd.DataFrame:
    """`pcrepro budget` for the paper preset: computed once per build, for the two places that show it."""
    return paper_budget(preset_config(yaml.safe_load(_config_text(repo)), "paper"))


def on_pre_build(**kwargs):
    """A build (and each rebuild of `mkdocs serve`) reads the sources afresh."""
    _config_text.cache_clear()
    _paper_budget.cache_clear()


def latest_numbers(repo: Path = REPO) -> dict:
    """The numbers the docs and the README state, each from its one source: the quick preset's
    latest record (wall time, machine, date, commit, verdicts), the paper preset's GPU-hours by
    the budget model, and the latest CPU step against the peers."""
    quick = json.loads((repo / "benchmarks" / "results" / "claims_quick.json").read_text())
    budget = _paper_budget(repo)
    peers_file = max((repo / "benchmarks" / "results").glob("cpu_peers_*_jax0102.jsonl"))
    peers = [json.loads(line) for line in peers_file.read_text().splitlines() if line.strip()]
    return {"quick_minutes": round(quick["wall_s"] / 60, 1), "quick_date": quick["date"],
            "quick_machine": quick["machine"], "quick_commit": quick["commit"], "quick_data": quick["data"],
            "quick_summary": summary_line(pd.DataFrame(quick["rows"])),
            "paper_gpu_hours": round(float(budget["gpu_hours"].sum()), 1),
            "peers_file": peers_file.relative_to(repo).as_posix(), "peers": peers}


def latest_numbers_markdown(repo: Path = REPO) -> str:
    n = latest_numbers(repo)
    lines = [
        "| what | latest | where and when |", "|---|---|---|",
        f"| quick preset, whole workflow | {n['quick_minutes']} min; {n['quick_summary']} | {n['quick_machine']}; "
        f"{n['quick_data']}; {n['quick_date']}, commit `{n['quick_commit']}` (`benchmarks/results/claims_quick.json`) |",
        f"| paper preset | about {n['paper_gpu_hours']:g} GPU-hours (estimated; not yet run end to end) | "
        "`pcrepro budget`: a model of the steps measured on an H100/H200 |",
    ]
    lines += ["", f"CPU training step against the reference libraries, ms per step per run "
              f"(`{n['peers_file']}`; the project's faster form against the fastest peer):", "",
              "| H | runs | project | jpc | pcx | project / fastest peer | machine, date |", "|---|---|---|---|---|---|---|"]
    for r in n["peers"]:
        ms = r["ms_per_step_per_run"]
        project = min(v for k, v in ms.items() if k in ("project", "project-split"))
        lines.append(f"| {r['depth']} | {r['runs']} | {project:.1f} | {ms.get('jpc-fused', float('nan')):.1f} | "
                     + (f"{ms['pcx']:.1f}" if "pcx" in ms else "–")
                     + f" | {r['project_vs_fastest_peer']:.2f} | {r['cpus']}-core {r['platform']}, JAX {r['jax']}, {r['date']} |")
    return "\n".join(lines) + "\n"


def budget_markdown(repo: Path = REPO) -> str:
    """`pcrepro budget` for the paper preset, as a table."""
    table = _paper_budget(repo)
    lines = ["| study | cells | runs | run-epochs | GPU-hours | basis |", "|---|---|---|---|---|---|"]
    for row in table.itertuples():
        counts = [f"{int(v):,}" if pd.notna(v) else "" for v in (row.cells, row.runs, row.run_epochs)]
        lines.append(f"| `{row.study}` | " + " | ".join(counts) + f" | {row.gpu_hours:.2f} | {row.basis} |")
    lines.append(f"| **total** | | | | **{table['gpu_hours'].sum():.1f}** | |")
    return "\n".join(lines) + "\n"


# marker -> what replaces it
RENDERERS = {
    "<!-- config-settings: rendered from config.yaml by docs/hooks/generated.py -->":
        lambda: settings_markdown(_config_text()),
    "<!-- config-grids: rendered from config.yaml by docs/hooks/generated.py -->":
        lambda: grids_markdown(yaml.safe_load(_config_text()), _config_text()),  # the text: its comments
    "<!-- latest-numbers: rendered from benchmarks/results/ by docs/hooks/generated.py -->":
        lambda: latest_numbers_markdown(REPO),
    "<!-- budget-table: rendered by docs/hooks/generated.py from pcrepro budget -->":
        lambda: budget_markdown(REPO),
}


def on_page_markdown(markdown, page, **kwargs):
    for marker, render in RENDERERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, render())
    return markdown
