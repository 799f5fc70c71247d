"""Strict YAML loading: hostile and broken files give one located line, quickly, and run nothing."""

from __future__ import annotations

import pytest

from apsim_batch.config.load import load_config
from apsim_batch.errors import ConfigError

from .conftest import ASSETS, write


def only_problem(path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert len(info.value.problems) == 1
    return str(info.value.problems[0])


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        (
            "python_tag.yaml",
            "1: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed; use plain values",
        ),
        ("alias_bomb.yaml", "1: anchors (&name) are not allowed in configs"),
        ("duplicate_key.yaml", "4: duplicate key 'width_px' (first at line 3)"),
        ("not_mapping.yaml", "1: top level must be a mapping of settings, not a list"),
        ("empty.yaml", "1: file is empty; expected a mapping of settings such as 'waveform:'"),
        ("broken_syntax.yaml", "2: invalid YAML: found unexpected end of stream"),
        ("not_utf8.yaml", "1: not UTF-8 text (byte 0xe9)"),
    ],
)
def test_refused_files(asset, message):
    assert only_problem(ASSETS / asset) == f"{ASSETS / asset}:{message}"


def test_python_tag_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError):
        load_config(ASSETS / "python_tag.yaml")
    assert not (tmp_path / "HACKED").exists()


def test_deep_nesting_is_refused(tmp_path):
    path = write(tmp_path / "deep.yaml", "a: " + "[" * 2000 + "]" * 2000 + "\n")
    assert only_problem(path) == f"{path}:1: nesting deeper than 32 levels"


def test_huge_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    assert only_problem(path) == f"{path}: file is 52,428,800 bytes; configs are limited to 1 MiB"


def test_unreadable_file(tmp_path):
    path = tmp_path / "missing.yaml"
    assert only_problem(path).startswith(f"{path}: cannot read file")


@pytest.mark.parametrize("word", ["on", "NO", "yes", "Off"])
def test_yaml11_booleans_stay_text(tmp_path, word):
    path = write(tmp_path / "b.yaml", f"plot: {{rest_line: {word}}}\n")
    assert only_problem(path) == f"{path}:1: plot.rest_line: must be true or false (got '{word}')"


def test_octal_looking_numbers_are_decimal(tmp_path):
    path = write(tmp_path / "o.yaml", "waveform: {samples: 0100}\n")
    assert load_config(path).config.waveform.samples == 100
