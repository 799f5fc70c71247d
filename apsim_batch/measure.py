"""Features of a trace: rest, peak, threshold, half-width, after-hyperpolarization, return to rest.

Pure numpy, shared by the manifests, the answer keys and the phase annotation. Crossings are
interpolated linearly between samples, so on a smooth trace every time is accurate to well
within one sample interval.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

THRESHOLD_SLOPE_MV_PER_MS = 10.0  # spike onset: dV/dt first reaches this on the way to the peak
RETURN_BAND_MV = 1.0
MIN_AHP_MV = 0.1  # a dip smaller than this below rest is not an after-hyperpolarization


@dataclass(frozen=True)
class Measurements:
    """What a student would measure on the trace; None where the feature does not exist.

    Definitions:
    - resting_mv: the first sample (every model starts the trace at rest).
    - peak_mv, peak_time_ms: the highest sample.
    - amplitude_mv: peak_mv - resting_mv.
    - threshold_time_ms, threshold_mv: first time before the peak at which dV/dt reaches
      10 mV/ms (a common electrophysiology convention); None if the slope never gets there.
    - half_width_ms: time spent above resting_mv + amplitude_mv / 2 around the peak.
    - ahp_min_mv, ahp_time_ms, ahp_depth_mv: lowest point after the peak, when it lies at least
      0.1 mV below rest; depth is resting_mv - ahp_min_mv.
    - return_to_rest_ms: time after the peak from which the trace stays within 1 mV of rest.
    """

    resting_mv: float
    peak_mv: float
    peak_time_ms: float
    amplitude_mv: float
    threshold_time_ms: float | None
    threshold_mv: float | None
    half_width_ms: float | None
    ahp_min_mv: float | None
    ahp_time_ms: float | None
    ahp_depth_mv: float | None
    return_to_rest_ms: float | None

    def as_dict(self, digits: int = 6) -> dict[str, float | None]:
        """Rounded plain values, for manifests and answer keys (stable across platforms)."""
        return {k: (None if v is None else round(float(v), digits)) for k, v in asdict(self).items()}


def _crossing(t: np.ndarray, v: np.ndarray, i: int, level: float) -> float:
    """Time where the segment from sample i to i+1 crosses `level` (linear interpolation)."""
    dv = v[i + 1] - v[i]
    frac = 0.0 if dv == 0 else (level - v[i]) / dv
    return float(t[i] + frac * (t[i + 1] - t[i]))


def measure(time_ms: np.ndarray, voltage_mv: np.ndarray) -> Measurements:
    t = np.asarray(time_ms, dtype=float)
    v = np.asarray(voltage_mv, dtype=float)
    n = len(v)
    rest = float(v[0])
    peak_i = int(np.argmax(v))
    peak = float(v[peak_i])
    amplitude = peak - rest

    threshold_t = threshold_v = None
    slope = np.gradient(v, t)
    rising = np.flatnonzero(slope[: peak_i + 1] >= THRESHOLD_SLOPE_MV_PER_MS)
    if len(rising):
        j = int(rising[0])
        if j == 0:
            threshold_t, threshold_v = float(t[0]), float(v[0])
        else:
            threshold_t = _crossing(t, slope, j - 1, THRESHOLD_SLOPE_MV_PER_MS)
            threshold_v = float(np.interp(threshold_t, t, v))

    half_width = None
    half = rest + amplitude / 2
    if amplitude > 0:
        below_before = np.flatnonzero(v[:peak_i] < half)
        below_after = np.flatnonzero(v[peak_i:] < half)
        if len(below_before) and len(below_after):
            i0 = int(below_before[-1])
            i1 = peak_i + int(below_after[0]) - 1
            half_width = _crossing(t, v, i1, half) - _crossing(t, v, i0, half)

    ahp_min = ahp_t = ahp_depth = None
    after = v[peak_i:]
    low_i = peak_i + int(np.argmin(after))
    if rest - v[low_i] >= MIN_AHP_MV:
        ahp_min, ahp_t, ahp_depth = float(v[low_i]), float(t[low_i]), rest - float(v[low_i])

    return_t = None
    outside = np.flatnonzero(np.abs(v[peak_i:] - rest) > RETURN_BAND_MV)
    if len(outside):
        last = peak_i + int(outside[-1])
        if last + 1 < n:
            level = rest + RETURN_BAND_MV if v[last] > rest else rest - RETURN_BAND_MV
            return_t = _crossing(t, v, last, level)
    elif peak_i < n:
        return_t = float(t[peak_i])

    return Measurements(
        resting_mv=rest,
        peak_mv=peak,
        peak_time_ms=float(t[peak_i]),
        amplitude_mv=amplitude,
        threshold_time_ms=threshold_t,
        threshold_mv=threshold_v,
        half_width_ms=half_width,
        ahp_min_mv=ahp_min,
        ahp_time_ms=ahp_t,
        ahp_depth_mv=ahp_depth,
        return_to_rest_ms=return_t,
    )
