"""One render's analysis: its trace and everything measured on it, computed once and handed to every consumer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .measure import Measurements, measure
from .phases import Phase, phases
from .waveform import Trace

if TYPE_CHECKING:
    from ..config.models import Config
    from .refractory import Refractory


@dataclass(frozen=True)
class Analysis:
    """The trace (time axis and signals) and what the model measures on it.

    A render without spikes is an ordinary analysis: no spikes in `measurements`, phases of rest or
    failed responses, no refractory periods. Pieces a model does not measure are None or empty.
    """

    trace: Trace
    measurements: Measurements
    phases: tuple[Phase, ...] = ()
    refractory: Refractory | None = None

    @property
    def spikes(self) -> tuple[Any, ...]:
        return self.measurements.spikes


def membrane_analysis(config: Config, trace: Trace, probe_refractory: bool = False) -> Analysis:
    """Spikes and their features, the phases they cut, and (when asked and `probe_refractory`) refractory periods."""
    measurements = measure(trace, config.plot.spike_detection_mv)
    refractory = None
    if probe_refractory and config.plot.refractory:
        from .refractory import refractory_periods  # the probe simulates the model: only the models that have one

        refractory = refractory_periods(config.waveform, measurements)
    return Analysis(trace, measurements, tuple(phases(trace, measurements)), refractory)
