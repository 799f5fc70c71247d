"""Shared fixtures: paths to the shipped configs and assets, a CLI runner, and the schedule under -n."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apsim_batch.cli.commands import app

ROOT = Path(__file__).resolve().parents[1]
ASSETS = Path(__file__).resolve().parent / "assets"
CONFIGS = ROOT / "configs"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With -n, each test file runs on one worker, so a module-scoped render or install happens once."""
    if config.getoption("dist") == "load":  # xdist's default; another --dist given by hand is kept
        from xdist.scheduler import LoadFileScheduling

        return LoadFileScheduling(config, log)
    return None


@pytest.fixture
def cli(monkeypatch):
    """Invoke the typer app in-process; returns (exit code, stdout, stderr)."""

    def invoke(*args: str, cwd: Path | None = None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        result = CliRunner().invoke(app, [str(a) for a in args])
        return result.exit_code, result.stdout, result.stderr

    return invoke


def run_entry_point(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run `python -m apsim_batch` as a real subprocess, as a user's shell would."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "apsim_batch", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def copy_config(name: str, folder: Path, source: Path = CONFIGS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(source / name, folder / name))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
