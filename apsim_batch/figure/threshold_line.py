"""The threshold line: a dashed level labelled 'threshold', where the firing threshold is the lesson."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .palette import LABEL_TEXT

if TYPE_CHECKING:
    from .parts import Parts

THRESHOLD_LINE = "#404040"  # 10:1 on white: a reference line that reads as one, lighter than the black trace


def draw_threshold_line(parts: Parts) -> None:
    """The line across the voltage axes and its name just above it at the left, in the label size.

    Drawn with the decorations, before the phase labels are placed, so they keep clear of its name.
    """
    level = parts.config.plot.threshold_line_mv
    if level is None:
        return
    ax = parts.voltage
    ax.axhline(y=level, color=THRESHOLD_LINE, linestyle=(0, (6, 3)), linewidth=1.2, zorder=1)
    ax.annotate(
        f"threshold {level:g} mV".replace("-", "\u2212"),  # the minus the tick labels use
        (0.01, level),
        xycoords=("axes fraction", "data"),
        xytext=(0, 2),
        textcoords="offset points",
        fontsize=parts.sizes.label_pt,
        color=LABEL_TEXT,
        ha="left",
        va="bottom",
        zorder=3,
    )
