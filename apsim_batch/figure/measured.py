"""What the figure annotates, chosen from the render's analysis: thresholds, phase bands, refractory periods.

The figure reads the same `Analysis` as the manifest and the captions (built once per render), so a
figure never labels what the manifest does not say, and nothing is measured twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config.models import Config
from ..trace.analysis import Analysis
from ..trace.models import model_of
from ..trace.waveform import Trace

# The figure's one name for each phase, the same on every figure (the ribbon has room for none
# longer; the manifest and captions keep the long forms of trace/phases.py). A name may overhang a
# narrow band: the ribbon stacks names in rows instead of shortening them.
FIGURE_NAMES = {
    "rest": "rest",
    "subthreshold": "subthreshold",
    "hyperpolarizing": "hyperpolarizing",
    "to_threshold": "to threshold",
    "rising": "rising phase",
    "falling": "falling phase",
    "ahp": "AHP",
    "isi": "interspike interval",
    "block": "depolarization block",
    "refractory_failure": "refractory: no spike",
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
    label: str  # the figure's name for it (FIGURE_NAMES)
    reveal_index: int  # the sample that shows its name: for an outcome, once the outcome is visible


@dataclass(frozen=True)
class Marked:
    """Everything the figure marks on the voltage axes."""

    thresholds: tuple[tuple[float, float], ...]  # (time_ms, voltage_mv) of each spike's threshold
    phases: tuple[PhaseBand, ...]
    refractory: Any | None  # the analysis' refractory periods, when asked for and measured
    thresholds_shown: tuple[int, ...] = ()  # per threshold, the sample that names it: once its spike fires


# Bands whose name says how a response ends: shown once that is visible, never at the pulse.
SPIKE_OUTCOME = ("to_threshold", "rising")
FAILED_OUTCOME = ("subthreshold", "hyperpolarizing", "refractory_failure")


SPIKE_PHASES = ("to_threshold", "rising", "falling", "ahp")


def named_bands(bands: tuple[PhaseBand, ...]) -> tuple[PhaseBand, ...]:
    """The bands whose names the ribbon shows: in a train only the first spike's phases (the others share
    its colours), rest once, and no interspike interval (the ISI bracket measures it spike to spike)."""
    first = min((b.spike for b in bands if b.spike is not None and b.name in SPIKE_PHASES), default=None)
    out, named = [], set()
    for band in bands:
        once = band.name in SPIKE_PHASES or band.name == "rest"  # an AHP cut in two by a failed response: once
        if band.name == "isi" or (once and band.name in named):
            continue
        if band.name in SPIKE_PHASES and band.spike != first:
            continue
        named.add(band.name)
        out.append(band)
    return tuple(out)


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
                FIGURE_NAMES.get(name, phase.label),
                _reveal(trace, phase, index, fired),
            )
        )
    return tuple(out)


def marked(config: Config, analysis: Analysis) -> Marked:
    """What this figure marks of the analysis (the config decides which; a spikeless analysis marks no threshold)."""
    plot = config.plot
    want_thresholds = model_of(config.waveform).threshold if plot.threshold_markers is None else plot.threshold_markers
    thresholds = tuple(
        (float(s.threshold_time_ms), float(s.threshold_mv))
        for s in analysis.spikes
        if s.threshold_time_ms is not None and s.threshold_mv is not None
    )
    fired = fired_indices(analysis.trace, analysis.measurements, plot.spike_detection_mv)
    bands = _bands(analysis.trace, list(analysis.phases), fired) if plot.phases else ()
    return Marked(
        thresholds if want_thresholds else (),
        bands,
        analysis.refractory if plot.refractory else None,
        tuple(i for s, i in zip(analysis.spikes, fired, strict=True) if s.threshold_time_ms is not None),
    )
