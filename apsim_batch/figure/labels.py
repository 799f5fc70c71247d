"""Placing text where it belongs: beside its band or point, off the trace, off every other label.

Placement is done on a pixel occupancy grid of the axes: the trace (widened by a margin), markers
and every label placed so far are marked, and a summed-area table answers "is this box free?" for
all candidate positions at once. Each label takes the free spot closest to what it names; when
that spot is not over its band (across its middle, or mostly over it) a leader joins them: into
a shaded band, or, for a point (a threshold marker) or an unshaded band (rest, the way to
threshold), straight to the point or to the trace in the band, never across the trace or another
label where a clean place exists.
Labels are placed greedily, narrowest band first, and one that got walled in is retried first.
Everything is computed from fonts and geometry only, so a label never moves during the animation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .canvas import Box

GAP_PX = 4  # free space kept around every label
TRACE_MARGIN_PX = 3  # ... and between a label and the trace, beyond the line's half-width
INSIDE_PX = 12  # a leader into a wide shaded band ends this far inside it
TOUCH_PX = 10  # a label this close to the trace it names needs no leader
CROSSING_COST = 3000.0  # a label over a band it must not seem to name: only where nothing else is free
LEADER_MAX_FRACTION = 40 / 720  # no leader longer than 40 px at 720 px frame height: a long one reads as a marker
# ... except in a panel's last resort: a panel has no ribbon, and a curve left unnamed is worse than a longer leader
PANEL_LEADER_MAX_FRACTION = 160 / 720
SHORT_NAME_COST = 150.0  # the first label of a kind gives the full name, for a longer leader if need be
LEADER_CHUNK = 32  # candidate boxes whose leaders are traced first (then twice as many each time)
REPAIR_ROUNDS = 6  # at most this many labels left out or crossing something are moved to the front


@dataclass(frozen=True)
class Request:
    """A label to place: its texts (preferred first), what it names, and when it appears."""

    texts: tuple[str, ...]  # e.g. ("rising phase", "rise"): the first that fits is used
    x0_px: float  # the band it names, in image columns (a point: x0 == x1)
    x1_px: float
    anchor_row: float  # the image row it would ideally sit at (the trace in its band, or a marker)
    start: int  # sample index that reveals it
    color: str  # its band's hue, for the box edge and the leader
    point: tuple[float, float] | None = None  # a point target (column, row): the leader ends there
    # an unshaded band names the trace itself: its (columns, rows) in the band, for a leader that ends on it
    path: tuple[np.ndarray, np.ndarray] | None = None
    avoid: tuple[tuple[float, float], ...] = ()  # columns of bands it must not seem to name: never covered if avoidable


@dataclass(frozen=True)
class Placed:
    """A placed label: the text used, its box in image pixels, and its leader line (or None)."""

    request: Request
    text: str
    box: Box  # x0, y0, x1, y1 in image pixels (row 0 at the top)
    leader: tuple[tuple[float, float], tuple[float, float]] | None  # ((col, row), (col, row))


class Occupancy:
    """Which pixels of an area are taken, with O(1) box queries through a summed-area table.

    `taken` is where no label may sit; `blocks` is the part of it no leader may cross (a reference
    line such as E_Na is no place for a label, but a leader may cross it, as in any textbook figure).
    """

    def __init__(self, shape: tuple[int, int], area: Box):
        self.taken = np.zeros(shape, dtype=bool)
        self.blocks = np.zeros(shape, dtype=bool)
        self.area = area
        self.leader_max_fraction = LEADER_MAX_FRACTION
        self.crossing_cost = (
            np.inf
        )  # a leader across the trace or a reference line: never (a panel's last resort: costly)
        self._table: np.ndarray | None = None

    def copy(self) -> Occupancy:
        other = Occupancy(self.taken.shape, self.area)
        other.taken, other.blocks = self.taken.copy(), self.blocks.copy()
        other.leader_max_fraction, other.crossing_cost = self.leader_max_fraction, self.crossing_cost
        return other

    def mark_box(self, box: Box, margin: int = 0, crossable: bool = False) -> None:
        h, w = self.taken.shape
        x0, y0, x1, y1 = box
        where = slice(max(0, y0 - margin), min(h, y1 + margin)), slice(max(0, x0 - margin), min(w, x1 + margin))
        self.taken[where] = True
        if not crossable:
            self.blocks[where] = True
        self._table = None

    def mark_polyline(self, cols: np.ndarray, rows: np.ndarray, radius: float) -> None:
        """Mark every pixel within `radius` of the polyline (sampled at sub-pixel steps)."""
        if len(cols) < 2:
            return
        steps = np.maximum(1, np.ceil(np.hypot(np.diff(cols), np.diff(rows)) * 2)).astype(int)
        t = np.concatenate([np.arange(s) / s + i for i, s in enumerate(steps)] + [[len(cols) - 1]])
        xs = np.interp(t, np.arange(len(cols)), cols)
        ys = np.interp(t, np.arange(len(rows)), rows)
        h, w = self.taken.shape
        inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
        if not inside.any():
            return
        cols_px, rows_px = xs[inside].astype(int), ys[inside].astype(int)
        r = int(np.ceil(radius))
        # dilate only the line's own bounding box (a leader is a few pixels wide, not the whole frame)
        c0, r0 = max(0, cols_px.min() - r), max(0, rows_px.min() - r)
        c1, r1 = min(w, cols_px.max() + r + 1), min(h, rows_px.max() + r + 1)
        line = np.zeros((r1 - r0, c1 - c0), dtype=bool)
        line[rows_px - r0, cols_px - c0] = True
        wide = _dilate(line, radius)
        self.taken[r0:r1, c0:c1] |= wide
        self.blocks[r0:r1, c0:c1] |= wide
        self._table = None

    def free(self, x0: np.ndarray, y0: np.ndarray, w: int, h: int) -> np.ndarray:
        """For boxes with top-left corners (x0, y0) and size (w, h): True where nothing is taken."""
        return self.taken_in(x0, y0, x0 + w, y0 + h) == 0

    def taken_in(self, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
        """How many pixels are taken in each box [x0, x1) x [y0, y1) (clipped to the area)."""
        ax0, ay0, ax1, ay1 = self.area
        if self._table is None:  # over the area only: every query lies inside it
            self._table = np.zeros((ay1 - ay0 + 1, ax1 - ax0 + 1), dtype=np.int32)
            self._table[1:, 1:] = self.taken[ay0:ay1, ax0:ax1].cumsum(0, dtype=np.int32).cumsum(1, dtype=np.int32)
        s = self._table
        x0, x1 = np.clip(x0 - ax0, 0, ax1 - ax0), np.clip(x1 - ax0, 0, ax1 - ax0)
        y0, y1 = np.clip(y0 - ay0, 0, ay1 - ay0), np.clip(y1 - ay0, 0, ay1 - ay0)
        return s[y1, x1] - s[y0, x1] - s[y1, x0] + s[y0, x0]


def _dilate(mask: np.ndarray, radius: float) -> np.ndarray:
    """Every pixel within `radius` of a True pixel (a binary dilation by a disc, outside counting as False).

    A few dozen shifted ORs: the discs here are a few pixels across, and this spares every render
    importing scipy.ndimage (about 0.3 s).
    """
    out = mask.copy()
    h, w = mask.shape
    r = int(np.ceil(radius))
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx * dx + dy * dy > radius * radius or dx == dy == 0:
                continue
            out[max(0, dy) : h + min(0, dy), max(0, dx) : w + min(0, dx)] |= mask[
                max(0, -dy) : h + min(0, -dy), max(0, -dx) : w + min(0, -dx)
            ]
    return out


def _candidates(request: Request, w: int, h: int, area: Box) -> tuple[np.ndarray, np.ndarray]:
    """Top-left corners to try: every few pixels across the area (all inside it)."""
    ax0, ay0, ax1, ay1 = area
    xs = np.arange(ax0 + GAP_PX, ax1 - GAP_PX - w + 1, 3)
    ys = np.arange(ay0 + GAP_PX, ay1 - GAP_PX - h + 1, 3)
    if not len(xs) or not len(ys):
        return np.empty(0, int), np.empty(0, int)
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


def _targets(request: Request, x0: np.ndarray, w: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Where a leader from each candidate box may end: the point, or the trace at a few places in the band."""
    if request.point is not None:
        return [(np.full(len(x0), request.point[0], float), np.full(len(x0), request.point[1], float))]
    if request.path is None:
        return []
    cols, rows = request.path
    inset = 0.25 * (request.x1_px - request.x0_px)  # not at the band's edge, where the next phase begins
    low, high = request.x0_px + inset, request.x1_px - inset
    columns = [np.clip(x0 + w / 2, low, high)]  # straight below or above the box, or at the band's near side
    columns += [np.full(len(x0), c, float) for c in np.linspace(low, high, 5)]
    return [(c, np.interp(c, cols, rows)) for c in columns]


def _gaps(x0: np.ndarray, y0: np.ndarray, w: int, h: int, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Distance from each box to its target point (0 inside)."""
    dx = np.maximum(0, np.maximum(x0 - px, px - (x0 + w)))
    dy = np.maximum(0, np.maximum(y0 - py, py - (y0 + h)))
    return np.hypot(dx, dy)


def _leader_starts(x0, y0, w: int, h: int, px, py) -> tuple[np.ndarray, np.ndarray]:
    """Where a leader leaves each box for its target: a side at mid height, or the top/bottom above/below it."""
    beside = (px < x0) | (px > x0 + w)
    sx = np.where(px < x0, x0, np.where(px > x0 + w, x0 + w, px))
    sy = np.where(beside, y0 + h / 2, np.where(py < y0, y0, y0 + h))
    return sx.astype(float), sy.astype(float)


def _reach(
    request: Request, x0: np.ndarray, y0: np.ndarray, w: int, h: int, occupancy: Occupancy
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """For a point or trace target: each box's cheapest leader (cost, end column, end row); None for a shaded band."""
    targets = _targets(request, x0, w)
    if not targets:
        return None
    best = (np.full(len(x0), np.inf), np.zeros(len(x0)), np.zeros(len(x0)))
    hh, ww = occupancy.taken.shape
    for px, py in targets:
        gap = _gaps(x0, y0, w, h, px, py)
        sx, sy = _leader_starts(x0, y0, w, h, px, py)
        # the leader's pixels from the box up to just short of the target (which sits on the trace)
        keep = np.clip(1.0 - (TOUCH_PX + 2) / np.maximum(gap, 1e-9), 0.0, 1.0)
        steps = int(np.ceil(gap.max(initial=0.0) / 2)) + 2  # every 2 px: a leader is 3 px wide, the trace more
        along = np.linspace(0.0, 1.0, steps)[None, :] * keep[:, None]
        cols = np.clip((sx[:, None] + (px - sx)[:, None] * along).astype(int), 0, ww - 1)
        rows = np.clip((sy[:, None] + (py - sy)[:, None] * along).astype(int), 0, hh - 1)
        crossing = (gap > TOUCH_PX) & occupancy.blocks[rows, cols].any(axis=1)
        too_long = np.hypot(px - sx, py - sy) > _leader_max(occupancy)
        cost = np.where(too_long, np.inf, np.where(crossing, occupancy.crossing_cost, 0.0) + 0.5 * gap)
        better = cost < best[0]
        best = (np.where(better, cost, best[0]), np.where(better, px, best[1]), np.where(better, py, best[2]))
    return best


def _cheapest(
    request: Request, x0: np.ndarray, y0: np.ndarray, w: int, h: int, occupancy: Occupancy
) -> tuple[float, int]:
    """The best candidate box, as (score, index): near what it names (off its band counts most), no leader crossing.

    Tracing a leader is the costly part, so it is done only for the candidates that could still
    win: in order of their score without it, a chunk at a time, until no later one can beat the best.
    """
    off_band = np.maximum(0, np.maximum(request.x0_px - (x0 + w), x0 - request.x1_px))
    score = 2.0 * off_band
    for a0, a1 in request.avoid:  # "to threshold" over a response that fails would name the wrong thing
        score = score + CROSSING_COST * (_overlap(x0, w, a0, a1) > 0)
    if request.point is None and request.path is None:  # a shaded band: a horizontal leader into it
        centre_row = y0 + h / 2
        led, start, end = _into_band(request, x0, w)
        stop = end - np.sign(end - start) * (TRACE_MARGIN_PX + 4)  # it may end at the trace, not cross it
        a, b = np.minimum(start, stop).astype(int), np.ceil(np.maximum(start, stop)).astype(int)
        row = centre_row.astype(int)
        crossing = led & ((stop - start) * (end - start) > 0) & (occupancy.taken_in(a + 1, row, b - 1, row + 1) > 0)
        too_long = led & (np.abs(end - start) > _leader_max(occupancy))
        score = np.where(too_long, np.inf, score + 0.5 * np.abs(centre_row - request.anchor_row))
        score = score + np.where(crossing, occupancy.crossing_cost, 0.0)
        i = int(np.argmin(score))
        return float(score[i]), i
    # a point or the trace in the band: a leader straight to it
    nearest = np.min([_gaps(x0, y0, w, h, px, py) for px, py in _targets(request, x0, w)], axis=0)
    lower = score + 0.5 * nearest
    order = np.argsort(lower, kind="stable")
    best, start, size = (np.inf, -1), 0, LEADER_CHUNK
    while start < len(order) and lower[order[start]] < best[0]:
        chunk = order[start : start + size]
        start, size = start + size, 2 * size  # walled in: look further afield, in fewer, larger steps
        exact = score[chunk] + _reach(request, x0[chunk], y0[chunk], w, h, occupancy)[0]
        k = int(np.argmin(exact))
        if exact[k] < best[0]:
            best = (float(exact[k]), int(chunk[k]))
    return best


def _leader_max(occupancy: Occupancy) -> float:
    return occupancy.leader_max_fraction * occupancy.taken.shape[0]


def _leader(request: Request, box: Box, occupancy: Occupancy) -> tuple[tuple[float, float], tuple[float, float]] | None:
    x0, y0, x1, y1 = box
    bx, by = np.array([x0]), np.array([y0])
    reach = _reach(request, bx, by, x1 - x0, y1 - y0, occupancy)
    if reach is not None:
        px, py = reach[1], reach[2]
        touch = 2 if request.point is not None else TOUCH_PX  # a marker is named only from its box
        if _gaps(bx, by, x1 - x0, y1 - y0, px, py)[0] <= touch:
            return None
        sx, sy = _leader_starts(bx, by, x1 - x0, y1 - y0, px, py)
        return (float(sx[0]), float(sy[0])), (float(px[0]), float(py[0]))
    led, start, end = _into_band(request, bx, x1 - x0)
    if not led[0]:
        return None  # on its band already
    return (float(start[0]), (y0 + y1) / 2), (float(end[0]), (y0 + y1) / 2)


def _overlap(x0: np.ndarray, w: int, c0: float, c1: float) -> np.ndarray:
    """How many columns of each box [x0, x0 + w) lie in [c0, c1]."""
    return np.clip(np.minimum(x0 + w, c1) - np.maximum(x0, c0), 0, None)


def _into_band(request: Request, x0: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a shaded band's label boxes: which need a leader, and the columns where it starts and ends.

    A box names its band by itself only when it spans the band's middle or lies mostly over the
    band; one that merely touches it, or lies mostly over another phase's shading ("rise" over the
    falling phase's blue), points into it. The leader runs from the box's near side to just inside
    the band (to its middle if the box already reaches into it, or the band is narrow).
    """
    middle = (request.x0_px + request.x1_px) / 2
    off = (x0 + w < request.x0_px) | (x0 > request.x1_px)
    across = (x0 <= middle) & (x0 + w >= middle)
    led = ~across & (2 * _overlap(x0, w, request.x0_px, request.x1_px) < w)
    start = np.where(x0 > middle, x0, x0 + w).astype(float)
    low, high = min(request.x0_px + INSIDE_PX, middle), max(request.x1_px - INSIDE_PX, middle)
    return led, start, np.where(off, np.clip(start, low, high), middle)  # a box over the band: to its middle


@dataclass
class _Layout:
    placed: list[Placed]
    missing: list[Request]
    costs: dict[int, float]  # id(request) -> its score

    @property
    def cost(self) -> float:
        return sum(self.costs.values()) + 10 * CROSSING_COST * len(self.missing)

    @property
    def bad(self) -> list[Request]:
        """Requests left out or placed only with a leader across something."""
        crossing = [p.request for p in self.placed if self.costs[id(p.request)] >= CROSSING_COST]
        return self.missing + crossing


def place(
    requests: list[Request],
    occupancy: Occupancy,
    text_size: dict[str, tuple[int, int]],
    longer_leaders: float | None = None,
) -> tuple[list[Placed], list[Request]]:
    """Place labels one by one, narrowest band first; return the placed ones and any left out.

    Greedy placement can wall a label's target in with labels placed before it; so a label left out,
    or placed only with a leader across something, is tried again at the front of the order, and
    the new layout kept when it costs less. With some still left out, a second try allows leaders of
    `longer_leaders` (a fraction of the frame height) that may cross a curve at a cost.
    """
    placed, missing = _place(requests, occupancy, text_size)
    if missing and longer_leaders is not None:
        occupancy = occupancy.copy()
        occupancy.leader_max_fraction, occupancy.crossing_cost = longer_leaders, CROSSING_COST
        placed, missing = _place(requests, occupancy, text_size)
    return placed, missing


def _place(
    requests: list[Request], occupancy: Occupancy, text_size: dict[str, tuple[int, int]]
) -> tuple[list[Placed], list[Request]]:
    order = sorted(requests, key=lambda r: (r.x1_px - r.x0_px, r.x0_px))
    best = current = _place_in_order(order, occupancy, text_size)
    tried: set[int] = set()
    for _ in range(REPAIR_ROUNDS):  # a short walk from the greedy layout, keeping the cheapest seen
        bad = [r for r in current.bad if id(r) not in tried]
        if not bad:
            break
        tried.add(id(bad[0]))
        order = [bad[0], *(r for r in order if r is not bad[0])]
        current = _place_in_order(order, occupancy, text_size)
        if current.cost < best.cost:
            best = current
    best.placed.sort(key=lambda p: (p.request.start, p.box[0]))
    return best.placed, best.missing


def _place_in_order(order: list[Request], occupancy: Occupancy, text_size: dict[str, tuple[int, int]]) -> _Layout:
    occupancy = occupancy.copy()
    layout = _Layout([], [], {})
    for request in order:
        best: tuple[float, Placed] | None = None
        for rank, text in enumerate(request.texts):
            w, h = text_size[text]
            x0, y0 = _candidates(request, w, h, occupancy.area)
            if not len(x0):
                continue
            ok = occupancy.free(x0 - GAP_PX, y0 - GAP_PX, w + 2 * GAP_PX, h + 2 * GAP_PX)
            if not ok.any():
                continue
            score, i = _cheapest(request, x0[ok], y0[ok], w, h, occupancy)
            if not np.isfinite(score):  # no place with a short leader that crosses nothing
                continue
            score += SHORT_NAME_COST * rank
            box = (int(x0[ok][i]), int(y0[ok][i]), int(x0[ok][i]) + w, int(y0[ok][i]) + h)
            if best is None or score < best[0]:
                best = (score, Placed(request, text, box, _leader(request, box, occupancy)))
        if best is None:
            layout.missing.append(request)
            continue
        chosen = best[1]
        occupancy.mark_box(chosen.box)
        if chosen.leader is not None:
            (ax, ay), (bx, by) = chosen.leader
            occupancy.mark_polyline(np.array([ax, bx]), np.array([ay, by]), 1.5)
        layout.placed.append(chosen)
        layout.costs[id(request)] = best[0]
    return layout


def spread(wanted: list[float], heights: list[int], low: float, high: float) -> list[float]:
    """Centre rows for stacked labels: as close to `wanted` as possible, none overlapping, within [low, high]
    (centred on it when together they are taller).

    Used for curve labels at the right end of a panel, where several curves can end at nearly the
    same value (all currents return to about zero).
    """
    order = [int(i) for i in np.argsort(wanted, kind="stable")]
    rows = [min(max(float(w), low), high) for w in wanted]
    cursor = low
    for i in order:  # top to bottom: each label below the one above it
        half = heights[i] / 2 + 1
        rows[i] = max(rows[i], cursor + half)
        cursor = rows[i] + half
    cursor = high
    for i in reversed(order):  # bottom to top: back inside the panel, keeping the order
        half = heights[i] / 2 + 1
        rows[i] = min(rows[i], cursor - half)
        cursor = rows[i] - half
    over = low - cursor  # labels taller than the panel: overflow both ends by half, not all at the top,
    return [row + over / 2 for row in rows] if over > 0 else rows  # where the panel above has its own names
