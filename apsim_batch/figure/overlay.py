"""The tip marker: a dot at the tip and a time/voltage readout, pre-rendered as sprites and pasted per frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config.models import Config
from ..trace.waveform import Trace
from .canvas import DPI, Box, rgb_of
from .palette import voltage_color
from .quantize import nearest_palette_index

READOUT_FONT_PT = 8.5
READOUT_CHARS = "0123456789.+-= tVms"


@dataclass(frozen=True)
class TipOverlay:
    """A dot at the tip of the trace and a 't = … ms  V = … mV' readout, drawn on each frame.

    Everything is pre-rendered once by matplotlib as alpha masks (the dot, one glyph per
    character of a monospaced font), so a frame costs two small blends instead of a redraw. The
    reference redraw uses this same object, so the fast frames and the reference agree exactly.
    """

    tip_xy: np.ndarray  # (n, 2) int: pixel column and row of each sample on the voltage axes
    dot: np.ndarray  # (d, d) float alpha of the dot's white ring
    dot_core: np.ndarray  # (d, d) float alpha of its coloured core
    dot_color: np.ndarray  # (3,) float RGB
    glyphs: dict[str, np.ndarray]  # character -> (gh, gw) float alpha
    readout_xy: tuple[int, int]  # top-left pixel of the readout box
    readout_shape: tuple[int, int]  # (height, width) of the readout box
    time_ms: np.ndarray
    voltage_mv: np.ndarray
    time_format: str

    def text(self, shown: int) -> str:
        i = shown - 1
        return f"t = {self.time_ms[i]:{self.time_format}} ms  V = {self.voltage_mv[i]:+6.1f} mV"

    def draw(self, image: np.ndarray, shown: int, colors: np.ndarray | None = None) -> list[Box]:
        """Draw onto `image` in place for a frame showing `shown` samples; return the boxes touched.

        `image` is RGB, or palette indices when `colors` (the palette as (256, 3)) is given.
        """
        height, width = image.shape[:2]
        boxes = []
        # readout: opaque white box with dark glyphs
        y0, x0 = self.readout_xy[1], self.readout_xy[0]
        box_h, box_w = self.readout_shape
        region = np.full((box_h, box_w, 3), 255.0)
        gh, gw = next(iter(self.glyphs.values())).shape
        pad_x, pad_y = (box_w - gw * len(self.text(shown))) // 2, (box_h - gh) // 2
        for k, char in enumerate(self.text(shown)):
            alpha = self.glyphs[char][..., None]
            cell = region[pad_y : pad_y + gh, pad_x + k * gw : pad_x + (k + 1) * gw]
            cell *= 1 - alpha  # black text
        region[[0, -1], :] = 160.0  # hairline frame
        region[:, [0, -1]] = 160.0
        boxes.append(self._paste(image, region, None, (x0, y0), colors))
        # dot: white ring, coloured core, centred on the tip
        d = self.dot.shape[0]
        cx, cy = self.tip_xy[shown - 1]
        boxes.append(self._paste(image, None, (self.dot, self.dot_core), (cx - d // 2, cy - d // 2), colors))
        return [b for b in boxes if b is not None]

    def _paste(self, image, opaque, masks, xy, colors) -> Box | None:
        height, width = image.shape[:2]
        size = opaque.shape[:2] if opaque is not None else masks[0].shape
        x0, y0 = int(xy[0]), int(xy[1])
        x1, y1 = min(x0 + size[1], width), min(y0 + size[0], height)
        cx0, cy0 = max(x0, 0), max(y0, 0)
        if cx0 >= x1 or cy0 >= y1:
            return None
        target = image[cy0:y1, cx0:x1]
        rgb = (colors[target] if colors is not None else target).astype(float)
        crop = (slice(cy0 - y0, y1 - y0), slice(cx0 - x0, x1 - x0))
        if opaque is not None:
            rgb = opaque[crop]
        else:
            ring, core = (m[crop][..., None] for m in masks)
            rgb = rgb * (1 - ring) + 255.0 * ring
            rgb = rgb * (1 - core) + self.dot_color * core
        rgb = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
        if colors is not None:
            image[cy0:y1, cx0:x1] = nearest_palette_index(rgb, colors.astype(np.int32))
        else:
            image[cy0:y1, cx0:x1] = rgb
        return (cx0, cy0, x1, y1)


def _alpha_sprite(draw: Any, size_px: tuple[int, int]) -> np.ndarray:
    """Render something black on white in a small canvas; return its coverage as alpha in [0, 1]."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size_px[1] / DPI, size_px[0] / DPI), dpi=DPI)
    canvas = FigureCanvasAgg(fig)
    draw(fig)
    gray = rgb_of(canvas).astype(float).mean(axis=2)
    return 1 - gray / 255


def tip_overlay(config: Config, trace: Trace, ax: Any, shape: tuple[int, int]) -> TipOverlay:
    """Pre-render the marker and glyphs and place them for the figure whose voltage axes is `ax`."""
    from matplotlib.colors import to_rgb

    height, _ = shape
    xy = ax.transData.transform(np.column_stack([trace.time_ms, trace.voltage_mv]))
    box = ax.get_window_extent()
    xy[:, 0] = np.clip(xy[:, 0], box.x0, box.x1)
    xy[:, 1] = np.clip(xy[:, 1], box.y0, box.y1)
    tip_xy = np.column_stack([np.floor(xy[:, 0]), np.floor(height - xy[:, 1])]).astype(int)

    line_px = config.plot.line_width_pt * DPI / 72
    d = int(np.ceil(line_px * 2.2 + 6)) | 1
    ring = _alpha_sprite(lambda f: f.add_artist(_circle(f, d, d / 2 - 0.5)), (d, d))
    core = _alpha_sprite(lambda f: f.add_artist(_circle(f, d, d / 2 - 2.0)), (d, d))

    cell_h = int(np.ceil(READOUT_FONT_PT * DPI / 72 * 1.5))
    cell_w = round(READOUT_FONT_PT * DPI / 72 * 0.6)  # the advance of DejaVu Sans Mono is 0.6 em
    glyphs = {
        char: _alpha_sprite(
            lambda f, c=char: f.text(
                0.5,
                0.3,
                c,
                ha="center",
                va="baseline",
                family="DejaVu Sans Mono",
                fontsize=READOUT_FONT_PT,
                color="black",
            ),
            (cell_h, cell_w),
        )
        for char in READOUT_CHARS
    }
    digits = len(f"{trace.time_ms[-1]:.2f}")
    time_format = f"{digits}.2f"
    chars = len(f"t = {0:{time_format}} ms  V = {0:+6.1f} mV")
    readout_shape = (cell_h + 6, chars * cell_w + 10)
    # bottom left of the figure, under the time axis and left of its centred label: never over the
    # trace, a phase label or the title
    readout_xy = (max(0, int(np.ceil(box.x0))), height - readout_shape[0] - 4)
    return TipOverlay(
        tip_xy=tip_xy,
        dot=ring,
        dot_core=core,
        dot_color=np.array(to_rgb(voltage_color(config))) * 255,
        glyphs=glyphs,
        readout_xy=readout_xy,
        readout_shape=readout_shape,
        time_ms=trace.time_ms,
        voltage_mv=trace.voltage_mv,
        time_format=time_format,
    )


def _circle(fig: Any, size_px: int, radius_px: float) -> Any:
    from matplotlib.patches import Circle

    return Circle((size_px / 2, size_px / 2), radius_px, transform=None, facecolor="black", edgecolor="none")
