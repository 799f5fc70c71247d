"""Build the per-frame overlays from the figure's axes: the tip cursor (plot.tip_marker) and the slow-motion badge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..config.models import Config
from ..trace.waveform import Trace
from .canvas import DPI, Box
from .cursor import VALUE_CHARS, Badge, Cursor, make_badge, make_readout, text_px, value_format
from .palette import text_shade
from .sprites import disc_sprite, glyph_cells

TEXT_RGB = (34.0, 34.0, 34.0)
READOUT_GAP_PX = 8  # between the readout column and the curve names on its left, and the frame's edge
CURSOR_RGB = np.array([90.0, 90.0, 90.0])


def _math_label(name: str) -> str:
    """'I_Na' -> '$I_\\mathrm{Na}$' so subscripts print as subscripts; mathtext labels pass through."""
    if "$" in name or "_" not in name:
        return name
    base, sub = name.split("_", 1)
    return f"${base}_\\mathrm{{{sub}}}$"


def cursor_from_panels(
    config: Config, trace: Trace, panels: Sequence[Any], shape: tuple[int, int]
) -> Cursor:  # fmt: skip
    """The cursor from the figure's panel geometry (`Layers.panels`: the voltage axes and each panel, by name).

    Each panel has `box` (image pixels), `to_pixel(time_ms, values)` and `curves` of (name, colour,
    values); its readout lists those curves in their colours, at one width so digits align.
    The readouts stand in the margin column the layout reserved (`readout_column_px`).
    """

    voltage = next(panel for panel in panels if panel.name == "voltage")
    others = [panel for panel in panels if panel is not voltage]
    columns, rows = voltage.to_pixel(trace.time_ms, trace.voltage_mv)
    lines = [_panel_lines(panel.curves, panel.decimals) for panel in others]
    tip_xy = np.column_stack([columns, rows])
    dot = voltage.curves[0][1] if voltage.curves else config.plot.line_color  # the trace's own colour
    return _cursor(config, trace, tip_xy, [tuple(p.box) for p in (voltage, *others)], lines, shape, dot)


def _panel_lines(
    curves: Sequence[tuple[str, str, Any]], decimals: int | None
) -> list[tuple[str, np.ndarray, str, str, Any]]:
    """A panel readout's lines: each curve's name, values, one shared format and its colour."""
    from matplotlib.colors import to_rgb

    curves = [(name, color, np.asarray(values, float)) for name, color, values in curves]
    fmt = value_format(np.concatenate([v for _, _, v in curves]), decimals) if curves else ""
    return [(_math_label(n), v, fmt, "", np.array(to_rgb(text_shade(c))) * 255) for n, c, v in curves]


def _tip_lines(trace: Trace) -> list[tuple[str, np.ndarray, str, str, Any]]:
    """The tip readout's lines: V and t."""
    # 0.1 ms is finer than anyone reads off a 10+ ms axis (its minor ticks are 0.5 ms or more), and
    # one digit fewer changing at every refresh keeps the GIF small
    duration_ms = float(trace.time_ms[-1] - trace.time_ms[0])
    time_decimals = 1 if duration_ms >= 10 else 2
    text_rgb = np.array(TEXT_RGB)
    return [
        ("V", trace.voltage_mv, value_format(trace.voltage_mv, 1), "mV", text_rgb),
        ("t", trace.time_ms, value_format(trace.time_ms, time_decimals), "ms", text_rgb),
    ]


def readout_column_px(config: Config, trace: Trace, panel_curves: Sequence[tuple], height_px: int) -> int:
    """The width the layout reserves at the right of the frame for the readouts (0 without plot.tip_marker).

    `panel_curves` holds each panel's (curves, decimals), curves as (name, colour, values). Readouts
    live in this column, outside every axes, so on no frame (the held last one above all) do they cover data.
    """
    if not config.plot.tip_marker:
        return 0
    font_px = text_px(height_px)
    readouts = [make_readout((0, 0, 1, 1), _tip_lines(trace), False, font_px)]
    readouts += [make_readout((0, 0, 1, 1), _panel_lines(c, d), False, font_px) for c, d in panel_curves if c]
    return max(r.shape[1] for r in readouts) + 2 * READOUT_GAP_PX


def _cursor(
    config: Config,
    trace: Trace,
    tip_xy: np.ndarray,
    boxes: list[Box],
    panel_lines: list[list[tuple[str, np.ndarray, str, str, Any]]],
    shape: tuple[int, int],
    dot_color: str | None = None,
) -> Cursor:
    """Pre-render the sprites and place them: `tip_xy` (float pixels per sample), axes boxes, panel readouts."""
    from matplotlib.colors import to_rgb

    x0, y0, x1, y1 = boxes[0]
    tip_xy = np.column_stack(
        [np.floor(np.clip(tip_xy[:, 0], x0, x1 - 1)), np.floor(np.clip(tip_xy[:, 1], y0, y1 - 1))]
    ).astype(int)
    font_px = text_px(shape[0])
    line_px = int(round(font_px * 1.3))
    readouts = [make_readout(boxes[0], _tip_lines(trace), False, font_px)]
    for box, lines in zip(boxes[1:], panel_lines, strict=False):
        if lines:
            readouts.append(make_readout(box, lines, False, font_px))
    line_width_px = config.plot.line_width_pt * DPI / 72
    d = int(np.ceil(line_width_px * 2.2 + 6)) | 1
    return Cursor(
        tip_xy=tip_xy,
        spans=tuple((top + 1, bottom - 1) for _, top, _, bottom in boxes),
        line_rgb=CURSOR_RGB,
        dash=(1, 3),
        dot=disc_sprite(d, d / 2 - 0.5),
        dot_core=disc_sprite(d, d / 2 - 2.0),
        dot_rgb=np.array(to_rgb(dot_color or config.plot.line_color)) * 255,
        glyphs=glyph_cells(VALUE_CHARS, font_px, line_px),
        readouts=tuple(replace(r, xy=_in_column(r, shape, len(tip_xy))) for r in readouts),
    )


def _in_column(readout: Any, shape: tuple[int, int], samples: int) -> np.ndarray:
    """The readout's place in the margin column: right-aligned in the frame, level with its axes' top, still."""
    h, w = readout.shape
    x = shape[1] - READOUT_GAP_PX - w
    y = min(readout.axes[1], shape[0] - h)
    return np.tile(np.array([x, y], np.int64), (samples, 1))


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
