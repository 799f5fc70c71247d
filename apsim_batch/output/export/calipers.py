"""The teacher key's calipers: each variant's trace with the key's measurements drawn where they are read."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .reader import ExportSet, Variant

PER_PAGE = (2, 3)  # rows, columns of small traces on a landscape A4 page
INK, MARK, GUIDE = "#000000", "#D55E00", "#767676"  # Okabe–Ito vermilion for the marks, grey guides


def caliper_pages(exported: ExportSet, page_in: tuple[float, float]) -> list[Any]:
    """Landscape pages of six variants each: the trace, rest, peak and amplitude, half-width, AHP depth."""
    from matplotlib.figure import Figure

    rows, columns = PER_PAGE
    pages = []
    variants = list(exported.variants)
    for start in range(0, len(variants), rows * columns):
        figure = Figure(figsize=page_in)
        figure.suptitle(f"{exported.name}: where each value of the key is read", x=0.07, ha="left", size=13)
        grid = figure.add_gridspec(rows, columns, left=0.07, right=0.97, top=0.88, bottom=0.08, hspace=0.45)
        for index, variant in enumerate(variants[start : start + rows * columns]):
            axes = figure.add_subplot(grid[index // columns, index % columns])
            _draw(axes, variant)
        pages.append(figure)
    return pages


def _draw(axes: Any, variant: Variant) -> None:
    axes.set_title(variant.id, size=10, loc="left")
    axes.tick_params(labelsize=7)
    axes.set_xlabel("Time (ms)", size=8)
    axes.set_ylabel("Voltage (mV)", size=8)
    if variant.trace is None:
        axes.text(0.5, 0.5, "no trace.csv rendered", ha="center", va="center", transform=axes.transAxes, size=8)
        return
    time_ms, voltage_mv = variant.trace
    axes.plot(time_ms, voltage_mv, color=INK, linewidth=0.9)
    axes.grid(True, color="#dddddd", linewidth=0.5)
    m = dict(variant.measured)
    if "resting_mv" in m:
        axes.axhline(m["resting_mv"], color=GUIDE, linestyle="--", linewidth=0.8)
        _label(axes, time_ms[0], m["resting_mv"], f"rest {m['resting_mv']:.1f}", va="bottom")
    if {"peak_time_ms", "peak_mv"} <= m.keys():
        t, v = m["peak_time_ms"], m["peak_mv"]
        axes.plot([t], [v], "o", color=MARK, markersize=3)
        _label(axes, t, v, f" peak {v:.1f} at {t:.2f} ms", va="bottom")
        if "amplitude_mv" in m:
            # left of the spike: the half-width's label sits right of it at the same height
            _bracket(axes, (t, v - m["amplitude_mv"]), (t, v), f"amplitude {m['amplitude_mv']:.1f} ", ha="right")
            if "half_width_ms" in m:
                _half_width(axes, time_ms, voltage_mv, m)
    if {"ahp_time_ms", "ahp_min_mv"} <= m.keys():
        t, v = m["ahp_time_ms"], m["ahp_min_mv"]
        axes.plot([t], [v], "o", color=MARK, markersize=3)
        if "ahp_depth_mv" in m:
            _bracket(axes, (t, v + m["ahp_depth_mv"]), (t, v), f" AHP depth {m['ahp_depth_mv']:.1f}")
    if {"threshold_time_ms", "threshold_mv"} <= m.keys():
        axes.plot([m["threshold_time_ms"]], [m["threshold_mv"]], "s", color=MARK, markersize=3)


def _half_width(axes: Any, time_ms: np.ndarray, voltage_mv: np.ndarray, m: dict[str, float]) -> None:
    """The half-width as a bar at half amplitude, from where the rising trace crosses that level."""
    level = m["peak_mv"] - m["amplitude_mv"] / 2
    before = np.flatnonzero((time_ms <= m["peak_time_ms"]) & (voltage_mv < level))
    if before.size == 0 or before[-1] + 1 >= time_ms.size:
        return
    i = before[-1]  # the last sample below the level before the peak: interpolate to the crossing
    rise = voltage_mv[i + 1] - voltage_mv[i]
    start = time_ms[i] + (level - voltage_mv[i]) / rise * (time_ms[i + 1] - time_ms[i]) if rise else time_ms[i]
    end = start + m["half_width_ms"]
    axes.plot([start, end], [level, level], color=MARK, linewidth=1.2, solid_capstyle="butt")
    _label(axes, end, level, f" half-width {m['half_width_ms']:.2f} ms", va="center")


def _bracket(axes: Any, low: tuple[float, float], high: tuple[float, float], text: str, ha: str = "left") -> None:
    arrow = {"arrowstyle": "<->", "color": MARK, "linewidth": 0.9, "shrinkA": 0, "shrinkB": 0}
    axes.annotate("", xy=high, xytext=low, arrowprops=arrow)
    _label(axes, low[0], (low[1] + high[1]) / 2, text, va="center", ha=ha)


def _label(axes: Any, x: float, y: float, text: str, va: str, ha: str = "left") -> None:
    if math.isfinite(x) and math.isfinite(y):
        axes.text(x, y, text, size=6.5, color=INK, va=va, ha=ha, clip_on=True)
