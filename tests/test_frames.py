"""The fast frame stream against a straightforward full redraw, and GIF timing."""

from __future__ import annotations

import numpy as np
import pytest

from apsim_batch.config.models import Config
from apsim_batch.figure.layout import draw_figure, draw_layers, revealed_counts
from apsim_batch.figure.quantize import nearest_palette_index
from apsim_batch.figure.stream import stream
from apsim_batch.output.encode import gif_timing
from apsim_batch.trace.waveform import synthesize


@pytest.fixture(scope="module")
def classic():
    config = Config()
    trace = synthesize(config.waveform)
    return config, trace, draw_layers(config, trace)


def test_reveal_counts_end_on_the_whole_trace():
    counts = revealed_counts(Config())
    assert len(counts) == 250 and counts[0] == 2 and counts[-1] == 500
    odd = revealed_counts(Config.model_validate({"waveform": {"samples": 501}, "animation": {"samples_per_frame": 2}}))
    assert len(odd) == 251 and odd[-1] == 501


def test_first_and_last_layers(classic):
    config, trace, layers = classic
    np.testing.assert_array_equal(layers.base, draw_figure(config, trace, revealed=0))
    np.testing.assert_array_equal(layers.full, draw_figure(config, trace))
    assert layers.size == (640, 480)
    # the trace really is drawn: many blue pixels in full, none in base
    blue = lambda img: np.sum((img[..., 2] > 200) & (img[..., 0] < 80))  # noqa: E731
    assert blue(layers.base) == 0 and blue(layers.full) > 1500


def fast_frame_and_diff(config, trace, layers, frame):
    """Frame `frame` from the fast stream, and its per-pixel difference from a full redraw."""
    counts = revealed_counts(config)
    fast = None
    for i, (image, _) in enumerate(stream(layers, counts[: frame + 1])):
        if i == frame:
            fast = image.copy()
    reference = draw_figure(config, trace, revealed=int(counts[frame]))
    return fast, np.abs(reference.astype(int) - fast).max(axis=2)


@pytest.mark.parametrize("frame", [0, 10, 55, 60, 62, 64, 70, 100, 174, 200, 248, 249])
def test_fast_frames_match_full_redraw(classic, frame):
    config, trace, layers = classic
    fast, diff = fast_frame_and_diff(config, trace, layers, frame)
    # Only the line cap at the tip (and matplotlib snapping a short straight line) may differ.
    assert (diff > 64).sum() <= 60, (diff > 64).sum()
    assert diff.mean() < 0.05
    if frame == 249:
        np.testing.assert_array_equal(fast, layers.full)


def test_stream_boxes_cover_every_change(classic):
    config, _, layers = classic
    previous = layers.base.copy()
    for image, box in stream(layers, revealed_counts(config)):
        changed = np.argwhere(np.any(image != previous, axis=2))
        if box is None:
            assert len(changed) == 0
        else:
            x0, y0, x1, y1 = box
            assert np.all((changed[:, 1] >= x0) & (changed[:, 1] < x1) & (changed[:, 0] >= y0) & (changed[:, 0] < y1))
        previous = image.copy()


def test_gif_timing_merges_above_50_fps():
    timing = gif_timing(250, 90)
    assert timing.merged and len(timing.frames) == 139
    assert min(timing.delays_cs) >= 2 and sum(timing.delays_cs) == 278
    assert timing.frames[0] == 0 and timing.frames[-1] == 249
    assert list(timing.frames) == sorted(set(timing.frames))


@pytest.mark.parametrize("fps", [1, 7, 24, 25, 30, 45, 50])
def test_gif_timing_keeps_every_frame_up_to_50_fps(fps):
    timing = gif_timing(100, fps)
    assert not timing.merged and timing.frames == tuple(range(100))
    assert min(timing.delays_cs) >= 2
    assert sum(timing.delays_cs) == round(100 * 100 / fps)


@pytest.mark.parametrize("fps", [51, 60, 75, 99.5, 120])
def test_gif_timing_real_duration(fps):
    for frames in (1, 2, 3, 77, 1000):
        timing = gif_timing(frames, fps, hold_s=0.5)
        assert min(timing.delays_cs) >= 2
        assert abs(sum(timing.delays_cs) - (100 * frames / fps + 50)) <= 2
        assert timing.frames[-1] == frames - 1


HH_PANELS = {
    "title": "HH with panels",
    "waveform": {"model": "hodgkin_huxley", "duration_ms": 16, "samples": 400},
    "plot": {
        "width_px": 640,
        "height_px": 640,
        "voltage_range_mv": [-90, 80],
        "panels": ["gates", "currents"],
        "phases": True,
    },
    "animation": {"samples_per_frame": 4},
}


@pytest.fixture(scope="module")
def panels():
    config = Config.model_validate(HH_PANELS)
    trace = synthesize(config.waveform)
    return config, trace, draw_layers(config, trace)


@pytest.mark.parametrize("frame", [0, 12, 25, 30, 34, 40, 60, 99])
def test_panel_frames_match_full_redraw(panels, frame):
    config, trace, layers = panels
    fast, diff = fast_frame_and_diff(config, trace, layers, frame)
    # eight curves in three axes: only their line caps at the tip may differ
    assert (diff > 64).sum() <= 8 * 25, (diff > 64).sum()
    assert diff.mean() < 0.1
    if frame == config.frame_count - 1:
        np.testing.assert_array_equal(fast, layers.full)


def test_panels_share_the_time_axis_and_keep_their_curves(panels):
    from apsim_batch.figure.canvas import new_figure
    from apsim_batch.figure.layout import _axes

    config, trace, layers = panels
    fig, _ = new_figure(config)
    axes = _axes(fig, config, trace, decorate=True)
    assert len(axes) == 3
    boxes = [ax.get_position() for ax in axes]
    assert all(b.x0 == boxes[0].x0 and b.x1 == boxes[0].x1 for b in boxes)
    assert boxes[0].y0 > boxes[1].y1 and boxes[1].y0 > boxes[2].y1
    assert boxes[0].height > boxes[1].height
    # gate colours (red m, green h, purple n) appear in the full figure but not in the base
    green = lambda img: np.sum((img[..., 1] > 140) & (img[..., 0] < 90) & (img[..., 2] < 90))  # noqa: E731
    assert green(layers.base) < 50 < green(layers.full)


def test_phase_labels_appear_whole_when_their_phase_begins(panels):
    from apsim_batch.figure.layout import _draw, phase_start_index, trace_phases

    config, trace, layers = panels
    _, boxes = _draw(config, trace, None)
    found = trace_phases(config, trace)
    firsts = {p.name: phase_start_index(trace, p) for p in reversed(found)}
    assert sorted(start for start, _ in boxes) == sorted(firsts.values())
    counts = np.arange(1, len(trace.time_ms) + 1)
    frames = {start: None for start, _ in boxes}
    previous = None
    for count, (image, _) in zip(counts, stream(layers, counts), strict=True):
        if count - 1 in frames:
            frames[count - 1] = (previous, image.copy())
        previous = image.copy()
    for start, (x0, y0, x1, y1) in boxes:
        before, at = frames[start]
        inner = (slice(y0 + 2, y1 - 2), slice(x0 + 2, x1 - 2))
        np.testing.assert_array_equal(at[inner], layers.full[inner])  # whole as soon as its phase starts
        if start > 0:
            assert np.any(before[inner] != layers.full[inner])  # and not a sample before


def test_gaussian_figure_is_unchanged_by_the_panel_machinery(classic):
    config, trace, layers = classic
    plain = Config.model_validate({"plot": {"phases": False, "tip_marker": False}})
    np.testing.assert_array_equal(draw_figure(plain, trace), layers.full)


def test_palette_mapping_is_the_exact_nearest_colour():
    rng = np.random.default_rng(6)
    colors = rng.integers(0, 256, (256, 3)).astype(np.int32)
    image = rng.integers(0, 256, (40, 30, 3)).astype(np.uint8)
    image[:10] = colors[5]  # repeated colours, as in real frames
    colors[9] = colors[3]  # a tie (palettes padded with black have many): the first entry wins
    image[10:12] = colors[3]
    distance = ((image.reshape(-1, 1, 3).astype(np.int32) - colors[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(nearest_palette_index(image, colors), distance.argmin(axis=1).reshape(40, 30))
    assert (nearest_palette_index(image, colors)[10:12] == 3).all()


@pytest.fixture(scope="module")
def marked():
    data = {**HH_PANELS, "plot": {**HH_PANELS["plot"], "tip_marker": True}}
    config = Config.model_validate(data)
    trace = synthesize(config.waveform)
    return config, trace, draw_layers(config, trace)


def overlaid_frames(layers, counts, wanted, base=None, full=None, colors=None):
    from apsim_batch.figure.stream import overlaid

    out, previous = {}, None
    for i, (image, box) in enumerate(overlaid(stream(layers, counts, base, full), counts, layers.overlay, colors)):
        if previous is not None:  # the reported box covers every change since the last frame
            changed = np.argwhere(np.any((image != previous).reshape(*image.shape[:2], -1), axis=2))
            if len(changed):
                x0, y0, x1, y1 = box
                assert changed[:, 1].min() >= x0 and changed[:, 1].max() < x1
                assert changed[:, 0].min() >= y0 and changed[:, 0].max() < y1
        previous = image.copy()
        if i in wanted:
            out[i] = image.copy()
    return out


def test_tip_marker_frames_match_full_redraw(marked):
    config, trace, layers = marked
    counts = revealed_counts(config)
    frames = overlaid_frames(layers, counts, {0, 20, 31, 55, 99})
    for i, fast in frames.items():
        reference = draw_figure(config, trace, revealed=int(counts[i]))
        diff = np.abs(reference.astype(int) - fast).max(axis=2)
        assert (diff > 64).sum() <= 8 * 25 and diff.mean() < 0.1, (i, (diff > 64).sum())
    # the marker moves: the readout and the dot differ between frames; the layers never carry them
    assert np.any(frames[20] != frames[55])
    np.testing.assert_array_equal(
        layers.full,
        draw_figure(config.model_copy(update={"plot": config.plot.model_copy(update={"tip_marker": False})}), trace),
    )


def test_tip_readout_shows_time_and_voltage(marked):
    config, trace, layers = marked
    assert layers.overlay.text(121) == f"t = {trace.time_ms[120]:5.2f} ms  V = {trace.voltage_mv[120]:+6.1f} mV"


def test_tip_marker_in_palette_frames_matches_rgb_frames(marked):
    from apsim_batch.figure.quantize import gif_palette

    config, _, layers = marked
    counts = revealed_counts(config)
    palette, base_index, full_index = gif_palette(layers.full, layers.base)
    colors = np.frombuffer(palette, np.uint8).reshape(-1, 3)
    indexed = overlaid_frames(layers, counts, {40, 99}, base_index, full_index, colors)
    rgb = overlaid_frames(layers, counts, {40, 99})
    for i in (40, 99):
        diff = np.abs(colors[indexed[i]].astype(int) - rgb[i]).max(axis=2)
        assert diff.mean() < 3 and np.percentile(diff, 99.5) < 40


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hh_classic", "hh_threshold", "hh_refractory", "hh_repetitive", "hh_temperature"])
def test_shipped_annotations_do_not_collide(name):
    """Phase labels never overlap each other, the title or the axes; the readout stays clear of the x label."""
    from apsim_batch.config.load import load_config
    from apsim_batch.figure.canvas import new_figure
    from apsim_batch.figure.layout import _axes, _draw
    from apsim_batch.figure.overlay import tip_overlay

    from .conftest import CONFIGS

    config = load_config(CONFIGS / f"{name}.yaml").config
    trace = synthesize(config.waveform)
    image, boxes = _draw(config, trace, None, with_overlay=False)
    height, width = image.shape[:2]
    fig, canvas = new_figure(config)
    axes = _axes(fig, config, trace, decorate=True)
    canvas.draw()
    renderer = canvas.get_renderer()
    to_box = lambda e: (e.x0, height - e.y1, e.x1, height - e.y0)  # noqa: E731
    title = to_box(axes[0].title.get_window_extent(renderer))
    top_axes = to_box(axes[0].get_window_extent(renderer))
    x_label = to_box(axes[-1].xaxis.label.get_window_extent(renderer))

    def overlap(a, b):
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    labels = [box for _, box in boxes]
    assert labels, "phases are on in every shipped Hodgkin–Huxley config"
    for i, a in enumerate(labels):
        assert a[0] >= 0 and a[2] <= width and a[1] >= 0 and a[3] <= height
        assert not overlap(a, title) and not overlap(a, top_axes)
        assert not any(overlap(a, b) for b in labels[i + 1 :])
    if config.plot.tip_marker:
        overlay = tip_overlay(config, trace, axes[0], (height, width))
        x0, y0 = overlay.readout_xy
        readout = (x0, y0, x0 + overlay.readout_shape[1], y0 + overlay.readout_shape[0])
        assert readout[2] <= width and readout[3] <= height and not overlap(readout, x_label)
