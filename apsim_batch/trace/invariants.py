"""The phase and measurement rules as checks a physiologist can read: each returns what breaks it (numpy only).

Every function takes the trace, its Measurements and its phases and returns a list of violations
(empty when the rule holds); `violations` runs them all. The tests run them on every trace they make.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .features import Measurements
from .measure import THRESHOLD_SLOPE_MV_PER_MS, ionic_slope
from .phases import PHASE_NAMES, Phase
from .responses import BLOCK_MIN_MV, OSCILLATION_MV, REST_BAND_MV, turns
from .waveform import Trace

TOLERANCE_MV = 1e-6  # phase edges are interpolated crossings: samples inside may touch the level


def _inside(trace: Trace, phase: Phase) -> np.ndarray:
    """Indices of the samples strictly inside a phase."""
    t = trace.time_ms
    return np.flatnonzero((t > phase.start_ms + 1e-9) & (t < phase.end_ms - 1e-9))


def _stimulus(trace: Trace) -> np.ndarray:
    return np.asarray(trace.extra.get("i_stim_ua_per_cm2", np.zeros(len(trace.time_ms))))


def phases_tile_the_trace(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """The phases follow each other without gap or overlap from the first sample to the last, in one vocabulary."""
    t = trace.time_ms
    bad = [] if found and found[0].start_ms == t[0] and abs(found[-1].end_ms - t[-1]) < 1e-9 else ["ends"]
    bad += [f"gap at {a.end_ms}" for a, b in zip(found, found[1:], strict=False) if abs(a.end_ms - b.start_ms) > 1e-12]
    bad += [f"empty {p.name} at {p.start_ms}" for p in found if p.end_ms <= p.start_ms]
    return bad + [f"unknown {p.name}" for p in found if p.name not in PHASE_NAMES]


def rest_only_at_rest(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """ "At rest" is only within 1 mV of the resting level and with no stimulus current."""
    v, i_stim = trace.voltage_mv, _stimulus(trace)
    bad = []
    for p in (p for p in found if p.name == "rest"):
        i = _inside(trace, p)
        if np.any(np.abs(v[i] - m.resting_mv) > REST_BAND_MV + TOLERANCE_MV) or np.any(i_stim[i] != 0):
            bad.append(f"rest {p.start_ms}-{p.end_ms} away from rest or under current")
    return bad


def ahp_only_below_rest(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """An after-hyperpolarization is below rest at every sample."""
    v = trace.voltage_mv
    return [
        f"ahp {p.start_ms}-{p.end_ms} above rest"
        for p in found
        if p.name == "ahp" and np.any(v[_inside(trace, p)] > m.resting_mv + TOLERANCE_MV)
    ]


def completed_spikes_have_their_phases(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """Every completed spike has a threshold (Hodgkin–Huxley), one rising phase up to its peak, and a falling phase."""
    bad = []
    hh = "i_stim_ua_per_cm2" in trace.extra
    for k, spike in enumerate(m.spikes):
        rising = [p for p in found if p.name == "rising" and p.spike == k]
        if hh and spike.threshold_time_ms is None:
            bad.append(f"spike {k} has no threshold")
        if len(rising) != 1 or abs(rising[0].end_ms - spike.peak_time_ms) > 1e-9:
            bad.append(f"spike {k} has no single rising phase to its peak")
        if not any(p.name == "falling" and p.spike == k for p in found):
            bad.append(f"spike {k} has no falling phase")
    return bad


def spikes_need_inward_current(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """A spike needs net inward ionic current on its rise (-I_ion/C of 10 mV/ms): a charged membrane is no spike."""
    slope = ionic_slope(trace)
    if slope is None:
        return []
    t = trace.time_ms
    bad = []
    for k, spike in enumerate(m.spikes):
        lo = m.spikes[k - 1].peak_time_ms if k else t[0]
        window = (t >= lo) & (t <= spike.peak_time_ms)
        if not np.any(slope[window] >= THRESHOLD_SLOPE_MV_PER_MS):
            bad.append(f"spike {k} at {spike.peak_time_ms} ms without inward current")
    return bad


def peaks_are_local_maxima(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """A peak is a true local maximum, never the last sample, and the trace falls below the detection level after it."""
    t, v = trace.time_ms, trace.voltage_mv
    bad = []
    for k, spike in enumerate(m.spikes):
        i = int(np.searchsorted(t, spike.peak_time_ms))
        if i in (0, len(v) - 1) or v[i] < v[i - 1] or v[i] < v[i + 1] or np.all(v[i:] >= m.detection_mv):
            bad.append(f"spike {k}'s peak at {spike.peak_time_ms} ms is not a completed local maximum")
    return bad


def a_cut_off_spike_is_incomplete(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """A spike cut off by the trace's end is reported as incomplete, in the count, the measurements and the phases."""
    bad = [] if m.spike_count == len(m.spikes) else ["spike_count is not the number of completed spikes"]
    named = any(p.name == "incomplete" for p in found)
    if named != (m.incomplete_spike is not None):
        bad.append("incomplete spike in the measurements and the phases disagree")
    if m.incomplete_spike is not None and m.incomplete_spike["onset_ms"] < (
        m.spikes[-1].peak_time_ms if m.spikes else 0
    ):
        bad.append("the incomplete spike starts before the last completed one")
    v = trace.voltage_mv
    ends_up = v[-1] >= m.detection_mv and np.any(v < m.detection_mv)  # crossed up, never down again
    if ends_up and m.incomplete_spike is None and not m.passive_crossings:
        bad.append("the trace ends above the detection level, but no spike is reported cut off")
    return bad + [
        f"{p.name} of spike {p.spike}, which is not measured" for p in found if (p.spike or 0) >= max(1, len(m.spikes))
    ]


def the_falling_phase_falls(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """A falling phase ends at the first trough: V never rises inside it (a block or oscillation is named apart)."""
    v = trace.voltage_mv
    bad = []
    for p in (p for p in found if p.name == "falling"):
        i = _inside(trace, p)
        if len(i) > 1 and np.max(np.diff(v[i])) > TOLERANCE_MV:
            bad.append(f"falling {p.start_ms}-{p.end_ms} rises")
    return bad


def block_and_oscillation_are_named(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """A block holds the membrane 15 mV above rest on average; 2 or more 5 mV swings are never block or rest."""
    v = trace.voltage_mv
    bad = []
    for p in found:
        i = _inside(trace, p)
        if p.name == "block" and len(i) and np.mean(v[i]) <= m.resting_mv + BLOCK_MIN_MV:
            bad.append(f"block {p.start_ms}-{p.end_ms} is not depolarized")
        if p.name in ("block", "rest", "falling", "ahp") and len(turns(v[i], OSCILLATION_MV)) >= 4:
            bad.append(f"{p.name} {p.start_ms}-{p.end_ms} oscillates")
    return bad


def refractory_failures_are_named(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """A stimulus at least as strong as one that fired alone from rest earlier, which fails, is a refractory failure."""
    episodes = (m.stimulus or {}).get("episodes", [])
    t, v, end = trace.time_ms, trace.voltage_mv, float(trace.time_ms[-1])
    length = lambda e: (e["end_ms"] or end) - e["onset_ms"]  # noqa: E731
    thresholds = [s.threshold_time_ms for s in m.spikes if s.threshold_time_ms is not None]
    alone = []
    for i, e in enumerate(episodes):
        following = episodes[i + 1]["onset_ms"] if i + 1 < len(episodes) else end
        at_rest = abs(np.interp(e["onset_ms"], t, v) - m.resting_mv) <= REST_BAND_MV
        if at_rest and e["peak_ua_per_cm2"] > 0 and any(e["onset_ms"] <= s < following for s in thresholds):
            alone.append(e)
    bad = []
    for p in (p for p in found if p.name == "subthreshold"):
        for e in episodes:
            stronger = any(
                a["onset_ms"] < e["onset_ms"]
                and a["peak_ua_per_cm2"] <= e["peak_ua_per_cm2"]
                and length(a) <= length(e) + 1e-9
                for a in alone
            )
            if p.start_ms <= e["onset_ms"] < p.end_ms and stronger:
                bad.append(f"the stimulus at {e['onset_ms']} ms fails from refractoriness but is called subthreshold")
    return bad


def the_depolarization_to_threshold_starts_low(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """Summation that fires leads into threshold: to_threshold starts from rest or below, not half-way up already."""
    bad = []
    for p in (p for p in found if p.name == "to_threshold" and p.spike is not None):
        threshold = m.spikes[p.spike].threshold_mv
        v0 = float(np.interp(p.start_ms, trace.time_ms, trace.voltage_mv))
        if threshold is not None and v0 > m.resting_mv + max(REST_BAND_MV, (threshold - m.resting_mv) / 2):
            bad.append(f"to_threshold of spike {p.spike} starts at {v0:.1f} mV, already half-way to threshold")
    return bad


RULES: tuple[Callable[[Trace, Measurements, Sequence[Phase]], list[str]], ...] = (
    phases_tile_the_trace,
    rest_only_at_rest,
    ahp_only_below_rest,
    completed_spikes_have_their_phases,
    spikes_need_inward_current,
    peaks_are_local_maxima,
    a_cut_off_spike_is_incomplete,
    the_falling_phase_falls,
    block_and_oscillation_are_named,
    refractory_failures_are_named,
    the_depolarization_to_threshold_starts_low,
)


def violations(trace: Trace, m: Measurements, found: Sequence[Phase]) -> list[str]:
    """Every rule's violations, each prefixed with the rule's name."""
    return [f"{rule.__name__}: {text}" for rule in RULES for text in rule(trace, m, found)]
