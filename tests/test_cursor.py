"""The tip cursor: readouts beside the tip, a line through every panel, and what it costs in a real GIF."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from apsim_batch import load_config
from apsim_batch.figure.cursor import MINUS, Line, text_px
from apsim_batch.figure.layout import draw_layers, draw_parts
from apsim_batch.figure.overlay import CURSOR_RGB
from apsim_batch.figure.stream import overlaid, stream
from apsim_batch.figure.style import MIN_TEXT_FRACTION, digit_height_em
from apsim_batch.trace.models import analyze, synthesize

from .conftest import CONFIGS, copy_config, write
from .test_pacing import HH_CONFIGS


def test_values_print_with_fixed_width_and_no_negative_zero():
    line = Line(np.array([-0.01, -75.25, 3.0]), "6.1f", np.zeros(3))
    assert [line.text(i) for i in range(3)] == ["   0.0", f" {MINUS}75.2", "   3.0"]
    # the digits, not the em, are 2.2% of the frame height (DejaVu Sans digits are 0.76 em)
    assert text_px(720) == 21 and text_px(480) == 14
    assert all(text_px(h) * digit_height_em("DejaVu Sans") >= MIN_TEXT_FRACTION * h for h in range(120, 2161, 2))


@pytest.fixture(scope="module")
def classic_hh():
    config = load_config(CONFIGS / "hh_classic.yaml").config
    trace = synthesize(config.waveform)
    return config, trace, draw_layers(config, analyze(config, trace))


def test_readouts_show_the_tip_and_every_panel(classic_hh):
    config, trace, layers = classic_hh
    cursor = layers.overlay
    tip, gates, conductances, stimulus = cursor.readouts  # the voltage axes, then each panel top to bottom
    assert [p.name for p in layers.panels] == ["voltage", "gates", "conductances", "stimulus"]
    i = 150
    assert [line.fmt for line in tip.lines] == ["5.1f", "5.1f"]  # room for -76.x mV and 20.0 ms
    assert [line.text(i) for line in tip.lines] == [f"{trace.voltage_mv[i]:5.1f}", f"{trace.time_ms[i]:5.1f}"]
    assert [float(line.text(i).replace(MINUS, "-")) for line in gates.lines] == pytest.approx(
        [trace.extra[k][i] for k in ("m", "h", "n")], abs=0.005
    )
    assert len(conductances.lines) == 2 and len({line.fmt for line in conductances.lines}) == 1  # aligned digits
    assert [float(line.text(i).replace(MINUS, "-")) for line in stimulus.lines] == pytest.approx(
        [trace.extra["i_stim_ua_per_cm2"][i]], abs=0.05
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", HH_CONFIGS)
def test_readouts_stand_still_in_the_margin_column_clear_of_every_axes(name):
    """Each readout stays in the column right of the axes, level with its own axes, the same on every frame."""
    config = load_config(CONFIGS / f"{name}.yaml").config.model_copy()
    config = config.model_copy(update={"plot": config.plot.model_copy(update={"tip_marker": True})})
    trace = synthesize(config.waveform)
    layers = draw_layers(config, analyze(config, trace))
    cursor = layers.overlay
    boxes = [panel.box for panel in layers.panels]
    assert [r.axes for r in cursor.readouts] == boxes  # the tip's, then one per panel
    right = max(box[2] for box in boxes)
    width, height = layers.size
    for readout in cursor.readouts:
        (_, ay0, _, _), (h, w) = readout.axes, readout.shape
        assert (readout.xy == readout.xy[0]).all()  # never moves
        x, y = (int(v) for v in readout.xy[0])
        assert right < x and x + w <= width and y == min(ay0, height - h)
        for box in boxes:
            assert x >= box[2] or y >= box[3] or y + h <= box[1]
    assert len(cursor.spans) == len(layers.panels)


@pytest.mark.slow
@pytest.mark.parametrize("name", HH_CONFIGS)
def test_readouts_never_cover_a_label_already_shown(name):
    """A readout steps above or below a phase name or pulse size rather than hide it while the tip passes."""
    config = load_config(CONFIGS / f"{name}.yaml").config.model_copy()
    config = config.model_copy(update={"plot": config.plot.model_copy(update={"tip_marker": True})})
    trace = synthesize(config.waveform)
    parts, _, timed = draw_parts(config, analyze(config, trace))
    layers = draw_layers(config, analyze(config, trace))
    assert timed, "a Hodgkin–Huxley figure names its phases"
    for readout in layers.overlay.readouts:
        h, w = readout.shape
        for mark in timed:
            x0, y0, x1, y1 = mark.box
            x, y = readout.xy[mark.start :, 0], readout.xy[mark.start :, 1]
            covered = (x < x1) & (x0 < x + w) & (y < y1) & (y0 < y + h)
            assert not covered.any(), f"{name}: a readout covers the label at {mark.box} from sample {mark.start}"


def test_readouts_print_new_values_a_few_times_a_second(classic_hh):
    config, trace, layers = classic_hh
    seen = []

    class Recorder:
        def draw(self, image, shown, colors=None, values_at=None):
            seen.append((shown, values_at))
            return []

    counts = np.arange(1, 31) * 10
    list(overlaid(stream(layers, counts), counts, Recorder(), refresh_every=3))
    assert [v for _, v in seen] == [10] * 3 + [40] * 3 + [70] * 3 + [100] * 3 + [130] * 3 + [160] * 3 + [190] * 3 + [
        220
    ] * 3 + [250] * 3 + [280, 280, 300]  # the last frame shows the final values
    assert [s for s, _ in seen] == list(counts)  # the cursor itself moves every frame


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hh_classic", "hh_threshold", "hh_temperature"])  # the shipped ones with a cursor
def test_cursor_gif_costs_at_most_three_times_the_plain_gif(cli, tmp_path, name):
    """Render a GIF with and without the cursor; decode a frame to find the cursor in every panel."""
    source = copy_config(f"{name}.yaml", tmp_path / "with").read_text(encoding="utf-8")
    assert "tip_marker: true" in source
    write(tmp_path / f"without/{name}.yaml", source.replace("tip_marker: true", "tip_marker: false"))
    for folder in ("with", "without"):
        code, out, err = cli("run", folder, "--format", "gif", "--jobs", "1", "--out", f"out-{folder}", cwd=tmp_path)
        assert code == 0, out + err
    with_cursor = (tmp_path / f"out-with/{name}/{name}.gif").stat().st_size
    without = (tmp_path / f"out-without/{name}/{name}.gif").stat().st_size
    assert with_cursor <= 3 * without, (with_cursor, without)
    assert with_cursor < 1_000_000

    config = load_config(tmp_path / f"with/{name}.yaml").config
    trace = synthesize(config.waveform)
    boxes = [panel.box for panel in draw_layers(config, analyze(config, trace)).panels]
    with Image.open(tmp_path / f"out-with/{name}/{name}.gif") as im:
        im.seek(100)
        frame = np.asarray(im.convert("RGB")).astype(int)
    grey = np.all(np.abs(frame - CURSOR_RGB) <= 6, axis=2)
    columns = [np.flatnonzero(grey[y0 + 2 : y1 - 2].sum(axis=0) > (y1 - y0) // 6) for _, y0, _, y1 in boxes]
    assert all(len(c) for c in columns), columns  # a dotted line runs through the voltage axes and each panel
    assert len(set.intersection(*(set(c.tolist()) for c in columns))) == 1  # the same column in all of them
