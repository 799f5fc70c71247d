"""Real interruptions of `python -m apsim_batch run`: SIGKILL, Ctrl-C and SIGTERM mid-write, and two runs at once.

After each, every file any manifest lists must match its sha256, earlier outputs must be intact,
no worker may survive, and the next run must complete what is missing.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, run_entry_point, write
from .test_batch import listed_files_match, sha256

pytestmark = pytest.mark.slow

QUICK = "animation: {samples_per_frame: 50}\n"  # all four formats, ten frames
# Long enough to be caught mid-write: 500 frames of GIF and MP4.
HEAVY = "title: {title}\nwaveform: {{samples: 500}}\nanimation: {{samples_per_frame: 1, fps: 50}}\n"


def setup_folder(tmp_path: Path) -> dict[str, str]:
    """A first complete run of two quick configs; then one edited and two heavy ones added."""
    configs = tmp_path / "configs"
    write(configs / "a.yaml", QUICK)
    write(configs / "b.yaml", QUICK)
    proc = run_entry_point("run", "configs", "--jobs", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    before = {p.relative_to(tmp_path).as_posix(): sha256(p) for p in (tmp_path / "outputs/a").iterdir()}
    write(configs / "b.yaml", "title: edited\n" + QUICK)
    for name in ("h1", "h2"):
        write(configs / f"{name}.yaml", HEAVY.format(title=name))
    return before


def start_run(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "apsim_batch", "run", "configs", *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a job started from a shell
    )


def partial_files(out: Path) -> list[Path]:
    return [*out.glob(".*.partial-*"), *out.glob("*/.*.partial-*")]


def wait_for_media_partial(proc: subprocess.Popen, out: Path, timeout_s: float = 120) -> Path:
    """Poll until a GIF or MP4 is being written (a temporary file exists)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        for path in partial_files(out):
            if path.suffix in (".gif", ".mp4") and path.parent.name.startswith("h"):
                return path
        time.sleep(0.02)
    raise AssertionError("no GIF or MP4 was being written")


def processes_in(folder: Path) -> list[int]:
    """Live processes whose working folder is `folder` (the run and its workers and encoders)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if Path(os.readlink(entry / "cwd")) == folder:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def wait_until_no_processes(folder: Path, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while processes_in(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes_in(folder), "a worker or encoder survived the run"


def check_after_stop(tmp_path: Path, before: dict[str, str]) -> None:
    out = tmp_path / "outputs"
    listed_files_match(out)
    assert {k: sha256(tmp_path / k) for k in before} == before  # the untouched render is intact
    assert (out / "a/manifest.json").exists()


def check_rerun_completes(tmp_path: Path) -> None:
    proc = run_entry_point("run", "configs", "--jobs", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "· a: up to date" in proc.stdout
    out = tmp_path / "outputs"
    listed_files_match(out)
    assert not partial_files(out)
    names = [e["name"] for e in json.loads((out / "manifest.json").read_text())["renders"]]
    assert names == ["a", "b", "h1", "h2"]
    for name in names:
        manifest = json.loads((out / name / "manifest.json").read_text())
        assert {f["format"] for f in manifest["files"]} == {"gif", "mp4", "png", "csv", "vtt"}
    assert json.loads((out / "b/manifest.json").read_text())["parameters"]["title"] == "edited"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigkill_mid_write_leaves_manifests_true_and_rerun_completes(tmp_path, jobs):
    before = setup_folder(tmp_path)
    proc = start_run(tmp_path, "--jobs", jobs)
    wait_for_media_partial(proc, tmp_path / "outputs")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    # workers notice their parent is gone and kill themselves with their encoders
    wait_until_no_processes(tmp_path)
    check_after_stop(tmp_path, before)
    check_rerun_completes(tmp_path)


def test_ctrl_c_stops_workers_promptly_and_says_what_finished(tmp_path):
    before = setup_folder(tmp_path)
    proc = start_run(tmp_path, "--jobs", "2")
    wait_for_media_partial(proc, tmp_path / "outputs")
    stopped = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: the whole foreground group
    stdout, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - stopped < 10
    assert proc.returncode == 130, stderr
    assert "Interrupted (SIGINT): workers stopped" in stdout and "Traceback" not in stderr
    assert re.search(r"^\d rendered, 1 up to date, 0 failed, [1-3] not rendered \(outputs in outputs/\)$", stdout, re.M)
    wait_until_no_processes(tmp_path)
    assert not partial_files(tmp_path / "outputs")  # the interrupted run cleaned up after itself
    check_after_stop(tmp_path, before)
    check_rerun_completes(tmp_path)


def test_sigterm_in_process_exits_143_with_valid_outputs(tmp_path):
    before = setup_folder(tmp_path)
    proc = start_run(tmp_path, "--jobs", "1", "--json")
    wait_for_media_partial(proc, tmp_path / "outputs")
    os.kill(proc.pid, signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 143, stderr
    summary = json.loads(stdout)
    assert summary["interrupted"] == "SIGTERM" and summary["ok"] is False
    assert summary["counts"]["cancelled"] >= 1
    wait_until_no_processes(tmp_path)
    assert not partial_files(tmp_path / "outputs")
    check_after_stop(tmp_path, before)
    check_rerun_completes(tmp_path)


def test_two_runs_at_once_the_second_refuses(tmp_path):
    before = setup_folder(tmp_path)
    first = start_run(tmp_path, "--jobs", "2")
    lock = tmp_path / "outputs/.apsim-batch.lock"
    deadline = time.monotonic() + 60
    while (lock.read_text().strip() if lock.exists() else "") != str(first.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    second = run_entry_point("run", "configs", "--jobs", "1", cwd=tmp_path)
    assert second.returncode == 1
    assert second.stderr.strip() == (
        f"Error: outputs: another apsim-batch run (process {first.pid}) is writing here;"
        " wait for it to finish or use another --out"
    )
    assert second.stdout == ""
    stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert "3 rendered, 1 up to date, 0 failed" in stdout
    check_after_stop(tmp_path, before)
    check_rerun_completes(tmp_path)
