"""The waveform-model registry: each model's config, synthesis, analysis, panels and measurements, in one table.

Everything above the trace layer asks a model's entry (`model_of(config.waveform)`), never its type.
A new model is one module (its synthesis, e.g. `trace/axon.py`) plus one line in `MODELS`; its
pydantic config model joins `WAVEFORM_MODELS` in `config/models.py` (the config layer validates
files without importing this one). An entry's fields:

- `config`: the pydantic model of its `waveform:` section (its `model:` literal is the registry key);
- `synthesize(waveform) -> Trace`: the time axis and signals (extra signals become CSV columns);
- `analyze(config, trace) -> Analysis`: everything measured on the trace, once per render;
- `panels`: the figure panels it has data for (names in `figure/panel_kinds.py`'s `PANELS`), and
  `default_panels`: those drawn unless the config says otherwise (the stimulus strip);
- `measurements`: the measurement keys it offers (manifest, answer keys, gallery);
- `threshold`, `fixed_voltage_range_mv`, `reversal_mv`, `rest_mv`, `pulses`,
  `voltage_color`: what the figure needs to know about it, as data rather than `isinstance` branches;
- `title`, `stimulated`: how galleries describe it; `cost_s`: how a batch orders it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..config.axon import AxonExperiment
from ..config.clamp import VoltageClampExperiment
from ..config.models import MODEL_PANELS, Config, GaussianWaveform, HodgkinHuxleyWaveform
from ..config.recorded import RecordedWaveform
from .analysis import Analysis, membrane_analysis
from .experiments import AXON_KEYS, CLAMP_KEYS, axon_analysis, axon_trace, clamp_analysis, clamp_trace
from .measure import SPIKE_KEYS
from .recorded_model import recorded_analysis, recorded_rest_mv, recorded_trace
from .waveform import Trace, gaussian_trace, hodgkin_huxley_trace

WHOLE_TRACE_KEYS = ("resting_mv", "spike_count", "firing_rate_hz")
_THRESHOLD_KEYS = ("threshold_mv", "threshold_time_ms")
Pulse = tuple[float, float, float | None]  # (onset_ms, amplitude, end_ms or None for a sustained step)


def _first_sample_mv(waveform: Any, trace: Trace) -> float:
    return float(trace.voltage_mv[0])


@dataclass(frozen=True)
class Model:
    """What the rest of the package may know about one waveform model (fields: see the module docstring)."""

    name: str
    title: str  # in words, for galleries: "Hodgkin–Huxley model"
    config: type
    synthesize: Callable[[Any], Trace]
    analyze: Callable[[Config, Trace], Analysis] = membrane_analysis
    panels: tuple[str, ...] = ()
    default_panels: tuple[str, ...] = ()
    measurements: tuple[str, ...] = (*WHOLE_TRACE_KEYS, *SPIKE_KEYS)
    threshold: bool = True  # a spike threshold is measured and marked by default
    fixed_voltage_range_mv: tuple[float, float] | None = None  # the axis a fitted range starts from, if any
    reversal_mv: Callable[[Any], tuple[float, ...]] = field(default=lambda waveform: ())
    rest_mv: Callable[[Any, Trace], float] = _first_sample_mv  # where the dashed rest line goes
    pulses: Callable[[Any], list[Pulse]] = field(default=lambda waveform: [])
    stimulated: bool = False  # driven by an injected current (described by its stimulus, not its shape)
    voltage_color: str = "#000000"  # the trace's colour unless plot.line_color sets one
    cost_s: float = 0.1  # rough seconds to synthesize and analyze, so the longest renders start first


def _gaussian_rest_mv(waveform: GaussianWaveform, trace: Trace) -> float:
    return waveform.resting_mv


def _hh_analysis(config: Config, trace: Trace) -> Analysis:
    return membrane_analysis(config, trace, probe_refractory=True)


def _hh_pulses(waveform: HodgkinHuxleyWaveform) -> list[Pulse]:
    stimulus = waveform.stimulus
    found = [(p.onset_ms, p.amplitude_ua_per_cm2, p.onset_ms + p.duration_ms) for p in stimulus.pulses]
    if stimulus.step is not None:
        found.append((stimulus.step.onset_ms, stimulus.step.amplitude_ua_per_cm2, None))
    return sorted(o for o in found if 0 <= o[0] <= waveform.duration_ms)


GAUSSIAN = Model(
    "gaussian",
    "Gaussian waveform",
    GaussianWaveform,
    gaussian_trace,
    measurements=tuple(k for k in (*WHOLE_TRACE_KEYS, *SPIKE_KEYS) if k not in _THRESHOLD_KEYS),
    threshold=False,  # a drawn shape: nothing crosses a threshold
    fixed_voltage_range_mv=(-100.0, 70.0),  # the original script's axis
    rest_mv=_gaussian_rest_mv,
    voltage_color="blue",  # the original script's trace colour, kept so the classic picture stays the same
)
HODGKIN_HUXLEY = Model(
    "hodgkin_huxley",
    "Hodgkin–Huxley model",
    HodgkinHuxleyWaveform,
    hodgkin_huxley_trace,
    analyze=_hh_analysis,
    panels=(*MODEL_PANELS["hodgkin_huxley"], "stimulus"),
    default_panels=("stimulus",),
    reversal_mv=lambda waveform: (waveform.e_na_mv, waveform.e_k_mv),
    pulses=_hh_pulses,
    stimulated=True,
    cost_s=0.4,
)

RECORDED = Model(
    "recorded",
    "Recorded trace",
    RecordedWaveform,
    recorded_trace,
    analyze=recorded_analysis,
    rest_mv=recorded_rest_mv,
    cost_s=0.3,
)

VOLTAGE_CLAMP = Model(
    "voltage_clamp",
    "Voltage clamp",
    VoltageClampExperiment,
    clamp_trace,
    analyze=clamp_analysis,
    panels=MODEL_PANELS["voltage_clamp"],
    default_panels=("clamp_command", "clamp_currents"),
    measurements=CLAMP_KEYS,
    threshold=False,  # the clamp holds the voltage: nothing fires
    rest_mv=lambda waveform, trace: waveform.holding_mv,
    cost_s=0.3,
)
AXON = Model(
    "axon",
    "Propagation along an axon",
    AxonExperiment,
    axon_trace,
    analyze=axon_analysis,
    panels=MODEL_PANELS["axon"],
    default_panels=("axon_sites",),
    measurements=AXON_KEYS,
    threshold=False,  # the impulse is measured by its arrival at each electrode, not a threshold
    stimulated=True,
    cost_s=2.0,
)

MODELS: dict[str, Model] = {model.name: model for model in (GAUSSIAN, HODGKIN_HUXLEY, VOLTAGE_CLAMP, AXON, RECORDED)}


def model_of(waveform: Any) -> Model:
    """The registry entry of a validated waveform (its `model:` names it)."""
    return MODELS[waveform.model]


def synthesize(waveform: Any) -> Trace:
    """The trace of any waveform model."""
    return model_of(waveform).synthesize(waveform)


def analyze(config: Config, trace: Trace | None = None) -> Analysis:
    """The render's analysis: the trace (synthesized when not given) and everything its model measures."""
    return model_of(config.waveform).analyze(config, synthesize(config.waveform) if trace is None else trace)
