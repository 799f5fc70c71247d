"""Terminal output: coloured by symbol on a terminal, plain when piped or when NO_COLOR is set."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

import pytest

from apsim_batch.cli import term

from .conftest import CONFIGS, ROOT, write

ESC = "\x1b["


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_style_colours_by_leading_symbol():
    assert term.style("✓ a: valid", colour=True) == f"{ESC}32m✓ a: valid{ESC}0m"
    assert term.style("✗ a.yaml:3: bad", colour=True).startswith(f"{ESC}31m")
    assert term.style("  note: GIF merged", colour=True).startswith(f"{ESC}33m")
    assert term.style("3 valid, 0 invalid", colour=True) == "3 valid, 0 invalid"
    assert term.style("✓ a: valid", colour=False) == "✓ a: valid"


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert term.use_colour(FakeTty())
    assert not term.use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not term.use_colour(FakeTty())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not term.use_colour(FakeTty())


def run_in_terminal(*args: str, cwd, **env: str) -> str:
    """Run the entry point with stdout and stderr on a pseudo-terminal; return what it printed."""
    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environment.update(PYTHONPATH=str(ROOT), TERM="xterm", **env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "apsim_batch", *args], cwd=cwd, env=environment, stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8")


@pytest.mark.slow
def test_validate_in_a_real_terminal(tmp_path):
    write(tmp_path / "configs" / "bad.yaml", "waveform:\n  samples: 1\n")
    (tmp_path / "configs" / "classic.yaml").write_bytes((CONFIGS / "classic.yaml").read_bytes())
    coloured = run_in_terminal("validate", "configs", cwd=tmp_path)
    assert f"{ESC}31m✗ configs/bad.yaml:2: waveform.samples: must be at least 2 (got 1){ESC}0m" in coloured
    assert f"{ESC}32m✓ configs/classic.yaml: valid (classic){ESC}0m" in coloured
    plain = run_in_terminal("validate", "configs", cwd=tmp_path, NO_COLOR="1")
    assert ESC not in plain and "✗ configs/bad.yaml:2:" in plain
    piped = subprocess.run(
        [sys.executable, "-m", "apsim_batch", "validate", "configs"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert ESC not in piped.stdout + piped.stderr and piped.returncode == 1
