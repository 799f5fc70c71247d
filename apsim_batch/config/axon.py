"""The `model: axon` experiment: an impulse travelling along a Hodgkin–Huxley cable, bare or myelinated."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictFloat, StrictInt, model_validator

from ..errors import FieldError
from .base import StrictModel
from .membrane import Membrane, temperature_field

MAX_COMPARTMENTS = 20_000
MAX_TIME_STEPS = 400_000
MAX_SAMPLES = 20_000


class PointPulse(StrictModel):
    """A rectangular current pulse injected through an electrode at one point (positive depolarizes)."""

    onset_ms: StrictFloat = Field(ge=0, le=1e4, description="Time the pulse switches on, in ms.")
    duration_ms: StrictFloat = Field(gt=0, le=1e4, description="How long the pulse lasts, in ms.")
    amplitude_na: StrictFloat = Field(
        ge=-1e7, le=1e7, description="Injected current, in nA (positive depolarizes; 1000 nA = 1 µA)."
    )


def _squid_pulse() -> tuple[PointPulse, ...]:
    return (PointPulse(onset_ms=0.1, duration_ms=0.2, amplitude_na=50_000),)


class AxonStimulus(StrictModel):
    """Where and how the axon is stimulated."""

    site_mm: StrictFloat = Field(0, ge=0, le=1000, description="Position of the stimulating electrode, in mm.")
    pulses: tuple[PointPulse, ...] = Field(
        default_factory=_squid_pulse, min_length=1, max_length=100, description="Current pulses, in any order."
    )


class Myelin(StrictModel):
    """Myelin with nodes of Ranvier: HH membrane at the nodes, passive sheath between (FitzHugh 1962)."""

    g_ratio: StrictFloat = Field(
        0.7, gt=0.1, le=0.95, description="Axon diameter / fibre diameter (the fibre includes the sheath)."
    )
    node_length_um: StrictFloat = Field(1, gt=0, le=100, description="Length of each node of Ranvier, in µm.")
    internode_length_um: StrictFloat | None = Field(
        None,
        gt=0,
        le=10_000,
        description="Length of each internode, in µm; none: 100 × the fibre diameter (the classical ratio).",
    )
    lamella_period_nm: StrictFloat = Field(
        17,
        ge=5,
        le=100,
        description="Thickness of one wrap of the sheath (two membranes), in nm: the sheath is (fibre - axon)"
        " diameter / 2 thick, so its capacitance and leak are the membrane's divided by the membranes in series.",
    )
    node_conductance_factor: StrictFloat = Field(
        10,
        gt=0,
        le=100,
        description="Multiplies g_Na, g_K and g_leak at the nodes, which are packed with channels (McIntyre et al."
        " 2002 put 25 × the squid's g_Na there); the resting potential is unchanged.",
    )
    internode_segments: StrictInt = Field(
        10, ge=1, le=1000, description="Compartments each internode is divided into (a node is one compartment)."
    )

    def fibre_diameter_um(self, axon_diameter_um: float) -> float:
        """Outer diameter of the myelinated fibre, in µm."""
        return axon_diameter_um / self.g_ratio

    def membranes_in_sheath(self, axon_diameter_um: float) -> float:
        """How many membranes the sheath stacks between axon and outside (two per wrap)."""
        thickness_nm = (self.fibre_diameter_um(axon_diameter_um) - axon_diameter_um) / 2 * 1000
        return max(1.0, 2 * thickness_nm / self.lamella_period_nm)

    def internode_um(self, axon_diameter_um: float) -> float:
        """The internode length in force, in µm."""
        if self.internode_length_um is not None:
            return self.internode_length_um
        return 100 * self.fibre_diameter_um(axon_diameter_um)


class AxonExperiment(StrictModel):
    """A Hodgkin–Huxley cable (the squid giant axon of HH 1952 by default) and the electrodes on it."""

    model: Literal["axon"] = Field(description="Experiment: 'axon' (propagation along a cable).")
    diameter_um: StrictFloat = Field(476, gt=0, le=5000, description="Axon diameter (inside any myelin), in µm.")
    length_mm: StrictFloat = Field(50, gt=0, le=1000, description="Length of the axon, in mm (ends sealed).")
    axial_resistivity_ohm_cm: StrictFloat = Field(
        35.4, gt=0, le=10_000, description="Resistivity of the axoplasm, in Ω·cm."
    )
    temperature_c: StrictFloat = temperature_field(18.5)
    membrane: Membrane = Field(default_factory=Membrane, description="The membrane (at the nodes, when myelinated).")
    myelin: Myelin | None = Field(None, description="Myelin and nodes of Ranvier, or none for a bare axon.")
    stimulus: AxonStimulus = Field(default_factory=AxonStimulus, description="The stimulating electrode.")
    recording_sites_mm: tuple[StrictFloat, ...] = Field(
        (10, 20, 30, 40),
        min_length=1,
        max_length=20,
        description="Positions of the recording electrodes, in mm (two or more give velocities between them).",
    )
    duration_ms: StrictFloat = Field(5, gt=0, le=1000, description="Length of the simulation, in ms.")
    samples: StrictInt = Field(
        501, ge=2, le=MAX_SAMPLES, description="Evenly spaced times at which the whole axon is kept, ends included."
    )
    time_step_us: StrictFloat = Field(
        5,
        gt=0,
        le=1000,
        description="Solver time step, in µs (TR-BDF2, second order; halving it is checked in the tests).",
    )
    space_step_um: StrictFloat | None = Field(
        None,
        gt=0,
        le=100_000,
        description="Compartment length of a bare axon, in µm; none: 1/100 of the resting length constant.",
    )

    @model_validator(mode="after")
    def _inside_and_bounded(self) -> AxonExperiment:
        length_um = self.length_mm * 1000
        for i, site in enumerate(self.recording_sites_mm):
            if site > self.length_mm:
                raise FieldError(
                    ("recording_sites_mm", i), f"must lie on the axon, 0 to {self.length_mm:g} mm (got {site:g})"
                )
        if self.stimulus.site_mm > self.length_mm:
            raise FieldError(
                ("stimulus", "site_mm"),
                f"must lie on the axon, 0 to {self.length_mm:g} mm (got {self.stimulus.site_mm:g})",
            )
        if (steps := self.duration_ms * 1000 / self.time_step_us) > MAX_TIME_STEPS:
            raise FieldError(("time_step_us",), f"makes {steps:,.0f} steps; at most {MAX_TIME_STEPS:,} are allowed")
        if self.myelin is None and self.space_step_um is not None and length_um / self.space_step_um > MAX_COMPARTMENTS:
            raise FieldError(("space_step_um",), f"makes more than {MAX_COMPARTMENTS:,} compartments")
        if self.myelin is not None:
            period_um = self.myelin.node_length_um + self.myelin.internode_um(self.diameter_um)
            if length_um < 2 * period_um:
                raise FieldError(("length_mm",), f"holds fewer than two nodes of Ranvier ({period_um:g} µm apart)")
            if length_um / period_um * (self.myelin.internode_segments + 1) > MAX_COMPARTMENTS:
                raise FieldError(("myelin", "internode_segments"), f"make more than {MAX_COMPARTMENTS:,} compartments")
        return self
