"""The Hodgkin–Huxley (1952) squid-axon model, solved with scipy (pure numpy/scipy, no plotting).

Modern convention: voltages are absolute membrane potentials in mV with rest near -65 mV,
currents are µA/cm² (outward positive; the injected stimulus is positive when it depolarizes),
time is ms. The rate constants are the published ones at 6.3 °C, scaled by 3^((T - 6.3) / 10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.models import HodgkinHuxleyWaveform, Stimulus
from ..errors import RenderError

REFERENCE_TEMPERATURE_C = 6.3
Q10 = 3.0
# Tolerances of the solver: tightening both tenfold changes no measured feature (tested).
RTOL = 1e-9
ATOL = 1e-9


def _x_over_one_minus_exp(x: np.ndarray | float) -> np.ndarray:
    """x / (1 - exp(-x)), exact at x = 0 (where it is 1) and accurate next to it.

    1 - exp(-x) = x * exprel(-x) with exprel(y) = (exp(y) - 1) / y, which scipy evaluates
    without cancellation and defines as 1 at 0, so the removable singularity needs no epsilon.
    """
    from scipy.special import exprel

    return 1.0 / exprel(-np.asarray(x, dtype=float))


def rates(v_mv: np.ndarray | float, temperature_c: float = REFERENCE_TEMPERATURE_C) -> dict[str, np.ndarray]:
    """Opening (alpha) and closing (beta) rates of the m, h and n gates at `v_mv`, in 1/ms."""
    v = np.asarray(v_mv, dtype=float)
    phi = Q10 ** ((temperature_c - REFERENCE_TEMPERATURE_C) / 10)
    return {
        # 0.1 (V + 40) / (1 - exp(-(V + 40) / 10)): removable singularity at V = -40 mV
        "alpha_m": phi * _x_over_one_minus_exp((v + 40) / 10),
        "beta_m": phi * 4.0 * np.exp(-(v + 65) / 18),
        "alpha_h": phi * 0.07 * np.exp(-(v + 65) / 20),
        "beta_h": phi / (1 + np.exp(-(v + 35) / 10)),
        # 0.01 (V + 55) / (1 - exp(-(V + 55) / 10)): removable singularity at V = -55 mV
        "alpha_n": phi * 0.1 * _x_over_one_minus_exp((v + 55) / 10),
        "beta_n": phi * 0.125 * np.exp(-(v + 65) / 80),
    }


def steady_gates(v_mv: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """m, h, n at steady state for a clamped voltage (independent of temperature)."""
    r = rates(v_mv)
    return (
        r["alpha_m"] / (r["alpha_m"] + r["beta_m"]),
        r["alpha_h"] / (r["alpha_h"] + r["beta_h"]),
        r["alpha_n"] / (r["alpha_n"] + r["beta_n"]),
    )


def ionic_currents(
    waveform: HodgkinHuxleyWaveform, v: np.ndarray, m: np.ndarray, h: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """I_Na, I_K and I_leak in µA/cm² (outward positive)."""
    i_na = waveform.g_na_ms_per_cm2 * m**3 * h * (v - waveform.e_na_mv)
    i_k = waveform.g_k_ms_per_cm2 * n**4 * (v - waveform.e_k_mv)
    i_leak = waveform.g_leak_ms_per_cm2 * (v - waveform.e_leak_mv)
    return i_na, i_k, i_leak


def resting_potential(waveform: HodgkinHuxleyWaveform) -> float:
    """The membrane potential at which the ionic current is zero with every gate at steady state.

    The steady-state current runs from negative at the lowest reversal potential to positive at
    the highest, so a root lies between them. Where parameters allow several, the most negative
    one with a rising current-voltage curve is taken: that is the stable resting state.
    """
    from scipy.optimize import brentq

    def total(v: float) -> float:
        return float(sum(ionic_currents(waveform, np.float64(v), *steady_gates(v))))

    low = min(waveform.e_na_mv, waveform.e_k_mv, waveform.e_leak_mv)
    high = max(waveform.e_na_mv, waveform.e_k_mv, waveform.e_leak_mv)
    grid = np.linspace(low, high, max(2, int((high - low) * 4) + 1))
    i_na, i_k, i_leak = ionic_currents(waveform, grid, *steady_gates(grid))
    values = i_na + i_k + i_leak  # `total` over the whole grid at once: ~500 scalar calls cost half a second
    if values[0] == 0:
        return float(grid[0])
    rising = np.flatnonzero((values[:-1] < 0) & (values[1:] >= 0))
    i = int(rising[0])
    if values[i + 1] == 0:
        return float(grid[i + 1])
    return float(brentq(total, grid[i], grid[i + 1], xtol=1e-12, rtol=4 * np.finfo(float).eps))


EDGE_TOLERANCE_MS = 1e-9  # stimulus edges closer than this are one edge: 0.2 + 0.4 is 0.6000000000000001


def stimulus_edges(stimulus: Stimulus) -> list[float]:
    """Every time the injected current jumps, sorted; edges within EDGE_TOLERANCE_MS are merged into the first.

    Without the merge, a pulse ending at 0.2 + 0.4 ms and one starting at 0.6 ms leave a 1e-16 ms
    piece that the solver cannot take a step in.
    """
    raw = sorted({p.onset_ms for p in stimulus.pulses} | {p.onset_ms + p.duration_ms for p in stimulus.pulses})
    if stimulus.step is not None:
        raw = sorted({*raw, stimulus.step.onset_ms})
    merged: list[float] = []
    for edge in raw:
        if not merged or edge - merged[-1] >= EDGE_TOLERANCE_MS:
            merged.append(edge)
    return merged


def _snap(time_ms: float, edges: list[float]) -> float:
    """The merged edge that `time_ms` belongs to (itself when no edge is that close)."""
    i = int(np.searchsorted(edges, time_ms - EDGE_TOLERANCE_MS))
    return edges[i] if i < len(edges) and abs(edges[i] - time_ms) < EDGE_TOLERANCE_MS else time_ms


def stimulus_current(stimulus: Stimulus, time_ms: np.ndarray | float) -> np.ndarray:
    """Injected current density at each time, in µA/cm²; pulses are on for onset <= t < onset + duration.

    Edges are taken after merging (see `stimulus_edges`), so back-to-back pulses never overlap by a rounding error.
    """
    t = np.asarray(time_ms, dtype=float)
    edges = stimulus_edges(stimulus)
    current = np.zeros_like(t)
    for pulse in stimulus.pulses:
        on, off = _snap(pulse.onset_ms, edges), _snap(pulse.onset_ms + pulse.duration_ms, edges)
        current = current + np.where((t >= on) & (t < off), pulse.amplitude_ua_per_cm2, 0.0)
    if stimulus.step is not None:
        current = current + np.where(t >= _snap(stimulus.step.onset_ms, edges), stimulus.step.amplitude_ua_per_cm2, 0.0)
    return current


def stimulus_pieces(stimulus: Stimulus, duration_ms: float) -> list[tuple[float, float, float]]:
    """(start, stop, current) of each piece of [0, duration_ms] over which the injected current is constant."""
    inside = [e for e in stimulus_edges(stimulus) if EDGE_TOLERANCE_MS <= e <= duration_ms - EDGE_TOLERANCE_MS]
    bounds = [0.0, *inside, float(duration_ms)]
    # the current in force on [start, stop); evaluated mid-piece so the edge convention is moot
    return [
        (a, b, float(stimulus_current(stimulus, (a + b) / 2))) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def stimulus_episodes(stimulus: Stimulus, duration_ms: float) -> tuple[tuple[float, float | None, float], ...]:
    """(onset, end or None when on to the end, signed current of largest size) of each stretch of current."""
    found: list[list] = []
    previous_on = False
    for start, stop, current in stimulus_pieces(stimulus, duration_ms):
        if current != 0 and previous_on:
            found[-1][1] = stop
            found[-1][2] = max(found[-1][2], current, key=abs)
        elif current != 0:
            found.append([start, stop, current])
        previous_on = current != 0
    return tuple((a, None if b >= duration_ms else b, i) for a, b, i in found)


@dataclass(frozen=True)
class Simulation:
    """The sampled solution: voltage, gates and currents at each sample time."""

    time_ms: np.ndarray
    voltage_mv: np.ndarray
    m: np.ndarray
    h: np.ndarray
    n: np.ndarray
    i_na_ua_per_cm2: np.ndarray
    i_k_ua_per_cm2: np.ndarray
    i_leak_ua_per_cm2: np.ndarray
    i_stim_ua_per_cm2: np.ndarray


def resting_state(waveform: HodgkinHuxleyWaveform) -> np.ndarray:
    """[V, m, h, n] at rest: the resting potential with every gate at its steady state."""
    v_rest = resting_potential(waveform)
    return np.array([v_rest, *steady_gates(v_rest)], dtype=float)


def derivative_of(waveform: HodgkinHuxleyWaveform):
    """The model's right-hand side f(t, [V, m, h, n], i_stim) for solve_ivp (the current in µA/cm² as an arg)."""
    c_m = waveform.capacitance_uf_per_cm2
    temperature = waveform.temperature_c

    def derivative(_t: float, y: np.ndarray, i_stim: float) -> np.ndarray:
        v, m, h, n = y
        r = rates(v, temperature)
        i_na, i_k, i_leak = ionic_currents(waveform, v, m, h, n)
        return np.array(
            [
                (i_stim - i_na - i_k - i_leak) / c_m,
                r["alpha_m"] * (1 - m) - r["beta_m"] * m,
                r["alpha_h"] * (1 - h) - r["beta_h"] * h,
                r["alpha_n"] * (1 - n) - r["beta_n"] * n,
            ]
        )

    return derivative


def simulate(waveform: HodgkinHuxleyWaveform, rtol: float = RTOL, atol: float = ATOL) -> Simulation:
    """Solve the model from rest and sample it at the config's evenly spaced times.

    The stimulus is piecewise constant, so the solver runs piece by piece between its edges: an
    adaptive step can then never stride over a short pulse, and each piece is smooth. LSODA
    switches to a stiff (BDF) method by itself where the gating kinetics demand it.
    """
    from scipy.integrate import solve_ivp

    time_ms = np.linspace(0, waveform.duration_ms, waveform.samples)
    state = resting_state(waveform)
    derivative = derivative_of(waveform)

    solution = np.empty((4, len(time_ms)))
    solution[:, 0] = state
    for start, stop, i_stim in stimulus_pieces(waveform.stimulus, waveform.duration_ms):
        inside = np.flatnonzero((time_ms > start) & (time_ms <= stop))
        result = solve_ivp(
            derivative,
            (start, stop),
            state,
            method="LSODA",
            t_eval=np.union1d(time_ms[inside], [stop]),
            args=(i_stim,),
            rtol=rtol,
            atol=atol,
        )
        if not result.success:
            raise RenderError(f"the Hodgkin–Huxley solver failed between {start:g} and {stop:g} ms: {result.message}")
        solution[:, inside] = result.y[:, : len(inside)]
        state = result.y[:, -1]
    v, m, h, n = solution
    i_na, i_k, i_leak = ionic_currents(waveform, v, m, h, n)
    return Simulation(
        time_ms=time_ms,
        voltage_mv=v,
        m=m,
        h=h,
        n=n,
        i_na_ua_per_cm2=i_na,
        i_k_ua_per_cm2=i_k,
        i_leak_ua_per_cm2=i_leak,
        i_stim_ua_per_cm2=stimulus_current(waveform.stimulus, time_ms),
    )
