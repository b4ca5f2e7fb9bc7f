"""Config validation: the schema accepts config.yaml and names the key of any error."""

import copy

import pytest
import yaml

from pcrepro.pipeline.config import ConfigError, validate_config


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
    bad["presets"]["quick"]["mupc_sweeps"]["sedes"] = bad["presets"]["quick"]["mupc_sweeps"].pop("seeds")
    with pytest.raises(ConfigError) as err:
        validate_config(bad, schema)
    assert "presets.quick.mupc_sweeps.sedes" in str(err.value)
    assert "presets.quick.mupc_sweeps: 'seeds' is a required property" in str(err.value)


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
