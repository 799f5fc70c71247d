"""Time that teaches, measured on real GIFs: outcomes named once visible, a 20 ms poster, slow spikes, steady delays."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from apsim_batch import load_config
from apsim_batch.config.models import Config, GaussianWaveform
from apsim_batch.figure.layout import draw_parts
from apsim_batch.figure.pacing import MIN_PHASE_S, paced, schedule
from apsim_batch.trace.models import analyze

from .conftest import CONFIGS, write

GAUSSIAN_SHIPPED = ["broad_spike", "deep_ahp", "no_ahp", "exercises/ahp_class", "exercises/spike_grid"]


def decoded(path):
    """Every frame of a GIF as RGB, with its delay in ms."""
    frames, delays = [], []
    with Image.open(path) as im:
        for i in range(im.n_frames):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGB")).astype(int))
            delays.append(im.info["duration"])
    return frames, delays


def tip_ms_per_frame(frames, layers_box, duration_ms, rgb):
    """The time each frame's trace reaches: the rightmost pixel of the trace's colour inside the voltage axes."""
    x0, y0, x1, y1 = layers_box
    out = []
    for frame in frames:
        hit = np.all(np.abs(frame[y0:y1, x0:x1] - rgb) <= 40, axis=2).any(axis=0)
        cols = np.flatnonzero(hit)
        out.append(np.nan if not len(cols) else cols[-1] / (x1 - x0) * duration_ms)
    return np.array(out)


def render_gif(cli, tmp_path, name, source):
    write(tmp_path / f"configs/{name}.yaml", source)
    code, out, err = cli("run", "configs", "--format", "gif,png", "--jobs", "1", cwd=tmp_path)
    assert code == 0, out + err
    return tmp_path / "outputs" / name


@pytest.mark.parametrize("name", ["hh_threshold", "hh_refractory", "hh_repetitive"])
def test_outcome_names_appear_once_the_outcome_is_visible(name):
    """'subthreshold response' at the response's turning point, the spike's names once it crosses -20 mV."""
    config = load_config(CONFIGS / f"{name}.yaml").config
    analysis = analyze(config)
    trace = analysis.trace
    parts, _, timed = draw_parts(config, analysis)
    t, v = trace.time_ms, trace.voltage_mv
    starts = {(mark.text, mark.start) for mark in timed}
    checked = 0
    for band in parts.marked.phases:
        if (band.label, band.reveal_index) not in starts:
            continue  # not placed, or not an outcome
        inside = np.flatnonzero((t >= band.start_ms) & (t <= band.end_ms))
        if band.name in ("subthreshold", "hyperpolarizing"):
            turn = inside[np.argmax(np.abs(v[inside] - v[inside[0]]))]
            assert band.reveal_index >= turn > inside[0] + 1, (band.label, t[band.reveal_index])
            checked += 1
        if band.name in ("to_threshold", "rising"):
            assert v[band.reveal_index] >= config.plot.spike_detection_mv, (band.label, t[band.reveal_index])
            checked += 1
    if parts.marked.thresholds and config.plot.threshold_line_mv is None:  # a threshold line names it otherwise
        [shown] = [m.start for m in timed if m.text == "threshold"]
        assert v[shown] >= config.plot.spike_detection_mv
    assert checked


@pytest.mark.slow
def test_hh_threshold_gif_names_the_failure_after_the_pulse(cli, tmp_path):
    """Decode the real GIF: the failed response's name is not on screen until the response turns back."""
    source = (CONFIGS / "hh_threshold.yaml").read_text(encoding="utf-8")
    out = render_gif(cli, tmp_path, "hh_threshold", source)
    config = load_config(tmp_path / "configs/hh_threshold.yaml").config
    analysis = analyze(config)
    trace = analysis.trace
    _, _, timed = draw_parts(config, analysis)
    [failed] = [m for m in timed if m.text.startswith("subthreshold")]
    poster = np.asarray(Image.open(out / "hh_threshold.png").convert("RGB")).astype(int)
    frames, delays = decoded(out / "hh_threshold.gif")
    assert delays[0] == 20 and np.abs(frames[0] - poster).mean() < 0.1  # the poster, for still previews
    x0, y0, x1, y1 = failed.box
    still = frames[0]  # the poster in the GIF's palette (a coloured ribbon name quantizes a little off the PNG)
    shown = [bool(np.abs(f[y0:y1, x0:x1] - still[y0:y1, x0:x1]).mean() < 1) for f in frames[1:]]
    first = shown.index(True)
    assert all(shown[first:])
    plan = schedule(paced(config, analysis), analysis)
    from apsim_batch.output.encode import gif_timing

    timing = gif_timing(plan.frames, config.animation.fps, 2, config.animation.poster_s)
    tip_ms = trace.time_ms[plan.counts[list(timing.frames)] - 1]
    assert tip_ms[first] > 3.0  # the pulse runs 2-3 ms: the name waits for the decay, not the pulse
    assert trace.time_ms[failed.start] <= tip_ms[first]


@pytest.mark.parametrize("name", GAUSSIAN_SHIPPED)
def test_gaussian_spikes_play_slowly_by_default(name):
    """Each rising and falling phase stays on screen at least 0.4 s (the schedule's clock)."""
    config = load_config(CONFIGS / f"{name}.yaml").config
    assert isinstance(config.waveform, GaussianWaveform) and config.animation.spike_slowdown is None
    analysis = analyze(config)
    trace, found = analysis.trace, analysis.phases
    plan = schedule(paced(config, analysis), analysis)
    tip_ms = trace.time_ms[plan.counts - 1]
    for phase in found:
        if phase.name in ("rising", "falling"):
            span_s = (plan.counts[(tip_ms >= phase.start_ms) & (tip_ms <= phase.end_ms)]).size / plan.fps
            assert span_s >= MIN_PHASE_S - 1 / plan.fps, (phase.name, span_s)


def test_classic_keeps_the_original_pacing():
    config = load_config(CONFIGS / "classic.yaml").config
    assert config.animation.spike_slowdown == 1
    analysis = analyze(config)
    assert paced(config, analysis) is config and not schedule(config, analysis).slow.any()


@pytest.mark.slow
def test_narrowest_gaussian_spike_is_on_screen_in_the_real_gif(cli, tmp_path):
    """spike-grid's narrowest spike (sigma 0.05 ms) and 30 fps: measured on the decoded GIF, with steady delays."""
    source = (
        "name: narrow\nwaveform:\n  duration_ms: 8\n  samples: 400\n  components:\n"
        "    - {center_ms: 2, width_ms: 0.05, amplitude_mv: 100}\n"
        "plot: {voltage_range_mv: [-90, 50], line_color: '#0000ff'}\nanimation: {fps: 30, samples_per_frame: 4}\n"
    )
    out = render_gif(cli, tmp_path, "narrow", source)
    config = load_config(tmp_path / "configs/narrow.yaml").config
    analysis = analyze(config)
    frames, delays = decoded(out / "narrow.gif")
    assert delays[0] == 20 and set(delays[1:-1]) == {40}  # the poster, then one steady delay at 30 fps
    from apsim_batch.figure.layout import draw_layers

    box = draw_layers(paced(config, analysis), analysis).panel("voltage").box
    tip = tip_ms_per_frame(frames[1:], box, config.waveform.duration_ms, (0, 0, 255))
    for phase in analysis.phases:
        if phase.name in ("rising", "falling"):
            on_screen_ms = sum(d for d, x in zip(delays[1:], tip, strict=True) if phase.start_ms <= x <= phase.end_ms)
            assert on_screen_ms >= 1000 * MIN_PHASE_S - 80, (phase.name, on_screen_ms)


def test_default_config_slows_its_spike():
    config = Config()
    assert paced(config, analyze(config)).animation.spike_slowdown > 1
