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
    refractory: Any | None  # the analysis' refractory periods, when asked for and measured


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


def marked(config: Config, analysis: Analysis) -> Marked:
    """What this figure marks of the analysis (the config decides which; a spikeless analysis marks no threshold)."""
    plot = config.plot
    want_thresholds = model_of(config.waveform).threshold if plot.threshold_markers is None else plot.threshold_markers
    thresholds = tuple(
        (float(s.threshold_time_ms), float(s.threshold_mv))
        for s in analysis.spikes
        if s.threshold_time_ms is not None and s.threshold_mv is not None
    )
    bands = _bands(analysis.trace, list(analysis.phases)) if plot.phases else ()
    return Marked(thresholds if want_thresholds else (), bands, analysis.refractory if plot.refractory else None)
