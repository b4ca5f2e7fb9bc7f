"""Configuration: schema validation with errors that name the key, and presets.

The ``paper`` preset is written in full; every other preset (``quick``) holds only what it
changes: :func:`merge_overlay` merges it into ``paper`` and the merged preset is what the schema
validates and every study reads (:func:`preset_config`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """The configuration does not match its schema."""


def _key_path(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _describe(error) -> str:
    """One line for a jsonschema ValidationError: the key path and what is wrong there."""
    where = _key_path(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unexpected = sorted(set(error.instance) - set(allowed))
        keys = ", ".join(f"{where}.{k}" if error.absolute_path else k for k in unexpected)
        return f"unknown config key {keys} (allowed here: {', '.join(allowed)})"
    return f"config key {where}: {error.message}"


BASE_PRESET = "paper"  # written in full; the other presets are overlays of it


def merge_overlay(base: Any, overlay: Any) -> Any:
    """``overlay`` merged into ``base``: mappings key by key (recursively), anything else (a list,
    a value) replaces ``base``'s whole. Neither argument is modified."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        return {**base, **{k: merge_overlay(base[k], v) if k in base else v for k, v in overlay.items()}}
    return overlay


def merged_presets(config: dict[str, Any]) -> dict[str, Any]:
    """Every preset of ``config["presets"]`` as the studies see it (overlays merged into the base)."""
    presets = config.get("presets")
    if not isinstance(presets, dict) or not isinstance(presets.get(BASE_PRESET), dict):
        return presets  # malformed: left for the schema to report
    return {name: grids if name == BASE_PRESET or not isinstance(grids, dict)
            else merge_overlay(presets[BASE_PRESET], grids) for name, grids in presets.items()}


def validate_config(config: dict[str, Any], schema_path: str | Path) -> None:
    """Raise :class:`ConfigError` listing every violation, each with its key path; presets are
    validated merged, so an error in an overlay names its key path under presets.<name>."""
    import jsonschema  # here, not at the top: reading a config needs no validator (benchmarks/gpu_check.py)

    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    merged = {**config, "presets": merged_presets(config)} if "presets" in config else config
    errors = sorted(validator.iter_errors(merged), key=lambda e: list(map(str, e.absolute_path)))
    lines = [_describe(e) for e in errors]
    presets = merged.get("presets")
    if isinstance(presets, dict) and isinstance(config.get("preset"), str) and config["preset"] not in presets:
        lines.append(f"config key preset: {config['preset']!r} is not a preset of presets (presets: "
                     f"{', '.join(presets)}); add presets.{config['preset']} (an overlay of paper) or choose one of them")
    if lines:
        lines = "\n  ".join(lines)
        raise ConfigError(f"invalid configuration ({schema_path}):\n  {lines}")


def load_config(path: str | Path, schema_path: str | Path, overrides: dict | None = None) -> dict:
    """Read and validate a config file (for use outside Snakemake)."""
    config = yaml.safe_load(Path(path).read_text())
    config.update(overrides or {})
    validate_config(config, schema_path)
    return config


def dataset_normalisation(config: dict, dataset: str) -> dict[str, float]:
    """``data.normalisation`` of an image dataset: {mean, std} of its pixels in [0, 1]."""
    table = config["data"].get("normalisation", {})
    if dataset not in table:
        raise ConfigError(f"config key data.normalisation has no entry for dataset {dataset!r}: add "
                          f"'{dataset}: {{mean: …, std: …}}' (the reference's values are in config.yaml)")
    return dict(table[dataset])


def preset_config(config: dict, preset: str | None = None) -> dict:
    """The study grids of ``preset`` (default: the chosen ``config["preset"]``), overlays merged."""
    return merged_presets(config)[preset or config["preset"]]
