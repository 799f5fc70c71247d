"""Responses to stimuli: which stimuli lead to a spike, how one that fails is named, and when V oscillates (numpy).

The rules are the README's (phase table) and are applied by phases.py, which paints their results.
"""

from __future__ import annotations

import numpy as np

from .features import Measurements
from .waveform import Trace

REST_BAND_MV = 1.0  # within this of the resting level the membrane is "at rest"
BLOCK_MIN_MV = 15.0  # held this far above rest on average under current, with no spike: depolarization block
OSCILLATION_MV = 5.0  # an oscillation swings by at least this from each turn to the next
MIN_BLOCK_MS = 5.0  # a stimulus that fires no spike is a block only when it holds the membrane this long


def turns(v: np.ndarray, min_mv: float) -> list[int]:
    """Indices of the alternating maxima and minima of v, each min_mv or more from the one before (hysteresis)."""
    found: list[int] = []
    lo = hi = extreme = 0
    rising: bool | None = None  # the direction being followed, once the first swing shows it
    for i in range(1, len(v)):
        if rising is None:
            lo, hi = (i if v[i] < v[lo] else lo), (i if v[i] > v[hi] else hi)
            if v[i] - v[lo] >= min_mv or v[hi] - v[i] >= min_mv:
                rising = bool(v[i] - v[lo] >= min_mv)
                found.append(lo if rising else hi)
                extreme = i
        elif (v[i] > v[extreme]) == rising and v[i] != v[extreme]:
            extreme = i
        elif abs(v[i] - v[extreme]) >= min_mv:
            found.append(extreme)
            extreme, rising = i, not rising
    return [i for i in found if i > 0]  # the stretch's first sample is where it starts, not a turn


def oscillates(t: np.ndarray, v: np.ndarray) -> bool:
    """Two or more swings of OSCILLATION_MV each way, still swinging at the end of the stretch."""
    found = turns(v, OSCILLATION_MV)
    if len(found) < 4:
        return False
    spacing = float(np.mean(np.diff(t[found])))
    return float(t[-1] - t[found[-1]]) <= 2 * spacing


def causes(trace: Trace, m: Measurements, onsets: list[float]) -> list[list[int]]:
    """For each spike onset, the stimulus episodes that lead to it: the last depolarizing one since the
    previous spike's peak, and before it every one it summed with: from its end to the next one's onset
    the membrane stayed above where it found it (or rest) by more than the band and by more than half
    of the response it made."""
    t, v, rest = trace.time_ms, trace.voltage_mv, m.resting_mv
    episodes = (m.stimulus or {}).get("episodes", [])
    at = lambda ms: float(np.interp(ms, t, v))  # noqa: E731
    chains = []
    for k, onset in enumerate(onsets):
        since = m.spikes[k - 1].peak_time_ms if k else float(t[0])
        found = [i for i, e in enumerate(episodes) if e["peak_ua_per_cm2"] > 0 and since <= e["onset_ms"] < onset]
        chain = found[-1:]
        for i in reversed(found[:-1]):
            end, later = episodes[i]["end_ms"], episodes[chain[0]]["onset_ms"]
            i0, i1 = int(np.searchsorted(t, end)), int(np.searchsorted(t, later)) + 1
            base = max(rest, at(episodes[i]["onset_ms"]))
            top = float(np.max(v[i0:i1])) if i1 > i0 else base
            if end is None or i1 <= i0 or np.min(v[i0:i1]) <= base + max(REST_BAND_MV, (top - base) / 2):
                break
            chain.insert(0, i)
        chains.append(chain)
    return chains


def failure_name(trace: Trace, m: Measurements, e: int, chains: list[list[int]]) -> str:
    """A stimulus that fires no spike: hyperpolarizing; refractory, when one no stronger fired on its own
    from rest earlier; for 5 ms or more: oscillation, when V swings by 5 mV twice each way, block, when it holds
    the membrane 15 mV above rest; else subthreshold."""
    episodes, rest = m.stimulus["episodes"], m.resting_mv
    this = episodes[e]
    if this["peak_ua_per_cm2"] < 0:
        return "hyperpolarizing"
    length = lambda x: (x["end_ms"] or float(trace.time_ms[-1])) - x["onset_ms"]  # noqa: E731
    at = lambda ms: float(np.interp(ms, trace.time_ms, trace.voltage_mv))  # noqa: E731
    for chain in chains:
        fired = episodes[chain[0]] if len(chain) == 1 else None
        if (
            fired is not None
            and fired["onset_ms"] < this["onset_ms"]
            and abs(at(fired["onset_ms"]) - rest) <= REST_BAND_MV
            and fired["peak_ua_per_cm2"] <= this["peak_ua_per_cm2"]
            and length(fired) <= length(this) + 1e-9
        ):
            return "refractory_failure"
    i0, i1 = np.searchsorted(trace.time_ms, [this["onset_ms"], this["onset_ms"] + length(this)])
    if length(this) >= MIN_BLOCK_MS and len(turns(trace.voltage_mv[i0:i1], OSCILLATION_MV)) >= 4:
        return "oscillation"  # driven swings without a spike
    if length(this) >= MIN_BLOCK_MS and np.mean(trace.voltage_mv[i0:i1]) > rest + BLOCK_MIN_MV:
        return "block"
    return "subthreshold"
