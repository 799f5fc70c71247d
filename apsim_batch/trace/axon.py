"""Propagation along an axon: the cable an `axon` config describes, its run, and what is measured on it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.axon import MAX_COMPARTMENTS, AxonExperiment
from ..errors import RenderError
from .cable import Cable, CableRun, Overdriven, myelinated_cable, solve, uniform_cable
from .hodgkin_huxley import resting_potential, steady_gates
from .measure import DETECTION_MV

STEPS_PER_LENGTH_CONSTANT = 100  # a bare axon's default space step: halving it moves the velocity < 0.1% (tested)
MAX_SNAPSHOT_VALUES = 20_000_000  # samples × compartments kept for drawing: 160 MB of float64
STEADY_STRETCH = (0.25, 0.75)  # the velocity is fitted over this part of the way from the stimulus to the far end


def length_constant_um(experiment: AxonExperiment) -> float:
    """sqrt(d R_m / (4 R_i)) of the bare membrane at rest, in µm (every channel's resting conductance counts)."""
    membrane = experiment.membrane
    rest = resting_potential(membrane)
    m, h, n = steady_gates(rest)
    g_ms_per_cm2 = membrane.g_leak_ms_per_cm2 + membrane.g_na_ms_per_cm2 * m**3 * h + membrane.g_k_ms_per_cm2 * n**4
    r_m_ohm_cm2 = 1000 / g_ms_per_cm2
    diameter_cm = experiment.diameter_um / 1e4
    return float(np.sqrt(diameter_cm * r_m_ohm_cm2 / (4 * experiment.axial_resistivity_ohm_cm)) * 1e4)


def build_cable(experiment: AxonExperiment) -> Cable:
    """The compartments: equal ones for a bare axon, nodes and internode pieces for a myelinated one."""
    length_um = experiment.length_mm * 1000
    myelin = experiment.myelin
    if myelin is None:
        step = experiment.space_step_um or length_constant_um(experiment) / STEPS_PER_LENGTH_CONSTANT
        if length_um / step > MAX_COMPARTMENTS:
            raise RenderError(
                f"space_step_um: the default step, λ/{STEPS_PER_LENGTH_CONSTANT} = {step:.3g} µm, makes"
                f" {length_um / step:,.0f} compartments; at most {MAX_COMPARTMENTS:,} are allowed (give a larger"
                " space_step_um or a shorter length_mm)"
            )
        return uniform_cable(length_um, experiment.diameter_um, step)
    layers = myelin.membranes_in_sheath(experiment.diameter_um)
    return myelinated_cable(
        length_um,
        experiment.diameter_um,
        myelin.node_length_um,
        myelin.internode_um(experiment.diameter_um),
        myelin.internode_segments,
        experiment.membrane.capacitance_uf_per_cm2 / layers,
        experiment.membrane.g_leak_ms_per_cm2 / layers,
    )


def _nearest(cable: Cable, site_mm: float) -> int:
    """The compartment an electrode at `site_mm` sits in: the nearest one, or the nearest node if myelinated."""
    candidates = np.flatnonzero(cable.active)
    return int(candidates[np.argmin(np.abs(cable.center_um[candidates] - site_mm * 1000))])


@dataclass(frozen=True)
class Site:
    """One recording electrode: where it asked to be, where it records, and what it saw."""

    site_mm: float
    recorded_mm: float
    voltage_mv: np.ndarray  # at the snapshot times
    arrival_ms: float | None  # the impulse's upward crossing of the detection level; None: it never came
    peak_mv: float
    peak_ms: float


@dataclass(frozen=True)
class Propagation:
    """The measurements of one run (None where the impulse did not travel far enough to measure it)."""

    velocity_m_per_s: float | None  # steady value: fitted over the middle of the way to the far end
    velocity_line_ms: float | None  # where that fitted line (distance against arrival) meets the stimulus site
    site_velocities_m_per_s: tuple[float | None, ...]  # between consecutive recording sites
    spike_duration_ms: float | None  # time above the detection level, mid-way
    wavelength_mm: float | None  # length of axon above the detection level at one instant
    internodal_time_ms: float | None  # myelinated only: mean delay from one node to the next, mid-way


@dataclass(frozen=True)
class AxonResult:
    """Everything an axon render draws and reports."""

    time_ms: np.ndarray
    position_mm: np.ndarray  # compartment midpoints
    voltage_mv: np.ndarray  # (time, position)
    node_mm: np.ndarray  # positions of the nodes of Ranvier (empty for a bare axon)
    stimulus_mm: float  # where the stimulating electrode injects: the middle of its compartment
    sites: tuple[Site, ...]
    propagation: Propagation
    resting_mv: float
    space_step_um: float  # the longest compartment
    time_step_us: float
    length_constant_mm: float
    detection_mv: float


def _injection(experiment: AxonExperiment, cable: Cable):
    """The electrode current into each compartment at time t, in µA."""
    where = _nearest(cable, experiment.stimulus.site_mm)
    pulses = [(p.onset_ms, p.onset_ms + p.duration_ms, p.amplitude_na / 1000) for p in experiment.stimulus.pulses]
    current = np.zeros(len(cable.center_um))

    def injected_ua(t_ms: float) -> np.ndarray:
        current[where] = sum(amplitude for on, off, amplitude in pulses if on <= t_ms < off)
        return current

    return injected_ua


def simulate_axon(experiment: AxonExperiment, detection_mv: float = DETECTION_MV) -> AxonResult:
    """Run the experiment from rest and measure the impulse."""
    cable = build_cable(experiment)
    if experiment.samples * len(cable.center_um) > MAX_SNAPSHOT_VALUES:
        raise RenderError(
            f"samples: {experiment.samples:,} snapshots of {len(cable.center_um):,} compartments are more than"
            f" {MAX_SNAPSHOT_VALUES:,} values; give fewer samples"
        )
    time_ms = np.linspace(0, experiment.duration_ms, experiment.samples)
    try:
        run = solve(
            cable,
            node_membrane(experiment),
            experiment.axial_resistivity_ohm_cm,
            experiment.temperature_c,
            _injection(experiment, cable),
            experiment.duration_ms,
            experiment.time_step_us / 1000,
            time_ms,
            detection_mv,
        )
    except Overdriven as exc:
        raise RenderError(f"stimulus.pulses: {exc}; lower amplitude_na for this axon") from None
    sites = tuple(_site(cable, run, s) for s in experiment.recording_sites_mm)
    return AxonResult(
        time_ms=time_ms,
        position_mm=cable.center_um / 1000,
        voltage_mv=run.voltage_mv,
        node_mm=cable.center_um[cable.active] / 1000 if experiment.myelin else np.empty(0),
        stimulus_mm=float(cable.center_um[_nearest(cable, experiment.stimulus.site_mm)] / 1000),
        sites=sites,
        propagation=measure_propagation(cable, run, experiment.stimulus.site_mm, sites, experiment.myelin is not None),
        resting_mv=run.resting_mv,
        space_step_um=float(cable.length_um.max()),
        time_step_us=experiment.duration_ms
        * 1000
        / max(1, round(experiment.duration_ms * 1000 / experiment.time_step_us)),
        length_constant_mm=length_constant_um(experiment) / 1000,
        detection_mv=detection_mv,
    )


def node_membrane(experiment: AxonExperiment):
    """The membrane at the active compartments: nodes of Ranvier carry `node_conductance_factor` × the channels."""
    membrane = experiment.membrane
    if experiment.myelin is None:
        return membrane
    k = experiment.myelin.node_conductance_factor
    return membrane.model_copy(
        update={
            "g_na_ms_per_cm2": membrane.g_na_ms_per_cm2 * k,
            "g_k_ms_per_cm2": membrane.g_k_ms_per_cm2 * k,
            "g_leak_ms_per_cm2": membrane.g_leak_ms_per_cm2 * k,
        }
    )


def _site(cable: Cable, run: CableRun, site_mm: float) -> Site:
    i = _nearest(cable, site_mm)
    arrival = run.arrival_ms[i]
    return Site(
        site_mm=site_mm,
        recorded_mm=float(cable.center_um[i] / 1000),
        voltage_mv=run.voltage_mv[:, i],
        arrival_ms=None if np.isnan(arrival) else float(arrival),
        peak_mv=float(run.peak_mv[i]),
        peak_ms=float(run.peak_ms[i]),
    )


def measure_propagation(
    cable: Cable, run: CableRun, stimulus_mm: float, sites: tuple[Site, ...], myelinated: bool
) -> Propagation:
    """Velocity (steady and between sites), spike duration, wavelength and internodal time of one run."""
    between = tuple(
        abs(b.recorded_mm - a.recorded_mm) / abs(b.arrival_ms - a.arrival_ms)
        if a.arrival_ms is not None and b.arrival_ms is not None and a.arrival_ms != b.arrival_ms
        else None
        for a, b in zip(sites[:-1], sites[1:], strict=False)
    )
    # the farther end from the electrode: the impulse travels freely there
    x_mm = cable.center_um / 1000
    span = max(stimulus_mm - x_mm[0], x_mm[-1] - stimulus_mm)
    direction = 1.0 if x_mm[-1] - stimulus_mm >= stimulus_mm - x_mm[0] else -1.0
    distance = (x_mm - stimulus_mm) * direction
    lo, hi = STEADY_STRETCH
    inside = cable.active & (distance >= lo * span) & (distance <= hi * span)
    if inside.sum() < 3 or np.isnan(run.arrival_ms[inside]).any():
        return Propagation(None, None, between, None, None, None)
    slope, intercept = np.polyfit(run.arrival_ms[inside], distance[inside], 1)
    velocity = float(slope)
    middle = np.flatnonzero(inside)[inside.sum() // 2]
    duration = run.fall_ms[middle] - run.arrival_ms[middle]
    duration = None if np.isnan(duration) else float(duration)
    internodal = float(np.mean(np.diff(run.arrival_ms[inside]) * direction)) if myelinated else None
    return Propagation(
        velocity,
        float(-intercept / slope),
        between,
        duration,
        None if duration is None else velocity * duration,
        internodal,
    )
