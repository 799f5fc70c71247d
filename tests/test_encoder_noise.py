"""Ctrl-C during an MP4 encode: ffmpeg prints nothing ("Error writing trailer" was the noise), and no encoder survives."""

from __future__ import annotations

import os
import signal
import time

import pytest

from .conftest import write
from .test_kill import HEAVY, start_run, wait_until_no_processes

pytestmark = pytest.mark.slow


def wait_for_mp4_partial(tmp_path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if list((tmp_path / "outputs").glob("*/.*.partial-*.mp4")):
            time.sleep(0.3)  # well into the encode
            return
        time.sleep(0.05)
    raise AssertionError("no MP4 was being written")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_mid_encode_leaves_no_ffmpeg_noise(tmp_path, jobs):
    for name in ("h1", "h2"):
        write(tmp_path / "configs" / f"{name}.yaml", HEAVY.format(title=name))
    proc = start_run(tmp_path, "--jobs", jobs, "--format", "mp4")
    wait_for_mp4_partial(tmp_path)
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: the whole foreground group
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "trailer" not in stderr.lower() and "ffmpeg" not in stderr.lower(), stderr
    assert "Traceback" not in stderr, stderr
    wait_until_no_processes(tmp_path)
