"""Config validation: the schema accepts config.yaml and names the key of any error."""

import copy
from pathlib import Path

import pytest
import yaml

from pcrepro.pipeline.config import (
    ConfigError,
    merge_overlay,
    preset_config,
    validate_config,
)


@pytest.fixture
def config(repo):
    return yaml.safe_load((repo / "config.yaml").read_text())


@pytest.fixture
def schema(repo):
    return repo / "schemas" / "config.schema.yaml"


def test_shipped_config_is_valid(config, schema):
    validate_config(config, schema)


def test_misspelt_key_is_rejected_with_its_path(config, schema):
    bad = copy.deepcopy(config)
    bad["presets"]["paper"]["mupc_sweeps"]["sedes"] = bad["presets"]["paper"]["mupc_sweeps"].pop("seeds")
    with pytest.raises(ConfigError) as err:
        validate_config(bad, schema)
    assert "presets.paper.mupc_sweeps.sedes" in str(err.value)
    assert "presets.paper.mupc_sweeps: 'seeds' is a required property" in str(err.value)


def test_wrong_type_is_rejected_with_its_path(config, schema):
    bad = copy.deepcopy(config)
    bad["presets"]["paper"]["mupc_sweeps"]["epochs"] = "one"
    bad["data"]["synthetic_standin"] = "yes"
    with pytest.raises(ConfigError) as err:
        validate_config(bad, schema)
    assert "presets.paper.mupc_sweeps.epochs: 'one' is not of type 'integer'" in str(err.value)
    assert "data.synthetic_standin" in str(err.value)


def test_unknown_preset_is_rejected(config, schema):
    with pytest.raises(ConfigError, match="config key preset"):
        validate_config({**config, "preset": "fast"}, schema)


def test_overlay_merges_mappings_and_replaces_lists_and_values():
    base = {"a": {"x": 1, "y": [1, 2], "z": {"p": 1, "q": 2}}, "b": 3}
    merged = merge_overlay(base, {"a": {"y": [9], "z": {"q": 5}}, "c": 4})
    assert merged == {"a": {"x": 1, "y": [9], "z": {"p": 1, "q": 5}}, "b": 3, "c": 4}
    assert base == {"a": {"x": 1, "y": [1, 2], "z": {"p": 1, "q": 2}}, "b": 3}  # untouched


def test_an_error_in_the_overlay_is_reported_under_its_preset(config, schema):
    bad = copy.deepcopy(config)
    bad["presets"]["quick"]["chains"]["seedz"] = [1]
    bad["presets"]["quick"]["mupc_sweeps"]["epochs"] = 0
    with pytest.raises(ConfigError) as err:
        validate_config(bad, schema)
    assert "presets.quick.chains.seedz" in str(err.value)
    assert "presets.quick.mupc_sweeps.epochs" in str(err.value)
    assert "presets.paper" not in str(err.value)
    # a value the overlay does not touch is paper's
    paper_lrs = config["presets"]["paper"]["mupc_sweeps"]["weight_lrs"]
    assert "weight_lrs" not in config["presets"]["quick"]["mupc_sweeps"]
    assert preset_config(config, "quick")["mupc_sweeps"]["weight_lrs"] == paper_lrs


def test_preset_command_prints_the_merged_grids_a_preset_runs(capsys):
    """``pcrepro preset quick``: the quick overlay merged over the paper grids, as YAML that reads
    back to exactly what the workflow uses."""
    from pcrepro.cli import main
    from pcrepro.pipeline.config import preset_config

    config = yaml.safe_load((Path(__file__).parents[2] / "config.yaml").read_text())
    main(["preset", "quick"])
    assert yaml.safe_load(capsys.readouterr().out) == preset_config(config, "quick")
    main(["preset", "paper", "--study", "mupc_sweeps"])
    assert yaml.safe_load(capsys.readouterr().out) == {"mupc_sweeps": preset_config(config, "paper")["mupc_sweeps"]}
    with pytest.raises(SystemExit, match="no preset 'tiny'"):
        main(["preset", "tiny"])


def test_a_users_own_preset_needs_no_code_edit(tmp_path, capsys):
    """A preset of one's own, an overlay of paper beside quick: it validates, merges, and every
    command takes it by name; a name that is no preset is refused naming the key."""
    import json

    from pcrepro.cli import main
    from pcrepro.pipeline.cells import training_cells
    from pcrepro.pipeline.config import ConfigError, load_config

    repo = Path(__file__).parents[2]
    config = yaml.safe_load((repo / "config.yaml").read_text())
    config["presets"]["tiny"] = {"mupc_bp_baseline": {"seeds": [7], "blocks": [
        {"dataset": "MNIST", "epochs": 1, "test_every": 10, "act_fns": ["relu"]}], "max_steps_per_epoch": 20}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    schema = repo / "schemas" / "config.schema.yaml"
    tiny = load_config(path, schema, {"preset": "tiny"})
    cells = training_cells("mupc_bp_baseline", tiny)
    assert len(cells) == 1 and all(c["runs"]["seeds"] == [7] for c in cells.values())
    main(["preset", "tiny", "--study", "mupc_bp_baseline", "--config", str(path)])
    assert yaml.safe_load(capsys.readouterr().out)["mupc_bp_baseline"]["seeds"] == [7]
    main(["cells", "--study", "mupc_bp_baseline", "--preset", "tiny", "--config", str(path), "--out", str(tmp_path / "c")])
    assert [json.loads(p.read_text())["runs"]["seeds"] for p in (tmp_path / "c").glob("*.json")] == [[7]]
    with pytest.raises(ConfigError, match="config key preset: 'huge' is not a preset of presets"):
        load_config(path, schema, {"preset": "huge"})
    config["presets"]["broken"] = {"mupc_bp_baseline": {"seeds": "all"}}
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    with pytest.raises(ConfigError, match="presets.broken.mupc_bp_baseline.seeds"):
        load_config(path, schema, {"preset": "quick"})
