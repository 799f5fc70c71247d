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
    "refractory_failure": "refractory",
    "oscillation": "oscillation",
    "incomplete": "cut off",
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


def _bands(trace: Trace, raw: list[Any]) -> tuple[PhaseBand, ...]:
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
    return Marked(thresholds if want_thresholds else (), _bands(trace, raw), refractory if want_refractory else None)
