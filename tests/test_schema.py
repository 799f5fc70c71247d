"""The JSON Schema for editors: current, valid, true to the loader, and referenced by every config."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from apsim_batch.cli.schema import REGENERATE, SCHEMA_FILE, config_schema, header_line, schema_text
from apsim_batch.config.load import load_config
from apsim_batch.config.models import NAME_PATTERN, Config
from apsim_batch.config.yamlsafe import parse_yaml
from apsim_batch.names import check_output_name

from .conftest import ASSETS, CONFIGS, ROOT, write

SHIPPED = sorted(CONFIGS.rglob("*.yaml")) + sorted(CONFIGS.rglob("*.yml"))


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / SCHEMA_FILE).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def yaml_data(path: Path):
    return parse_yaml(path.read_text(encoding="utf-8"), str(path))[0]


def test_schema_file_is_current():
    stored = (ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    assert stored == schema_text(), f"{SCHEMA_FILE} is out of date; regenerate it with: {REGENERATE}"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_shipped_config_starts_with_the_schema_line(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    expected = header_line(path, ROOT / SCHEMA_FILE)
    assert first == expected, f"{path.relative_to(ROOT)}: make its first line exactly: {expected}"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_schema_accepts_every_shipped_config(path):
    errors = [e.message for e in validator().iter_errors(yaml_data(path))]
    assert errors == []


def test_schema_rejects_a_typo_and_a_bad_value():
    check = validator()
    assert not check.is_valid(yaml_data(ASSETS / "typo_key.yaml"))
    assert not check.is_valid({"waveform": {"samples": "many"}})
    assert not check.is_valid({"plot": {"width_px": 641}})  # odd sizes are refused for H.264
    assert not check.is_valid({"outputs": ["gif", "avi"]})
    assert not check.is_valid({"waveform": {"components": [{"center_ms": 1, "width_ms": 0}]}})
    assert check.is_valid({})


def test_schema_documents_every_field():
    """Every property has a description (the same text as --help and the README); ranges and defaults come along."""
    schema = config_schema()
    models = [schema, *schema["$defs"].values()]
    for model in models:
        for name, prop in model.get("properties", {}).items():
            assert prop.get("description"), f"{model.get('title')}.{name} has no description"
    fields = schema["$defs"]["GaussianWaveform"]["properties"]
    assert fields["samples"] == {**fields["samples"], "type": "integer", "minimum": 2, "default": 500}
    assert "additionalProperties" in schema and schema["additionalProperties"] is False


def test_schema_defaults_load_with_our_strict_loader():
    """Defaults written into the schema (which editors insert) must be values the loader accepts as they are."""
    schema = config_schema()
    defaults = {name: prop["default"] for name, prop in schema["properties"].items() if prop.get("default") is not None}
    loaded = Config.model_validate(defaults)
    assert loaded == Config()


def test_schema_command_prints_and_writes(cli, tmp_path):
    code, out, _ = cli("schema")
    assert code == 0 and json.loads(out) == config_schema()
    code, out, _ = cli("schema", "--out", tmp_path / "s.json")
    assert code == 0 and (tmp_path / "s.json").read_text(encoding="utf-8") == schema_text()
    assert "wrote" in out


def test_header_line_is_relative(tmp_path):
    config = write(tmp_path / "configs" / "unit1" / "a.yaml", "title: x\n")
    assert (
        header_line(config, tmp_path / SCHEMA_FILE) == "# yaml-language-server: $schema=../../apsim-batch.schema.json"
    )
    assert load_config(config).config.title == "x"


@pytest.mark.parametrize("name", ["classic", "a.b-c_d", "x" * 80, "x" * 81, "-lead", "a/b", "é", "", "9lives"])
def test_name_pattern_for_editors_is_the_loaders_rule(name):
    if name.endswith(".") or name.split(".")[0].lower() in ("con", "nul"):
        pytest.skip("the loader's extra rules (trailing dot, device names) are not pattern-shaped")
    assert bool(re.fullmatch(NAME_PATTERN.strip("^$"), name)) == (check_output_name(name) is None)


def test_titles_are_words_not_class_names():
    """Editors show titles as hover headings and in type errors ("Expected A | B")."""
    schema = config_schema()
    for key, definition in schema["$defs"].items():
        assert definition["title"] != key and " " in definition["title"], f"add {key} to schema._TITLES"
    assert "GaussianWaveform" not in json.dumps({k: v for k, v in schema.items() if k != "$defs"}).replace(
        "#/$defs/GaussianWaveform", ""
    )
