"""Build the per-frame overlays from the figure's axes: the tip cursor (plot.tip_marker) and the slow-motion badge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..config.models import Config
from ..trace.waveform import Trace
from .canvas import DPI, Box, overlaps
from .cursor import VALUE_CHARS, Badge, Cursor, make_badge, make_readout, place, text_px, value_format
from .palette import text_shade
from .sprites import disc_sprite, glyph_cells

TEXT_RGB = (34.0, 34.0, 34.0)
JUMP_EM = 6  # readouts jump this many type sizes ahead of the cursor when it reaches them
CURSOR_RGB = np.array([90.0, 90.0, 90.0])


def _math_label(name: str) -> str:
    """'I_Na' -> '$I_\\mathrm{Na}$' so subscripts print as subscripts; mathtext labels pass through."""
    if "$" in name or "_" not in name:
        return name
    base, sub = name.split("_", 1)
    return f"${base}_\\mathrm{{{sub}}}$"


def cursor_from_panels(
    config: Config, trace: Trace, panels: Sequence[Any], shape: tuple[int, int],
    labels: Sequence[tuple[int, Box]] = (),
) -> Cursor:  # fmt: skip
    """The cursor from the figure's panel geometry (`Layers.panels`: the voltage axes and each panel, by name).

    Each panel has `box` (image pixels), `to_pixel(time_ms, values)` and `curves` of (name, colour,
    values); its readout lists those curves in their colours, at one width so digits align.
    `labels` (the sample each appears at, and its box) are the figure's labels readouts keep off.
    """
    from matplotlib.colors import to_rgb

    voltage = next(panel for panel in panels if panel.name == "voltage")
    others = [panel for panel in panels if panel is not voltage]
    columns, rows = voltage.to_pixel(trace.time_ms, trace.voltage_mv)
    lines = []
    for panel in others:
        curves = [(name, color, np.asarray(values, float)) for name, color, values in panel.curves]
        fmt = value_format(np.concatenate([v for _, _, v in curves]), panel.decimals) if curves else ""
        lines.append([(_math_label(n), v, fmt, "", np.array(to_rgb(text_shade(c))) * 255) for n, c, v in curves])
    tip_xy = np.column_stack([columns, rows])
    dot = voltage.curves[0][1] if voltage.curves else config.plot.line_color  # the trace's own colour
    return _cursor(config, trace, tip_xy, [tuple(p.box) for p in (voltage, *others)], lines, shape, dot, labels)


def _cursor(
    config: Config,
    trace: Trace,
    tip_xy: np.ndarray,
    boxes: list[Box],
    panel_lines: list[list[tuple[str, np.ndarray, str, str, Any]]],
    shape: tuple[int, int],
    dot_color: str | None = None,
    labels: Sequence[tuple[int, Box]] = (),
) -> Cursor:
    """Pre-render the sprites and place them: `tip_xy` (float pixels per sample), axes boxes, panel readouts."""
    from matplotlib.colors import to_rgb

    x0, y0, x1, y1 = boxes[0]
    tip_xy = np.column_stack(
        [np.floor(np.clip(tip_xy[:, 0], x0, x1 - 1)), np.floor(np.clip(tip_xy[:, 1], y0, y1 - 1))]
    ).astype(int)
    font_px = text_px(shape[0])
    line_px = int(round(font_px * 1.3))
    # 0.1 ms is finer than anyone reads off a 10+ ms axis (its minor ticks are 0.5 ms or more), and
    # one digit fewer changing at every refresh keeps the GIF small
    duration_ms = float(trace.time_ms[-1] - trace.time_ms[0])
    time_decimals = 1 if duration_ms >= 10 else 2
    text_rgb = np.array(TEXT_RGB)
    tip_lines = [
        ("V", trace.voltage_mv, value_format(trace.voltage_mv, 1), "mV", text_rgb),
        ("t", trace.time_ms, value_format(trace.time_ms, time_decimals), "ms", text_rgb),
    ]
    readouts = [make_readout(boxes[0], tip_lines, True, font_px)]
    for box, lines in zip(boxes[1:], panel_lines, strict=False):
        if lines:
            readouts.append(make_readout(box, lines, False, font_px))
    line_width_px = config.plot.line_width_pt * DPI / 72
    d = int(np.ceil(line_width_px * 2.2 + 6)) | 1
    badge = badge_box(shape, config.animation.spike_slowdown, boxes[0])
    if badge is not None:
        labels = [*labels, (0, badge)]
    return Cursor(
        tip_xy=tip_xy,
        spans=tuple((top + 1, bottom - 1) for _, top, _, bottom in boxes),
        line_rgb=CURSOR_RGB,
        dash=(1, 3),
        dot=disc_sprite(d, d / 2 - 0.5),
        dot_core=disc_sprite(d, d / 2 - 2.0),
        dot_rgb=np.array(to_rgb(dot_color or config.plot.line_color)) * 255,
        glyphs=glyph_cells(VALUE_CHARS, font_px, line_px),
        readouts=tuple(
            replace(r, xy=place(r, tip_xy, boxes[0], d // 2 + 4, JUMP_EM * font_px, _within(labels, r.axes)))
            for r in readouts
        ),
    )


def _within(labels: Sequence[tuple[int, Box]], axes: Box) -> list[tuple[int, Box]]:
    return [(start, box) for start, box in labels if overlaps(box, axes)]


def slow_badge(shape: tuple[int, int], slowdown: float, voltage_box: Box) -> Badge:
    """The 'slow ×N' badge inside the voltage axes, whose pixel box is `voltage_box`."""
    return make_badge(f"slow \u00d7{slowdown:g}", voltage_box, text_px(shape[0]))


def badge_box(shape: tuple[int, int], slowdown: float | None, voltage_box: Box) -> Box | None:
    """Where the slow-motion badge lies, in image pixels (None: no badge, the spikes play at normal speed).

    Labels, readouts and the annotation keep clear of it on every frame, since slowed frames show it.
    """
    if slowdown is None or slowdown <= 1:  # None: not decided yet (pacing.paced decides it for a render)
        return None
    badge = slow_badge(shape, slowdown, voltage_box)
    (x, y), (h, w) = badge.xy, badge.rgb.shape[:2]
    return (x, y, x + w, y + h)
