"""The README and the docs stay true: the config reference matches the models, the module table the tree, commands CI."""

from __future__ import annotations

import re
import subprocess

import pytest

from apsim_batch.cli.reference import END, START, reference_markdown

from .conftest import ROOT

README = ROOT / "README.md"
CONFIG_REFERENCE = ROOT / "docs" / "reference" / "config.md"
ARCHITECTURE = ROOT / "docs" / "explanation" / "architecture.md"


def test_config_reference_is_current():
    """The committed table (as GitHub shows it) is what the docs build generates."""
    text = CONFIG_REFERENCE.read_text(encoding="utf-8")
    table = text.split(START, 1)[1].split(END, 1)[0]
    assert table.strip() == reference_markdown().strip(), f"run: python -m apsim_batch.cli.reference {CONFIG_REFERENCE}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest'
    assert command in readme
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_how_it_is_built_lists_every_module_once():
    """The module table is checked against the files on disk, not against a generator."""
    section = ARCHITECTURE.read_text(encoding="utf-8").split("# How it is built", 1)[1]
    listed = re.findall(r"^\| `([a-z_/]+\.py)` \|", section, flags=re.M)
    package = ROOT / "apsim_batch"
    modules = sorted(
        p.relative_to(package).as_posix() for p in package.rglob("*.py") if p.name not in ("__init__.py", "__main__.py")
    )
    assert sorted(listed) == modules
    assert len(listed) == len(set(listed))


def test_running_the_notebook_leaves_nothing_untracked():
    """The quickstart notebook writes examples/outputs/; git ignores it, so a clone stays clean."""
    proc = subprocess.run(
        ["git", "check-ignore", "-q", "examples/outputs/classic/classic.gif"], cwd=ROOT, capture_output=True
    )
    if proc.returncode == 128:
        pytest.skip("not a git checkout")
    assert proc.returncode == 0, "add /examples/outputs/ to .gitignore"
