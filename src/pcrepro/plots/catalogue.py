"""The figure catalogue (``catalogue.yaml``): one description per figure family, rendered both as
the report's captions (reStructuredText, one file per family) and as the docs' catalogue page
(markdown), so that the two never drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pcrepro.data.atomic import write_atomic

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


def _texts(entry: dict, fallback: dict | None = None) -> list[str]:
    """An entry's paragraphs: summary (families only), what it shows, its files; a missing one
    taken from ``fallback`` (a family's study, for its caption)."""
    fallback = fallback or {}
    shows, details = entry.get("shows") or fallback.get("shows"), entry.get("details") or fallback.get("details")
    return [*([entry["summary"]] if "summary" in entry else []), *([f"**What it shows:** {shows}"] if shows else []),
            *([details] if details else [])]


def _to_rst(text: str) -> str:
    text = text.replace("|", r"\|")
    return re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", text)  # markdown code → rst literal


def caption_rst(catalogue: dict, family: str) -> str:
    """The report caption of ``family`` (a Jinja template: Snakemake fills in the preset)."""
    entry = catalogue["families"][family]
    study = catalogue["studies"][entry["study"]]
    head = f"**{family}** (seed {study['seed']}: {study['title']})."
    return "\n\n".join([head, *map(_to_rst, _texts(entry, study)), _PRESET_LINE.format(family=family)]) + "\n"


def write_captions(catalogue: dict, directory: Path) -> dict[str, Path]:
    """Write every family's caption to ``directory/<family>.rst`` (only where the text changed, so
    that file times move only with the catalogue); returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for family in catalogue["families"]:
        path, text = directory / f"{family}.rst", caption_rst(catalogue, family)
        if not path.exists() or path.read_text() != text:
            write_atomic(path, lambda tmp, text=text: Path(tmp).write_text(text))
        paths[family] = path
    return paths


def catalogue_markdown(catalogue: dict) -> str:
    """The docs' catalogue: one section per study (what it shows), a row per family."""
    out = []
    for study, info in catalogue["studies"].items():
        families = [f for f, e in catalogue["families"].items() if e["study"] == study]
        out += [f"### Seed {info['seed']} · {info['title']} (`{study}`)", ""]
        out += [paragraph for text in _texts(info) for paragraph in (text, "")]
        out += ["| id | figures |", "|---|---|"]
        for family in families:
            out.append(f"| `{family}` | " + " ".join(_texts(catalogue["families"][family])).replace("|", r"\|") + " |")
        out.append("")
    return "\n".join(out)
