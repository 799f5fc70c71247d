"""The code stays clean: ruff lint and format checks, and the layer contracts of import-linter."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "apsim_batch"
MAX_MODULE_LINES = 420  # "about 400": a module past this wants splitting
MAX_FUNCTION_LINES = 60  # typer commands are exempt: their option lists are declarations


def _tool(name: str) -> str:
    # this interpreter's own first: a shim on PATH (pyenv's) may name a tool another Python installed
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name) or name


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]])
def test_ruff(args):
    proc = subprocess.run(
        [_tool("ruff"), *args, "apsim_batch", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_layers_follow_the_data_flow():
    """`lint-imports` checks the contracts in pyproject.toml (lower layers never import higher ones)."""
    proc = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_every_subpackage_says_what_it_owns():
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and doc.split("\n")[0].strip(), f"{init.relative_to(ROOT)} needs a one-line docstring"


def test_modules_and_functions_stay_small():
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT)
        if text.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{where}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                is_command = any("command" in ast.unparse(d) for d in node.decorator_list)
                body_start = node.body[0].lineno
                length = node.end_lineno - body_start + 1
                if length > MAX_FUNCTION_LINES and not is_command:
                    too_long.append(f"{where}:{node.lineno}: {node.name}() has {length} lines")
    assert not too_long, "\n".join(too_long)
