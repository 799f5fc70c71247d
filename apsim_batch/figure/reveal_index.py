"""The reveal map's index arithmetic: sample indices as colours, and the pixels of marks that appear whole."""

from __future__ import annotations

import numpy as np

from .marks import Timed


def index_colors(values: np.ndarray) -> np.ndarray:
    """Sample indices as RGB colours (0..1), so a drawn pixel's colour says which sample drew it."""
    return np.column_stack([(values >> 16) & 255, (values >> 8) & 255, values & 255]) / 255


def timed_map(timed: list[Timed], shape: tuple[int, int]) -> np.ndarray:
    """Per pixel, the sample that reveals a mark appearing whole there (-1 where there is none).

    A label's box is on whole pixels; its leader is widened to 4 px to cover its anti-aliasing.
    The earliest mark wins where two meet.
    """
    marks = np.full(shape, -1, dtype=np.int64)
    height, width = shape
    for mark in sorted(timed, key=lambda m: -m.start):  # the earliest painted last, so it wins
        x0, y0, x1, y1 = mark.box
        marks[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = mark.start
        if mark.leader is not None:
            (ax, ay), (bx, by) = mark.leader
            n = int(np.ceil(np.hypot(bx - ax, by - ay) * 4)) + 2
            cols, rows = np.linspace(ax, bx, n), np.linspace(ay, by, n)
            # every pixel within 1.5 px: a line on a pixel boundary paints the rows on both sides (offsets
            # of -1.2, 0, 1.2 from a whole row missed the one above it, which then showed early)
            for dr in (-1.5, -0.5, 0.5, 1.5):
                for dc in (-1.5, -0.5, 0.5, 1.5):
                    r = np.clip(np.floor(rows + dr).astype(int), 0, height - 1)
                    c = np.clip(np.floor(cols + dc).astype(int), 0, width - 1)
                    marks[r, c] = mark.start
    return marks
