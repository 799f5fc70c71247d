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


SPIKE_RISE_MV = 40.0  # an excursion is a spike when it rises this far above rest
PHASE_NAMES = ("resting", "subthreshold", "depolarization", "repolarization", "hyperpolarization", "return_to_rest")


@dataclass(frozen=True)
class Phase:
    """One phase of the trace: from start_ms to end_ms; start_index is the first sample inside it."""

    name: str
    start_ms: float
    end_ms: float
    start_index: int
    spike: int | None  # 0-based number of the action potential it belongs to; None for rest

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    def as_dict(self, digits: int = 6) -> dict[str, float | int | str | None]:
        return {
            "phase": self.name,
            "start_ms": round(self.start_ms, digits),
            "end_ms": round(self.end_ms, digits),
            "spike": self.spike,
        }


def phases(time_ms: np.ndarray, voltage_mv: np.ndarray, measurements: Measurements | None = None) -> list[Phase]:
    """Split the trace into the phases of the action potential, in time order, covering it all.

    rest is measurements.resting_mv (the first sample). A spike is an excursion that rises at
    least 40 mV above rest; each spike is cut into:
    - depolarization: from the spike's onset (where dV/dt last rose through 10 mV/ms before it
      crossed rest + 40 mV, the threshold convention of `measure`) to its peak;
    - repolarization: from the peak down to rest (the downward crossing of rest when an
      after-hyperpolarization follows, otherwise until the trace is back within 1 mV of rest);
    - hyperpolarization: from that crossing of rest to the lowest point before the next spike,
      when it lies at least 0.1 mV below rest (the after-hyperpolarization, toward EK);
    - return_to_rest: from that lowest point until the trace is back within 1 mV of rest, or
      until the next spike's onset when repetitive firing never lets it get there.
    Everything else is resting, except excursions beyond 1 mV of rest that never become a spike,
    which are subthreshold (a trace with no spike is rest plus any subthreshold response).
    Phases of zero length are left out. Times are interpolated between samples like `measure`.
    """
    t = np.asarray(time_ms, dtype=float)
    v = np.asarray(voltage_mv, dtype=float)
    m = measurements if measurements is not None else measure(t, v)
    rest, n = m.resting_mv, len(v)
    slope = np.gradient(v, t)
    level = rest + SPIKE_RISE_MV
    above = v >= level
    ups = [0] if above[0] else []
    ups += [int(i) + 1 for i in np.flatnonzero(~above[:-1] & above[1:])]
    end_t = float(t[-1])
    out: list[Phase] = []

    def add(name: str, start: float, end: float, spike: int | None) -> None:
        if end > start:
            index = min(int(np.searchsorted(t, start - 1e-12 * max(1.0, abs(start)))), n - 1)
            out.append(Phase(name, start, end, index, spike))

    def resting_gap(start: float, end: float) -> None:
        """Rest from start to end, with any subthreshold excursion in between marked."""
        i0, i1 = int(np.searchsorted(t, start)), int(np.searchsorted(t, end, side="right"))
        outside = np.flatnonzero(np.abs(v[i0:i1] - rest) > RETURN_BAND_MV) + i0
        if not len(outside):
            add("resting", start, end, None)
            return
        first, last = int(outside[0]), int(outside[-1])
        leave = start if first == 0 or first == i0 else _band_crossing(t, v, first - 1, rest)
        back = end if last + 1 >= i1 else _band_crossing(t, v, last, rest)
        add("resting", start, max(start, leave), None)
        add("subthreshold", max(start, leave), min(end, back), None)
        add("resting", min(end, back), end, None)

    cursor = float(t[0])
    cursor_i = 0
    for k, up in enumerate(ups):
        following = ups[k + 1] if k + 1 < len(ups) else n
        # onset: walk back from the level crossing while the slope stays at or above threshold
        j = up
        while j > cursor_i and slope[j - 1] >= THRESHOLD_SLOPE_MV_PER_MS:
            j -= 1
        onset = float(t[j]) if j <= cursor_i else _crossing(t, slope, j - 1, THRESHOLD_SLOPE_MV_PER_MS)
        onset = max(onset, cursor)
        peak_i = up + int(np.argmax(v[up:following]))
        # where the next spike starts rising: its own onset is searched from here on
        nxt = following
        if following < n:
            nxt = following
            while nxt > peak_i + 1 and slope[nxt - 1] >= THRESHOLD_SLOPE_MV_PER_MS:
                nxt -= 1
        window_end = float(t[nxt]) if following < n else end_t
        resting_gap(cursor, onset)
        add("depolarization", onset, float(t[peak_i]), k)
        low_i = peak_i + int(np.argmin(v[peak_i : nxt + 1]))
        if rest - v[low_i] >= MIN_AHP_MV:
            down = peak_i + int(np.flatnonzero(v[peak_i : low_i + 1] <= rest)[0])
            cross = _crossing(t, v, down - 1, rest)
            add("repolarization", float(t[peak_i]), cross, k)
            add("hyperpolarization", cross, float(t[low_i]), k)
            back = np.flatnonzero(v[low_i : nxt + 1] >= rest - RETURN_BAND_MV)
            done = window_end if not len(back) else _crossing(t, v, low_i + int(back[0]) - 1, rest - RETURN_BAND_MV)
            add("return_to_rest", float(t[low_i]), min(done, window_end), k)
        else:
            back = np.flatnonzero(v[peak_i : nxt + 1] <= rest + RETURN_BAND_MV)
            done = window_end if not len(back) else _crossing(t, v, peak_i + int(back[0]) - 1, rest + RETURN_BAND_MV)
            add("repolarization", float(t[peak_i]), min(done, window_end), k)
        cursor = out[-1].end_ms if out else cursor
        cursor_i = min(int(np.searchsorted(t, cursor)), n - 1)
    resting_gap(cursor, end_t)
    return out


def _band_crossing(t: np.ndarray, v: np.ndarray, i: int, rest: float) -> float:
    """Where the segment i..i+1 crosses the edge of the 1 mV band around rest."""
    level = rest + RETURN_BAND_MV if max(v[i], v[i + 1]) > rest + RETURN_BAND_MV else rest - RETURN_BAND_MV
    return _crossing(t, v, i, level)
