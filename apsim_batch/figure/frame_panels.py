"""Panels redrawn every frame from the frame's time (V along the axon): their moving curve, drawn fast.

The trace panels are revealed left to right; a panel whose x axis is not time shows a different
picture at each moment instead. Its kind (`panel_kinds.PanelKind.moving`) gives one curve per
sample (`Moving`); everything else in the panel is drawn once, in the figure's layers. Per frame
only the curve is rasterized, on a small Agg canvas the size of the panel (restored from a blank
copy, not redrawn), and blended in its colour over the panel's still pixels. On the last frame
the panel shows what the poster shows there, so the animation ends on the finished figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .canvas import DPI, Box
from .quantize import nearest_palette_index


@dataclass(frozen=True)
class Moving:
    """A curve that changes with time: y over x at each sample (the profile at each snapshot)."""

    x: np.ndarray  # (points,), in the panel's x units
    y: np.ndarray  # (samples, points)
    color: str
    width_pt: float


class FramePanel:
    """One panel's moving curve, rasterized per frame over the panel's still pixels (`base` in its box)."""

    def __init__(self, moving: Moving, ax: Any, box: Box, still: Any):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.colors import to_rgb
        from matplotlib.figure import Figure

        x0, y0, x1, y1 = box
        self.moving, self.box = moving, box
        self.still = np.asarray(still, dtype=np.uint8)  # (h, w, 3): the panel without its curve
        self.rgb = np.array(to_rgb(moving.color)) * 255
        width, height = x1 - x0, y1 - y0
        fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        self.canvas = FigureCanvasAgg(fig)
        # the panel's axes exactly where they are in the figure, to the sub-pixel: `box` is rounded
        bbox, figure_height = ax.get_window_extent(), ax.figure.bbox.height
        bottom = bbox.y0 - (figure_height - y1)
        self.ax = fig.add_axes(((bbox.x0 - x0) / width, bottom / height, bbox.width / width, bbox.height / height))
        self.ax.set_axis_off()
        self.ax.set_xlim(*ax.get_xlim())
        self.ax.set_ylim(*ax.get_ylim())
        (self.line,) = self.ax.plot(moving.x, moving.y[0], color="black", linewidth=moving.width_pt, animated=True)
        self.canvas.draw()
        self.blank = self.canvas.copy_from_bbox(fig.bbox)
        self._indices: dict[int, np.ndarray] = {}

    @property
    def samples(self) -> int:
        return len(self.moving.y)

    def coverage(self, sample: int) -> tuple[np.ndarray, np.ndarray]:
        """The curve at `sample`: where it covers the panel's box (a mask) and how much there (alpha in (0, 1])."""
        self.canvas.restore_region(self.blank)
        self.line.set_ydata(self.moving.y[sample])
        self.ax.draw_artist(self.line)
        gray = np.asarray(self.canvas.buffer_rgba())[..., 0]
        on = gray < 255  # the few pixels the curve touches: only these are blended
        return on, (255 - gray[on].astype(float)) / 255

    def draw(self, image: np.ndarray, count: int, colors: np.ndarray | None = None) -> list[Box]:
        """Paint the panel as it is after `count` samples (RGB, or palette indices with `colors`); its box.

        With every sample shown, nothing is painted: the stream's finished figure (the poster) shows there.
        """
        if count <= 0 or count >= self.samples:
            return []
        x0, y0, x1, y1 = self.box
        on, alpha = self.coverage(count - 1)
        rgb = self.still[on].astype(float) * (1 - alpha[:, None]) + self.rgb * alpha[:, None]
        rgb8 = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
        if colors is None:
            region = self.still.copy()
            region[on] = rgb8
        else:
            region = self._still_indices(colors).copy()
            region[on] = nearest_palette_index(rgb8[:, None, :], colors)[:, 0]
        image[y0:y1, x0:x1] = region
        return [self.box]

    def _still_indices(self, colors: np.ndarray) -> np.ndarray:
        key = id(colors)
        if key not in self._indices:
            self._indices = {key: nearest_palette_index(self.still, colors)}
        return self._indices[key]
