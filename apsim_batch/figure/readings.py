"""What a student can read off a figure: each measurement's marking tolerance, from the grid and the line.

A value read off an axes is right to half its minor grid step (the nearest line) plus half the width
of the drawn line in that axes' units (which edge of the line is "the" trace). A level is read on the
finest axes that shows it (the rest-zoom panel near rest, else the voltage axes). From readings:

- a level (resting, peak, trough, threshold): one voltage reading;
- a difference of levels (amplitude = peak - rest, AHP depth = rest - trough): the sum of both readings;
- a time where the trace crosses a level (half-width's ends, recovery): one time reading, plus the
  level's uncertainty divided by the slope there (a shallow trace smears a level over a long time);
- the time of an extremum (peak, trough): one time reading, plus half the stretch over which the trace
  stays within a voltage reading of the extremum (a round top has no sharp time);
- a duration between two such times (half-width, interval): the sum of both;
- a count is exact; a computed rate is not read off, so it has no tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..trace.features import RECOVERY_MV
from .canvas import DPI
from .rest_zoom import MINOR_MV as ZOOM_MINOR_MV
from .rest_zoom import NAME as ZOOM
from .style import PANEL_LINE_PT

if TYPE_CHECKING:
    from ..config.models import Config
    from ..trace.analysis import Analysis
    from .axes_fit import GridSteps
    from .layout import PanelGeometry

DIGITS = 4  # tolerances are stated to this many decimals (rounded up, never down)


@dataclass(frozen=True)
class Scale:
    """One axes a value is read on: its window, its minor grid step and its pixels per unit."""

    low: float
    high: float
    minor: float
    px_per_unit: float
    line_px: float

    def reading(self) -> float:
        """Half a minor step plus half the line's width, in data units."""
        return self.minor / 2 + self.line_px / 2 / self.px_per_unit

    def shows(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Readable:
    """Where a figure's values are read: the time axis, and every axes that shows voltage (finest first)."""

    time: Scale
    voltage: tuple[Scale, ...]

    def volts(self, value: float) -> float:
        """The reading of a voltage level: on the finest axes that shows it."""
        shown = [scale.reading() for scale in self.voltage if scale.shows(value)]
        return min(shown) if shown else self.voltage[-1].reading()


def readable(config: Config, grid: GridSteps, panels: Sequence[PanelGeometry]) -> Readable:
    """The scales of a figure: its grid steps, its axes' pixel sizes (`Layers.panels`), its line widths."""
    from .style import type_sizes

    main_px = config.plot.line_width_pt * DPI / 72
    panel_px = PANEL_LINE_PT[type_sizes(config).projector] * DPI / 72
    voltage = next(panel for panel in panels if panel.name == "voltage")
    x0, y0, x1, y1 = voltage.box
    duration = voltage.x_range[1] - voltage.x_range[0]
    time = Scale(voltage.x_range[0], voltage.x_range[1], grid.time_minor_ms, (x1 - x0) / duration, main_px)
    low, high = voltage.y_range
    scales = [Scale(low, high, grid.voltage_minor_mv, (y1 - y0) / (high - low), main_px)]
    for panel in panels:
        if panel.name == ZOOM:
            lo, hi = panel.y_range
            scales.insert(0, Scale(lo, hi, ZOOM_MINOR_MV, (panel.box[3] - panel.box[1]) / (hi - lo), panel_px))
    return Readable(time, tuple(scales))


def tolerances(
    config: Config, analysis: Analysis, grid: GridSteps, panels: Sequence[PanelGeometry]
) -> dict[str, float | None]:
    """Each measured value's marking tolerance on this figure (module docstring); None: not read off it."""
    scales = readable(config, grid, panels)
    return tolerances_of(scales, analysis.trace.time_ms, analysis.trace.voltage_mv, _first(analysis))


def _first(analysis: Analysis) -> dict[str, Any]:
    return {k: v for k, v in analysis.measurements.as_dict().items() if not isinstance(v, dict | list)}


def tolerances_of(
    scales: Readable, time_ms: Sequence[float], voltage_mv: Sequence[float], m: Mapping[str, Any]
) -> dict[str, float | None]:
    """The tolerances of the measurements `m` (the first spike's, flat) of the trace drawn on `scales`."""
    t, v = np.asarray(time_ms, dtype=float), np.asarray(voltage_mv, dtype=float)
    rest = m.get("resting_mv")
    found: dict[str, float | None] = {"firing_rate_hz": None}
    if rest is None:
        return found
    r_rest = scales.volts(rest)
    found["resting_mv"] = r_rest
    for level in ("peak_mv", "ahp_min_mv", "threshold_mv"):
        if m.get(level) is not None:
            found[level] = scales.volts(m[level])
    if m.get("peak_mv") is not None:
        found["amplitude_mv"] = found["peak_mv"] + r_rest
        found["peak_time_ms"] = _extremum_ms(scales, t, v, m.get("peak_time_ms"), found["peak_mv"])
        found["isi_ms"] = 2 * found["peak_time_ms"] if m.get("isi_ms") is not None else None
    if m.get("ahp_min_mv") is not None:
        found["ahp_depth_mv"] = found["ahp_min_mv"] + r_rest
        found["ahp_time_ms"] = _extremum_ms(scales, t, v, m.get("ahp_time_ms"), found["ahp_min_mv"])
    if m.get("threshold_time_ms") is not None:
        found["threshold_time_ms"] = _crossing_ms(scales, t, v, m["threshold_time_ms"], found["threshold_mv"])
    if m.get("half_width_ms") is not None and m.get("amplitude_mv") is not None:
        level = rest + m["amplitude_mv"] / 2
        level_error = scales.volts(level) + (found["peak_mv"] + r_rest) / 2  # the level is found from both
        ends = _level_times(t, v, m["peak_time_ms"], level)
        found["half_width_ms"] = sum(_crossing_ms(scales, t, v, end, level_error) for end in ends) if ends else None
    if m.get("recovery_time_ms") is not None:
        level_error = scales.volts(rest - RECOVERY_MV) + r_rest  # 1 mV is counted from the resting level
        found["recovery_time_ms"] = _crossing_ms(scales, t, v, m["recovery_time_ms"], level_error)
    return {"spike_count": 0, **{k: None if x is None else _up(x) for k, x in found.items()}}


def _crossing_ms(scales: Readable, t: np.ndarray, v: np.ndarray, when_ms: float, level_error_mv: float) -> float:
    """The reading of the time the trace crosses a level known to `level_error_mv`."""
    slope = abs(float(np.interp(when_ms, t, np.gradient(v, t))))
    return scales.time.reading() + (level_error_mv / slope if slope > 0 else scales.time.high - scales.time.low)


def _extremum_ms(scales: Readable, t: np.ndarray, v: np.ndarray, when_ms: float | None, within_mv: float) -> float:
    """The reading of the time of a peak or trough: plus half the stretch the trace stays within `within_mv` of it."""
    if when_ms is None:
        return scales.time.reading()
    i = int(np.argmin(np.abs(t - when_ms)))
    near = np.abs(v - v[i]) <= within_mv
    lo, hi = i, i
    while lo > 0 and near[lo - 1]:
        lo -= 1
    while hi < len(v) - 1 and near[hi + 1]:
        hi += 1
    return scales.time.reading() + (t[hi] - t[lo]) / 2


def _level_times(t: np.ndarray, v: np.ndarray, peak_ms: float, level: float) -> tuple[float, float] | None:
    """Where the spike around `peak_ms` rises through `level` and falls back through it."""
    p = int(np.argmin(np.abs(t - peak_ms)))
    before = np.flatnonzero(v[:p] < level)
    after = np.flatnonzero(v[p:] < level)
    if not len(before) or not len(after):
        return None
    i, j = int(before[-1]), p + int(after[0]) - 1
    rise = t[i] + (level - v[i]) / (v[i + 1] - v[i]) * (t[i + 1] - t[i])
    fall = t[j] + (level - v[j]) / (v[j + 1] - v[j]) * (t[j + 1] - t[j])
    return float(rise), float(fall)


def _up(value: float) -> float:
    """Rounded up to DIGITS decimals: a stated tolerance is never tighter than the derived one."""
    scale = 10**DIGITS
    return float(np.ceil(value * scale - 1e-9) / scale)
