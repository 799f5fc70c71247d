"""Type sizes and margins: derived from the frame height for a projector, or the original script's."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..config.models import Config
from ..trace.models import model_of

DPI = 100
PANEL_LINE_PT = {True: 2.2, False: 1.5}  # a panel's curves, in points: projector type, original type
MIN_TEXT_FRACTION = 0.022  # no text under 2.2% of the frame height: 16 px at 720 px, readable from the back row


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
    """'auto' means the model's choice: projector type for Hodgkin–Huxley, the original sizes for Gaussian waveforms."""
    if config.plot.type_size == "auto":
        return model_of(config.waveform).projector_type
    return config.plot.type_size == "projector"


def type_sizes(config: Config) -> TypeSizes:
    """Sizes for this figure.

    Projector sizes scale with the frame height, so a 720 px HH figure and a 1080 px one read the
    same from the back row, and a gallery thumbnail stays legible. The smallest size is rounded up
    to half a point so it never falls under the 2.2% floor. The original sizes are matplotlib's
    defaults, which the seed's figure used (10 pt ticks and labels, 12 pt title, 8 pt annotation).
    """
    if not uses_projector_type(config):
        return TypeSizes(False, tick_pt=10, axis_label_pt=10, title_pt=12, label_pt=9, annotation_pt=8)
    floor_pt = math.ceil(MIN_TEXT_FRACTION * config.plot.height_px * 72 / DPI * 2) / 2
    return TypeSizes(
        True,
        tick_pt=floor_pt,
        axis_label_pt=floor_pt + 0.5,
        title_pt=math.ceil(floor_pt * 1.3 * 2) / 2,
        label_pt=floor_pt,
        annotation_pt=floor_pt,
    )
