"""Contrast and size measured on every shipped figure, not assumed from the palette or the em.

WCAG 2.1 (relative luminance): every text 4.5:1 against what lies behind it (1.4.3), every curve
3:1 against the background (1.4.11); the digits of tick labels, readouts and the credit at least
2.2% of the frame height, measured on the glyphs and on decoded GIF and MP4 frames; the credit in
the margin, never over data. Deliberately pale structure is allowed and listed here: the grid
(drawn by matplotlib's gridlines, not as curves), the phase bands and label boxes (patches, fills),
the readout boxes' frames (sprites). `type_size: original` reproduces the seed script's figure
(classic.yaml) and is exempt, as docs/explanation/figures.md says.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apsim_batch import load_config
from apsim_batch.config.variants import load_renders
from apsim_batch.figure.cursor import text_px
from apsim_batch.figure.layout import draw_parts
from apsim_batch.figure.pacing import paced
from apsim_batch.figure.palette import (
    CURVE_CONTRAST,
    CURVE_STYLE,
    PHASE_HUES,
    TEXT_CONTRAST,
    contrast_ratio,
    phase_tint,
    relative_luminance,
    text_shade,
)
from apsim_batch.figure.style import DIGITS, MIN_TEXT_FRACTION, digit_height_em
from apsim_batch.trace.models import analyze

from .conftest import CONFIGS

ORIGINAL = {"classic"}  # type_size: original, the seed's figure
SHIPPED = sorted(p.relative_to(CONFIGS).with_suffix("").as_posix() for p in CONFIGS.rglob("*.yaml"))
FIGURES = [*SHIPPED, *(f"{name}-student" for name in SHIPPED if name.startswith("exercises/"))]
FAST = {"broad_spike", "exercises/ahp_class-student"}  # one Gaussian figure and one handout in the fast tier


def test_contrast_ratio_is_wcag():
    """The published anchors: black on white 21:1, equal colours 1:1, and #767676, the lightest 4.5:1 grey."""
    assert contrast_ratio("#000000") == pytest.approx(21.0)
    assert contrast_ratio("#D55E00", "#D55E00") == pytest.approx(1.0)
    assert contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777") < TEXT_CONTRAST
    assert relative_luminance("#FFFFFF") == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 0xFFFFFF), st.sampled_from(["#FFFFFF", *(phase_tint(name) for name in PHASE_HUES)]))
def test_a_text_shade_reads_and_keeps_its_hue(rgb, background):
    """Any colour's text shade reaches 4.5:1 on white or on a phase tint, and is the colour, only darker."""
    from matplotlib.colors import to_rgb

    color = f"#{rgb:06X}"
    shade = text_shade(color, background)
    assert contrast_ratio(shade, background) >= TEXT_CONTRAST
    if contrast_ratio(color, background) >= TEXT_CONTRAST:
        assert shade == color
    else:
        ratios = [s / c for s, c in zip(to_rgb(shade), to_rgb(color), strict=True) if c > 0.2]  # 8-bit rounding
        assert all(r < 1 for r in ratios) and np.ptp(ratios or [0]) < 0.03  # one factor on every channel: its hue


def test_every_curve_colour_reaches_3_to_1_and_its_text_4_5_to_1():
    for name, (color, _) in CURVE_STYLE.items():
        assert contrast_ratio(color) >= CURVE_CONTRAST, name
        assert contrast_ratio(text_shade(color)) >= TEXT_CONTRAST, name
    assert CURVE_STYLE["h"][1] and CURVE_STYLE["h"][0] != CURVE_STYLE["m"][0]  # h: dashed, sodium's family


def figure_of(name: str):
    if name.endswith("-student"):
        return load_renders(CONFIGS / f"{name.removesuffix('-student')}.yaml", student=True)[0].config
    if name.startswith("exercises/"):
        return load_renders(CONFIGS / f"{name}.yaml")[0].config
    return load_config(CONFIGS / f"{name}.yaml").config


@pytest.fixture(scope="module", params=[n if n in FAST else pytest.param(n, marks=pytest.mark.slow) for n in FIGURES])
def drawn(request):
    config = figure_of(request.param)
    analysis = analyze(config)
    config = paced(config, analysis)
    parts, image, _ = draw_parts(config, analysis)
    return request.param, config, parts, image


def text_artists(parts) -> list:
    """Every visible, non-empty text drawn: titles, axis and tick labels, labels, credit, legends."""
    from matplotlib.text import Text

    renderer = parts.fig.canvas.get_renderer()
    # a tick label's `axes` is None (matplotlib sets only its figure): find its axes by membership, on
    # every axes, the side column's too
    ticks = {}
    for ax in parts.every_axes:
        ticks |= {id(t): (ax, True) for t in ax.get_xticklabels()} | {id(t): (ax, False) for t in ax.get_yticklabels()}
    found = []
    for text in parts.fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or text.get_window_extent(renderer).width < 1:
            continue
        if id(text) in ticks:
            axes, along_x = ticks[id(text)]
            low, high = sorted(axes.xaxis.get_view_interval() if along_x else axes.get_ylim())
            x, y = text.get_position()
            loc = x if along_x else y
            if not low - 1e-9 * (high - low) <= loc <= high + 1e-9 * (high - low):
                continue  # matplotlib leaves ticks outside the view undrawn
        found.append(text)
    return found


def without_text(parts, texts) -> np.ndarray:
    """The figure's pixels with every text hidden: what lies behind each text."""
    for text in texts:
        text.set_visible(False)
    parts.fig.canvas.draw()
    image = np.asarray(parts.fig.canvas.buffer_rgba())[:, :, :3].copy()
    for text in texts:
        text.set_visible(True)
    parts.fig.canvas.draw()
    return image


def image_box(parts, artist) -> tuple[int, int, int, int]:
    e = artist.get_window_extent(parts.fig.canvas.get_renderer())
    height = parts.fig.bbox.height
    return int(np.floor(e.x0)), int(np.floor(height - e.y1)), int(np.ceil(e.x1)), int(np.ceil(height - e.y0))


def behind(background: np.ndarray, box) -> str:
    """The colour most of the text's box shows without the text (white, a phase tint, a label box)."""
    x0, y0, x1, y1 = box
    region = background[max(y0, 0) : y1, max(x0, 0) : x1].reshape(-1, 3)
    ((rgb, _),) = Counter(map(tuple, region)).most_common(1)
    return "#" + "".join(f"{int(c):02X}" for c in rgb)


def over(color, background: str) -> str:
    """`color` (with its alpha) laid over `background`, as an opaque hex colour."""
    from matplotlib.colors import to_rgb, to_rgba

    *rgb, alpha = to_rgba(color)
    base = to_rgb(background)
    return "#" + "".join(f"{round(255 * (alpha * c + (1 - alpha) * b)):02X}" for c, b in zip(rgb, base, strict=True))


def test_every_text_reads_against_what_lies_behind_it(drawn):
    name, config, parts, _ = drawn
    if not parts.sizes.projector:
        assert name in ORIGINAL, f"{name}: only the seed's figure keeps the original type"
        return
    texts = text_artists(parts)
    background = without_text(parts, texts)
    for text in texts:
        under = behind(background, image_box(parts, text))
        box = text.get_bbox_patch()  # a text's own box is what lies behind it (hidden with the text above)
        if box is not None and box.get_visible() and box.get_fill():
            under = over(box.get_facecolor(), under)
        color = over(
            text.get_color() if text.get_alpha() is None else (*_rgb(text.get_color()), text.get_alpha()), under
        )
        ratio = contrast_ratio(color, under)
        assert ratio >= TEXT_CONTRAST, f"{name}: {text.get_text()!r} in {color} on {under} is {ratio:.2f}:1"


def _rgb(color) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(color)


def test_every_line_reaches_3_to_1(drawn):
    """Curves, reference lines (rest, 0, E_Na, E_K, threshold, pulse onsets), leaders, markers, legends."""
    from matplotlib.lines import Line2D

    name, _, parts, _ = drawn
    if not parts.sizes.projector:
        return
    face = parts.voltage.get_facecolor()
    for line in parts.fig.findobj(Line2D):
        if not line.get_visible() or line in _gridlines_and_ticks(parts):
            continue
        alpha = line.get_alpha()
        pieces = []
        if line.get_linestyle() not in ("None", "none", " ", "") and line.get_linewidth() > 0:
            pieces.append(line.get_color())
        if line.get_marker() not in ("None", "none", None, ""):
            pieces.append(line.get_markeredgecolor())
        for color in pieces:
            seen = over((*_rgb(color), 1.0 if alpha is None else alpha), over(face, "#FFFFFF"))
            ratio = contrast_ratio(seen)
            assert ratio >= CURVE_CONTRAST, f"{name}: a line {line.get_label()!r} in {seen} is {ratio:.2f}:1"


def _gridlines_and_ticks(parts) -> set:
    """The allow-listed structure: grid lines (pale by design) and tick marks (black, never pale)."""
    found = set()
    for ax in parts.every_axes:  # the side column's grids too (a handout's I-V and G-V are read on theirs)
        for axis in (ax.xaxis, ax.yaxis):
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                found |= {tick.gridline, tick.tick1line, tick.tick2line}
    return found


def digit_px(text) -> float:
    """How tall this text's digits are drawn, in pixels: its font's digit ink at its size."""
    family = text.get_fontproperties().get_family()[0]
    family = None if family == "sans-serif" else family
    return text.get_fontsize() * 100 / 72 * digit_height_em(family)


def test_numbers_have_digits_of_2_2_percent_of_the_height(drawn):
    """Tick labels, the credit and the readouts: the digits a viewer reads, not the em, reach 2.2%."""
    name, config, parts, image = drawn
    if not parts.sizes.projector:
        return
    floor = MIN_TEXT_FRACTION * image.shape[0]
    numbers = [t for t in text_artists(parts) if any(c in DIGITS for c in t.get_text())]
    ticks = {t for ax in parts.axes for t in (*ax.get_xticklabels(), *ax.get_yticklabels())}
    credit = [t for t in parts.fig.texts if config.plot.annotation and t.get_text() == config.plot.annotation]
    checked = [t for t in numbers if t in ticks] + credit
    assert checked
    for text in checked:
        assert digit_px(text) >= floor, f"{name}: {text.get_text()!r} digits {digit_px(text):.1f} px < {floor:.1f}"
    assert text_px(image.shape[0]) * digit_height_em("DejaVu Sans") >= floor  # the readouts' type


def test_the_credit_sits_in_the_margin_never_over_data(drawn):
    name, config, parts, image = drawn
    if not config.plot.annotation or not parts.sizes.projector:
        return
    (credit,) = [t for t in parts.fig.texts if t.get_text() == config.plot.annotation]
    x0, y0, x1, y1 = image_box(parts, credit)
    assert x0 >= 0 and x1 <= image.shape[1] and y0 >= 0 and y1 <= image.shape[0], f"{name}: the credit leaves the frame"
    for ax in parts.axes:
        a0, b0, a1, b1 = parts.image_box(ax)
        assert x1 <= a0 or a1 <= x0 or y1 <= b0 or b1 <= y0, f"{name}: the credit {(x0, y0, x1, y1)} is over data"


def ink_rows(crop: np.ndarray) -> int:
    """How many rows of a crop hold dark ink (a glyph's height on the pixels)."""
    dark = crop.astype(float).mean(axis=2) < 128
    rows = np.flatnonzero(dark.any(axis=1))
    return int(rows[-1] - rows[0] + 1) if len(rows) else 0


@pytest.mark.parametrize("name", ["broad_spike", pytest.param("hh_classic", marks=pytest.mark.slow)])
def test_digits_measure_2_2_percent_on_decoded_gif_and_mp4_frames(name, tmp_path):
    """The time axis's tick labels, found where the figure puts them, measured on the last frame of the
    GIF and of the MP4 as a viewer's player decodes them."""
    from apsim_batch.output.render import render

    from .test_cli import gif_frames, mp4_info

    loaded = load_config(CONFIGS / f"{name}.yaml")
    folder = render(loaded, tmp_path, ["gif", "mp4"]).folder
    config = loaded.config
    analysis = analyze(config)
    parts, _, _ = draw_parts(paced(config, analysis), analysis)
    ticks = [t for t in text_artists(parts) if t in parts.axes[-1].get_xticklabels()]
    assert len(ticks) >= 3
    floor = MIN_TEXT_FRACTION * config.plot.height_px
    _, _, gif_last = gif_frames(folder / f"{name}.gif")
    _, _, mp4_last = mp4_info(folder / f"{name}.mp4")
    for frame in (gif_last, mp4_last):
        assert frame.shape[:2] == (config.plot.height_px, config.plot.width_px)
        for tick in ticks:
            x0, y0, x1, y1 = image_box(parts, tick)
            height = ink_rows(frame[y0:y1, x0:x1])
            assert floor <= height <= 1.6 * floor, f"{name}: tick {tick.get_text()!r} is {height} px tall"


def test_readouts_print_every_curve_in_its_text_shade():
    """The tip's and each panel's readout: values and names 4.5:1 on the readout's white box."""
    from apsim_batch.config.models import Config
    from apsim_batch.figure.layout import draw_layers

    config = Config.model_validate(
        {
            "waveform": {"model": "hodgkin_huxley", "duration_ms": 10, "samples": 200},
            "plot": {"panels": ["gates", "currents"], "tip_marker": True},
        }
    )
    readouts = draw_layers(config, analyze(config)).overlay.readouts
    lines = [line for readout in readouts for line in readout.lines]
    assert len(lines) == 2 + 3 + 3 + 1  # V and t; m, h, n; I_Na, I_K, I_L; I_stim
    for readout in readouts:
        assert (readout.background[2:-2, 2:-2].max(axis=2) == 255).mean() > 0.5  # a white box
    for line in lines:
        color = "#" + "".join(f"{round(c):02X}" for c in line.color)
        assert contrast_ratio(color) >= TEXT_CONTRAST, color
