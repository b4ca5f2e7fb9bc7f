"""Configuration: schema validation with errors that name the key, and presets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml


class ConfigError(ValueError):
    """The configuration does not match its schema."""


def _key_path(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    where = _key_path(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unexpected = sorted(set(error.instance) - set(allowed))
        keys = ", ".join(f"{where}.{k}" if error.absolute_path else k for k in unexpected)
        return f"unknown config key {keys} (allowed here: {', '.join(allowed)})"
    return f"config key {where}: {error.message}"


def validate_config(config: dict[str, Any], schema_path: str | Path) -> None:
    """Raise :class:`ConfigError` listing every violation, each with its key path."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n  ".join(_describe(e) for e in errors)
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


def preset_config(config: dict) -> dict:
    """The study grids of the chosen preset."""
    return config["presets"][config["preset"]]
