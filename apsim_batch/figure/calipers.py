"""Calipers: a trace's measurements drawn where a student reads them, for the teacher only.

One drawing serves the teacher's poster of each variant (`calipers_poster`, written beside the answer
key) and the calipers pages of the PDF key (output/export/calipers.py): rest, peak and amplitude,
half-width, and the after-hyperpolarization's depth and recovery, each a bracket or bar with end
ticks and its value. Handouts never get them: a handout is the variant's own render, drawn without.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..trace.features import RECOVERY_MV
from .rest_zoom import NAME as ZOOM

if TYPE_CHECKING:
    from ..config.models import Config
    from ..trace.analysis import Analysis

INK, MARK, GUIDE = "#000000", "#D55E00", "#767676"  # Okabe–Ito vermilion marks (non-text, 3:1), black text
SPIKE, AHP = "spike", "ahp"  # the two groups of marks: around the spike, and around the after-hyperpolarization
CALIPER_GID = "caliper"  # every artist drawn here carries it, so a figure can be searched for calipers


def draw_calipers(
    axes: Any,
    time_ms: np.ndarray,
    voltage_mv: np.ndarray,
    measured: Mapping[str, float],
    size_pt: float,
    groups: Sequence[str] = (SPIKE, AHP),
) -> list[Any]:
    """Draw the measurements of `measured` (key column -> value) on `axes`; returns the artists drawn."""
    pen = _Pen(axes, size_pt)
    m = {k: v for k, v in measured.items() if isinstance(v, int | float) and math.isfinite(v)}
    if SPIKE in groups:
        if "resting_mv" in m:
            pen.add(axes.axhline(m["resting_mv"], color=GUIDE, linestyle="--", linewidth=pen.width))
            pen.label(
                time_ms[0], m["resting_mv"], f" rest {m['resting_mv']:.1f} mV", va="top"
            )  # under: clear of the trace
        if {"peak_time_ms", "peak_mv"} <= m.keys():
            t, v = m["peak_time_ms"], m["peak_mv"]
            pen.dot(t, v)
            pen.label(t, v, f" peak {v:.1f} mV", va="bottom")
            if "amplitude_mv" in m:  # its value high up the spike: the half-width's sits at half amplitude
                low = v - m["amplitude_mv"]
                pen.bracket(
                    (t, low), (t, v), f" amplitude {m['amplitude_mv']:.1f} mV", at=low + 0.8 * m["amplitude_mv"]
                )
                if "half_width_ms" in m:
                    _half_width(pen, time_ms, voltage_mv, m)
        if {"threshold_time_ms", "threshold_mv"} <= m.keys():
            pen.add(*axes.plot([m["threshold_time_ms"]], [m["threshold_mv"]], "s", color=MARK, markersize=pen.dot_pt))
    if AHP in groups and {"ahp_time_ms", "ahp_min_mv"} <= m.keys():
        t, v = m["ahp_time_ms"], m["ahp_min_mv"]
        pen.dot(t, v)
        if "ahp_depth_mv" in m:
            pen.bracket((t, v + m["ahp_depth_mv"]), (t, v), f" AHP depth {m['ahp_depth_mv']:.1f} mV")
        if "recovery_time_ms" in m and "resting_mv" in m:
            level = m["resting_mv"] - RECOVERY_MV
            pen.bar(t, m["recovery_time_ms"], level, f" within {RECOVERY_MV:g} mV at {m['recovery_time_ms']:.2f} ms")
    return pen.drawn


def _half_width(pen: _Pen, time_ms: np.ndarray, voltage_mv: np.ndarray, m: Mapping[str, float]) -> None:
    """The half-width as a bar at half amplitude, from where the rising trace crosses that level."""
    level = m["peak_mv"] - m["amplitude_mv"] / 2
    before = np.flatnonzero((time_ms <= m["peak_time_ms"]) & (voltage_mv < level))
    if before.size == 0 or before[-1] + 1 >= time_ms.size:
        return
    i = before[-1]  # the last sample below the level before the peak: interpolate to the crossing
    rise = voltage_mv[i + 1] - voltage_mv[i]
    start = time_ms[i] + (level - voltage_mv[i]) / rise * (time_ms[i + 1] - time_ms[i]) if rise else time_ms[i]
    pen.bar(start, start + m["half_width_ms"], level, f" half-width {m['half_width_ms']:.2f} ms")


class _Pen:
    """Marks in one style on one axes, scaled to the text size, each tagged CALIPER_GID and collected."""

    def __init__(self, axes: Any, size_pt: float) -> None:
        self.axes, self.size_pt = axes, size_pt
        self.width = 0.14 * size_pt  # 0.9 pt lines beside 6.5 pt text, as the printed key had
        self.dot_pt = 0.45 * size_pt
        self.drawn: list[Any] = []

    def add(self, *artists: Any) -> None:
        for artist in artists:
            artist.set_gid(CALIPER_GID)
            self.drawn.append(artist)

    def dot(self, x: float, y: float) -> None:
        self.add(*self.axes.plot([x], [y], "o", color=MARK, markersize=self.dot_pt))

    def bracket(self, low: tuple[float, float], high: tuple[float, float], text: str, at: float | None = None) -> None:
        """A vertical caliper between two levels: a line with end ticks (|-|), and its value beside it
        (halfway up, or at the level `at`)."""
        arrow = {"arrowstyle": "|-|, widthA=0.4, widthB=0.4", "color": MARK, "linewidth": self.width}
        self.add(self.axes.annotate("", xy=high, xytext=low, arrowprops={**arrow, "shrinkA": 0, "shrinkB": 0}))
        self.label(low[0], (low[1] + high[1]) / 2 if at is None else at, text, va="center")

    def bar(self, start: float, end: float, level: float, text: str) -> None:
        """A horizontal caliper at `level` from `start` to `end`, with end ticks, and its value after it."""
        arrow = {"arrowstyle": "|-|, widthA=0.4, widthB=0.4", "color": MARK, "linewidth": self.width * 1.3}
        self.add(
            self.axes.annotate(
                "", xy=(end, level), xytext=(start, level), arrowprops={**arrow, "shrinkA": 0, "shrinkB": 0}
            )
        )
        self.label(end, level, text, va="center")

    def label(self, x: float, y: float, text: str, va: str) -> None:
        """The value, a little right of its mark (so its white backing never covers the mark)."""
        if math.isfinite(x) and math.isfinite(y):
            box = {"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.5}
            shift = {"xytext": (0.4 * self.size_pt, 0), "textcoords": "offset points"}
            style = {"size": self.size_pt, "color": INK, "va": va, "ha": "left", "annotation_clip": False}
            self.add(self.axes.annotate(text.strip(), (x, y), **shift, **style, clip_on=True, bbox=box))


ALWAYS = ("resting_mv", "peak_mv", "peak_time_ms", "amplitude_mv", "half_width_ms", "ahp_min_mv", "ahp_time_ms")
ALWAYS += ("ahp_depth_mv", "threshold_mv", "threshold_time_ms")  # drawn on every poster; the rest when asked


def calipers_poster(config: Config, analysis: Analysis, ask: Sequence[str] | None = None) -> np.ndarray:
    """The variant's figure (as its render draws it) with its calipers: the spike's on the voltage axes,
    the after-hyperpolarization's on the rest-zoom panel when the figure has one (where they are read).
    Rest, peak, amplitude, half-width, AHP depth (and threshold) always; other measurements when `ask`ed."""
    from .canvas import rgb_of
    from .layout import draw_parts

    parts, _, _ = draw_parts(config, analysis)
    trace = analysis.trace
    shown = {*ALWAYS, *(ask or ())}
    measured = {k: v for k, v in analysis.measurements.as_dict().items() if k in shown}
    size_pt = parts.sizes.label_pt
    zoom = parts.named(ZOOM)
    groups = (SPIKE,) if zoom is not None else (SPIKE, AHP)
    draw_calipers(parts.voltage, trace.time_ms, trace.voltage_mv, measured, size_pt, groups)
    if zoom is not None:
        draw_calipers(zoom, trace.time_ms, trace.voltage_mv, measured, size_pt, (AHP,))
    return rgb_of(parts.fig.canvas)
