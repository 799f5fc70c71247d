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


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list) and node:
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield path


@pytest.mark.parametrize("template", templates())
def test_new_shows_the_true_defaults(tmp_path, template):
    """The starter says 'a missing key takes the value shown here, except on lines marked "this starter:"'.

    Held to the letter: deleting any unmarked key gives the same config (a list goes whole, as it is
    one value), and every marked line changes a default. It showed hold_last_frame_s: 1 (default 2)
    and annotation: "" (then a default credit) before the values came from the models.
    """
    from apsim_batch.cli.starter import new_config
    from apsim_batch.config.load import validate_config
    from apsim_batch.config.yamlsafe import parse_yaml
    from apsim_batch.errors import ConfigError

    path, _ = new_config("lesson", template, tmp_path, schema_dir=str(tmp_path))
    text_lines = path.read_text(encoding="utf-8").splitlines()
    data, where = parse_yaml("\n".join(text_lines), str(path))
    config = validate_config(data, "x")
    assert "<default>" not in "\n".join(text_lines)

    def marked(key_path):
        return any("this starter:" in text_lines[where[key_path[:n]] - 1] for n in range(1, len(key_path) + 1))

    checked = 0
    for leaf in _leaves(data):
        whole = leaf[: next((i for i, step in enumerate(leaf) if isinstance(step, int)), len(leaf))]
        if marked(leaf):
            continue
        without = json.loads(json.dumps(data))
        parent = without
        for step in whole[:-1]:
            parent = parent[step]
        del parent[whole[-1]]
        assert validate_config(without, "x") == config, f"{'.'.join(map(str, leaf))} is not the default"
        checked += 1
    assert checked >= 4
    for key_path, line in where.items():
        if key_path and "this starter:" in text_lines[line - 1] and key_path[0] != "variants":
            without = json.loads(json.dumps(data))
            parent = without
            for step in key_path[:-1]:
                parent = parent[step]
            del parent[key_path[-1]]
            try:
                same = validate_config(without, "x") == config
            except ConfigError:  # the marked `model:` line: without it, the other model's fields are unknown
                same = False
            assert not same, f"{'.'.join(map(str, key_path))} is marked but a default"


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("dangling", "dangling: is a link to '/nonexistent/where', which does not exist; choose another --dir"),
        ("/dev/null", "/dev/null: is a device or other special file, not a folder; choose another --dir"),
        ("afile", "afile: is a file, not a folder; choose another --dir"),
        ("afile/sub", "afile: is a file, not a folder; choose another --dir"),
    ],
)
def test_new_says_what_stands_where_the_folder_should_be(cli, tmp_path, folder, expected):
    """They all said `File exists` (or `Not a directory`)."""
    os.symlink("/nonexistent/where", tmp_path / "dangling")
    write(tmp_path / "afile", "")
    code, _, err = cli("new", "lesson", "--dir", folder, cwd=tmp_path)
    assert (code, err) == (1, f"Error: {expected}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "dangling"]  # nothing written
