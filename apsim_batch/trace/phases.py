"""Phases of a trace, cut from its spikes and its stimulus, in one vocabulary for figure, manifest and captions.

Pure numpy. The phases tile the trace from the first sample to the last; each is painted over a
background of "rest" in a fixed order, so a later, more specific rule wins where two apply:

1. any stretch outside the 1 mV band around rest: "subthreshold" above rest, "hyperpolarizing" below;
2. each spike: "rising" (threshold, or for a Gaussian the last rise through the band, to the peak),
   "falling" (peak back through rest; without an undershoot back into the band or to the first trough,
   whichever comes first), "ahp" (below rest only, until back within the band after the trough, or the
   next rise; a pulse that fails during it does not end it), then, while a current is on, "isi" up to
   the next spike's rise; after the last spike "oscillation" while the membrane keeps swinging by 5 mV,
   "block" when it stays on average 15 mV or more above rest, or "isi" when the trace ends within 1.5
   mean intervals; a spike cut off by the end of the trace is "incomplete" from its onset;
3. each stimulus episode that leads to no spike (responses.causes: neither fires nor sums with one
   that does): "hyperpolarizing", "refractory_failure" (one no stronger fired alone from rest before),
   "block" (a passive charge held 15 mV up for 5 ms or more) or "subthreshold", from its onset until
   the membrane is back within the band for good (or, when it came during a falling phase or an AHP,
   until the next trough below rest, where the AHP resumes), painted over rest, ahp, isi and responses
   but never over a spike's rising or falling phase;
4. with a stimulus acting, never "rest": what is left of rest there becomes the response to it;
5. before each spike, "to_threshold": from the onset of the first stimulus of its causes (without one,
   the start of the response that runs into the rise, as after an anode break) to the start of the
   rising phase, painted over rest, ahp and responses; it starts again after any return to rest of
   1 ms or more, and never covers a rising or falling phase, an interval, a block or an oscillation.
Finally a pass through the band shorter than 1 ms between two responses joins the response before it,
and pieces shorter than 1e-6 ms are dropped. trace/invariants.py states the rules the result keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import Measurements, first_trough
from .responses import BLOCK_MIN_MV, OSCILLATION_MV, REST_BAND_MV, causes, failure_name, oscillates, turns
from .waveform import Trace

PHASE_NAMES = (
    "rest",
    "subthreshold",
    "hyperpolarizing",
    "refractory_failure",
    "to_threshold",
    "rising",
    "falling",
    "ahp",
    "isi",
    "block",
    "oscillation",
    "incomplete",
)
PHASE_LABELS = {
    "rest": "at rest",
    "subthreshold": "subthreshold response",
    "hyperpolarizing": "hyperpolarizing response",
    "to_threshold": "depolarization to threshold",
    "rising": "rising phase",
    "falling": "falling phase",
    "ahp": "after-hyperpolarization",
    "isi": "interspike interval",
    "block": "depolarization block",
    "refractory_failure": "refractory: no spike",
    "oscillation": "sustained oscillation",
    "incomplete": "spike cut off by the end",
}
MIN_REST_MS = 1.0  # a shorter pass through the rest band between two responses is not "at rest"
MIN_PHASE_MS = 1e-6  # shorter pieces (a 1e-9 ms pulse) are not phases
_RESPONSES = ("subthreshold", "hyperpolarizing", "refractory_failure")
_KEEP = (
    "rising",
    "falling",
    "isi",
    "block",
    "oscillation",
    "incomplete",
)  # what a depolarization to threshold never covers


@dataclass(frozen=True)
class Phase:
    """One phase from start_ms to end_ms; `spike` indexes Measurements.spikes for to_threshold, rising, falling, ahp."""

    name: str
    start_ms: float
    end_ms: float
    spike: int | None

    @property
    def label(self) -> str:
        return PHASE_LABELS[self.name]

    def as_dict(self, digits: int = 6) -> dict[str, float | int | str | None]:
        return {
            "phase": self.name,
            "label": self.label,
            "start_ms": round(self.start_ms, digits),
            "end_ms": round(self.end_ms, digits),
            "spike": self.spike,
        }


class _Canvas:
    """Non-overlapping (start, end, name, spike) pieces covering [t0, t1]; paint() overwrites a stretch."""

    def __init__(self, t0: float, t1: float) -> None:
        self.pieces: list[tuple[float, float, str, int | None]] = [(t0, t1, "rest", None)]

    def paint(self, a: float, b: float, name: str, spike: int | None = None, over: frozenset | None = None) -> None:
        if b <= a:
            return
        out = []
        for s, e, n, k in self.pieces:
            if e <= a or s >= b or (over is not None and n not in over):
                out.append((s, e, n, k))
                continue
            if s < a:
                out.append((s, a, n, k))
            out.append((max(s, a), min(e, b), name, spike))
            if e > b:
                out.append((b, e, n, k))
        self.pieces = out

    def name_at(self, when: float) -> str:
        return next((n for s, e, n, _ in self.pieces if s <= when < e), self.pieces[-1][2])

    def phases(self) -> list[Phase]:
        pieces = [list(p) for p in self.pieces if p[1] - p[0] >= MIN_PHASE_MS] or [list(self.pieces[0])]
        for i in range(1, len(pieces) - 1):  # a brief pass through the band between responses
            s, e, n, _ = pieces[i]
            if n == "rest" and e - s < MIN_REST_MS and pieces[i - 1][2] in _RESPONSES and pieces[i + 1][2] != "rest":
                pieces[i][2:] = pieces[i - 1][2:]
        merged: list[Phase] = []
        for _, e, n, k in pieces:
            if merged and merged[-1].name == n and merged[-1].spike == k:
                merged[-1] = Phase(n, merged[-1].start_ms, e, k)
            elif merged:
                merged.append(Phase(n, merged[-1].end_ms, e, k))  # close any gap a dropped piece left
            else:
                merged.append(Phase(n, self.pieces[0][0], e, k))  # from the first sample, whatever was dropped
        last = merged[-1]
        merged[-1] = Phase(last.name, last.start_ms, self.pieces[-1][1], last.spike)  # to the last sample
        return merged


def _cross(t: np.ndarray, v: np.ndarray, i: int, level: float) -> float:
    dv = v[i + 1] - v[i]
    frac = 0.0 if dv == 0 else min(max((level - v[i]) / dv, 0.0), 1.0)
    return float(t[i] + frac * (t[i + 1] - t[i]))


def _first(t: np.ndarray, v: np.ndarray, i0: int, i1: int, test, level: float) -> float | None:
    """Interpolated time of the first sample in i0..i1-1 (after i0) where test(v) holds, or None."""
    hits = np.flatnonzero(test(v[i0 + 1 : i1]))
    if not len(hits):
        return None
    j = i0 + 1 + int(hits[0])
    return _cross(t, v, j - 1, level)


def _excursions(canvas: _Canvas, t: np.ndarray, v: np.ndarray, rest: float) -> None:
    """Rule 1: every run outside the band around rest is a response (up or down)."""
    for sign, name in ((1, "subthreshold"), (-1, "hyperpolarizing")):
        out = sign * (v - rest) > REST_BAND_MV
        starts = np.flatnonzero(out & ~np.r_[False, out[:-1]])
        ends = np.flatnonzero(out & ~np.r_[out[1:], False])
        level = rest + sign * REST_BAND_MV
        for a, b in zip(starts, ends, strict=True):
            start = float(t[0]) if a == 0 else _cross(t, v, a - 1, level)
            end = float(t[-1]) if b == len(v) - 1 else _cross(t, v, b, level)
            canvas.paint(start, end, name)


def _stimulus_on(trace: Trace, when: float) -> bool:
    i_stim = trace.extra.get("i_stim_ua_per_cm2")
    if i_stim is None:
        return False
    return bool(np.interp(when, trace.time_ms, np.abs(i_stim)) > 0)


def _onset(t: np.ndarray, v: np.ndarray, rest: float, spike, lo: int, peak_i: int) -> float:
    """Where the rising phase starts: the threshold, or the last rise through the band before the peak."""
    if spike.threshold_time_ms is not None:
        return spike.threshold_time_ms
    level = rest + REST_BAND_MV
    below = np.flatnonzero(v[lo:peak_i] < level)
    return float(t[lo]) if not len(below) else _cross(t, v, lo + int(below[-1]), level)


def _spike_phases(canvas: _Canvas, trace: Trace, m: Measurements) -> list[float]:
    """Rule 2; returns each spike's onset, and paints a spike cut off by the end of the trace."""
    t, v, rest = trace.time_ms, trace.voltage_mv, m.resting_mv
    index = lambda ms: int(np.searchsorted(t, ms))  # noqa: E731
    peaks = [index(s.peak_time_ms) for s in m.spikes]
    onsets = [_onset(t, v, rest, s, peaks[k - 1] if k else 0, peaks[k]) for k, s in enumerate(m.spikes)]
    cut_ms = m.incomplete_spike["onset_ms"] if m.incomplete_spike else None
    for k, peak_i in enumerate(peaks):
        limit = onsets[k + 1] if k + 1 < len(onsets) else (cut_ms if cut_ms is not None else float(t[-1]))
        hi = min(index(limit) + 1, len(v))
        canvas.paint(onsets[k], float(t[peak_i]), "rising", k)
        undershoot = m.spikes[k].ahp_min_mv is not None
        down = _first(t, v, peak_i, hi, lambda x: x <= rest, rest) if undershoot else None
        back = None
        if down is not None:
            canvas.paint(float(t[peak_i]), down, "falling", k)
            back = _ahp_end(trace, m, down, hi, limit)
            _paint_below_rest(canvas, t, v, rest, down, back, k)
        else:
            back = _first(t, v, peak_i, hi, lambda x: x <= rest + REST_BAND_MV, rest + REST_BAND_MV)
            trough = float(t[first_trough(v, peak_i, hi)]) if hi > peak_i else float(t[peak_i])
            back = trough if back is None else min(back, trough)  # held up by a current: to the first trough
            canvas.paint(float(t[peak_i]), min(back, limit), "falling", k)
        if back < limit and _stimulus_on(trace, back):
            _after_spike(canvas, trace, m, back, limit, last=k + 1 == len(peaks) and cut_ms is None)
    if cut_ms is not None:
        canvas.paint(cut_ms, float(t[-1]), "incomplete")
    return onsets + ([cut_ms] if cut_ms is not None else [])


def _paint_below_rest(canvas: _Canvas, t: np.ndarray, v: np.ndarray, rest: float, a: float, b: float, k: int) -> None:
    """An after-hyperpolarization is only ever below rest: paint "ahp" on the stretches of a..b where V < rest."""
    i0, i1 = int(np.searchsorted(t, a)), min(int(np.searchsorted(t, b)) + 1, len(v))
    below = v[i0:i1] < rest
    starts = np.flatnonzero(below & ~np.r_[False, below[:-1]])
    ends = np.flatnonzero(below & ~np.r_[below[1:], False])
    for s, e in zip(i0 + starts, i0 + ends, strict=True):
        start = a if s == 0 else max(a, _cross(t, v, s - 1, rest))
        end = b if e == len(v) - 1 else min(b, _cross(t, v, e, rest))
        canvas.paint(start, end, "ahp", k)


def _ahp_end(trace: Trace, m: Measurements, down: float, hi: int, limit: float) -> float:
    """Back within the band after the trough, ignoring the lift of a pulse that arrived during the AHP."""
    t, v, rest = trace.time_ms, trace.voltage_mv, m.resting_mv
    i0 = int(np.searchsorted(t, down))
    trough = i0 + int(np.argmin(v[i0:hi])) if hi > i0 else i0
    later = [(e["onset_ms"], e["end_ms"] or float(t[-1])) for e in (m.stimulus or {}).get("episodes", [])]
    later = [(a, b) for a, b in later if a > down]
    level = rest - REST_BAND_MV
    ups = trough + np.flatnonzero((v[trough : hi - 1] < level) & (v[trough + 1 : hi] >= level))
    for j in ups:
        when = _cross(t, v, int(j), level)
        if not any(a <= when <= b for a, b in later):
            return min(when, limit)
    return limit


def _after_spike(canvas: _Canvas, trace: Trace, m: Measurements, start: float, limit: float, last: bool) -> None:
    """Under a sustained current: the interval to the next spike; after the last, oscillation, block or the ISI cut."""
    t, v = trace.time_ms, trace.voltage_mv
    i_stim = trace.extra["i_stim_ua_per_cm2"]
    i0 = int(np.searchsorted(t, start))
    off = np.flatnonzero(i_stim[i0:] == 0)
    end = min(limit, float(t[i0 + int(off[0])]) if len(off) else float(t[-1]))
    i1 = max(int(np.searchsorted(t, end)), i0 + 1)
    swings = turns(v[i0:i1], OSCILLATION_MV)
    if not last:
        canvas.paint(start, end, "isi")
        return
    settled = start
    if len(swings) >= 4:  # an oscillation, to the end if it is still swinging there, else to its last turn
        settled = end if oscillates(t[i0:i1], v[i0:i1]) else float(t[i0 + swings[-1]])
        canvas.paint(start, settled, "oscillation")
    j = int(np.searchsorted(t, settled))
    if settled < end and np.mean(v[j : max(i1, j + 1)]) > m.resting_mv + BLOCK_MIN_MV:
        canvas.paint(settled, end, "block")
    elif settled == start and m.firing_rate_hz is not None and end >= t[-1] and end - start <= 1500 / m.firing_rate_hz:
        canvas.paint(start, end, "isi")  # the train goes on; the trace ends before its next spike (1.5 intervals)


def _failed_stimuli(canvas: _Canvas, trace: Trace, m: Measurements, onsets: list[float], chains: list) -> None:
    """Rule 3: a stimulus episode that leads to no spike is a failed response."""
    if m.stimulus is None:
        return
    t, v, rest = trace.time_ms, trace.voltage_mv, m.resting_mv
    episodes = m.stimulus["episodes"]
    t_end = float(t[-1])
    fired = {i for chain in chains for i in chain}
    for e, episode in enumerate(episodes):
        onset = episode["onset_ms"]
        following = episodes[e + 1]["onset_ms"] if e + 1 < len(episodes) else t_end
        anode_break = episode["peak_ua_per_cm2"] < 0 and any(onset <= s < following for s in onsets)
        if e in fired or anode_break or canvas.name_at(onset) == "rising":  # one that comes mid-rise is part of it
            continue
        cap = min([following, *(s for s in onsets if s > onset)])
        stop = episode["end_ms"] if episode["end_ms"] is not None else t_end
        back = _response_end(canvas, t, v, rest, onset, stop, cap)
        name = failure_name(trace, m, e, chains)
        canvas.paint(onset, min(max(back, stop), cap), name, over=frozenset({"rest", "ahp", "isi", *_RESPONSES}))


def _response_end(canvas: _Canvas, t: np.ndarray, v: np.ndarray, rest: float, onset: float, stop: float, cap: float):
    """Where a failed response ends: back on the AHP it interrupted, or back within the band of rest for good."""
    i0, i1 = int(np.searchsorted(t, stop)), min(int(np.searchsorted(t, cap)) + 1, len(v))
    if i1 - i0 < 2:
        return cap
    if canvas.name_at(onset) in (
        "falling",
        "ahp",
    ):  # the membrane resumes its after-hyperpolarization at the next trough
        dv = np.diff(v[i0:i1])
        turn = np.flatnonzero((dv[:-1] < 0) & (dv[1:] >= 0))
        if not len(turn):
            return cap
        if v[i0 + int(turn[0]) + 1] < rest:  # ... if that trough is below rest
            return float(t[i0 + int(turn[0]) + 1])
    outside = np.flatnonzero(np.abs(v[i0:i1] - rest) > REST_BAND_MV)
    if not len(outside):
        return stop
    last = i0 + int(outside[-1])
    if last + 1 >= i1:
        return cap
    level = rest + REST_BAND_MV if v[last] > rest else rest - REST_BAND_MV
    return _cross(t, v, last, level)


def _no_rest_under_current(canvas: _Canvas, trace: Trace, m: Measurements) -> None:
    """Rule 4: rest needs no stimulus acting; a stretch of "rest" under current is a (small) response."""
    if m.stimulus is None:
        return
    t_end = float(trace.time_ms[-1])
    for episode in m.stimulus["episodes"]:
        stop = episode["end_ms"] if episode["end_ms"] is not None else t_end
        name = "subthreshold" if episode["peak_ua_per_cm2"] > 0 else "hyperpolarizing"
        canvas.paint(episode["onset_ms"], stop, name, over=frozenset({"rest"}))


def _to_threshold(canvas: _Canvas, trace: Trace, m: Measurements, onsets: list[float], chains: list) -> None:
    """Rule 5: the depolarization that leads to each spike, from its cause to the start of the rise."""
    episodes = (m.stimulus or {}).get("episodes", [])
    for k, onset in enumerate(onsets):
        if chains[k]:
            start = episodes[chains[k][0]]["onset_ms"]
        else:  # no stimulus of its own: the response that runs into the rise, if there is one
            before = [p for p in canvas.pieces if p[1] == onset]
            if not before or before[0][2] != "subthreshold":
                continue
            start = before[0][0]
            for s, e, n, _ in reversed(canvas.pieces):  # the whole contiguous response
                if e == start and n == "subthreshold":
                    start = s
        for s, e, n, _ in canvas.pieces:  # a return to rest, or a spike or interval of its own, comes first
            if start < e <= onset and (n in _KEEP or (n == "rest" and e - s >= MIN_REST_MS)):
                start = e
        spike = k if k < len(m.spikes) else None  # None: the spike cut off by the end
        canvas.paint(start, onset, "to_threshold", spike, over=frozenset({"rest", "ahp", *_RESPONSES}))


def phases(trace: Trace, measurements: Measurements) -> list[Phase]:
    """The phases of the trace in time order, covering it from the first sample to the last."""
    t, v = np.asarray(trace.time_ms, dtype=float), np.asarray(trace.voltage_mv, dtype=float)
    canvas = _Canvas(float(t[0]), float(t[-1]))
    if np.max(np.abs(v - measurements.resting_mv)) >= REST_BAND_MV:
        _excursions(canvas, t, v, measurements.resting_mv)
    onsets = _spike_phases(canvas, trace, measurements)
    chains = causes(trace, measurements, onsets)
    _failed_stimuli(canvas, trace, measurements, onsets, chains)
    _no_rest_under_current(canvas, trace, measurements)
    _to_threshold(canvas, trace, measurements, onsets, chains)
    return canvas.phases()
