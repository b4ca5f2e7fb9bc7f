"""The figure catalogue (``catalogue.yaml``): one description per figure family, rendered both as
the report's captions (reStructuredText, one file per family) and as the docs' catalogue page
(markdown), so that the two never drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")

_PRESET_LINE = ('Preset ``{{{{ snakemake.config["preset"] }}}}``: the figure\'s footer names the preset and the '
                'data source; figures built from a synthetic stand-in data set say so on the figure. Rebuild '
                'this family alone with ``snakemake --cores all {family}``.')


def load_catalogue(path: Path = CATALOGUE_FILE) -> dict:
    """``{"studies": {study: {...}}, "families": {id: {...}}}``, checked for the keys every entry needs."""
    catalogue = yaml.safe_load(Path(path).read_text())
    for study, entry in catalogue["studies"].items():
        missing = {"seed", "title"} - set(entry)
        if missing:
            raise ValueError(f"{path}: study {study} lacks {sorted(missing)}")
    for family, entry in catalogue["families"].items():
        if entry.get("study") not in catalogue["studies"] or "summary" not in entry:
            raise ValueError(f"{path}: family {family} needs a known study and a summary")
    return catalogue


def _paragraphs(catalogue: dict, family: str) -> list[str]:
    """The family's text: summary, then what it shows and its files (its own, else its study's)."""
    entry = catalogue["families"][family]
    study = catalogue["studies"][entry["study"]]
    shows = entry.get("shows") or study.get("shows")
    return [entry["summary"], *([f"**What it shows:** {shows}"] if shows else []),
            *([entry.get("details") or study.get("details")] if entry.get("details") or study.get("details") else [])]


def _to_rst(text: str) -> str:
    text = text.replace("|", r"\|")
    return re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", text)  # markdown code → rst literal


def caption_rst(catalogue: dict, family: str) -> str:
    """The report caption of ``family`` (a Jinja template: Snakemake fills in the preset)."""
    study = catalogue["studies"][catalogue["families"][family]["study"]]
    head = f"**{family}** (seed {study['seed']}: {study['title']})."
    return "\n\n".join([head, *map(_to_rst, _paragraphs(catalogue, family)), _PRESET_LINE.format(family=family)]) + "\n"


def write_captions(catalogue: dict, directory: Path) -> dict[str, Path]:
    """Write every family's caption to ``directory/<family>.rst`` (only where the text changed, so
    that file times move only with the catalogue); returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for family in catalogue["families"]:
        path, text = directory / f"{family}.rst", caption_rst(catalogue, family)
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(f".tmp{id(text)}")
            tmp.write_text(text)
            tmp.replace(path)
        paths[family] = path
    return paths


def catalogue_markdown(catalogue: dict) -> str:
    """The docs' catalogue: one section per study (what it shows), a row per family."""
    out = []
    for study, info in catalogue["studies"].items():
        families = [f for f, e in catalogue["families"].items() if e["study"] == study]
        out += [f"### Seed {info['seed']} · {info['title']} (`{study}`)", ""]
        if info.get("shows"):
            out += [f"**What it shows:** {info['shows']}", ""]
        if info.get("details"):
            out += [info["details"], ""]
        out += ["| id | figures |", "|---|---|"]
        for family in families:
            entry = catalogue["families"][family]
            own = [entry["summary"], *([f"**What it shows:** {entry['shows']}"] if entry.get("shows") else []),
                   *([entry["details"]] if entry.get("details") else [])]
            out.append(f"| `{family}` | " + " ".join(own).replace("|", r"\|") + " |")
        out.append("")
    return "\n".join(out)
