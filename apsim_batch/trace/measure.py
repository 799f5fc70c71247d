"""Spikes and what a physiologist measures on them: per-spike features, rest, count and rate (pure numpy).

One rule for both models: a spike is an upward crossing of the detection level (-20 mV unless
`plot.spike_detection_mv` says otherwise, as in eFEL) followed by a downward one; for Hodgkin–Huxley
it also needs net inward ionic current on its rise (a threshold). Every feature belongs to one spike;
crossings are interpolated linearly between samples, extrema are samples. The README's measurement section
has the table of definitions; the docstring of `Spike` repeats it next to the code.
"""

from __future__ import annotations

import numpy as np

from .features import DETECTION_MV, SPIKE_KEYS, Measurements, Spike, first_trough, recovery_time, round_or_none
from .phases import PHASE_LABELS, PHASE_NAMES, Phase, phases
from .waveform import Trace

__all__ = [
    "DETECTION_MV",
    "PHASE_LABELS",
    "PHASE_NAMES",
    "SPIKE_KEYS",
    "Measurements",
    "Phase",
    "Spike",
    "ionic_slope",
    "measure",
    "phases",
    "width_at_level_ms",
]

THRESHOLD_SLOPE_MV_PER_MS = 10.0  # threshold: the membrane's own (ionic) slope rises through this
MIN_EXCURSION_MV = 1.0  # a trace that never leaves rest by this much has no features but rest
MIN_AHP_MV = 0.1  # a trough less than this below rest is not an after-hyperpolarization


def _crossing(t: np.ndarray, y: np.ndarray, i: int, level: float) -> float:
    """Time where the segment from sample i to i+1 crosses `level` (linear interpolation)."""
    dy = y[i + 1] - y[i]
    frac = 0.0 if dy == 0 else (level - y[i]) / dy
    return float(t[i] + min(max(frac, 0.0), 1.0) * (t[i + 1] - t[i]))


def ionic_slope(trace: Trace, capacitance_uf_per_cm2: float | None = None) -> np.ndarray | None:
    """-I_ion/C in mV/ms at each sample, or None for a trace without a stimulus column (Gaussian).

    With the model's ionic currents in the trace this is the model's own derivative minus the
    stimulus term, exact at every sample. Otherwise a backward difference minus the current that was
    in force over that step: one-sided, so nothing is attributed to a sample before its cause.
    """
    extra = trace.extra
    if "i_stim_ua_per_cm2" not in extra:
        return None
    c_m = capacitance_uf_per_cm2 or trace.capacitance_uf_per_cm2
    ionic = ("i_na_ua_per_cm2", "i_k_ua_per_cm2", "i_leak_ua_per_cm2")
    if all(k in extra for k in ionic):
        return -sum(np.asarray(extra[k], dtype=float) for k in ionic) / c_m
    t, v = trace.time_ms, trace.voltage_mv
    slope = np.empty_like(v)
    slope[1:] = np.diff(v) / np.diff(t) - np.asarray(extra["i_stim_ua_per_cm2"][:-1]) / c_m
    slope[0] = slope[1] if len(v) > 1 else 0.0
    return slope


def width_at_level_ms(t: np.ndarray, v: np.ndarray, peak_i: int, level: float, lo: int, hi: int) -> float | None:
    """Time the trace spends above `level` around the peak, searching samples lo..hi-1 only."""
    below_before = np.flatnonzero(v[lo:peak_i] < level)
    below_after = np.flatnonzero(v[peak_i:hi] < level)
    if not len(below_before) or not len(below_after) or v[peak_i] <= level:
        return None
    i0 = lo + int(below_before[-1])
    i1 = peak_i + int(below_after[0]) - 1
    return _crossing(t, v, i1, level) - _crossing(t, v, i0, level)


def _spike_windows(v: np.ndarray, rest: float, level: float, hysteresis_mv: float = 0.0) -> list[tuple[int, int]]:
    """(first sample at or above the level, first sample below `level - hysteresis_mv` after it, or len(v))
    for each crossing: with hysteresis, noise riding on the level cannot cut one spike into several."""
    if np.max(np.abs(v - rest)) < MIN_EXCURSION_MV:
        return []
    above, below = v >= level, v < level - hysteresis_mv
    ups = np.flatnonzero(~above[:-1] & above[1:]) + 1
    windows: list[tuple[int, int]] = []
    for up in ups:
        if windows and up < windows[-1][1]:
            continue  # still inside the previous spike: it has not fallen below the hysteresis band
        down = np.flatnonzero(below[up:])
        windows.append((int(up), int(up + down[0]) if len(down) else len(v)))
    return windows


def _threshold(t: np.ndarray, v: np.ndarray, slope: np.ndarray | None, lo: int, peak_i: int) -> tuple:
    """(mV, ms) of the last upward crossing of the threshold slope in samples lo..peak_i, or (None, None)."""
    if slope is None:
        return None, None
    s = slope[lo : peak_i + 1]
    ups = np.flatnonzero((s[:-1] < THRESHOLD_SLOPE_MV_PER_MS) & (s[1:] >= THRESHOLD_SLOPE_MV_PER_MS))
    if not len(ups):
        return None, None
    i = lo + int(ups[-1])
    when = _crossing(t, slope, i, THRESHOLD_SLOPE_MV_PER_MS)
    return float(np.interp(when, t, v)), when


def _ahp(t: np.ndarray, v: np.ndarray, rest: float, peak_i: int, hi: int) -> tuple:
    """(min mV, time ms, depth mV) of the spike's trough when it lies below rest, or three Nones."""
    low = first_trough(v, peak_i, hi)
    if rest - v[low] < MIN_AHP_MV or low == len(v) - 1:
        return None, None, None
    return float(v[low]), float(t[low]), rest - float(v[low])


def _spikes(t: np.ndarray, v: np.ndarray, slope: np.ndarray | None, windows: list) -> tuple[list, list, int]:
    """(windows, thresholds) of the crossings that are spikes (net inward current on the rise), and how many are not."""
    kept, thresholds, lo = [], [], 0
    for up, down in windows:
        peak_i = up + int(np.argmax(v[up:down]))
        found = _threshold(t, v, slope, lo, peak_i)
        lo = peak_i  # the previous crossing is over by its peak
        if slope is None or found[0] is not None:
            kept.append((up, down, peak_i))
            thresholds.append(found)
    return kept, thresholds, len(windows) - len(kept)


def measure(
    trace: Trace,
    detection_mv: float = DETECTION_MV,
    *,
    rest_mv: float | None = None,
    hysteresis_mv: float = 0.0,
    slope: np.ndarray | None = None,
) -> Measurements:
    """Detect the spikes of a trace and measure each one (definitions: `Spike`, `Measurements`).

    Noisy data (a recording) gives its rest, a hysteresis band below the detection level and the slope
    the threshold is found on (smoothed); the features are measured on the samples as they are.
    """
    t = np.asarray(trace.time_ms, dtype=float)
    v = np.asarray(trace.voltage_mv, dtype=float)
    rest = float(v[0]) if rest_mv is None else float(rest_mv)
    slope = ionic_slope(trace) if slope is None else slope
    kept, thresholds, passive = _spikes(t, v, slope, _spike_windows(v, rest, detection_mv, hysteresis_mv))
    incomplete = None
    if kept and kept[-1][1] == len(v):  # cut off by the end: up through the level, never down again
        up, _, _ = kept.pop()
        onset = thresholds.pop()[1]
        incomplete = {"onset_ms": onset if onset is not None else _crossing(t, v, up - 1, detection_mv)}
        incomplete["last_mv"] = float(v[-1])
    peaks = [peak_i for _, _, peak_i in kept]
    spikes = []
    for k, ((_, _, peak_i), (threshold_mv, threshold_ms)) in enumerate(zip(kept, thresholds, strict=True)):
        lo = peaks[k - 1] if k else 0
        hi = kept[k + 1][0] if k + 1 < len(kept) else len(v)
        amplitude = float(v[peak_i]) - rest
        ahp_min, ahp_ms, ahp_depth = _ahp(t, v, rest, peak_i, hi)
        spikes.append(
            Spike(
                threshold_mv=threshold_mv,
                threshold_time_ms=threshold_ms,
                peak_mv=float(v[peak_i]),
                peak_time_ms=float(t[peak_i]),
                amplitude_mv=amplitude,
                half_width_ms=width_at_level_ms(t, v, peak_i, rest + amplitude / 2, lo, hi),
                ahp_min_mv=ahp_min,
                ahp_time_ms=ahp_ms,
                ahp_depth_mv=ahp_depth,
                isi_ms=float(t[peaks[k + 1]] - t[peak_i]) if k + 1 < len(peaks) else None,
                recovery_time_ms=None if ahp_ms is None else recovery_time(t, v, rest, first_trough(v, peak_i, hi), hi),
            )
        )
    isis = np.diff(t[peaks]) if len(peaks) > 1 else np.array([])
    return Measurements(
        resting_mv=rest,
        spike_count=len(spikes),
        firing_rate_hz=float(1000.0 / np.mean(isis)) if len(isis) else None,
        spikes=tuple(spikes),
        stimulus=stimulus_summary(trace),
        detection_mv=detection_mv,
        incomplete_spike=incomplete,
        passive_crossings=passive,
    )


def stimulus_summary(trace: Trace) -> dict | None:
    """The stimulus episodes of a Hodgkin–Huxley trace (exact times when the trace carries them)."""
    if trace.stimulus_episodes is not None:
        episodes = trace.stimulus_episodes
    elif "i_stim_ua_per_cm2" in trace.extra:
        episodes = episodes_from_samples(trace.time_ms, trace.extra["i_stim_ua_per_cm2"])
    else:
        return None
    return {
        "episodes": [
            {"onset_ms": round_or_none(a, 9), "end_ms": round_or_none(b, 9), "peak_ua_per_cm2": round_or_none(i, 9)}
            for a, b, i in episodes
        ]
    }


def episodes_from_samples(t: np.ndarray, i_stim: np.ndarray) -> tuple[tuple[float, float | None, float], ...]:
    """(onset, end or None, signed current of largest size) of each run of non-zero sampled current."""
    on = np.asarray(i_stim) != 0
    starts = np.flatnonzero(on & ~np.r_[False, on[:-1]])
    ends = np.flatnonzero(on & ~np.r_[on[1:], False])
    found = []
    for a, b in zip(starts, ends, strict=True):
        run = np.asarray(i_stim[a : b + 1], dtype=float)
        end = None if b == len(t) - 1 else float(t[b + 1])
        found.append((float(t[a]), end, float(run[np.argmax(np.abs(run))])))
    return tuple(found)
