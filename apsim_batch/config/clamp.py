"""The `model: voltage_clamp` experiment: a family of voltage steps from a holding potential, with blockers."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, StrictFloat, StrictInt, model_validator

from ..errors import FieldError
from .base import Mv, StrictModel
from .membrane import Membrane, temperature_field

MAX_STEPS = 100
MAX_SAMPLES = 20_000


class StepRange(StrictModel):
    """Step potentials from start to stop (included when the step lands on it) every step_mv."""

    start_mv: Mv = Field(description="First step potential, in mV.")
    stop_mv: Mv = Field(description="Last step potential, in mV.")
    step_mv: StrictFloat = Field(gt=0, le=1000, description="Spacing of the steps, in mV.")

    @model_validator(mode="after")
    def _bounded(self) -> StepRange:
        count = abs(self.stop_mv - self.start_mv) / self.step_mv + 1
        if count > MAX_STEPS:
            raise FieldError(("step_mv",), f"makes {count:,.0f} steps; at most {MAX_STEPS} are allowed")
        return self

    def values_mv(self) -> tuple[float, ...]:
        """The step potentials in order (rounded to 9 decimals, so 0.1 steps do not drift)."""
        direction = 1 if self.stop_mv >= self.start_mv else -1
        count = int(math.floor(abs(self.stop_mv - self.start_mv) / self.step_mv + 1e-9)) + 1
        return tuple(round(self.start_mv + direction * k * self.step_mv, 9) for k in range(count))


def _classic_family() -> StepRange:
    return StepRange(start_mv=-90, stop_mv=60, step_mv=10)


class VoltageClampExperiment(StrictModel):
    """Hodgkin and Huxley's experiment: hold the membrane, step it, and watch the currents that flow."""

    model: Literal["voltage_clamp"] = Field(description="Experiment: 'voltage_clamp' (a family of voltage steps).")
    holding_mv: Mv = Field(-65, description="Holding potential before and after each step, in mV.")
    steps_mv: tuple[Mv, ...] | None = Field(
        None, min_length=1, max_length=MAX_STEPS, description="The step potentials, in mV (or give step_range)."
    )
    step_range: StepRange = Field(
        default_factory=_classic_family, description="Step potentials as start/stop/step (used when steps_mv is none)."
    )
    pre_step_ms: StrictFloat = Field(1, ge=0, le=1000, description="Time held before the step, in ms.")
    step_duration_ms: StrictFloat = Field(10, gt=0, le=1000, description="How long each step lasts, in ms.")
    post_step_ms: StrictFloat = Field(
        2, ge=0, le=1000, description="Time back at the holding potential after the step (tail currents), in ms."
    )
    samples: StrictInt = Field(
        1201, ge=2, le=MAX_SAMPLES, description="Evenly spaced samples of each sweep, ends included."
    )
    temperature_c: StrictFloat = temperature_field(6.3)
    membrane: Membrane = Field(default_factory=Membrane, description="The clamped membrane.")
    charging_tau_us: StrictFloat = Field(
        10,
        ge=0,
        le=1000,
        description="Time constant with which the clamp charges the membrane at each step edge (series resistance"
        " x capacitance), in µs: the width of the capacitive transient in the membrane current (its charge is"
        " C·ΔV whatever the width; 0: an ideal clamp, the whole charge within one sample).",
    )
    ttx_block_fraction: StrictFloat = Field(
        0, ge=0, le=1, description="Fraction of g_Na blocked by tetrodotoxin (1: no sodium current)."
    )
    tea_block_fraction: StrictFloat = Field(
        0, ge=0, le=1, description="Fraction of g_K blocked by tetraethylammonium (1: no potassium current)."
    )

    @model_validator(mode="after")
    def _one_family(self) -> VoltageClampExperiment:
        if self.steps_mv is not None and "step_range" in self.model_fields_set:
            raise FieldError(("steps_mv",), "give either steps_mv or step_range, not both (each lists the steps)")
        return self

    @property
    def step_potentials_mv(self) -> tuple[float, ...]:
        """The steps in force: the list, or the range's values."""
        return self.steps_mv if self.steps_mv is not None else self.step_range.values_mv()

    @property
    def duration_ms(self) -> float:
        """Length of one sweep, in ms."""
        return self.pre_step_ms + self.step_duration_ms + self.post_step_ms
