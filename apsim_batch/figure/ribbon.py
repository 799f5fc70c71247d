"""The timeline ribbon: phase names in a thin strip above the voltage axes, each over its band.

Names never sit on the data, so they cannot hide it and need no leader into it. Each name is centred
over its band in the lowest row (nearest the axes) where it fits; a name wider than its band may
overhang it. Where no row has room at the centre, it may slide along a row as long as a short tick
(at most `TICK_MAX_PX` at 720 px height) joins it to its band without crossing another name or tick;
failing that, a new row is opened and the name sits centred there. So no two names overlap and each
is over its band or joined to it by a short tick, by construction (tests/test_ribbon.py checks both
on generated band sets). Every phase keeps one name on every figure (no short forms): a narrow band
gets its full name overhanging it, in a second row if need be.

Pure geometry on pixel columns: the figure measures the texts and draws the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .canvas import Box
from .labels import LEADER_MAX_FRACTION

TICK_MAX_FRACTION = LEADER_MAX_FRACTION  # a tick is held to the leaders' limit
GAP_PX = 6  # free space between two names in a row
# Rows every figure of an axis group reserves (plot.axis_group: the hh temperature pair's warm figure
# fills 4), so the members' axes stand at the same place and their equal limits put a value on one row.
GROUP_ROWS = 4


@dataclass(frozen=True)
class RibbonItem:
    """A name to place: its band's columns [x0_px, x1_px] (x0 == x1 for a point) and its text's size."""

    text: str
    x0_px: float
    x1_px: float
    width_px: int
    height_px: int


@dataclass(frozen=True)
class RibbonLabel:
    """A placed name: its box in image pixels (row 0 at the top) and its tick ((col, row), (col, row)) or None."""

    item: RibbonItem
    row: int  # 0: the row nearest the axes
    box: Box
    tick: tuple[tuple[float, float], tuple[float, float]] | None

    def moved(self, down_px: int) -> tuple[Box, tuple[tuple[float, float], ...] | None]:
        """Its box and tick moved `down_px` rows (laid out above row 0, drawn above the voltage axes)."""
        x0, y0, x1, y1 = self.box
        tick = None if self.tick is None else tuple((c, r + down_px) for c, r in self.tick)
        return (x0, y0 + down_px, x1, y1 + down_px), tick


Segment = tuple[tuple[float, float], tuple[float, float]]


def _over(item: RibbonItem, x0: float) -> bool:
    """Whether a box starting at x0 has its centre over the item's band."""
    centre = x0 + item.width_px / 2
    return item.x0_px - 0.5 <= centre <= item.x1_px + 0.5


def _crosses(a: tuple[float, float], b: tuple[float, float], box: Box) -> bool:
    """Whether the segment a-b passes through the box (sampled each pixel: ticks are short)."""
    (ax, ay), (bx, by) = a, b
    steps = max(2, int(max(abs(bx - ax), abs(by - ay))) + 1)
    for k in range(steps + 1):
        x, y = ax + (bx - ax) * k / steps, ay + (by - ay) * k / steps
        if box[0] - 1 <= x <= box[2] + 1 and box[1] - 1 <= y <= box[3] + 1:
            return True
    return False


def _bounds(segment: Segment) -> Box:
    (ax, ay), (bx, by) = segment
    return (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))


def _tick(item: RibbonItem, box: Box, bottom: float) -> Segment:
    """From the box's underside to the band at the ribbon's bottom: straight down where they share columns."""
    x0, _, x1, y1 = box
    low, high = max(x0, item.x0_px), min(x1, item.x1_px)
    if low <= high:
        column = (low + high) / 2
        return (column, float(y1)), (column, bottom)
    if x1 < item.x0_px:  # the band lies right of the box
        return (float(x1), float(y1)), (item.x0_px, bottom)
    return (float(x0), float(y1)), (item.x1_px, bottom)


@dataclass
class _Rows:
    """The ribbon being filled: rows of names above `bottom`, each name's box and tick."""

    bottom: float
    row_h: int
    tick_max: float
    avoid: tuple[tuple[float, float], ...]  # columns no other name may cover (a response that fails)
    placed: list[RibbonLabel] = field(default_factory=list)
    rows: int = 0

    def box_at(self, x0: float, row: int, item: RibbonItem) -> Box:
        top = int(round(self.bottom - 2 - (row + 1) * self.row_h))
        return (int(round(x0)), top, int(round(x0)) + item.width_px, top + item.height_px)

    def free(self, box: Box, item: RibbonItem) -> bool:
        """No name within GAP_PX of it in its row, no tick through it, no avoided band under it but its own."""
        apart = all(box[2] + GAP_PX <= p.box[0] or p.box[2] + GAP_PX <= box[0] or box[3] <= p.box[1]
                    or p.box[3] <= box[1] for p in self.placed)  # fmt: skip
        ticks = any(p.tick is not None and _crosses(*p.tick, box) for p in self.placed)
        covers = any(box[0] < a1 and a0 < box[2] and (a0, a1) != (item.x0_px, item.x1_px) for a0, a1 in self.avoid)
        return apart and not ticks and not covers

    def tick_clear(self, tick: Segment) -> bool:
        (ax, ay), (bx, by) = tick
        if ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5 > self.tick_max:
            return False
        olds = [p.tick for p in self.placed if p.tick is not None]
        boxes = [p.box for p in self.placed] + [_bounds(old) for old in olds]
        return not any(_crosses(*tick, box) for box in boxes)

    def centred(self, item: RibbonItem, x0: float) -> RibbonLabel | None:
        for row in range(self.rows):
            box = self.box_at(x0, row, item)
            if self.free(box, item) and _over(item, box[0]):
                return RibbonLabel(item, row, box, None)
        return None

    def slid(self, item: RibbonItem, centre_x0: float, left: float, right: float) -> RibbonLabel | None:
        """Beside a name already in a row, nearest the centred place first, joined to its band by a short tick."""
        slides = []
        for p in self.placed:
            for x0 in (p.box[2] + GAP_PX, p.box[0] - GAP_PX - item.width_px):
                if left <= x0 <= right - item.width_px:
                    slides.append((abs(x0 - centre_x0) + p.row, x0, p.row))
        for _, x0, row in sorted(slides):
            box = self.box_at(x0, row, item)
            if not self.free(box, item):
                continue
            tick = None if _over(item, box[0]) else _tick(item, box, self.bottom)
            if tick is None or self.tick_clear(tick):
                return RibbonLabel(item, row, box, tick)
        return None

    def new_row(self, item: RibbonItem, x0: float) -> RibbonLabel:
        box = self.box_at(x0, self.rows, item)
        self.rows += 1
        return RibbonLabel(item, self.rows - 1, box, None if _over(item, box[0]) else _tick(item, box, self.bottom))


def lay_out(
    items: list[RibbonItem], left_px: float, right_px: float, bottom_px: float, frame_h_px: int,
    avoid: tuple[tuple[float, float], ...] = (),
) -> list[RibbonLabel]:  # fmt: skip
    """Place every item (in time order) in rows above `bottom_px` (the axes' top), within [left_px, right_px].

    `avoid` are band columns only their own name may cover (a failed response: a spike's name over it
    would seem to say it fired), where another row offers room. Precondition for "centred over its band"
    in a new row: each band lies at least half its name's width inside [left_px, right_px] (the frame;
    the axes' margins give that room). Names never overlap whatever the input.
    """
    row_h = max((item.height_px for item in items), default=0) + 2
    rows = _Rows(bottom_px, row_h, TICK_MAX_FRACTION * frame_h_px, avoid)
    for item in items:
        x0 = min(max((item.x0_px + item.x1_px) / 2 - item.width_px / 2, left_px), right_px - item.width_px)
        chosen = rows.centred(item, x0) or rows.slid(item, x0, left_px, right_px) or rows.new_row(item, x0)
        rows.placed.append(chosen)
    return rows.placed


def height_px(labels: list[RibbonLabel], bottom_px: float) -> float:
    """How far above `bottom_px` the ribbon reaches (0 without names)."""
    return max((bottom_px - label.box[1] for label in labels), default=0.0)


def reserved_px(labels: list[RibbonLabel], rows_at_least: int = 0) -> float:
    """The height to reserve for the ribbon: its names' rows, and empty rows above them up to `rows_at_least`."""
    used = max((label.row + 1 for label in labels), default=0)
    row_h = max((label.item.height_px for label in labels), default=0) + 2  # as lay_out spaces the rows
    return height_px(labels, 0.0) + max(rows_at_least - used, 0) * row_h
