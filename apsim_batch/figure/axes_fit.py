"""Axes that fit the trace: time ticks from the duration, a voltage range that shows the whole trace, grid steps."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config.models import Config
from ..trace.models import model_of

RANGE_STEP_MV = 10.0  # a fitted or widened range ends on a multiple of this
HEADROOM_MV = 10.0  # space kept between the trace and a fitted limit (labels and markers live there)
MIN_MINOR_PX = 9.0  # minor grid lines closer than this turn to grey mush on a projector or a printout


def nice_step(span: float, max_count: float) -> float:
    """The smallest step of the form 1, 2 or 5 x 10^k that cuts `span` into at most `max_count` parts."""
    if span <= 0 or max_count < 1:
        return max(span, 1e-9)
    raw = span / max_count
    exponent = math.floor(math.log10(raw))
    for base in (1, 2, 5, 10):
        step = base * 10.0**exponent
        if step >= raw * (1 - 1e-9):
            return step
    return 10.0 ** (exponent + 1)


def time_tick_ms(config: Config, axes_width_px: float, font_px: float) -> float:
    """The time-axis tick spacing: the config's, or the finest 1-2-5 step whose labels have room.

    Each tick label needs about three label heights of width ("80" plus the space on either
    side), so 10 ms of trace on a 560 px axis get 1 ms ticks (as the original figure had) and
    2,000 ms get 200 ms ticks instead of being refused.
    """
    if config.plot.time_tick_ms is not None:
        return config.plot.time_tick_ms
    duration = config.waveform.duration_ms
    digits = len(f"{duration:g}")
    label_px = font_px * (0.6 * digits + 1.6)
    return nice_step(duration, max(1.0, min(12.0, axes_width_px / label_px)))


def minor_step(major: float, px_per_unit: float) -> float:
    """A minor step that divides the major one (into 5, 4 or 2) with lines at least MIN_MINOR_PX apart.

    For 20 mV majors that is 5 mV, for 1 ms majors 0.2 ms (or 0.5 ms on a narrow axis): the value
    a student can read to (figure/readings.py turns it into the answer keys' tolerances).
    """
    leading = round(major / 10.0 ** math.floor(math.log10(major)))
    divisors = (4, 2) if leading == 2 else (5, 2)  # 2 -> 0.5, never 0.4; 1 or 5 -> 0.2/1 or 0.5/2.5
    for divisor in divisors:
        if major / divisor * px_per_unit >= MIN_MINOR_PX:
            return major / divisor
    return major


@dataclass(frozen=True)
class VoltageRange:
    """The voltage axis limits, and how far the trace goes beyond limits the config set."""

    low_mv: float
    high_mv: float
    below_mv: float | None = None  # lowest voltage under low_mv, when the trace goes there
    above_mv: float | None = None  # highest voltage over high_mv

    @property
    def limits(self) -> tuple[float, float]:
        return self.low_mv, self.high_mv

    @property
    def clipped(self) -> bool:
        return self.below_mv is not None or self.above_mv is not None

    def note(self) -> str | None:
        """A sentence for the run's notes when part of the trace lies outside the axis."""
        if not self.clipped:
            return None
        parts = []
        if self.below_mv is not None:
            parts.append(f"down to {self.below_mv:.1f} mV, under the axis's {self.low_mv:g} mV")
        if self.above_mv is not None:
            parts.append(f"up to {self.above_mv:.1f} mV, over the axis's {self.high_mv:g} mV")
        return (
            "plot.voltage_range_mv: the trace goes "
            + " and ".join(parts)
            + "; the figure marks where (leave voltage_range_mv out to fit the axis to the trace)"
        )


def voltage_range(config: Config, voltage_mv: np.ndarray, extra_levels_mv: tuple[float, ...] = ()) -> VoltageRange:
    """The voltage axis: the config's limits (flagged if the trace leaves them) or a fitted range.

    Without limits in the config, Gaussian figures keep the original -100 to 70 mV and widen it in
    10 mV steps only when the trace needs it; Hodgkin–Huxley figures fit the trace (and any
    reversal-potential lines) with 10 mV of headroom.
    """
    low, high = float(np.min(voltage_mv)), float(np.max(voltage_mv))
    explicit = config.plot.voltage_range_mv
    if explicit is not None:
        lo, hi = float(explicit[0]), float(explicit[1])
        return VoltageRange(lo, hi, below_mv=low if low < lo else None, above_mv=high if high > hi else None)
    low = min(low, *extra_levels_mv) if extra_levels_mv else low
    high = max(high, *extra_levels_mv) if extra_levels_mv else high
    fit_lo = math.floor((low - HEADROOM_MV) / RANGE_STEP_MV) * RANGE_STEP_MV
    fit_hi = math.ceil((high + HEADROOM_MV) / RANGE_STEP_MV) * RANGE_STEP_MV
    fixed = model_of(config.waveform).fixed_voltage_range_mv
    if fixed is not None:
        base_lo, base_hi = fixed
        lo = base_lo if low >= base_lo else math.floor(low / RANGE_STEP_MV) * RANGE_STEP_MV - RANGE_STEP_MV
        hi = base_hi if high <= base_hi else math.ceil(high / RANGE_STEP_MV) * RANGE_STEP_MV + RANGE_STEP_MV
        return VoltageRange(lo, hi)
    return VoltageRange(fit_lo, fit_hi)


def reversal_levels(config: Config) -> tuple[float, ...]:
    """The model's reversal potentials (E_Na, E_K) when the figure draws them (the voltage axis reaches them)."""
    return model_of(config.waveform).reversal_mv(config.waveform) if config.plot.reversal_lines else ()


@dataclass(frozen=True)
class GridSteps:
    """The measurement grid of a figure: major and minor steps of both axes.

    A minor step is the precision a student can read off the figure; figure/readings.py derives the
    answer keys' marking tolerances from it.
    """

    time_major_ms: float
    time_minor_ms: float
    voltage_major_mv: float
    voltage_minor_mv: float

    def as_dict(self) -> dict[str, float]:
        return {
            "time_major_ms": self.time_major_ms,
            "time_minor_ms": self.time_minor_ms,
            "voltage_major_mv": self.voltage_major_mv,
            "voltage_minor_mv": self.voltage_minor_mv,
        }
