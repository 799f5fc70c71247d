"""Watch mode, driven by an injected sleep: a save re-renders once, an error prints one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from apsim_batch.batch.watch import snapshot, watch

from .conftest import ROOT, write

SMALL = """\
title: {title}
waveform:
  samples: {samples}
animation:
  samples_per_frame: 10
outputs: [png, csv]
"""


def config(title: str = "One", samples: int = 60) -> str:
    return SMALL.format(title=title, samples=samples)


def bump(path, text: str) -> None:
    """Save a file the way an editor does, with a modification time that surely differs."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def drive(tmp_path, edits: dict[int, callable], polls: int):
    """Run watch() for `polls` polls; edits[k] runs during the k-th sleep (1-based)."""
    outcomes, lines, count = [], [], [0]

    def sleep(_seconds: float) -> None:
        count[0] += 1
        if count[0] in edits:
            edits[count[0]]()

    runs = watch(
        [tmp_path / "configs"],
        tmp_path / "outputs",
        on_outcome=outcomes.append,
        echo=lines.append,
        sleep=sleep,
        max_polls=polls,
    )
    return runs, outcomes, lines


@pytest.mark.slow
def test_a_save_re_renders_once_and_an_error_prints_one_line(tmp_path):
    a = write(tmp_path / "configs" / "a.yaml", config("One"))
    write(tmp_path / "configs" / "b.yaml", config("Bee"))
    edits = {
        2: lambda: bump(a, config("Two")),  # seen at poll 2, stable at poll 3: rendered then
        5: lambda: bump(a, config("Three", samples=1)),  # invalid: one located line
        8: lambda: bump(a, config("Four")),  # fixed again
    }
    runs, outcomes, lines = drive(tmp_path, edits, polls=10)
    summary = [(o.name, o.status) for o in outcomes]
    assert summary == [
        ("a", "rendered"),
        ("b", "rendered"),  # the first pass renders what is out of date
        ("a", "rendered"),  # the save: only a, once
        ("a", "failed"),
        ("a", "rendered"),
    ]
    assert runs == 4
    error = outcomes[3].error
    assert error == f"{tmp_path / 'configs' / 'a.yaml'}:3: waveform.samples: must be at least 2 (got 1)"
    assert "\n" not in error
    assert lines[0] == "watching 2 configs; save one to re-render it, Ctrl-C to stop"
    manifest = (tmp_path / "outputs" / "a" / "manifest.json").read_text(encoding="utf-8")
    assert '"title": "Four"' in manifest
    assert (tmp_path / "outputs" / "index.html").is_file()


def test_unchanged_parameters_skip_and_new_and_removed_files_are_noticed(tmp_path):
    a = write(tmp_path / "configs" / "a.yaml", config())
    c = tmp_path / "configs" / "c.yaml"
    edits = {
        1: lambda: bump(a, "# just a comment\n" + config()),  # same parameters: up to date
        3: lambda: bump(c, config("Sea")),  # a new file
        5: lambda: a.unlink(),
    }
    runs, outcomes, lines = drive(tmp_path, edits, polls=7)
    assert [(o.name, o.status) for o in outcomes] == [("a", "rendered"), ("a", "skipped"), ("c", "rendered")]
    assert f"· {a}: removed (its outputs stay)" in lines


def test_an_empty_folder_waits(tmp_path):
    (tmp_path / "configs").mkdir()
    edits = {2: lambda: bump(tmp_path / "configs" / "late.yaml", config())}
    runs, outcomes, lines = drive(tmp_path, edits, polls=4)
    assert lines[0].startswith("no configs yet in ")
    assert [(o.name, o.status) for o in outcomes] == [("late", "rendered")]
    assert runs == 1


def test_snapshot_ignores_missing_paths(tmp_path):
    a = write(tmp_path / "a.yaml", config())
    assert set(snapshot([a, tmp_path / "gone.yaml"])) == {a}


def test_watch_command_refuses_a_missing_path(cli, tmp_path):
    code, _, err = cli("watch", "nowhere", cwd=tmp_path)
    assert code == 2 and err.strip() == "Error: nowhere: no such file or folder"


@pytest.mark.slow
def test_watch_command_runs_until_ctrl_c(tmp_path):
    """The real entry point: renders, picks up a save, prints the error line, stops cleanly on SIGINT."""
    a = write(tmp_path / "configs" / "a.yaml", config())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "apsim_batch", "watch", "--interval", "0.1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        manifest = tmp_path / "outputs" / "a" / "manifest.json"
        while not manifest.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        bump(a, config(samples=1))
        while (
            "must be at least 2" not in (tmp_path / "outputs" / "index.html").read_text()
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "✓ a: rendered in" in out and out.rstrip().endswith("stopped watching")
    assert err.strip() == "✗ configs/a.yaml:3: waveform.samples: must be at least 2 (got 1)"
