"""The fast frame stream: each frame copies only the newly revealed pixels, then adds the overlay."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from .canvas import Box
from .cursor import Badge, Cursor
from .frame_panels import FramePanel
from .layout import Layers


def stream(
    layers: Layers,
    counts: np.ndarray,
    base: np.ndarray | None = None,
    full: np.ndarray | None = None,
    early: np.ndarray | None = None,
) -> Iterator[tuple[np.ndarray, Box | None]]:
    """Yield each frame (as a view of one reused buffer) and the box that changed since the last.

    `counts` are the samples visible in each frame, non-decreasing. `base`/`full` default to the
    RGB layers; pass palette-index versions (and `early`, `layers.early_rgb` in the same indices)
    to stream GIF frames without re-quantizing. Each
    frame costs O(newly revealed pixels), so time per frame and memory do not grow with length.
    """
    if base is None:  # RGB: the early pixels' own colours (palette frames pass theirs, or go without)
        early = layers.early_rgb
    base = layers.base if base is None else base
    full = layers.full if full is None else full
    early_pos = layers.early_pos if early is not None else layers.early_pos[:0]
    early_done = 0
    height, width = base.shape[:2]
    canvas = base.copy()
    flat_canvas = canvas.reshape(height * width, -1)
    flat_full = full.reshape(height * width, -1)
    done = 0
    for count in counts:
        upto = int(np.searchsorted(layers.change_at, int(count) - 1, side="right"))
        if upto < done:
            raise ValueError("counts must not decrease")
        early_upto = int(np.searchsorted(layers.early_at[: len(early_pos)], int(count) - 1, side="right"))
        before = slice(early_done, early_upto)
        flat_canvas[early_pos[before]] = early.reshape(len(layers.early_pos), -1)[before] if len(early_pos) else 0
        early_done = early_upto
        new = np.concatenate([early_pos[before], layers.change_pos[done:upto]])
        box = None
        if len(new):
            flat_canvas[layers.change_pos[done:upto]] = flat_full[layers.change_pos[done:upto]]  # after the early ones
            rows, cols = np.divmod(new, width)
            box = (int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1)
        done = upto
        yield canvas, box


def overlaid(
    frames: Iterator[tuple[np.ndarray, Box | None]],
    counts: np.ndarray,
    overlay: Cursor | None,
    colors: np.ndarray | None = None,
    badge: Badge | None = None,
    slow: np.ndarray | None = None,
    refresh_every: int = 1,
    moving: Sequence[FramePanel] = (),
) -> Iterator[tuple[np.ndarray, Box | None]]:
    """Add the per-frame overlays (panels redrawn from the frame's time, the tip cursor, the badge on `slow`
    frames) to a `stream` of frames.

    The stream's own buffer stays clean; the overlays are drawn on a second buffer, where the
    previous frame's overlays are first wiped by copying back the clean pixels under them. Each
    yielded box covers every pixel that may differ from the previous frame. The cursor's readouts
    print new values every `refresh_every` frames (and on the last).
    """
    if overlay is None and not moving and (badge is None or slow is None or not slow.any()):
        yield from frames
        return
    out: np.ndarray | None = None
    previous: list[Box] = []
    values_at = 0
    for index, ((clean, box), count) in enumerate(zip(frames, counts, strict=True)):
        if index % refresh_every == 0 or index == len(counts) - 1:  # the last frame shows the final values
            values_at = int(count)
        if out is None:
            out = clean.copy()
            box = (0, 0, clean.shape[1], clean.shape[0])
        elif box is not None:
            x0, y0, x1, y1 = box
            out[y0:y1, x0:x1] = clean[y0:y1, x0:x1]
        for x0, y0, x1, y1 in previous:
            out[y0:y1, x0:x1] = clean[y0:y1, x0:x1]
        drawn = [box for panel in moving for box in panel.draw(out, int(count), colors)]
        drawn += overlay.draw(out, int(count), colors, values_at) if overlay is not None and count else []
        if badge is not None and slow is not None and slow[index]:
            drawn += badge.draw(out, colors)
        yield out, _union([b for b in (box, *previous, *drawn) if b is not None])
        previous = drawn


def _union(boxes: list[Box]) -> Box | None:
    if not boxes:
        return None
    return (
        int(min(b[0] for b in boxes)),
        int(min(b[1] for b in boxes)),
        int(max(b[2] for b in boxes)),
        int(max(b[3] for b in boxes)),
    )
