"""Type sizes: derived from the frame height for a projector, or the original script's."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from ..config.models import Config

DPI = 100
PANEL_LINE_PT = {True: 2.2, False: 1.5}  # a panel's curves, in points: projector type, original type
MIN_TEXT_FRACTION = 0.022  # no text under 2.2% of the frame height: 16 px at 720 px, readable from the back row
DIGITS = "0123456789"


@functools.cache
def digit_height_em(family: str | None = None) -> float:
    """How tall the digits are drawn, as a fraction of the type size: their ink, overshoot included.

    Measured on the glyph outlines of the font matplotlib draws with (DejaVu Sans: 0.76), because a
    type size is the em, and digits are only three quarters of it: 2.2% of the height must be the
    digits a viewer reads, not the em.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    em = 1000.0
    extents = TextPath((0, 0), DIGITS, size=em, prop=FontProperties(family=family)).get_extents()
    return extents.height / em


def digit_floor_px(height_px: int, family: str | None = None) -> float:
    """The type size, in pixels, whose digits are 2.2% of a frame `height_px` tall."""
    return MIN_TEXT_FRACTION * height_px / digit_height_em(family)


@dataclass(frozen=True)
class TypeSizes:
    """Font sizes in points for every kind of text, and whether they follow the frame height."""

    projector: bool
    tick_pt: float
    axis_label_pt: float
    title_pt: float
    label_pt: float  # phase labels, curve labels, captions
    annotation_pt: float

    @property
    def min_px(self) -> float:
        """The smallest text on the figure, in pixels (em size)."""
        return min(self.tick_pt, self.axis_label_pt, self.title_pt, self.label_pt, self.annotation_pt) * DPI / 72

    def px(self, pt: float) -> float:
        return pt * DPI / 72


def uses_projector_type(config: Config) -> bool:
    """'auto' and 'projector' are the projector's type; only 'original' keeps the seed script's sizes."""
    return config.plot.type_size != "original"


def type_sizes(config: Config) -> TypeSizes:
    """Sizes for this figure.

    Projector sizes scale with the frame height, so a 720 px HH figure and a 1080 px one read the
    same from the back row, and a gallery thumbnail stays legible. Numbers (tick labels, the
    credit) are set so their digits, not their em, reach 2.2% of the height; labels in words keep
    an em of 2.2%. Sizes are rounded up to half a point so they never fall under their floor.
    The original sizes are matplotlib's defaults, which the seed's figure used (10 pt ticks and
    labels, 12 pt title, 8 pt annotation): they exist to reproduce that figure and are exempt.
    """
    if not uses_projector_type(config):
        return TypeSizes(False, tick_pt=10, axis_label_pt=10, title_pt=12, label_pt=9, annotation_pt=8)
    height = config.plot.height_px
    em_pt = _half_points_up(MIN_TEXT_FRACTION * height * 72 / DPI)
    digit_pt = _half_points_up(digit_floor_px(height) * 72 / DPI)
    return TypeSizes(
        True,
        tick_pt=digit_pt,
        axis_label_pt=digit_pt,
        title_pt=_half_points_up(digit_pt * 1.2),
        label_pt=em_pt,
        annotation_pt=digit_pt,
    )


def _half_points_up(pt: float) -> float:
    return math.ceil(pt * 2) / 2
