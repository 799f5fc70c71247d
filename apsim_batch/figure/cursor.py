"""The cursor that belongs to the tip: a dot, a readout beside it, a line through every panel with each
panel's values, and the slow-motion badge; drawn on each frame from sprites rendered once.

Readouts never move: they stand in a margin column right of the axes (figure/overlay.py), so they
cover no data on any frame, and consecutive frames differ only where digits change, so a GIF with
the cursor stays a small multiple of one without (the encoder leaves unchanged pixels transparent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .canvas import Box
from .quantize import nearest_palette_index
from .sprites import MONO_ADVANCE, blend, paste, stamp, text_sprite
from .style import digit_floor_px

MINUS = "\u2212"
READOUT_HZ = 10  # readouts print new values at most this often: faster digits cannot be read
VALUE_CHARS = "0123456789.+" + MINUS
FRAME_GREY = 170.0


def text_px(height_px: int) -> int:
    """Readout type size in pixels for a frame this tall: its digits at least 2.2% of it, never under 11 px."""
    return max(11, int(np.ceil(digit_floor_px(height_px, "DejaVu Sans"))))


def value_format(values: np.ndarray, decimals: int | None = None) -> str:
    """A fixed-width format wide enough for every value, with decimals that suit their size."""
    top = float(np.max(np.abs(values))) if len(values) else 0.0
    if decimals is None:
        decimals = 0 if top >= 100 else 1 if top >= 2 else 2
    return f"{len(f'{-top:.{decimals}f}')}.{decimals}f"


@dataclass(frozen=True)
class Line:
    """One line of a readout: a value per sample, printed with a fixed-width format, in one colour."""

    values: np.ndarray  # (samples,) float
    fmt: str
    color: np.ndarray  # (3,) float RGB

    def text(self, index: int) -> str:
        text = format(float(self.values[index]), self.fmt)
        if float(text) == 0:  # no "-0.0": a value that rounds to zero has no sign
            text = text.replace("-", " ")
        return text.replace("-", MINUS)


@dataclass(frozen=True)
class Readout:
    """A white box of lines; `follow_tip` centres it on the tip's height, otherwise it sits at the top of `axes`."""

    axes: Box
    lines: tuple[Line, ...]
    follow_tip: bool
    background: np.ndarray  # (h, w, 3) float: the box with its frame, labels and units, without values
    value_x: tuple[int, ...]  # left pixel of each line's value inside the box
    line_y: tuple[int, ...]  # top pixel of each line inside the box
    xy: np.ndarray | None = None  # (samples, 2) int: the box's top-left pixel for each sample (see `place`)

    @property
    def shape(self) -> tuple[int, int]:
        return self.background.shape[:2]

    def render(self, index: int, glyphs: dict[str, np.ndarray]) -> np.ndarray:
        region = self.background.copy()
        cell_w = next(iter(glyphs.values())).shape[1]
        for line, vx, ly in zip(self.lines, self.value_x, self.line_y, strict=True):
            for k, char in enumerate(line.text(index)):
                if char in glyphs:
                    stamp(region, glyphs[char], line.color, vx + k * cell_w, ly)
        return region


def make_readout(axes: Box, lines: Sequence[tuple[str, np.ndarray, str, str, Any]], follow_tip: bool, font_px: int):
    """A readout for `lines` of (label, values, format, unit, RGB colour); labels may use mathtext."""
    line_px = int(round(font_px * 1.3))
    cell_w = int(round(font_px * MONO_ADVANCE))
    pad = max(3, font_px // 4)
    labels = [text_sprite(label, font_px, line_px) for label, *_ in lines]
    units = [text_sprite(unit, font_px, line_px) for _, _, _, unit, _ in lines]
    label_w = max(label.shape[1] for label in labels)
    value_w = max(len(format(-float(np.max(np.abs(v))), f)) for _, v, f, _, _ in lines) * cell_w
    unit_w = max(unit.shape[1] for unit in units)
    space = cell_w // 2
    width = 2 * pad + label_w + space + value_w + (space + unit_w if unit_w else 0)
    background = np.full((2 * pad + line_px * len(lines), width, 3), 255.0)
    value_x, line_y, built = [], [], []
    for k, ((_, values, fmt, _, color), label, unit) in enumerate(zip(lines, labels, units, strict=True)):
        rgb, y, vx = np.asarray(color, float), pad + k * line_px, pad + label_w + space
        stamp(background, label, rgb, pad, y)
        stamp(background, unit, rgb, vx + value_w + space, y)
        value_x.append(vx)
        line_y.append(y)
        built.append(Line(np.asarray(values, float), fmt, rgb))
    background[[0, -1], :] = FRAME_GREY
    background[:, [0, -1]] = FRAME_GREY
    return Readout(axes, tuple(built), follow_tip, background, tuple(value_x), tuple(line_y))


@dataclass(frozen=True)
class Cursor:
    """What the tip marker draws on every frame; the fast frames and the reference redraw share `draw`."""

    tip_xy: np.ndarray  # (samples, 2) int: column and row of each sample on the voltage axes
    spans: tuple[tuple[int, int], ...]  # rows [y0, y1) the cursor line crosses, one span per axes
    line_rgb: np.ndarray  # (3,) float
    dash: tuple[int, int]  # pixels on, off
    dot: np.ndarray  # (d, d) alpha of the dot's white ring
    dot_core: np.ndarray  # (d, d) alpha of its coloured core
    dot_rgb: np.ndarray  # (3,) float
    glyphs: dict[str, np.ndarray]  # value character -> alpha, all one monospaced cell
    readouts: tuple[Readout, ...]  # the tip's first, then one per panel

    def draw(
        self, image: np.ndarray, shown: int, colors: np.ndarray | None = None, values_at: int | None = None
    ) -> list[Box]:
        """Draw onto `image` (RGB, or palette indices with `colors`) for a frame showing `shown` samples.

        The readouts print the values of sample `values_at - 1` (default: the tip's); the frame
        stream refreshes them a few times a second, as a meter does, so digits can be read.
        """
        i = shown - 1
        v = i if values_at is None else values_at - 1
        column, row = (int(c) for c in self.tip_xy[i])
        boxes = [self._line(image, column, colors)]
        for readout in self.readouts:
            x, y = (int(c) for c in readout.xy[i])
            boxes.append(paste(image, readout.render(v, self.glyphs), (x, y), colors))
        d = self.dot.shape[0]
        boxes.append(
            blend(image, (self.dot, self.dot_core), (255.0, self.dot_rgb), (column - d // 2, row - d // 2), colors)
        )
        return [b for b in boxes if b is not None]

    def _line(self, image: np.ndarray, column: int, colors: np.ndarray | None) -> Box | None:
        if not self.spans or not 0 <= column < image.shape[1]:
            return None
        on, off = self.dash
        value = self.line_rgb.astype(np.uint8)
        if colors is not None:
            value = nearest_palette_index(value[None, None], colors)[0, 0]
        for y0, y1 in self.spans:
            rows = np.arange(y0, y1)
            image[rows[(rows - y0) % (on + off) < on], column] = value
        return (column, min(s[0] for s in self.spans), column + 1, max(s[1] for s in self.spans))


@dataclass(frozen=True)
class Badge:
    """A small opaque label ('slow ×4') shown on the frames where slow motion applies."""

    rgb: np.ndarray  # (h, w, 3) float
    xy: tuple[int, int]  # top-left pixel

    def draw(self, image: np.ndarray, colors: np.ndarray | None = None) -> list[Box]:
        box = paste(image, self.rgb, self.xy, colors)
        return [box] if box is not None else []


def make_badge(text: str, axes: Box, font_px: int) -> Badge:
    """The badge at the top right inside the voltage axes, dark text on pale yellow with a frame.

    Top right, because the top left is where a trace's first spike and the labels of the way to its
    threshold crowd (HH figures start with a pulse soon after the start).
    """
    line_px = int(round(font_px * 1.3))
    label = text_sprite(text, font_px, line_px)
    pad = max(3, font_px // 4)
    rgb = np.empty((line_px + 2 * pad, label.shape[1] + 2 * pad, 3))
    rgb[:] = (255.0, 247.0, 204.0)
    stamp(rgb, label, np.zeros(3), pad, pad)
    rgb[[0, -1], :] = 120.0
    rgb[:, [0, -1]] = 120.0
    return Badge(rgb, (axes[2] - 4 - rgb.shape[1], axes[1] + 4))
