"""Pacing: trace speed, slow motion through spikes, the hold, the poster-first GIF and the frame cap, on real files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from apsim_batch import load_config
from apsim_batch.config.models import Config
from apsim_batch.figure.layout import revealed_counts
from apsim_batch.figure.pacing import clocked, frame_total, plain_counts, schedule, spike_windows
from apsim_batch.trace.models import analyze, synthesize

from .conftest import CONFIGS, write
from .test_cli import gif_frames

HH_CONFIGS = ["hh_classic", "hh_threshold", "hh_refractory", "hh_repetitive", "hh_temperature"]


def test_the_plain_clock_is_the_original_reveal():
    config = Config.model_validate({"animation": {"spike_slowdown": 1}})  # classic's: the original pacing
    trace = synthesize(config.waveform)
    np.testing.assert_array_equal(schedule(config, analyze(config, trace)).counts, revealed_counts(config))
    np.testing.assert_array_equal(
        plain_counts(501, 2), revealed_counts(Config.model_validate({"waveform": {"samples": 501}}))
    )
    # the same speed given as ms per second gives the same frames
    speed = 2 * 90 * trace.time_ms[1]
    counts, slow = clocked(trace.time_ms, speed, 90)
    np.testing.assert_array_equal(counts, revealed_counts(config))
    assert not slow.any()


def test_trace_ms_per_s_plays_different_sampling_at_the_same_speed():
    """Two figures with other durations, samples and fps play the same ms of trace per second."""
    for duration_ms, samples, fps in [(20, 800, 25), (30, 450, 30), (12, 2000, 50)]:
        config = Config.model_validate(
            {
                "waveform": {"duration_ms": duration_ms, "samples": samples},
                "animation": {"fps": fps, "trace_ms_per_s": 4, "spike_slowdown": 1},
            }
        )
        trace = synthesize(config.waveform)
        plan = schedule(config, analyze(config, trace))
        assert plan.frames / fps == pytest.approx(duration_ms / 4, abs=1.5 / fps)
        shown_ms = trace.time_ms[plan.counts - 1]
        clock_s = np.arange(1, plan.frames + 1) / fps
        assert np.abs(shown_ms - 4 * clock_s).max() <= 4 / fps + duration_ms / samples  # the tip keeps time
        assert frame_total(config, trace.time_ms) == plan.frames


def test_spike_slowdown_slows_only_the_spike():
    config = load_config(CONFIGS / "hh_classic.yaml").config
    trace = synthesize(config.waveform)
    [(start, end)] = spike_windows(analyze(config, trace).phases)
    assert 2 < start < 3 < 5 < end < 6.5  # from the upstroke's start to the end of the falling phase
    plan = schedule(config, analyze(config, trace))
    fps, speed = config.animation.fps, config.animation.trace_ms_per_s
    tip_ms = trace.time_ms[plan.counts - 1]
    inside = (tip_ms > start + 0.2) & (tip_ms < end - 0.2)
    per_frame_ms = np.diff(tip_ms)
    # a quarter of the speed inside the spike, full speed outside it
    assert np.mean(per_frame_ms[inside[1:]]) == pytest.approx(speed / fps / 4, rel=0.1)  # samples are 0.025 ms
    assert np.mean(per_frame_ms[~plan.slow[1:]]) == pytest.approx(speed / fps, rel=0.1)
    assert plan.slow[inside].all() and not plan.slow[tip_ms < start - 0.2].any()
    assert plan.frames == frame_total(config, trace.time_ms, [(start, end)])


@pytest.mark.parametrize("name", HH_CONFIGS)
def test_shipped_hh_spikes_stay_on_screen_a_second(name):
    config = load_config(CONFIGS / f"{name}.yaml").config
    trace = synthesize(config.waveform)
    plan = schedule(config, analyze(config, trace))
    assert config.animation.hold_last_frame_s >= 2 and plan.windows_ms
    for start, end in plan.windows_ms:
        tip_ms = trace.time_ms[plan.counts - 1]
        on_screen_s = ((tip_ms >= start) & (tip_ms <= end)).sum() / config.animation.fps
        assert on_screen_s >= 1.0, (start, end, on_screen_s)


@pytest.mark.slow
def test_gif_opens_on_the_poster_and_shows_the_badge_while_slowed(cli, tmp_path):
    """Decode the real GIF: first frame = poster PNG, then the empty axes; the badge only on slow frames."""
    source = (CONFIGS / "hh_temperature.yaml").read_text(encoding="utf-8")
    source = source.replace("  panels: [gates, currents]\n", "  panels: []\n").replace(
        "tip_marker: true", "tip_marker: false"
    )
    write(tmp_path / "configs/t.yaml", source.replace("name: hh_temperature", "name: t"))
    code, _, err = cli("run", "configs", "--format", "gif,png", "--jobs", "1", cwd=tmp_path)
    assert code == 0, err
    out = tmp_path / "outputs/t"
    manifest = json.loads((out / "manifest.json").read_text())
    [gif] = [f for f in manifest["files"] if f["format"] == "gif"]
    [window] = gif["slow_motion"]
    poster = np.asarray(Image.open(out / "t.png").convert("RGB")).astype(int)
    delays, _, last = gif_frames(out / "t.gif")
    assert delays[0] == 20 and delays[-1] >= 2000 and len(delays) == gif["frames"]  # a 20 ms poster
    with Image.open(out / "t.gif") as im:
        frames = []
        for i in range(im.n_frames):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGB")).astype(int))
    assert np.abs(frames[0] - poster).mean() < 0.1  # what a still viewer shows: the finished figure
    assert np.abs(frames[1] - poster).mean() > 1  # then the animation starts over on empty axes
    assert np.abs(last - poster).mean() < 0.1
    # the badge sits at the top left of the voltage axes: pale yellow there only while slowed
    config = load_config(tmp_path / "configs/t.yaml").config
    trace = synthesize(config.waveform)
    plan = schedule(config, analyze(config, trace))
    from apsim_batch.output.encode import gif_timing

    timing = gif_timing(plan.frames, config.animation.fps, 2, 0.02)
    yellow = [bool(np.any(np.all(np.abs(frame - (255, 247, 204)) <= 3, axis=2).sum() > 200)) for frame in frames[1:]]
    assert yellow == list(plan.slow[list(timing.frames)])
    assert window["slowdown"] == 4 and sum(yellow) / config.animation.fps >= 1.0


@pytest.mark.slow
def test_frame_cap_applies_only_to_animations(cli, tmp_path):
    """A render that writes no GIF or MP4 is not refused for having too many frames."""
    write(tmp_path / "configs/long.yaml", "waveform: {samples: 200000}\nanimation: {samples_per_frame: 1}\n")
    code, out, err = cli("run", "configs", "--format", "csv", "--jobs", "1", cwd=tmp_path)
    assert code == 0, out + err
    assert (tmp_path / "outputs/long/trace.csv").is_file()
    code, out, err = cli("run", "configs", "--format", "gif", "--jobs", "1", cwd=tmp_path)
    assert code == 1
    assert (
        "configs/long.yaml: animation: 200,000 samples at samples_per_frame 1, 90 fps and spike_slowdown 1 make"
        " 200,000 frames; a GIF or MP4 may have at most 20,000 (play faster, or write only png and csv)"
    ) in out + err
    assert "Traceback" not in out + err
    assert not (tmp_path / "outputs/long/long.gif").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hh_refractory", "hh_repetitive"])  # the others: test_cursor.py
def test_shipped_hh_gifs_stay_under_a_megabyte(cli, tmp_path, name):
    from .conftest import copy_config

    copy_config(f"{name}.yaml", tmp_path / "configs")
    code, out, err = cli("run", "configs", "--format", "gif", "--jobs", "1", cwd=tmp_path)
    assert code == 0, out + err
    gif = tmp_path / "outputs" / name / f"{name}.gif"
    assert gif.stat().st_size < 1_000_000
    delays, _, _ = gif_frames(gif)
    assert delays[0] == 20 and delays[-1] >= 2000  # opens on the poster (20 ms), holds the end
