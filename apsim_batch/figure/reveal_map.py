"""The reveal map: for each pixel of a figure, the sample whose arrival shows it, drawn with matplotlib.

The figure is drawn once more with everything hidden but index-coloured curves (each segment in the
colour of the sample that completes it), so even a near-vertical upstroke appears segment by segment;
a label appears whole with its sample; any other pixel when the tip reaches its column, except in
axes whose x is not time. What lies under a curve (shading, grid) is drawn separately so it can show
before the curve arrives over it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .canvas import DPI, LABEL_GID, rgb_of
from .palette import voltage_color
from .panel_kinds import content_axes, side_pieces
from .parts import VOLTAGE, Parts
from .reveal_index import index_colors, timed_map
from .side_column import draw_reveal_pieces
from .style import PANEL_LINE_PT

if TYPE_CHECKING:
    from .marks import Timed


def timed_curves(parts: Parts) -> list[tuple[int, np.ndarray, dict[str, Any]]]:
    """What is revealed over time: (axes index, y values over trace.time_ms, line style)."""
    config = parts.config
    style = {"color": voltage_color(config), "linewidth": config.plot.line_width_pt, "zorder": 2}
    curves = [(parts.names.index(VOLTAGE), parts.trace.voltage_mv, style)]
    width = PANEL_LINE_PT[parts.sizes.projector]
    for spec in parts.specs:
        index = parts.names.index(spec.name)
        for curve in spec.curves:
            line = {"color": curve.color, "linewidth": width, "zorder": 2}
            if curve.dashed:
                line["linestyle"] = (0, (4, 1.6))
            curves.append((index, curve.values, line))
    return curves


def reveal_on_drawn(parts: Parts, timed: list[Timed]) -> tuple[np.ndarray, np.ndarray]:
    """The reveal map drawn on the figure the layers were just drawn from, instead of a new one.

    Everything but the axes' backgrounds is hidden (ticks and labels too: the index-coloured lines
    are clipped to their axes, and outside them every pixel is revealed by its column anyway), so
    the axes stay exactly where they were drawn and no tick is laid out again.
    """
    from matplotlib import rcParams

    parts.fig.patch.set_facecolor("black")
    for artist in parts.fig.get_children():
        if artist is not parts.fig.patch and artist not in parts.every_axes:
            artist.set_visible(False)
    for ax in parts.every_axes:
        for child in ax.get_children():
            if child is not ax.patch:
                child.set_visible(False)
        ax.patch.set_facecolor(rcParams["axes.facecolor"])  # as a new figure's; axes with a curve turn black
    return reveal_pixels(parts, timed)


def reveal_pixels(parts: Parts, timed: list[Timed]) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel, the index of the sample whose arrival reveals it, as an (H, W) int array; and the
    sample from which what lies under a curve or a label shows (its column's).

    Pixels on a curve are revealed by the segment that reaches them, drawn as an index-coloured
    line a little wider than the real one so anti-aliased edges are covered; earlier segments are
    drawn on top so the earliest wins. A label (and its leader) appears whole with the sample it
    belongs to. Any other pixel (phase shading included) is revealed when the tip reaches its column.
    """
    from matplotlib.collections import LineCollection

    trace = parts.trace
    points = len(trace.time_ms)
    arrival = np.arange(1, points)[::-1]  # segment i is complete when sample i + 1 arrives
    colors = index_colors(arrival)
    for index, values, style in timed_curves(parts):
        xy = np.column_stack([trace.time_ms, values])
        segments = np.stack([xy[:-1], xy[1:]], axis=1)[::-1]
        width = style["linewidth"] + 2 * 72 / DPI  # one extra pixel each side
        parts.axes[index].set_facecolor("black")
        lines = LineCollection(segments, colors=colors, linewidths=width, antialiaseds=False, capstyle="round")
        parts.axes[index].add_collection(lines, autolim=False)  # the limits are set: skip measuring every segment
    for ax in content_axes(parts):  # an image or line is revealed column by column with the time it shows
        ax.set_facecolor("black")
    draw_reveal_pieces(parts, side_pieces(parts))  # the side column's pieces, each at its own sample
    rgb = rgb_of(parts.fig.canvas).astype(np.int64)
    on_curve = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    sample_x = parts.voltage.transData.transform(np.column_stack([trace.time_ms, np.zeros_like(trace.time_ms)]))[:, 0]
    by_column = np.searchsorted(sample_x, np.arange(rgb.shape[1]) + 0.5)
    behind = np.broadcast_to(by_column[None, :], on_curve.shape)
    reveal = np.where(on_curve > 0, on_curve, behind)
    if timed:
        marks = timed_map(list(timed), rgb.shape[:2])
        at_mark = marks >= 0
        reveal = np.where(at_mark & (on_curve > 0), np.minimum(reveal, marks), np.where(at_mark, marks, reveal))
    return np.minimum(reveal, points - 1), np.minimum(behind, points - 1)


def without_curves(parts: Parts) -> np.ndarray:
    """The finished figure with its curves and labels hidden: what lies under them (shading, grid)."""
    lines = [line for ax in parts.axes for line in ax.lines if line.get_zorder() == 2]  # `timed_curves` draws at 2
    lines += [artist for artist in parts.fig.get_children() if artist.get_gid() == LABEL_GID]
    for line in lines:
        line.set_visible(False)
    image = rgb_of(parts.fig.canvas)
    for line in lines:
        line.set_visible(True)
    return image


def off_time(parts: Parts) -> np.ndarray:
    """Flat mask of the pixels inside axes whose x is not time (a distance, a step potential): there a
    pixel's column says nothing about when what lies under it shows."""
    height, width = int(round(parts.fig.get_figheight() * DPI)), int(round(parts.fig.get_figwidth() * DPI))
    mask = np.zeros((height, width), bool)
    own = [ax for name, ax in zip(parts.names, parts.axes, strict=True) if name in parts.own_x]
    for ax in [*own, *(ax for _, ax in parts.side)]:
        x0, y0, x1, y1 = parts.image_box(ax)
        mask[max(y0, 0) : y1 + 1, max(x0, 0) : x1 + 1] = True
    return mask.reshape(-1)
