"""A compartmental cable of Hodgkin–Huxley and passive membrane, solved implicitly with exact gate steps.

The splitting is NEURON's: the gates live half a step after the voltage and advance exactly (each
relaxes exponentially while V is held); the cable equation is then linear in V, and its step is
TR-BDF2 (second order, L-stable), two tridiagonal solves with LAPACK's `gtsv`. Units: lengths in
cm, capacitance in µF, conductance in mS, current in µA, voltage in mV, time in ms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import RenderError
from .hodgkin_huxley import rates, resting_potential, steady_gates

UM_PER_CM = 1e4
PLAUSIBLE_MV = 500  # no membrane survives beyond this; past it the rates overflow and the run means nothing


class Overdriven(RenderError):
    """The injected current took a compartment beyond ±PLAUSIBLE_MV."""


@dataclass(frozen=True)
class Cable:
    """The compartments of a cable, in order along it (sealed ends)."""

    center_um: np.ndarray  # position of each compartment's midpoint
    length_um: np.ndarray
    diameter_um: np.ndarray
    active: np.ndarray  # bool: Hodgkin–Huxley membrane here, otherwise passive
    passive_capacitance_uf_per_cm2: float
    passive_conductance_ms_per_cm2: float

    @property
    def area_cm2(self) -> np.ndarray:
        return np.pi * self.diameter_um * self.length_um / UM_PER_CM**2

    def axial_conductance_ms(self, resistivity_ohm_cm: float) -> np.ndarray:
        """Conductance between each compartment and the next, in mS: half of each one's core in series."""
        half_ohm = (
            resistivity_ohm_cm * (self.length_um / 2 / UM_PER_CM) / (np.pi * (self.diameter_um / UM_PER_CM) ** 2 / 4)
        )
        return 1000 / (half_ohm[:-1] + half_ohm[1:])


def uniform_cable(length_um: float, diameter_um: float, space_step_um: float) -> Cable:
    """A bare axon of equal compartments no longer than `space_step_um`."""
    count = max(2, int(np.ceil(length_um / space_step_um - 1e-9)))
    step = length_um / count
    return Cable(
        center_um=(np.arange(count) + 0.5) * step,
        length_um=np.full(count, step),
        diameter_um=np.full(count, float(diameter_um)),
        active=np.ones(count, dtype=bool),
        passive_capacitance_uf_per_cm2=0.0,
        passive_conductance_ms_per_cm2=0.0,
    )


def myelinated_cable(
    length_um: float,
    diameter_um: float,
    node_um: float,
    internode_um: float,
    internode_segments: int,
    sheath_uf_per_cm2: float,
    sheath_ms_per_cm2: float,
) -> Cable:
    """Nodes of Ranvier (one compartment each, the first at 0) joined by internodes of equal compartments."""
    nodes = int((length_um - node_um) // (node_um + internode_um)) + 1
    lengths = [node_um]
    for _ in range(nodes - 1):
        lengths += [internode_um / internode_segments] * internode_segments + [node_um]
    length = np.array(lengths)
    ends = np.cumsum(length)
    return Cable(
        center_um=ends - length / 2,
        length_um=length,
        diameter_um=np.full(len(length), float(diameter_um)),
        active=np.array([i % (internode_segments + 1) == 0 for i in range(len(length))]),
        passive_capacitance_uf_per_cm2=sheath_uf_per_cm2,
        passive_conductance_ms_per_cm2=sheath_ms_per_cm2,
    )


@dataclass(frozen=True)
class CableRun:
    """What one run keeps: snapshots of the whole cable, and per compartment the first arrival and the peak."""

    time_ms: np.ndarray  # the snapshot times
    voltage_mv: np.ndarray  # (snapshot, compartment)
    arrival_ms: np.ndarray  # first upward crossing of the detection level, linearly interpolated; NaN: never
    fall_ms: np.ndarray  # the downward crossing after it; NaN: still above at the end
    peak_mv: np.ndarray
    peak_ms: np.ndarray
    resting_mv: float


def _gate_step(v: np.ndarray, gates: np.ndarray, dt_ms: float, temperature_c: float) -> np.ndarray:
    """Advance m, h, n by dt with V held: x -> x_inf + (x - x_inf) exp(-dt (alpha + beta)), exact."""
    r = rates(v, temperature_c)
    out = np.empty_like(gates)
    for row, name in enumerate("mhn"):
        alpha, beta = r[f"alpha_{name}"], r[f"beta_{name}"]
        total = alpha + beta
        steady = alpha / total
        out[row] = steady + (gates[row] - steady) * np.exp(-dt_ms * total)
    return out


class _Membranes:
    """Chord conductance g (mS) and g·E (µA) of every compartment, so that I_ion = g V - gE (linear in V)."""

    def __init__(self, cable: Cable, membrane, area: np.ndarray, rest_mv: float):
        self.membrane = membrane
        # all-active cables (bare axons) take a slice: boolean indexing would copy every step
        self.active = slice(None) if cable.active.all() else np.flatnonzero(cable.active)
        self.area = area[self.active]
        self.g = cable.passive_conductance_ms_per_cm2 * area
        # the sheath's leak reverses at the nodes' resting potential, so the fibre rests level
        self.g_e = self.g * rest_mv

    def terms(self, gates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        membrane = self.membrane
        m, h, n = gates
        g_na = membrane.g_na_ms_per_cm2 * m**3 * h
        g_k = membrane.g_k_ms_per_cm2 * n**4
        self.g[self.active] = (g_na + g_k + membrane.g_leak_ms_per_cm2) * self.area
        self.g_e[self.active] = (
            g_na * membrane.e_na_mv + g_k * membrane.e_k_mv + membrane.g_leak_ms_per_cm2 * membrane.e_leak_mv
        ) * self.area
        return self.g, self.g_e


def solve(
    cable: Cable,
    membrane,
    resistivity_ohm_cm: float,
    temperature_c: float,
    injected_ua: Callable[[float], np.ndarray],
    duration_ms: float,
    dt_ms: float,
    snapshot_ms: np.ndarray,
    detection_mv: float,
) -> CableRun:
    """Run the cable from rest; `injected_ua(t)` gives the electrode current into each compartment at time t."""
    area = cable.area_cm2
    capacitance = np.where(cable.active, membrane.capacitance_uf_per_cm2, cable.passive_capacitance_uf_per_cm2) * area
    axial = cable.axial_conductance_ms(resistivity_ohm_cm)
    coupling = np.zeros(len(area))
    coupling[:-1] += axial
    coupling[1:] += axial
    rest = resting_potential(membrane)
    v = np.full(len(area), rest)
    gates = np.array(steady_gates(np.full(int(cable.active.sum()), rest)))
    steps = max(1, int(round(duration_ms / dt_ms)))
    dt = duration_ms / steps
    stepper = _TrBdf2(capacitance, axial, coupling, dt)
    recorder = _Recorder(snapshot_ms, v, detection_mv)
    membranes = _Membranes(cable, membrane, area, rest)
    for k in range(steps):
        gates = _gate_step(v[membranes.active], gates, dt, temperature_c)
        g, g_e = membranes.terms(gates)
        v_new = stepper.step(v, g, g_e + injected_ua((k + 0.5) * dt))
        if not np.all(np.abs(v_new) <= PLAUSIBLE_MV):
            i = int(np.argmax(np.nan_to_num(np.abs(v_new), nan=np.inf)))
            raise Overdriven(
                f"the membrane at {cable.center_um[i] / 1000:g} mm reached {v_new[i]:,.0f} mV at {(k + 1) * dt:g} ms,"
                f" beyond the ±{PLAUSIBLE_MV} mV any membrane can hold"
            )
        recorder.step(k * dt, dt, v, v_new)
        v = v_new
    return recorder.result(rest)


GAMMA = 2 - np.sqrt(2)  # TR-BDF2's stage point: both stages then share one matrix shape


class _TrBdf2:
    """One step of C dV/dt = -(K + diag g) V + b with the gates held: a trapezoidal stage to t + γdt, then BDF2.

    Crank–Nicolson alone is not L-stable: a 1 µm node of Ranvier beside a long internode has a
    time constant of nanoseconds, CN's factor for it is near -1, and after each jump of the injected
    current the node's voltage flips from step to step. TR-BDF2 is second order and damps such modes
    (Bank et al. 1985; Hosea & Shampine 1996); away from the jumps both agree with NEURON's CN.
    """

    def __init__(self, capacitance: np.ndarray, axial: np.ndarray, coupling: np.ndarray, dt: float):
        from scipy.linalg.lapack import get_lapack_funcs

        self.capacitance, self.axial, self.coupling, self.dt = capacitance, axial, coupling, dt
        # LAPACK's tridiagonal solver, called directly: solve_banded's checks cost more than the solve here
        (self.gtsv,) = get_lapack_funcs(("gtsv",), (capacitance,))

    def _apply(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        """(K + diag g) V: K the axial Laplacian (sealed ends)."""
        out = (self.coupling + g) * v
        out[:-1] -= self.axial * v[1:]
        out[1:] -= self.axial * v[:-1]
        return out

    def _solve(self, weight: float, g: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """Solve (C + weight (K + diag g)) x = rhs."""
        off = -weight * self.axial
        _, _, _, x, info = self.gtsv(off, self.capacitance + weight * (self.coupling + g), off, rhs)
        if info != 0:
            raise RenderError(f"the cable's tridiagonal solve failed (LAPACK gtsv info {info})")
        return x

    def step(self, v: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
        h = GAMMA * self.dt
        stage = self._solve(h / 2, g, self.capacitance * v + h / 2 * (b - self._apply(v, g)) + h / 2 * b)
        w = (1 - GAMMA) / (2 - GAMMA)
        c_stage, c_start = 1 / (GAMMA * (2 - GAMMA)), (1 - GAMMA) ** 2 / (GAMMA * (2 - GAMMA))
        return self._solve(w * self.dt, g, self.capacitance * (c_stage * stage - c_start * v) + w * self.dt * b)


class _Recorder:
    """Keeps snapshots (interpolated to their times), first arrivals and peaks while the solver runs."""

    def __init__(self, snapshot_ms: np.ndarray, v0: np.ndarray, detection_mv: float):
        self.times = np.asarray(snapshot_ms, dtype=float)
        self.snapshots = np.empty((len(self.times), len(v0)))
        self.next = 0
        self.detection_mv = detection_mv
        self.arrival = np.full(len(v0), np.nan)
        self.fall = np.full(len(v0), np.nan)
        self.peak = v0.copy()
        self.peak_time = np.zeros(len(v0))
        self._take(0.0, 0.0, v0, v0)

    def _take(self, t0: float, dt: float, v0: np.ndarray, v1: np.ndarray) -> None:
        while self.next < len(self.times) and self.times[self.next] <= t0 + dt + 1e-12:
            w = 0.0 if dt == 0 else (self.times[self.next] - t0) / dt
            self.snapshots[self.next] = v0 + w * (v1 - v0)
            self.next += 1

    def step(self, t0: float, dt: float, v0: np.ndarray, v1: np.ndarray) -> None:
        self._take(t0, dt, v0, v1)
        below0, below1 = v0 < self.detection_mv, v1 < self.detection_mv
        if (below0 != below1).any():
            up = np.isnan(self.arrival) & below0 & ~below1
            self.arrival[up] = t0 + dt * (self.detection_mv - v0[up]) / (v1[up] - v0[up])
            down = ~np.isnan(self.arrival) & np.isnan(self.fall) & ~below0 & below1
            self.fall[down] = t0 + dt * (v0[down] - self.detection_mv) / (v0[down] - v1[down])
        higher = v1 > self.peak
        if higher.any():
            self.peak[higher] = v1[higher]
            self.peak_time[higher] = t0 + dt

    def result(self, rest: float) -> CableRun:
        self.snapshots[self.next :] = self.snapshots[self.next - 1]  # times past the end (rounding) repeat it
        return CableRun(self.times, self.snapshots, self.arrival, self.fall, self.peak, self.peak_time, rest)
