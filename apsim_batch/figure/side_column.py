"""Panels with their own x axis (an I–V curve): a column at the right of the time panels, revealed piece by piece.

A figure's time panels share the voltage axes' time axis in the left column. A panel whose x axis is
something else (step potential) cannot share it, so such panels stack in a column of their own at the
right, each with its own x axis and label. They are not revealed by the time axis either: each is a
list of `Piece`s (a point, a segment between two points) that appear whole when a given sample
arrives, e.g. a step's point once the step's peak has been drawn. The same pieces are drawn in the
poster, in a partly revealed figure and, index-coloured, in the reveal map, so the fast frame stream
shows each the frame it arrives; the column's other pixels (axes, ticks, static reference lines)
are in every frame.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .canvas import DPI
from .labels import Occupancy
from .palette import GRID_MAJOR, GRID_MINOR
from .reveal_index import index_colors

if TYPE_CHECKING:
    from .panels import PanelSpec
    from .parts import Parts

SIDE_START = 0.6  # where the column starts, as a fraction of the figure's width (the time panels keep the rest)
SIDE_RIGHT_PX = 24  # between the column and the figure's right edge
PIECE_ZORDER = 3  # above the reference lines; among themselves, pieces keep `drawing_order`


@dataclass(frozen=True)
class Piece:
    """Part of a side panel that appears whole when sample `start` arrives: a point, or a segment joining two."""

    start: int
    x: tuple[float, ...]
    y: tuple[float, ...]
    style: Mapping[str, Any] = field(default_factory=dict)  # matplotlib Line2D properties (not zorder)
    key: str = ""  # what it shows, e.g. "I_Na -40 mV" (tests and tools read the drawn values by it)


Pieces = Callable[["Parts", "PanelSpec", Any], list[Piece]]


def split_margins(spacing: dict[str, float], width_px: int, side_left_px: float) -> tuple[dict, dict]:
    """The time column's margins narrowed to leave the right part of the figure to the side column, and
    the side column's own (its left margin holds its tick labels and y label, like the time column's)."""
    time_right_px = (1 - spacing["right"]) * width_px  # room the time column keeps for its end labels
    time = {**spacing, "right": SIDE_START - time_right_px / width_px}
    side = {
        "left": SIDE_START + side_left_px / width_px,
        "right": 1 - SIDE_RIGHT_PX / width_px,
        "top": spacing["top"],
        "bottom": spacing["bottom"],
    }
    return time, side


def add_column(fig: Any, specs: list[PanelSpec], side: dict[str, float], x_label_px: float) -> list[Any]:
    """One axes per side panel, top to bottom, each with room below it for its own x ticks and label."""
    usable = (side["top"] - side["bottom"]) * fig.get_figheight() * DPI
    n = len(specs)
    hspace = x_label_px * n / max(usable - (n - 1) * x_label_px, 1.0)  # in mean axes heights, as matplotlib counts
    grid = fig.add_gridspec(n, 1, height_ratios=[s.height for s in specs], hspace=hspace, **side)
    return [fig.add_subplot(grid[i]) for i in range(n)]


def decorate_column(parts: Parts, style_axis: Callable[[Any, Any, Any], None]) -> None:
    """Each side panel's y label, tick sizes and its own axis styling (x label, limits, reference lines);
    the measurement grid of a handout, in both directions, since both axes are read there."""
    from matplotlib.ticker import AutoMinorLocator

    sizes = parts.sizes
    for spec, ax in parts.side:
        ax.set_ylabel(spec.y_label, fontsize=sizes.axis_label_pt if sizes.projector else 9)
        ax.tick_params(labelsize=sizes.tick_pt if sizes.projector else 8)
        style_axis(parts, spec, ax)
        if parts.config.plot.grid:
            ax.xaxis.set_minor_locator(AutoMinorLocator(5))  # 5 mV under 25 mV ticks: a reversal is read to it
            ax.yaxis.set_minor_locator(AutoMinorLocator(5))
            ax.set_axisbelow(True)
            ax.grid(True, which="major", color=GRID_MAJOR, linewidth=0.9)
            ax.grid(True, which="minor", color=GRID_MINOR, linewidth=0.6)
            ax.tick_params(which="minor", length=3)


def drawing_order(pieces: list[Piece]) -> list[Piece]:
    """The latest first, so that an earlier piece lies on top where two overlap (a point over the segments
    it ends): then what a pixel shows in the poster is what arrived there first, as the reveal map says."""
    return sorted(pieces, key=lambda p: (-p.start, len(p.x) == 1))


def draw_pieces(parts: Parts, pieces_of: Callable[[Any, Any], list[Piece]], shown: int) -> None:
    """Every piece the first `shown` samples have reached, in the real style."""
    for spec, ax in parts.side:
        for piece in drawing_order(pieces_of(spec, ax)):
            if piece.start < shown:
                ax.plot(piece.x, piece.y, **{**piece.style, "zorder": PIECE_ZORDER})


def draw_reveal_pieces(parts: Parts, pieces_of: Callable[[Any, Any], list[Piece]]) -> None:
    """The pieces in the reveal map: each in the colour of its sample, a pixel wider all round (the soft rim)
    and not anti-aliased, the latest first so that where two meet the earlier one's sample wins."""
    widen = 2 * 72 / DPI
    for spec, ax in parts.side:
        for piece in drawing_order(pieces_of(spec, ax)):
            color = index_colors(np.array([piece.start]))[0]
            style = dict(piece.style)
            ax.plot(
                piece.x,
                piece.y,
                color=color,
                linestyle="-",
                linewidth=style.get("linewidth", 1.5) + widen,
                marker=style.get("marker"),
                markersize=style.get("markersize", 6),
                markeredgewidth=style.get("markeredgewidth", 1.0) + widen,  # a pixel more all round: the soft rim
                markerfacecolor=color,
                markeredgecolor=color,
                antialiased=False,
                solid_capstyle="round",
                zorder=PIECE_ZORDER,
            )


def occupancy_of(parts: Parts, ax: Any, pieces: list[Piece]) -> Occupancy:
    """The side panel's area with its pieces and its static text marked, so labels keep clear of them."""
    height, width = int(parts.fig.get_figheight() * DPI), int(parts.fig.get_figwidth() * DPI)
    occupancy = Occupancy((height, width), parts.image_box(ax))
    for piece in pieces:
        xy = ax.transData.transform(np.column_stack([piece.x, piece.y]))
        cols, rows = xy[:, 0], height - xy[:, 1]
        if len(cols) == 1:  # a point: its marker
            radius = piece.style.get("markersize", 6) * DPI / 72 / 2 + 2
            occupancy.mark_box((int(cols[0] - radius), int(rows[0] - radius), int(cols[0] + radius) + 1,
                                int(rows[0] + radius) + 1))  # fmt: skip
        else:
            occupancy.mark_polyline(cols, rows, 2.5)
    renderer = parts.fig.canvas.get_renderer()
    for text in ax.texts:  # the axis's own names (E_Na's) were there first
        e = text.get_window_extent(renderer)
        occupancy.mark_box((int(e.x0), int(height - e.y1), int(e.x1) + 1, int(height - e.y0) + 1), margin=2)
    return occupancy
