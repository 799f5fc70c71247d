"""What the figure annotates, from trace/: spikes (thresholds), phases and refractory periods.

The figure reads the measurement API of trace/measure.py and trace/refractory.py (see the
interface contract of issues 12 and 15): `measure(trace)` -> Measurements with per-spike
thresholds, `phases(trace, measurements)` -> phases named from PHASE_NAMES, and
`refractory_periods(waveform, measurements)`. Until that API is in place the older one
(`measure(time, voltage)`, phases named after the membrane's direction) is read and translated,
so the figure works on either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config.models import Config, HodgkinHuxleyWaveform
from ..trace import measure as measure_module
from ..trace.waveform import Trace

# Short forms for crowded figures (a spike's phases after the first one, narrow bands).
SHORT_LABELS = {
    "rest": "rest",
    "subthreshold": "subthreshold",
    "hyperpolarizing": "hyperpol.",
    "rising": "rise",
    "falling": "fall",
    "ahp": "AHP",
    "isi": "ISI",
    "block": "block",
}
FULL_LABELS = {
    "rest": "at rest",
    "subthreshold": "subthreshold response",
    "hyperpolarizing": "hyperpolarizing response",
    "rising": "rising phase",
    "falling": "falling phase",
    "ahp": "after-hyperpolarization",
    "isi": "interspike interval",
    "block": "depolarization block",
}
# The older phase vocabulary, translated while trace/measure.py still speaks it.
_OLD_NAMES = {
    "resting": "rest",
    "subthreshold": "subthreshold",
    "depolarization": "rising",
    "repolarization": "falling",
    "hyperpolarization": "ahp",
    "return_to_rest": "ahp",
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


@dataclass(frozen=True)
class Marked:
    """Everything the figure marks on the voltage axes."""

    thresholds: tuple[tuple[float, float], ...]  # (time_ms, voltage_mv) of each spike's threshold
    phases: tuple[PhaseBand, ...]
    refractory: Any | None  # trace/refractory.py's Refractory, when asked for and measured


def _new_api() -> bool:
    return hasattr(measure_module, "PHASE_LABELS")


def _bands(trace: Trace, raw: list[Any]) -> tuple[PhaseBand, ...]:
    t = trace.time_ms
    out: list[PhaseBand] = []
    for phase in raw:
        name = phase.name if _new_api() else _OLD_NAMES.get(phase.name, phase.name)
        if out and out[-1].name == name and out[-1].spike == phase.spike and out[-1].end_ms == phase.start_ms:
            previous = out.pop()  # the older API splits the AHP in two at its trough
            out.append(
                PhaseBand(
                    name,
                    previous.start_ms,
                    phase.end_ms,
                    phase.spike,
                    previous.start_index,
                    previous.label,
                    previous.short_label,
                )
            )
            continue
        index = min(int(np.searchsorted(t, phase.start_ms - 1e-9 * max(1.0, abs(phase.start_ms)))), len(t) - 1)
        label = getattr(phase, "label", None) if _new_api() else None
        out.append(
            PhaseBand(
                name,
                float(phase.start_ms),
                float(phase.end_ms),
                phase.spike,
                index,
                label or FULL_LABELS.get(name, name),
                SHORT_LABELS.get(name, name),
            )
        )
    return tuple(out)


def marked(config: Config, trace: Trace) -> Marked:
    """Measure the trace for what this figure shows (nothing is measured that is not drawn)."""
    plot = config.plot
    hh = isinstance(config.waveform, HodgkinHuxleyWaveform)
    want_thresholds = hh if plot.threshold_markers is None else plot.threshold_markers
    want_refractory = bool(getattr(plot, "refractory", False)) and hh
    if not (plot.phases or want_thresholds or want_refractory):
        return Marked((), (), None)
    if _new_api():
        detection_mv = getattr(plot, "spike_detection_mv", None)
        measurements = measure_module.measure(trace, *([] if detection_mv is None else [detection_mv]))
        thresholds = tuple(
            (float(s.threshold_time_ms), float(s.threshold_mv))
            for s in measurements.spikes
            if s.threshold_time_ms is not None and s.threshold_mv is not None
        )
        raw = measure_module.phases(trace, measurements) if plot.phases else []
    else:
        raw = measure_module.phases(trace.time_ms, trace.voltage_mv)
        thresholds = tuple(
            (p.start_ms, float(np.interp(p.start_ms, trace.time_ms, trace.voltage_mv)))
            for p in raw
            if p.name == "depolarization"
        )
        measurements = None
        raw = raw if plot.phases else []
    refractory = getattr(trace, "refractory", None)
    if want_refractory and refractory is None and measurements is not None:
        try:
            from ..trace.refractory import refractory_periods
        except ImportError:  # the refractory analysis is not there yet
            refractory_periods = None
        if refractory_periods is not None:
            refractory = refractory_periods(config.waveform, measurements)  # probes the model (cached)
    return Marked(thresholds if want_thresholds else (), _bands(trace, raw), refractory if want_refractory else None)
