"""The configuration reference (docs/config.md), from config.yaml itself.

Every key of config.yaml is listed with its value and the comment written above it or beside it,
and every study's grid with its value in each preset (the merged overlay), so that the reference
never says what the file does not. A key without a comment is listed as undocumented, which a test
does not allow outside the study grids (whose keys are described once, in :data:`GRID_KEYS`).
"""

from __future__ import annotations

import json
import re

from .config import preset_config

KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w-]*):(?P<value>[^#]*?)\s*(?:#\s?(?P<note>.*))?$")

# what the keys shared by the training grids mean (a study's own comment, where it has one, is added)
GRID_KEYS = {
    "dataset": "the dataset the study trains or evaluates on",
    "datasets": "the datasets the study runs on",
    "act_fns": "activation functions, one set of cells each",
    "param_type": "parameterisation: sp (standard), mupc (μPC) or depth_mup (Depth-μP)",
    "param_types": "parameterisation → its weight init, one set of cells each",
    "skips": "residual (skip) connections between hidden layers",
    "init": "weight init of the hidden layers",
    "n_infer_steps": "inference steps T per training step (depth: T = H)",
    "activity_optim": "optimiser of the activities during inference (gd or adam)",
    "activity_lrs": "activity learning rates, vmapped in one job",
    "weight_optim": "optimiser of the weights",
    "weight_lrs": "weight learning rates, vmapped in one job",
    "activity_decays": "activity decays, vmapped in one job",
    "batch_size": "examples per training step",
    "epochs": "passes over the training set",
    "max_steps_per_epoch": "training steps per epoch (null: every full batch)",
    "test_every": "training steps between evaluations",
    "test_subset": "test examples per evaluation (null: the whole test set)",
    "seeds": "seeds, vmapped in one job",
    "select_by": "the groups within which the best learning rates are selected",
    "dtype": "precision of the study's training (float32 or float64)",
}


# what the sections without a comment of their own are for
SECTIONS = {"data": "Where the datasets come from and how their inputs are normalised.",
            "compute": "How and where the jobs compute."}


def documented_keys(text: str) -> list[tuple[str, str, str]]:
    """(dotted key, value as written, description) for every key of a YAML file written as
    config.yaml is, in file order: the comment lines right above a key (no blank line between)
    and its inline comment, joined."""
    rows, stack, pending = [], [], []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            pending = []
            continue
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("#").strip())
            continue
        match = KEY.match(line)
        if not match or stripped.startswith("- "):
            pending = []
            continue
        depth = len(match["indent"]) // 2
        stack[depth:] = [match["key"]]
        note = " ".join(pending + ([match["note"].strip()] if match["note"] else []))
        rows.append((".".join(stack), match["value"].strip(), note))
        pending = []
    return rows


def _joined(notes: list[str]) -> str:
    """Notes joined by "; ", a note left out where another already says it."""
    kept = [n for n in notes if n]
    return "; ".join(n for i, n in enumerate(kept) if not any(n in other for other in kept[:i]))


def _escaped(text: str) -> str:
    """Text for a markdown table cell (a | would end the cell)."""
    return text.replace("|", "\\|")


def _cell(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"`{_escaped(text)}`" if text else ""


def settings_markdown(text: str) -> str:
    """The settings outside the presets: one table per top-level section."""
    out, section = [], None
    for key, value, note in documented_keys(text):
        top = key.split(".")[0]
        if top == "presets":
            break
        if "." not in key and value:  # a top-level setting (preset)
            out += ["", f"### `{key}`", "", note, "", f"Default: {_cell(value)}."]
            continue
        if "." not in key:
            out += ["", f"### `{top}`", "", note or SECTIONS.get(top, ""), "", "| key | default | what it does |",
                    "|---|---|---|"]
            section = top
            continue
        if section and key.count(".") == 1:
            out.append(f"| `{key}` | {_cell(value)} | {_escaped(note)} |")
    return "\n".join(out).strip() + "\n"


def grids_markdown(config: dict, text: str) -> str:
    """Every study's grid: its keys with the value in each preset (merged) and what they mean;
    paper's keys first, then those a smaller preset adds."""
    notes = {key: note for key, _, note in documented_keys(text) if key.startswith("presets.")}
    presets = list(config["presets"])
    merged = {name: preset_config(config, name) for name in presets}
    out = []
    for study, grid in merged["paper"].items():
        out += ["", f"### `{study}`", "", notes.get(f"presets.paper.{study}", ""), "",
                "| key | " + " | ".join(presets) + " | what it is |", "|---" * (len(presets) + 2) + "|"]
        added = sorted({k for p in presets for k in merged[p][study]} - set(grid))
        for key in [*grid, *added]:
            values = " | ".join(_cell(merged[p][study].get(key, "")) for p in presets)
            note = _joined([GRID_KEYS.get(key, "")] + [(f"{p}: " if p != "paper" else "") + notes[f"presets.{p}.{study}.{key}"]
                                                       for p in presets if notes.get(f"presets.{p}.{study}.{key}")])
            out.append(f"| `{key}` | {values} | {_escaped(note)} |")
    return "\n".join(out).strip() + "\n"
