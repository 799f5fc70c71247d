"""`--help` in words, `run` pointing at the gallery, and `variants --student` not promising files."""

from __future__ import annotations

import re

import pytest

from .conftest import CONFIGS, copy_config

COMMANDS = ["run", "validate", "variants", "watch", "new", "schema", "merge"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_no_python_type_names_or_braces(cli, command):
    code, out, _ = cli(command, "--help")
    assert code == 0
    assert not re.search(r"<[a-z_\[\]|., A-Z]+>|\{[A-Za-z_]+\}|\bNone\b", out), out


def test_new_help_reads_as_words(cli):
    out = cli("new", "--help")[1]
    assert re.search(r"^Usage: \S+ new \[OPTIONS\] NAME$", out, re.M), out
    assert re.search(r"^  --from TEMPLATE +Template to start from", out, re.M), out


def test_variants_student_does_not_offer_to_write_handouts(cli):
    out = cli("variants", "--help")[1]
    student = out[out.index("--student") :].split("--help")[0]
    assert "write" not in student.replace("writes nothing", ""), student


def test_run_says_where_the_gallery_is(cli, tmp_path):
    copy_config("subthreshold.yaml", tmp_path / "configs", CONFIGS)
    code, out, _ = cli("run", "configs", "--jobs", "1", "--format", "png", cwd=tmp_path)
    assert code == 0
    assert out.splitlines()[-1] == "gallery: outputs/index.html (open it in a browser)"
    code, out, _ = cli("run", "configs", "--jobs", "1", "--json", cwd=tmp_path)
    assert "gallery" not in out  # --json prints the JSON only
