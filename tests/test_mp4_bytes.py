"""MP4 bytes do not depend on how many cores the encoder may use (so --jobs and CI runners agree)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from .conftest import ROOT, copy_config


def _render_mp4(work, out: str, cores: set[int]) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "apsim_batch", "run", "configs", "--format", "mp4", "--jobs", "1", "--out", out],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.sched_setaffinity(0, cores),  # ffmpeg sizes its threads from these cores
    )
    assert proc.returncode == 0, proc.stderr
    return hashlib.sha256((work / out / "hh_temperature" / "hh_temperature.mp4").read_bytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")
def test_mp4_bytes_are_the_same_on_one_core_and_on_all(tmp_path):
    copy_config("hh_temperature.yaml", tmp_path / "configs")
    everything = os.sched_getaffinity(0)
    one = {min(everything)}
    assert _render_mp4(tmp_path, "one", one) == _render_mp4(tmp_path, "all", everything)
