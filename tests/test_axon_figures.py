"""The axon's propagation panels: the profile redrawn each frame, the distance–time map, handouts, shipped configs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .conftest import ROOT

CONFIGS = ROOT / "configs"
PAIR = ("axon_unmyelinated_10um", "axon_myelinated_10um")


def _config(**plot):
    """A light squid axon (10 mm, 1.5 ms) with both new panels."""
    from apsim_batch.config.models import Config

    return Config.model_validate(
        {
            "waveform": {
                "model": "axon",
                "length_mm": 10,
                "stimulus": {"pulses": [{"onset_ms": 0.1, "duration_ms": 0.2, "amplitude_na": 10_000}]},
                "recording_sites_mm": [3, 7],
                "duration_ms": 1.5,
                "samples": 61,
            },
            "plot": {"width_px": 640, "height_px": 800, "panels": ["axon_map", "axon_profile"], **plot},
            "animation": {"fps": 20, "trace_ms_per_s": 0.5},
        }
    )


@pytest.fixture(scope="module")
def squid():
    from apsim_batch.trace.models import analyze

    config = _config()
    return config, analyze(config)


def _panel_axes(parts, name):
    return parts.named(name)


def test_the_profile_panel_sits_below_the_time_panels_with_a_distance_axis(squid):
    from apsim_batch.figure.layout import draw_parts

    config, analysis = squid
    parts, _, _ = draw_parts(config, analysis)
    assert parts.names == ["voltage", "axon_map", "axon_sites", "axon_profile"]
    profile = parts.named("axon_profile")
    assert profile.get_xlabel() == "Distance along the axon (mm)"
    assert profile.get_xlim() == (0, 10)
    assert profile not in parts.time_axes and parts.named("axon_map") in parts.time_axes
    assert parts.time_axes[-1].get_xlabel() == config.plot.x_label


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(revealed=st.integers(1, 60))
@example(revealed=1)
def test_the_profile_at_a_frame_is_the_simulated_voltage_of_every_compartment_then(squid, revealed):
    from apsim_batch.figure.layout import draw_parts

    config, analysis = squid
    result = analysis.trace.result
    parts, _, _ = draw_parts(config, analysis, revealed)
    (line,) = parts.named("axon_profile").get_lines()[1:]  # the first is the resting level
    np.testing.assert_array_equal(line.get_xdata(), result.position_mm)
    np.testing.assert_array_equal(line.get_ydata(), result.voltage_mv[revealed - 1])


def test_the_fast_frames_draw_the_same_profile_as_a_full_redraw(squid):
    """The frame pipeline's profile (a small canvas per frame) against matplotlib drawing the figure at that time."""
    from apsim_batch.figure.layout import draw_figure, draw_layers
    from apsim_batch.figure.stream import overlaid, stream

    config, analysis = squid
    layers = draw_layers(config, analysis)
    (panel,) = layers.moving
    counts = np.array([5, 25, 45, len(analysis.trace.time_ms)])
    frames = [f.copy() for f, _ in overlaid(stream(layers, counts), counts, None, moving=layers.moving)]
    x0, y0, x1, y1 = panel.box
    inner = (slice(y0 + 2, y1 - 2), slice(x0 + 2, x1 - 2))  # the spines' anti-aliasing may differ by a pixel
    for count, frame in zip(counts, frames, strict=True):
        slow = draw_figure(config, analysis, int(count))
        differ = np.abs(frame[inner].astype(int) - slow[inner].astype(int)).max(axis=2) > 60
        assert differ.mean() < 0.01, count
    assert not np.array_equal(frames[0][inner], frames[1][inner])  # the impulse moved
    np.testing.assert_array_equal(frames[-1], layers.full)  # the animation ends on the poster


def test_the_cursor_walks_the_time_panels_only(squid):
    from apsim_batch.figure.layout import draw_layers

    config, analysis = squid
    layers = draw_layers(
        config.model_copy(update={"plot": config.plot.model_copy(update={"tip_marker": True})}), analysis
    )
    profile = layers.panel("axon_profile").box
    assert len(layers.overlay.spans) == 3  # voltage, map, sites
    assert all(bottom < profile[1] for _, bottom in layers.overlay.spans)


def test_the_map_draws_the_measured_velocity_as_its_slope_and_names_it(squid):
    from apsim_batch.figure.layout import draw_parts

    config, analysis = squid
    velocity = analysis.trace.result.propagation.velocity_m_per_s
    assert analysis.measurements.as_dict()["velocity_m_per_s"] == pytest.approx(velocity, abs=1e-6)
    parts, _, _ = draw_parts(config, analysis)
    ax = parts.named("axon_map")
    (line,) = ax.get_lines()
    t, x = line.get_xdata(), line.get_ydata()
    assert (x[1] - x[0]) / (t[1] - t[0]) == pytest.approx(velocity, rel=1e-9)  # mm/ms is m/s
    assert [t.get_text() for t in ax.texts] == [f"v = {velocity:.1f} m/s"]


def test_the_map_colour_bar_names_voltage_and_its_unit(squid):
    from apsim_batch.figure.layout import draw_parts

    config, analysis = squid
    parts, _, _ = draw_parts(config, analysis)
    (bar,) = parts.named("axon_map").child_axes
    assert bar.get_ylabel() == "V (mV)"
    low, high = bar.get_ylim()
    result = analysis.trace.result
    assert low <= result.voltage_mv.min() and max(s.peak_mv for s in result.sites) <= high  # every peak recorded


def test_a_handout_has_no_velocity_line_or_value(squid):
    from apsim_batch.config.models import Config
    from apsim_batch.config.variants import student_plot
    from apsim_batch.figure.layout import draw_parts

    config, analysis = squid
    student = Config.model_validate(
        {**config.model_dump(exclude_defaults=True), "plot": student_plot(config.plot.model_dump())}
    )
    parts, _, _ = draw_parts(student, analysis)
    assert parts.named("axon_map").get_lines() == []
    words = [t.get_text() for t in parts.fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert not any("m/s" in w for w in words)


def test_the_answer_key_has_each_sites_arrival_from_the_axon_analysis(squid):
    config, analysis = squid
    found = analysis.measurements.as_dict()
    result = analysis.trace.result
    assert [found["site1_arrival_ms"], found["site2_arrival_ms"]] == [
        pytest.approx(s.arrival_ms, abs=1e-6) for s in result.sites
    ]


def test_the_pair_shares_its_axes_and_the_myelinated_fibre_is_faster():
    from apsim_batch.api import load_config
    from apsim_batch.figure.layout import draw_parts
    from apsim_batch.trace.models import analyze

    drawn = []
    for name in PAIR:
        config = load_config(CONFIGS / f"{name}.yaml").config
        analysis = analyze(config)
        parts, _, _ = draw_parts(config, analysis)
        drawn.append((analysis.measurements.as_dict()["velocity_m_per_s"], parts))
    (bare, bare_parts), (myelinated, myelinated_parts) = drawn
    assert myelinated > 10 * bare
    for name in ("axon_map", "axon_profile"):
        a, b = bare_parts.named(name), myelinated_parts.named(name)
        assert a.get_xlim() == pytest.approx(b.get_xlim(), abs=0.01)
        assert a.get_ylim()[1] - a.get_ylim()[0] == pytest.approx(b.get_ylim()[1] - b.get_ylim()[0], rel=0.05) or (
            name == "axon_profile"
        )


@pytest.mark.slow
@pytest.mark.parametrize("name", PAIR)
def test_the_pair_renders_and_its_profile_moves(tmp_path, name):
    from PIL import Image

    from apsim_batch.api import render

    rendered = render(CONFIGS / f"{name}.yaml", tmp_path, ["png", "gif"])
    with Image.open(rendered.files["gif"]) as gif:
        assert gif.n_frames > 50
        picked = []
        for i in (2, gif.n_frames // 8, gif.n_frames // 4):
            gif.seek(i)
            picked.append(np.asarray(gif.convert("RGB")))
    assert any(not np.array_equal(a[-250:], b[-250:]) for a, b in zip(picked, picked[1:], strict=False))
