"""The fast frame stream against a straightforward full redraw, and GIF timing."""

from __future__ import annotations

import numpy as np
import pytest

from apsim_batch.config.models import Config
from apsim_batch.figure.layout import draw_figure, draw_layers, draw_parts, revealed_counts
from apsim_batch.figure.quantize import nearest_palette_index
from apsim_batch.figure.stream import stream
from apsim_batch.output.encode import gif_timing
from apsim_batch.trace.models import analyze, synthesize


@pytest.fixture(scope="module")
def classic():
    config = Config()
    trace = synthesize(config.waveform)
    return config, trace, draw_layers(config, analyze(config, trace))


def test_reveal_counts_end_on_the_whole_trace():
    counts = revealed_counts(Config())
    assert len(counts) == 250 and counts[0] == 2 and counts[-1] == 500
    odd = revealed_counts(Config.model_validate({"waveform": {"samples": 501}, "animation": {"samples_per_frame": 2}}))
    assert len(odd) == 251 and odd[-1] == 501


def test_first_and_last_layers(classic):
    config, trace, layers = classic
    np.testing.assert_array_equal(layers.base, draw_figure(config, analyze(config, trace), revealed=0))
    np.testing.assert_array_equal(layers.full, draw_figure(config, analyze(config, trace)))
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
    reference = draw_figure(config, analyze(config, trace), revealed=int(counts[frame]))
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


@pytest.mark.slow
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
def test_gif_timing_is_steady_and_keeps_every_frame_when_it_can(fps):
    """One delay for every frame but the last (30 fps: 40 ms, not 30/30/40); every frame when 100/fps is whole."""
    timing = gif_timing(100, fps, hold_s=1)
    step = timing.delays_cs[0]
    assert set(timing.delays_cs[:-1]) <= {step} and timing.delays_cs[-1] == step + 100
    assert step * fps >= 100 and (step == 2 or (step - 1) * fps < 100)  # the interval, rounded up
    assert timing.merged == (100 % fps != 0 or 100 / fps < 2)
    assert list(timing.frames) == sorted(set(timing.frames)) and timing.frames[-1] == 99
    assert abs(sum(timing.delays_cs) - 100 - 100 * 100 / fps) <= step / 2


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
        "panels": ["gates", "conductances", "currents"],  # g_Na runs along its axes edge: a hard case
        "phases": True,
    },
    "animation": {"samples_per_frame": 4},
}


@pytest.fixture(scope="module")
def panels():
    config = Config.model_validate(HH_PANELS)
    trace = synthesize(config.waveform)
    return config, trace, draw_layers(config, analyze(config, trace))


@pytest.mark.parametrize("frame", [0, 12, 25, 30, 34, 40, 60, 99])
def test_panel_frames_match_full_redraw(panels, frame):
    config, trace, layers = panels
    fast, diff = fast_frame_and_diff(config, trace, layers, frame)
    # ten curves in five axes: only their line caps at the tip (and the pulse mark's dots) may differ
    assert (diff > 64).sum() <= 10 * 25, (diff > 64).sum()
    assert diff.mean() < 0.16
    if frame == config.frame_count - 1:
        np.testing.assert_array_equal(fast, layers.full)


def test_panels_share_the_time_axis_and_keep_their_curves(panels):
    from apsim_batch.figure.canvas import new_figure
    from apsim_batch.figure.layout import _axes

    config, trace, layers = panels
    fig, _ = new_figure(config)
    axes = _axes(fig, config, analyze(config, trace), decorate=True)
    assert len(axes) == 5  # voltage, gates, conductances, currents and the stimulus strip (on by default)
    boxes = [ax.get_position() for ax in axes]
    assert all(b.x0 == boxes[0].x0 and b.x1 == boxes[0].x1 for b in boxes)
    assert all(a.y0 > b.y1 for a, b in zip(boxes, boxes[1:], strict=False))
    assert boxes[0].height > boxes[1].height > boxes[4].height
    assert all(ax.get_yscale() == "linear" for ax in axes)  # the currents too: no scale that hides its bend
    # potassium blue (n, g_K, I_K) appears inside the axes with the curves: in the full figure, not in the base
    right = int(np.ceil(boxes[0].x1 * config.plot.width_px))  # the curves' names stand right of the axes
    blue = lambda img: np.sum(np.abs(img[:, :right].astype(int) - [0, 114, 178]).max(axis=2) < 12)  # noqa: E731
    assert blue(layers.base) < 50 < blue(layers.full)


def test_phase_labels_appear_whole_when_their_phase_begins(panels):
    from apsim_batch.figure.layout import _draw
    from apsim_batch.figure.measured import marked

    config, trace, layers = panels
    _, timed = _draw(config, analyze(config, trace), None)
    bands = marked(config, analyze(config, trace)).phases
    labelled = {b.reveal_index for b in bands if b.name != "rest"} | {bands[0].reveal_index}  # outcomes: when seen
    assert labelled <= {mark.start for mark in timed}  # every band's name, plus 'threshold' and the pulse
    counts = np.arange(1, len(trace.time_ms) + 1)
    frames = {mark.start: None for mark in timed}
    previous = None
    for count, (image, _) in zip(counts, stream(layers, counts), strict=True):
        if count - 1 in frames:
            frames[count - 1] = (previous, image.copy())
        previous = image.copy()
    for mark in timed:
        x0, y0, x1, y1 = mark.box
        before, at = frames[mark.start]
        box = (slice(y0, y1), slice(x0, x1))
        np.testing.assert_array_equal(at[box], layers.full[box])  # whole, to its last pixel, as its phase starts
        if mark.start > 0:
            assert np.any(before[box] != layers.full[box])  # and not a sample before


def test_gaussian_figure_is_unchanged_by_the_panel_machinery(classic):
    config, trace, layers = classic
    plain = Config.model_validate({"plot": {"phases": False, "tip_marker": False}})
    np.testing.assert_array_equal(draw_figure(plain, analyze(plain, trace)), layers.full)


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
    return config, trace, draw_layers(config, analyze(config, trace))


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


@pytest.mark.slow
def test_tip_marker_frames_match_full_redraw(marked):
    config, trace, layers = marked
    counts = revealed_counts(config)
    frames = overlaid_frames(layers, counts, {0, 20, 31, 55, 99})
    for i, fast in frames.items():
        reference = draw_figure(config, analyze(config, trace), revealed=int(counts[i]))
        diff = np.abs(reference.astype(int) - fast).max(axis=2)
        assert (diff > 64).sum() <= 8 * 25 and diff.mean() < 0.1, (i, (diff > 64).sum())
    # the marker moves: the readout and the dot differ between frames; the layers never carry them
    assert np.any(frames[20] != frames[55])
    np.testing.assert_array_equal(layers.full, draw_parts(config, analyze(config, trace))[1])  # no cursor in it


@pytest.mark.slow
def test_tip_marker_in_palette_frames_matches_rgb_frames(marked):
    from apsim_batch.figure.quantize import gif_palette, palette_colors

    config, _, layers = marked
    counts = revealed_counts(config)
    palette, base_index, full_index = gif_palette(layers.full, layers.base)
    colors = palette_colors(palette)
    indexed = overlaid_frames(layers, counts, {40, 99}, base_index, full_index, colors)
    rgb = overlaid_frames(layers, counts, {40, 99})
    for i in (40, 99):
        diff = np.abs(colors[indexed[i]].astype(int) - rgb[i]).max(axis=2)
        assert diff.mean() < 3 and np.percentile(diff, 99.5) < 40


# The seed's figure, as apsim-batch drew configs/classic.yaml before the teaching visual language
# (commit 910e988): SHA-256 of the base and full layers' RGB bytes (the PNG is written from `full`).
CLASSIC_LAYERS_SHA256 = {
    "base": "21cb84c6c0a75f9a225e7e3da31fd161e65ae72fe6d0b2a7a058bb83552fd3ca",
    "full": "262e0f876f53729467ffece1a43ca923b0ab34be7336242af0817ebf3abfce4e",
}
CLASSIC_MATPLOTLIB = "3.11.2"  # glyph rasterization differs between matplotlib releases


def test_classic_config_draws_the_seed_figure_pixel_for_pixel():
    import hashlib

    import matplotlib

    from apsim_batch import load_config

    from .conftest import CONFIGS

    if matplotlib.__version__ != CLASSIC_MATPLOTLIB:
        pytest.skip(f"hashes recorded with matplotlib {CLASSIC_MATPLOTLIB}, running {matplotlib.__version__}")
    config = load_config(CONFIGS / "classic.yaml").config
    layers = draw_layers(config, analyze(config))
    for name, expected in CLASSIC_LAYERS_SHA256.items():
        assert hashlib.sha256(getattr(layers, name).tobytes()).hexdigest() == expected, name
    assert layers.notes == () and [p.name for p in layers.panels] == ["voltage"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hh_classic", "hh_threshold"])  # the gates, conductances and currents axes
def test_panel_geometry_maps_data_onto_the_drawn_curves(name):
    """Layers.panels is what a cursor needs: each curve's samples map onto pixels of that curve's colour."""
    from matplotlib.colors import to_rgb

    from apsim_batch import load_config

    from .conftest import CONFIGS

    config = load_config(CONFIGS / f"{name}.yaml").config
    config = config.model_copy(update={"plot": config.plot.model_copy(update={"phases": False})})
    trace = synthesize(config.waveform)
    layers = draw_layers(config, analyze(config, trace))
    assert [p.name for p in layers.panels] == ["voltage", *config.plot.panels, "stimulus"]
    for panel in layers.panels:
        x0, y0, x1, y1 = panel.box
        assert 0 <= x0 < x1 <= layers.size[0] and 0 <= y0 < y1 <= layers.size[1]
        drawn = [panel.to_pixel(trace.time_ms[::10], values[::10]) for _, _, values in panel.curves]
        for k, (name, color, _) in enumerate(panel.curves):
            if name == "h":
                continue  # dashed: its gaps are not on the curve
            cols, rows = drawn[k]
            on_top = np.ones(len(rows), bool)
            for later in drawn[k + 1 :]:
                on_top &= np.abs(rows - later[1]) > 3
            cols, rows = cols[on_top], rows[on_top]  # where no later curve covers it
            want = np.array(to_rgb(color)) * 255
            hits = 0
            for c, r in zip(cols, rows, strict=True):
                patch = layers.full[int(r) - 1 : int(r) + 2, int(c) - 1 : int(c) + 2].reshape(-1, 3).astype(float)
                hits += np.abs(patch - want).max(axis=1).min() < 40
            assert hits >= 0.9 * len(cols), (panel.name, name, hits, len(cols))


@pytest.mark.parametrize("duration_ms", [10, 40, 200, 2000])
def test_time_ticks_follow_the_duration(duration_ms):
    """Without time_tick_ms the ticks come from the duration: 2,000 ms is drawn, not refused for 2,000 ticks."""
    from apsim_batch.figure.canvas import new_figure
    from apsim_batch.figure.layout import build

    config = Config.model_validate({"waveform": {"duration_ms": duration_ms, "samples": 500}})
    fig, _ = new_figure(config)
    parts = build(fig, config, analyze(config), decorated=True)
    ticks = [t for t in parts.voltage.get_xticks() if 0 <= t <= duration_ms]
    assert 5 <= len(ticks) <= 13 and ticks[0] == 0 and ticks[-1] == duration_ms
    assert np.allclose(np.diff(ticks), parts.grid.time_major_ms)


ANODE_BREAK = {"waveform": {"components": [{"center_ms": 5, "width_ms": 1, "peak_mv": -117}]}}


def test_a_trace_below_the_default_range_widens_it():
    config = Config.model_validate(ANODE_BREAK)
    layers = draw_layers(config, analyze(config))
    low, high = layers.panel("voltage").y_range
    assert low <= -120 and high == 70 and layers.notes == ()


def test_a_trace_leaving_a_range_the_config_sets_is_flagged_not_clipped_silently():
    from apsim_batch.figure.palette import FLAG

    data = {**ANODE_BREAK, "plot": {"voltage_range_mv": [-100, 70]}}
    config = Config.model_validate(data)
    layers = draw_layers(config, analyze(config))
    assert layers.panel("voltage").y_range == (-100, 70)
    assert len(layers.notes) == 1 and "-117.0 mV" in layers.notes[0] and "voltage_range_mv" in layers.notes[0]
    flag = np.array([int(FLAG[i : i + 2], 16) for i in (1, 3, 5)])
    x0, y0, x1, y1 = layers.panel("voltage").box
    edge = layers.full[y1 - 4 : y1 + 4, x0:x1].astype(int)  # a thick mark along the bottom edge ...
    assert (np.abs(edge - flag).max(axis=2) < 30).sum() > 100
    wide = Config.model_validate({"plot": {"voltage_range_mv": [-130, 70]}, **ANODE_BREAK})
    unflagged = draw_layers(wide, analyze(wide, synthesize(config.waveform)))
    assert unflagged.notes == ()


def test_the_run_notes_say_when_the_trace_leaves_the_axis(tmp_path):
    from apsim_batch import load_config
    from apsim_batch.output.render import render

    from .conftest import write

    path = write(
        tmp_path / "anode.yaml",
        "waveform:\n  components:\n    - {center_ms: 5, width_ms: 1, peak_mv: -117}\n"
        "plot:\n  voltage_range_mv: [-100, 70]\noutputs: [png]\n",
    )
    result = render(load_config(path), tmp_path / "out")
    assert any("-117.0 mV" in note for note in result.notes)
    assert result.manifest["notes"] == list(result.notes)
