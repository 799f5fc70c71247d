"""Tick steps from the axis ranges, shared by the figure (ticks, grid) and the answer keys (tolerances)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..config.models import Config

MAX_TIME_TICKS = 10  # major intervals along the time axis at most
MAX_VOLTAGE_TICKS = 10
# minor ticks per major interval, by the major step's leading digit: 1 -> halves (1 ms -> 0.5 ms),
# 2 -> quarters (20 mV -> 5 mV, 2 ms -> 0.5 ms), 5 -> fifths (5 ms -> 1 ms)
SUBDIVISIONS = {1: 2, 2: 4, 5: 5}


def nice_step(span: float, max_ticks: int) -> float:
    """The smallest step of the form 1, 2 or 5 x 10^k that divides `span` into at most `max_ticks` intervals."""
    if not span > 0:
        raise ValueError(f"span must be positive (got {span})")
    raw = span / max_ticks
    exponent = math.floor(math.log10(raw))
    for mantissa in (1, 2, 5, 10):
        step = mantissa * 10.0**exponent
        if step >= raw * (1 - 1e-9):
            return _clean(step)
    raise AssertionError("unreachable: 10 x 10^k always suffices")


def minor_step(major: float) -> float:
    """The minor tick step for a major step: 1 -> 0.5, 2 -> 0.5, 5 -> 1 (times the same power of ten)."""
    exponent = math.floor(math.log10(major) + 1e-9)
    mantissa = round(major / 10.0**exponent)
    return _clean(major / SUBDIVISIONS.get(mantissa, 2))


def _clean(value: float) -> float:
    return float(f"{value:.12g}")  # 0.30000000000000004 -> 0.3


@dataclass(frozen=True)
class Ticks:
    """Major and minor tick steps of a figure's time and voltage axes."""

    time_major_ms: float
    time_minor_ms: float
    voltage_major_mv: float
    voltage_minor_mv: float


def figure_ticks(config: Config) -> Ticks:
    """The tick steps of this config's figure: plot.time_tick_ms when given, else chosen from the duration."""
    plot = config.plot
    given = getattr(plot, "time_tick_ms", None)
    time_major = float(given) if given else nice_step(config.waveform.duration_ms, MAX_TIME_TICKS)
    low, high = plot.voltage_range_mv
    voltage_major = nice_step(high - low, MAX_VOLTAGE_TICKS)
    return Ticks(time_major, minor_step(time_major), voltage_major, minor_step(voltage_major))


def figure_grid(config: Config, layers: Any = None) -> dict[str, float]:
    """The steps of a rendered figure's grid, for its manifest: the layout's own (`layers.grid`) when it
    records them, else `figure_ticks(config)`."""
    grid = getattr(layers, "grid", None)
    if grid is not None:
        return dict(grid.as_dict())
    return asdict(figure_ticks(config))


def ticks_from(grid: Mapping[str, float]) -> Ticks:
    """Ticks from a manifest's `grid` entry."""
    return Ticks(**{field: float(grid[field]) for field in Ticks.__dataclass_fields__})


def tolerance(column: str, ticks: Ticks) -> float | None:
    """The marking tolerance of a measured column: the value one minor grid step represents.

    Voltages (`*_mv`) and times (`*_ms`) are read off the grid to a minor step; a count must be
    exact; anything else (a rate in Hz) is computed from readings, not read off, so it has none.
    """
    if column.endswith("_mv"):
        return ticks.voltage_minor_mv
    if column.endswith("_ms"):
        return ticks.time_minor_ms
    if column.endswith("_count"):
        return 0
    return None
