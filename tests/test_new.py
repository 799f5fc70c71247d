"""`apsim-batch new`: a commented starter config that validates and renders, never overwriting."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from apsim_batch.cli.schema import SCHEMA_FILE, schema_text
from apsim_batch.cli.starter import templates
from apsim_batch.config.load import load_config

from .conftest import ROOT, run_entry_point, write


@pytest.mark.parametrize("template", templates())
def test_new_writes_a_valid_commented_config(cli, tmp_path, template):
    code, out, err = cli("new", "lesson1", "--from", template, cwd=tmp_path)
    assert code == 0, err
    path = tmp_path / "configs" / "lesson1.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../apsim-batch.schema.json"
    assert text.count("#") > 10  # commented for a first-time user
    assert load_config(path).name == "lesson1"
    assert (tmp_path / SCHEMA_FILE).read_text(encoding="utf-8") == schema_text()
    assert "wrote configs/lesson1.yaml" in out
    code, out, err = cli("validate", "configs/lesson1.yaml")
    assert code == 0 and out.startswith("✓ configs/lesson1.yaml: valid (lesson1"), err


def test_new_refuses_to_overwrite(cli, tmp_path):
    existing = write(tmp_path / "configs" / "lesson1.yaml", "title: mine\n")
    code, _, err = cli("new", "lesson1", cwd=tmp_path)
    assert code == 1
    assert err.strip() == "Error: configs/lesson1.yaml already exists; choose another name or edit that file"
    assert existing.read_text(encoding="utf-8") == "title: mine\n"


def test_new_keeps_an_existing_schema_file_and_accepts_a_yaml_suffix(cli, tmp_path):
    write(tmp_path / SCHEMA_FILE, "{}\n")
    code, out, _ = cli("new", "lesson2.yaml", "--dir", "course/configs", cwd=tmp_path)
    assert code == 0
    path = tmp_path / "course" / "configs" / "lesson2.yaml"
    assert path.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../../apsim-batch.schema.json\n"
    )
    assert (tmp_path / SCHEMA_FILE).read_text(encoding="utf-8") == "{}\n"
    assert SCHEMA_FILE not in out


@pytest.mark.parametrize("name", ["../escape", "a/b", "con", "", ".hidden", "x" * 81])
def test_new_refuses_unsafe_names(cli, tmp_path, name):
    code, _, err = cli("new", name, cwd=tmp_path)
    assert code == 1
    assert err.startswith(f"Error: name {name!r} ")
    assert not (tmp_path / "configs").exists() or not any((tmp_path / "configs").iterdir())


def test_new_refuses_an_unknown_template(cli, tmp_path):
    code, _, err = cli("new", "x", "--from", "nope", cwd=tmp_path)
    assert code == 2
    assert "choose one of classic" in err


@pytest.mark.slow
def test_new_then_run_renders(tmp_path):
    """As a new user would: new, then run the new file through the real entry point."""
    proc = run_entry_point("new", "lesson1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = run_entry_point("run", "configs/lesson1.yaml", "--jobs", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "outputs" / "lesson1" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(record["format"] for record in manifest["files"]) == ["csv", "gif", "mp4", "png", "vtt"]
    assert manifest["measurements"]["peak_mv"] == pytest.approx(39.86, abs=0.1)


def complete(words: str) -> list[str]:
    """Ask the installed-style `apsim-batch` program for bash completions of `words`, as the shell does."""
    code = "import sys; sys.argv[0] = 'apsim-batch'; from apsim_batch.cli.commands import main; main()"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "_APSIM_BATCH_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.slow
def test_shell_completion_of_commands_and_templates():
    assert complete("apsim-batch ne") == ["new"]
    assert set(complete("apsim-batch ")) >= {"run", "validate", "new", "schema", "watch"}
    assert complete("apsim-batch new lesson1 --from h") == ["hodgkin-huxley"]
