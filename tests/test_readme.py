"""The README stays true: its config reference matches the models, its commands match CI."""

from __future__ import annotations

from apsim_batch.cli.reference import END, START, reference_markdown

from .conftest import ROOT


def test_config_reference_is_current():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split(START, 1)[1].split(END, 1)[0]
    assert table.strip() == reference_markdown().strip(), "run: python -m apsim_batch.cli.reference README.md"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest'
    assert command in readme
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
