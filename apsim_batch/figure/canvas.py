"""The drawing surface shared by the figure layers and the overlays: size, pixel boxes, an Agg canvas."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config.models import Config

DPI = 100
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


def new_figure(config: Config) -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(config.plot.width_px / DPI, config.plot.height_px / DPI), dpi=DPI)
    return fig, FigureCanvasAgg(fig)


def rgb_of(canvas: Any) -> np.ndarray:
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
