"""What measuring a trace yields: the Spike and Measurements records, their manifest form, and the trough rule."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

DETECTION_MV = -20.0  # a spike crosses this level upward (eFEL's default "Threshold" setting)
RECOVERY_MV = 1.0  # back "at rest" after the AHP: within this of the resting level again


@dataclass(frozen=True)
class Spike:
    """One completed action potential; every field None where it does not exist.

    - threshold_mv, threshold_time_ms (Hodgkin–Huxley only): the last time before the peak at which
      the ionic part of the slope, -I_ion/C = dV/dt - I_stim/C, rose through 10 mV/ms. The injected
      current is left out so the threshold marks the membrane taking over, not the stimulus edge.
      Every Hodgkin–Huxley spike has one: a crossing without it is a membrane charged by the stimulus,
      not a spike. A Gaussian waveform is a drawn shape with no currents, so it has no threshold.
    - peak_mv, peak_time_ms: the highest sample between the upward and the downward crossing of the
      detection level (a true local maximum: the trace is below the level again after it).
    - amplitude_mv: peak_mv - resting_mv (from rest, for both models).
    - half_width_ms: time spent above the half-amplitude level resting_mv + amplitude_mv / 2.
    - ahp_min_mv, ahp_time_ms, ahp_depth_mv: the spike's trough, the first local minimum after the
      peak (before the next spike; eFEL's `min_AHP_values`), when it lies at least 0.1 mV below rest;
      depth is resting_mv - ahp_min_mv.
    - recovery_time_ms: the first time after the AHP trough at which the membrane is back within
      RECOVERY_MV (1 mV) of rest (`recovery_time`); None without an AHP, or when it is not back before
      the next spike or the trace's end.
    - isi_ms: time from this peak to the next spike's peak (None for the last spike).
    """

    threshold_mv: float | None
    threshold_time_ms: float | None
    peak_mv: float
    peak_time_ms: float
    amplitude_mv: float | None
    half_width_ms: float | None
    ahp_min_mv: float | None
    ahp_time_ms: float | None
    ahp_depth_mv: float | None
    isi_ms: float | None
    recovery_time_ms: float | None = None


SPIKE_KEYS = tuple(f.name for f in fields(Spike))


@dataclass(frozen=True)
class Measurements:
    """The whole trace: rest, spikes, rate and (Hodgkin–Huxley) the stimulus.

    - resting_mv: the first sample (both models start the trace at rest).
    - spike_count: completed spikes (up through the detection level and down again, as eFEL counts).
    - firing_rate_hz: 1000 / mean inter-spike interval; None with fewer than two spikes.
    - stimulus: {"episodes": [{onset_ms, end_ms, peak_ua_per_cm2}]}, one per stretch of injected
      current (end_ms None when it lasts to the end of the trace); None for a Gaussian waveform.
    - incomplete_spike: a spike cut off by the trace's end (up through the level, never down again):
      {"onset_ms": where its rise starts (threshold, else the upward crossing), "last_mv"}; None when
      there is none. It is not in `spikes` nor in `spike_count`. In the manifest only when there is one.
    - passive_crossings: upward crossings of the level without net inward ionic current (a membrane
      charged past it by the stimulus, or a driven oscillation grazing it): not spikes. In the manifest
      only when there are any.
    """

    resting_mv: float
    spike_count: int
    firing_rate_hz: float | None
    spikes: tuple[Spike, ...]
    stimulus: dict | None
    detection_mv: float = DETECTION_MV
    incomplete_spike: dict | None = None
    passive_crossings: int = 0

    def as_dict(self, digits: int = 6) -> dict[str, Any]:
        """Manifest form: whole-trace values, every spike, and the first spike's values flat at the top."""
        spikes = [{k: round_or_none(v, digits) for k, v in asdict(s).items()} for s in self.spikes]
        first = spikes[0] if spikes else dict.fromkeys(SPIKE_KEYS)
        found = {
            "resting_mv": round_or_none(self.resting_mv, digits),
            "spike_count": self.spike_count,
            "firing_rate_hz": round_or_none(self.firing_rate_hz, digits),
            **first,
            "stimulus": self.stimulus,
            "spikes": spikes,
        }
        if self.incomplete_spike is not None:  # only when there is one, so answer keys keep their columns
            found["incomplete_spike"] = {k: round_or_none(v, digits) for k, v in self.incomplete_spike.items()}
        if self.passive_crossings:
            found["passive_crossings"] = self.passive_crossings
        return found


def round_or_none(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def first_trough(v: np.ndarray, peak_i: int, hi: int) -> int:
    """The first local minimum after the peak in samples peak_i..hi-1 (hi - 1 when the fall never turns)."""
    turns = np.flatnonzero(np.diff(v[peak_i:hi]) > 0)
    return peak_i + int(turns[0]) if len(turns) else hi - 1


def recovery_time(t: np.ndarray, v: np.ndarray, rest: float, trough_i: int, hi: int) -> float | None:
    """When the membrane is back within RECOVERY_MV of rest after the trough at sample `trough_i`: the
    first rise through rest - RECOVERY_MV in samples trough_i..hi-1, interpolated linearly between
    samples. None when the trough does not reach below that level, or the trace is not back by hi."""
    level = rest - RECOVERY_MV
    if v[trough_i] >= level:
        return None
    back = np.flatnonzero(v[trough_i:hi] >= level)
    if not len(back):
        return None
    i = trough_i + int(back[0])  # v[i - 1] < level <= v[i]
    frac = (level - v[i - 1]) / (v[i] - v[i - 1])
    return float(t[i - 1] + frac * (t[i] - t[i - 1]))
