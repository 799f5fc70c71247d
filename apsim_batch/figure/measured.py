"""What the figure annotates, from trace/: spikes (thresholds), phases and refractory periods.

The figure uses the same measurements as the manifest and the captions: `measure(trace)` for
each spike's threshold, `phases(trace, measurements)` for the bands, and
`refractory_periods(waveform, measurements)` for the bars, so a figure never labels what the
manifest does not say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config.models import Config, HodgkinHuxleyWaveform
from ..trace import measure as measure_module
from ..trace.refractory import refractory_periods
from ..trace.waveform import Trace

# Short forms for crowded figures (a spike's phases after the first one, narrow bands).
SHORT_LABELS = {
    "rest": "rest",
    "subthreshold": "subthreshold",
    "hyperpolarizing": "hyperpol.",
    "to_threshold": "to threshold",
    "rising": "rise",
    "falling": "fall",
    "ahp": "AHP",
    "isi": "ISI",
    "block": "block",
}


@dataclass(frozen=True)
class PhaseBand:
    """One phase as the figure draws it: a band with a name, and the sample that reveals it."""

    name: str
    start_ms: float
    end_ms: float
    spike: int | None
    start_index: int
    label: str
    short_label: str
    reveal_index: int  # the sample that shows its name: for an outcome, once the outcome is visible


@dataclass(frozen=True)
class Marked:
    """Everything the figure marks on the voltage axes."""

    thresholds: tuple[tuple[float, float], ...]  # (time_ms, voltage_mv) of each spike's threshold
    phases: tuple[PhaseBand, ...]
    refractory: Any | None  # trace/refractory.py's Refractory, when asked for and measured
    thresholds_shown: tuple[int, ...] = ()  # per threshold, the sample that names it: once its spike fires


# Bands whose name says how a response ends: shown once that is visible, never at the pulse.
SPIKE_OUTCOME = ("to_threshold", "rising")
FAILED_OUTCOME = ("subthreshold", "hyperpolarizing")


def fired_indices(trace: Trace, measurements: Any, level_mv: float) -> tuple[int, ...]:
    """Per spike, the first sample at or above the detection level: where the trace visibly fires."""
    t, v = trace.time_ms, trace.voltage_mv
    out = []
    for spike in measurements.spikes:
        below = np.flatnonzero((t <= spike.peak_time_ms) & (v < level_mv))
        out.append(min(int(below[-1]) + 1 if len(below) else 0, len(t) - 1))
    return tuple(out)


def _reveal(trace: Trace, phase: Any, start: int, fired: tuple[int, ...]) -> int:
    """The sample from which a band's name shows: its start, unless the name would tell the outcome early.

    A failed response is named at its turning point (the sample furthest from where it began), when the
    trace visibly turns back; the way to threshold and the rising phase once the spike crosses the
    detection level.
    """
    if phase.name in SPIKE_OUTCOME and phase.spike is not None and phase.spike < len(fired):
        return max(start, fired[phase.spike])
    if phase.name in FAILED_OUTCOME:
        t, v = trace.time_ms, trace.voltage_mv
        inside = np.flatnonzero((t >= phase.start_ms) & (t <= phase.end_ms))
        if len(inside):
            return max(start, int(inside[np.argmax(np.abs(v[inside] - v[inside[0]]))]))
    return start


def _bands(trace: Trace, raw: list[Any], fired: tuple[int, ...] = ()) -> tuple[PhaseBand, ...]:
    t = trace.time_ms
    out: list[PhaseBand] = []
    for phase in raw:
        name = phase.name
        index = min(int(np.searchsorted(t, phase.start_ms - 1e-9 * max(1.0, abs(phase.start_ms)))), len(t) - 1)
        out.append(
            PhaseBand(
                name,
                float(phase.start_ms),
                float(phase.end_ms),
                phase.spike,
                index,
                phase.label,
                SHORT_LABELS.get(name, name),
                _reveal(trace, phase, index, fired),
            )
        )
    return tuple(out)


def marked(config: Config, trace: Trace) -> Marked:
    """Measure the trace for what this figure shows (nothing is measured that is not drawn)."""
    plot = config.plot
    hh = isinstance(config.waveform, HodgkinHuxleyWaveform)
    want_thresholds = hh if plot.threshold_markers is None else plot.threshold_markers
    want_refractory = plot.refractory and hh
    if not (plot.phases or want_thresholds or want_refractory):
        return Marked((), (), None)
    measurements = measure_module.measure(trace, plot.spike_detection_mv)
    thresholds = tuple(
        (float(s.threshold_time_ms), float(s.threshold_mv))
        for s in measurements.spikes
        if s.threshold_time_ms is not None and s.threshold_mv is not None
    )
    raw = measure_module.phases(trace, measurements) if plot.phases else []
    refractory = refractory_periods(config.waveform, measurements) if want_refractory else None  # cached
    fired = fired_indices(trace, measurements, plot.spike_detection_mv)
    return Marked(
        thresholds if want_thresholds else (),
        _bands(trace, raw, fired),
        refractory if want_refractory else None,
        tuple(i for s, i in zip(measurements.spikes, fired, strict=True) if s.threshold_time_ms is not None),
    )
