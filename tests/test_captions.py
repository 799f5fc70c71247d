"""WebVTT captions: cues timed by the animation's pacing, valid WebVTT, written beside a real MP4."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import pytest

from apsim_batch.config.load import load_config
from apsim_batch.output.captions import Cue, describing_cue, phase_cues, vtt_text
from apsim_batch.output.render import render

from .conftest import CONFIGS


@dataclass
class FakePhase:
    """Only what the caption generator may rely on: label, start_ms, end_ms."""

    label: str
    start_ms: float
    end_ms: float


TIME_MS = np.arange(100) * 0.1  # 100 samples over 0-9.9 ms


def test_cues_follow_the_frames_that_draw_each_phase():
    counts = np.minimum(np.arange(1, 11) * 10, 100)  # 10 frames of 10 samples each
    phases = [FakePhase("rest", 0, 2.0), FakePhase("rising", 2.0, 5.0), FakePhase("falling", 5.0, 9.9)]
    cues = phase_cues(phases, TIME_MS, counts, fps=10, hold_frames=5)
    # Sample 20 (2.0 ms) first shows in frame 2 (it shows samples 0-29), i.e. at 0.2 s.
    assert cues == [
        Cue(0.0, 0.2, "Rest, 0 to 2 ms"),
        Cue(0.2, 0.5, "Rising, 2 to 5 ms"),
        Cue(0.5, 1.5, "Falling, 5 to 9.9 ms"),  # the last cue lasts through the 5-frame hold
    ]


def test_uneven_pacing_moves_the_cues():
    """A pacing that slows down through the middle (fewer samples per frame) gives it more time."""
    counts = np.array([40, 45, 50, 55, 60, 100])
    phases = [FakePhase("rest", 0, 4.5), FakePhase("spike", 4.5, 6.0), FakePhase("after", 6.0, 9.9)]
    cues = phase_cues(phases, TIME_MS, counts, fps=2)
    assert [(c.start_s, c.end_s) for c in cues] == [(0.0, 1.0), (1.0, 2.5), (2.5, 3.0)]


def test_phases_drawn_in_one_frame_share_a_cue():
    counts = np.array([50, 100])
    phases = [FakePhase("rest", 0, 6.0), FakePhase("rising", 6.0, 6.5), FakePhase("falling", 6.5, 9.9)]
    cues = phase_cues(phases, TIME_MS, counts, fps=1)
    assert cues == [Cue(0.0, 1.0, "Rest, 0 to 6 ms"), Cue(1.0, 2.0, "Rising, 6 to 6.5 ms; then falling, 6.5 to 9.9 ms")]


def test_vtt_text_is_escaped_and_timed():
    text = vtt_text([Cue(0, 61.5, "a <b> & c --> d\n\ne"), *describing_cue(3725.25, "held")])
    assert text == (
        "WEBVTT\n\n1\n00:00:00.000 --> 00:01:01.500\na &lt;b&gt; &amp; c -&gt; d e\n\n"
        "2\n00:00:00.000 --> 01:02:05.250\nheld\n"
    )
    assert describing_cue(0, "x") == []


@pytest.mark.slow
def test_render_writes_captions_beside_the_mp4(tmp_path):
    """A real render: the VTT sits beside the MP4, is listed with its sha256, and ends with the video."""
    import hashlib

    import imageio_ffmpeg

    result = render(load_config(CONFIGS / "hh_repetitive.yaml"), tmp_path)
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    records = {r["format"]: r for r in manifest["files"]}
    vtt = tmp_path / records["vtt"]["path"]
    assert vtt == result.folder / "hh_repetitive.vtt" and records["vtt"]["captions_for"] == "hh_repetitive.mp4"
    assert hashlib.sha256(vtt.read_bytes()).hexdigest() == records["vtt"]["sha256"]
    text = vtt.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n\n1\n00:00:00.000 --> ")
    ends = re.findall(r"--> (\d\d):(\d\d):(\d\d\.\d\d\d)", text)
    last_s = int(ends[-1][0]) * 3600 + int(ends[-1][1]) * 60 + float(ends[-1][2])
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / records["mp4"]["path"]))
    assert frames == records["mp4"]["frames"] and last_s == pytest.approx(seconds, abs=0.05)
    # Every phase of the manifest is named once (repetitive firing: several spikes, many phases).
    mentions = re.findall(r"(?:^|; then )[A-Za-z][A-Za-z -]*, [\d.]+ to [\d.]+ ms", text, flags=re.M)
    assert len(mentions) == len(manifest["phases"]) > 10
