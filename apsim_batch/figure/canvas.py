"""The drawing surface shared by the figure layers and the overlays: size, pixel boxes, an Agg canvas."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config.models import Config

DPI = 100
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
LABEL_GID = "label"  # the group id of every label's artists (box, text, leader): what appears whole at a sample


def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two boxes (x0, y0, x1, y1) share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def new_figure(config: Config) -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(config.plot.width_px / DPI, config.plot.height_px / DPI), dpi=DPI)
    return fig, FigureCanvasAgg(fig)


def rgb_of(canvas: Any) -> np.ndarray:
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
