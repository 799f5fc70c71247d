"""The experiments as renders: the voltage clamp's and the axon's traces (CSV columns) and their analyses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..config.axon import AxonExperiment
from ..config.clamp import VoltageClampExperiment
from .analysis import Analysis
from .features import Measurements, round_or_none
from .waveform import Trace

DIGITS = 6  # the manifest's rounding, as for the membrane's measurements
CLAMP_QUANTITIES = ("i_na_ua_per_cm2", "i_k_ua_per_cm2", "i_total_ua_per_cm2", "i_membrane_ua_per_cm2")
CLAMP_KEYS = (
    "holding_mv",
    "step_mv",
    "peak_i_na_ua_per_cm2",
    "peak_i_na_ms",
    "steady_i_k_ua_per_cm2",
    "peak_g_na_ms_per_cm2",
    "steady_g_k_ms_per_cm2",
    "largest_inward_i_na_ua_per_cm2",
    "largest_inward_i_na_step_mv",
    "na_reversal_mv",
    "na_half_activation_mv",
    "k_half_activation_mv",
)
AXON_KEYS = ("velocity_m_per_s", "sites", "resting_mv", "space_step_um", "time_step_us", "compartments")


@dataclass(frozen=True)
class ExperimentMeasurements(Measurements):
    """An experiment's measurements: no spikes on its voltage trace, its own values in the manifest."""

    experiment: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, digits: int = DIGITS) -> dict[str, Any]:
        return dict(self.experiment)


@dataclass(frozen=True)
class ExperimentTrace(Trace):
    """A trace that keeps the whole run behind it (the axon's cable), so the analysis never simulates again."""

    result: Any = None


def _rounded(value: Any) -> Any:
    """Numbers rounded for the manifest, arrays as lists, None kept."""
    if isinstance(value, np.ndarray):
        return [_rounded(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, float | np.floating):
        return round_or_none(value, DIGITS)
    return value


def _spikeless(trace: Trace, resting_mv: float, experiment: dict[str, Any]) -> Analysis:
    """An ordinary analysis without spikes (nothing to threshold), carrying the experiment's measurements."""
    measurements = ExperimentMeasurements(resting_mv, 0, None, (), None, experiment=_rounded(experiment))
    return Analysis(trace, measurements)


def clamp_column(quantity: str, index: int, step_mv: float) -> str:
    """The CSV column of one step's curve, e.g. `i_na_ua_per_cm2_step3_at_-70_mv` (steps may repeat a value)."""
    return f"{quantity}_step{index + 1}_at_{step_mv:g}_mv"


def shown_step(experiment: VoltageClampExperiment, peak_i_na_ua_per_cm2: np.ndarray) -> int:
    """The sweep the voltage axes show: the step that draws the largest inward sodium current (else the last)."""
    if np.min(peak_i_na_ua_per_cm2) < 0:
        return int(np.argmin(peak_i_na_ua_per_cm2))
    return len(experiment.step_potentials_mv) - 1


def clamp_trace(experiment: VoltageClampExperiment) -> Trace:
    """The command voltage of one sweep as `voltage_mv` (see `shown_step`), and every step's currents as columns."""
    from .clamp import simulate_clamp

    result = simulate_clamp(experiment)
    extra: dict[str, np.ndarray] = {}
    for k, step_mv in enumerate(experiment.step_potentials_mv):
        extra[clamp_column("v_command_mv", k, step_mv)] = result.voltage_mv[k]
        for quantity in CLAMP_QUANTITIES:
            extra[clamp_column(quantity, k, step_mv)] = getattr(result, quantity)[k]
    shown = shown_step(experiment, result.steps.peak_i_na_ua_per_cm2)
    return Trace(result.time_ms, result.voltage_mv[shown], extra)


def clamp_analysis(config: Any, trace: Trace) -> Analysis:
    """The step family's measurements (`trace/clamp.py`'s `measure_steps`), in closed form."""
    from .clamp import measure_steps

    experiment = config.waveform
    steps = asdict(measure_steps(experiment))
    return _spikeless(trace, experiment.holding_mv, {"holding_mv": experiment.holding_mv, **steps})


def axon_column(site_index: int, recorded_mm: float) -> str:
    """The CSV column of one recording site's voltage, e.g. `v_mv_site1_at_10.035_mm` (where it records)."""
    return f"v_mv_site{site_index + 1}_at_{round(recorded_mm, 3):g}_mm"


def axon_trace(experiment: AxonExperiment) -> Trace:
    """V at the stimulating electrode as `voltage_mv`, and V at each recording site as columns."""
    from .axon import simulate_axon

    result = simulate_axon(experiment)
    stimulated = int(np.argmin(np.abs(result.position_mm - result.stimulus_mm)))
    extra = {axon_column(i, site.recorded_mm): site.voltage_mv for i, site in enumerate(result.sites)}
    return ExperimentTrace(result.time_ms, result.voltage_mv[:, stimulated].copy(), extra, result=result)


def axon_analysis(config: Any, trace: Trace) -> Analysis:
    """Velocity, arrivals, peaks, wavelength (internodal time when myelinated), and the steps the solver used."""
    result = trace.result if isinstance(trace, ExperimentTrace) else axon_trace(config.waveform).result
    sites = [
        {k: getattr(s, k) for k in ("site_mm", "recorded_mm", "arrival_ms", "peak_mv", "peak_ms")} for s in result.sites
    ]
    found = {
        **asdict(result.propagation),
        "sites": sites,
        "resting_mv": result.resting_mv,
        "space_step_um": result.space_step_um,
        "time_step_us": result.time_step_us,
        "compartments": len(result.position_mm),
        "length_constant_mm": result.length_constant_mm,
        "stimulus_mm": result.stimulus_mm,
        "detection_mv": result.detection_mv,
        # each site's arrival again as a scalar: an answer key's CSV has a column per scalar measurement
        **{f"site{i + 1}_arrival_ms": s.arrival_ms for i, s in enumerate(result.sites)},
    }
    return _spikeless(trace, result.resting_mv, found)
