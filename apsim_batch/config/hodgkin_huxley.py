"""The `model: hodgkin_huxley` waveform: the simulated squid membrane and the current injected into it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictFloat, StrictInt

from .base import MAX_SAMPLES, Mv, StrictModel

UaPerCm2 = Annotated[StrictFloat, Field(ge=-10_000, le=10_000)]


class CurrentPulse(StrictModel):
    """A rectangular current pulse injected into the membrane (positive depolarizes)."""

    onset_ms: StrictFloat = Field(ge=0, le=1e5, description="Time the pulse switches on, in ms.")
    duration_ms: StrictFloat = Field(gt=0, le=1e5, description="How long the pulse lasts, in ms.")
    amplitude_ua_per_cm2: UaPerCm2 = Field(description="Injected current density, in µA/cm² (positive depolarizes).")


class SustainedStep(StrictModel):
    """A current step that switches on and stays on to the end of the trace."""

    onset_ms: StrictFloat = Field(0, ge=0, le=1e5, description="Time the step switches on, in ms.")
    amplitude_ua_per_cm2: UaPerCm2 = Field(description="Injected current density, in µA/cm² (positive depolarizes).")


def _one_pulse() -> tuple[CurrentPulse, ...]:
    return (CurrentPulse(onset_ms=1, duration_ms=1, amplitude_ua_per_cm2=10),)


class Stimulus(StrictModel):
    """The injected current: any number of pulses plus an optional sustained step (they add up)."""

    pulses: tuple[CurrentPulse, ...] = Field(
        default_factory=_one_pulse, max_length=100, description="Current pulses, in any order; they may overlap."
    )
    step: SustainedStep | None = Field(None, description="A sustained current step, or none.")


class HodgkinHuxleyWaveform(StrictModel):
    """The Hodgkin–Huxley (1952) squid-axon model in the modern convention (rest near -65 mV)."""

    model: Literal["hodgkin_huxley"] = Field(description="Waveform model: 'hodgkin_huxley' (simulated membrane).")
    duration_ms: StrictFloat = Field(20, gt=0, le=10_000, description="Length of the trace, in ms.")
    samples: StrictInt = Field(
        1000, ge=2, le=MAX_SAMPLES, description="Number of evenly spaced samples, ends included."
    )
    capacitance_uf_per_cm2: StrictFloat = Field(1, gt=0, le=100, description="Membrane capacitance, in µF/cm².")
    g_na_ms_per_cm2: StrictFloat = Field(120, ge=0, le=10_000, description="Maximal sodium conductance, in mS/cm².")
    g_k_ms_per_cm2: StrictFloat = Field(36, ge=0, le=10_000, description="Maximal potassium conductance, in mS/cm².")
    g_leak_ms_per_cm2: StrictFloat = Field(0.3, gt=0, le=10_000, description="Leak conductance, in mS/cm².")
    e_na_mv: Mv = Field(50, description="Sodium reversal potential, in mV.")
    e_k_mv: Mv = Field(-77, description="Potassium reversal potential, in mV.")
    e_leak_mv: Mv = Field(-54.387, description="Leak reversal potential, in mV.")
    temperature_c: StrictFloat = Field(
        6.3, ge=-5, le=45, description="Temperature, in °C; every rate is scaled by 3^((T - 6.3) / 10)."
    )
    stimulus: Stimulus = Field(default_factory=Stimulus, description="The injected current.")
