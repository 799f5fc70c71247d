"""The voltage clamp in closed form: each gate relaxes exponentially while V is held, so every current is exact."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.clamp import VoltageClampExperiment
from .hodgkin_huxley import ionic_currents, rates


def relaxation(v_mv: float, temperature_c: float) -> tuple[np.ndarray, np.ndarray]:
    """(x_inf, tau_x in ms) of the m, h and n gates held at `v_mv`."""
    r = rates(v_mv, temperature_c)
    alpha = np.array([r["alpha_m"], r["alpha_h"], r["alpha_n"]], dtype=float)
    total = alpha + np.array([r["beta_m"], r["beta_h"], r["beta_n"]], dtype=float)
    return alpha / total, 1 / total


def gates_during(
    pieces: list[tuple[float, float, float]], time_ms: np.ndarray, temperature_c: float
) -> tuple[np.ndarray, np.ndarray]:
    """Voltage and (m, h, n) at each time of a piecewise-constant protocol [(start, stop, V)], from steady state.

    On each piece x(t) = x_inf - (x_inf - x0) exp(-(t - start) / tau); x0 is where the last piece left it.
    A time on an edge belongs to the piece that starts there.
    """
    voltage = np.empty(len(time_ms))
    gates = np.empty((3, len(time_ms)))
    state, _ = relaxation(pieces[0][2], temperature_c)
    for number, (start, stop, v) in enumerate(pieces):
        last = number == len(pieces) - 1
        inside = (time_ms >= start) & ((time_ms <= stop) if last else (time_ms < stop))
        steady, tau = relaxation(v, temperature_c)
        elapsed = time_ms[inside] - start
        voltage[inside] = v
        gates[:, inside] = steady[:, None] - (steady - state)[:, None] * np.exp(-elapsed[None, :] / tau[:, None])
        state = steady - (steady - state) * np.exp(-(stop - start) / tau)
    return voltage, gates


@dataclass(frozen=True)
class ClampSteps:
    """The measurements of a step family, one value per step (None where a curve does not cross)."""

    step_mv: np.ndarray
    peak_i_na_ua_per_cm2: np.ndarray  # the sodium current of largest size during the step (signed)
    peak_i_na_ms: np.ndarray  # when, after the step's onset
    steady_i_k_ua_per_cm2: np.ndarray  # at the end of the step
    peak_g_na_ms_per_cm2: np.ndarray
    steady_g_k_ms_per_cm2: np.ndarray
    largest_inward_i_na_ua_per_cm2: float | None  # the most negative peak I_Na of the family (None: none inward)
    largest_inward_i_na_step_mv: float | None  # ... and the step that draws it
    na_reversal_mv: float | None  # where the peak I_Na–V curve crosses zero
    na_half_activation_mv: float | None  # where peak g_Na reaches half its largest value
    k_half_activation_mv: float | None  # where steady g_K reaches half its largest value


@dataclass(frozen=True)
class ClampResult:
    """Every sweep of the family: (step, time) arrays of voltage, gates, currents (µA/cm²) and conductances."""

    time_ms: np.ndarray
    voltage_mv: np.ndarray
    m: np.ndarray
    h: np.ndarray
    n: np.ndarray
    i_na_ua_per_cm2: np.ndarray
    i_k_ua_per_cm2: np.ndarray
    i_leak_ua_per_cm2: np.ndarray
    i_total_ua_per_cm2: np.ndarray  # ionic
    i_membrane_ua_per_cm2: np.ndarray  # what the clamp records: ionic plus the capacitive transient at each edge
    g_na_ms_per_cm2: np.ndarray
    g_k_ms_per_cm2: np.ndarray
    steps: ClampSteps


def blocked_membrane(experiment: VoltageClampExperiment):
    """The membrane with TTX and TEA applied: the blocked fraction of each conductance removed."""
    membrane = experiment.membrane
    return membrane.model_copy(
        update={
            "g_na_ms_per_cm2": membrane.g_na_ms_per_cm2 * (1 - experiment.ttx_block_fraction),
            "g_k_ms_per_cm2": membrane.g_k_ms_per_cm2 * (1 - experiment.tea_block_fraction),
        }
    )


def protocol(experiment: VoltageClampExperiment, step_mv: float) -> list[tuple[float, float, float]]:
    """Hold, step, hold: the pieces of one sweep (empty pieces left out)."""
    on = experiment.pre_step_ms
    off = on + experiment.step_duration_ms
    pieces = [
        (0.0, on, experiment.holding_mv),
        (on, off, step_mv),
        (off, experiment.duration_ms, experiment.holding_mv),
    ]
    return [p for p in pieces if p[1] > p[0]]


IDEAL_BELOW_MS = 1e-9  # a charging time constant under a picosecond is the ideal clamp


def charged_voltage(pieces: list[tuple[float, float, float]], time_ms: np.ndarray, tau_ms: float) -> np.ndarray:
    """The membrane's voltage while the clamp charges it towards each piece's V with time constant `tau_ms`.

    An edge of the command is not an edge of the membrane: the clamp charges its capacitance through a
    series resistance, V_m = V + (V_m(edge) − V) exp(−(t − edge) / tau). tau 0: the ideal clamp.
    """
    if tau_ms < IDEAL_BELOW_MS:  # charged within a sample; and t / 1e-308 would overflow
        tau_ms = 0.0
    membrane = np.empty(len(time_ms))
    level = pieces[0][2]
    for number, (start, stop, v) in enumerate(pieces):
        last = number == len(pieces) - 1
        inside = (time_ms >= start) & ((time_ms <= stop) if last else (time_ms < stop))
        decay = np.exp(-(time_ms[inside] - start) / tau_ms) if tau_ms > 0 else np.zeros(int(inside.sum()))
        membrane[inside] = v + (level - v) * decay
        level = v + (level - v) * (np.exp(-(stop - start) / tau_ms) if tau_ms > 0 else 0.0)
    return membrane


def capacitive_current(
    pieces: list[tuple[float, float, float]], time_ms: np.ndarray, capacitance_uf_per_cm2: float, tau_ms: float
) -> np.ndarray:
    """C·dV_m/dt in µA/cm² (µF/cm² × mV/ms), each sample the mean over the interval that ends there.

    Means over the sampling intervals, not values at the samples: a transient far briefer than a sample
    still carries its whole charge, C·ΔV, into the sampled record (as an integrating recorder would), and
    the ionic currents, computed for the ideal step, are left exactly as they were.
    """
    membrane = charged_voltage(pieces, time_ms, tau_ms)
    current = np.zeros(len(time_ms))
    current[1:] = capacitance_uf_per_cm2 * np.diff(membrane) / np.diff(time_ms)
    return current


def simulate_clamp(experiment: VoltageClampExperiment) -> ClampResult:
    """Every sweep of the family, in closed form, and its measurements."""
    time_ms = np.linspace(0, experiment.duration_ms, experiment.samples)
    membrane = blocked_membrane(experiment)
    sweeps = [
        gates_during(protocol(experiment, s), time_ms, experiment.temperature_c) for s in experiment.step_potentials_mv
    ]
    voltage = np.array([v for v, _ in sweeps])
    m, h, n = (np.array([g[row] for _, g in sweeps]) for row in range(3))
    i_na, i_k, i_leak = ionic_currents(membrane, voltage, m, h, n)
    g_na = membrane.g_na_ms_per_cm2 * m**3 * h
    g_k = membrane.g_k_ms_per_cm2 * n**4
    tau_ms, capacitance = experiment.charging_tau_us / 1000, membrane.capacitance_uf_per_cm2
    i_cap = np.array(
        [
            capacitive_current(protocol(experiment, s), time_ms, capacitance, tau_ms)
            for s in experiment.step_potentials_mv
        ]
    )
    return ClampResult(
        time_ms=time_ms,
        voltage_mv=voltage,
        m=m,
        h=h,
        n=n,
        i_na_ua_per_cm2=i_na,
        i_k_ua_per_cm2=i_k,
        i_leak_ua_per_cm2=i_leak,
        i_total_ua_per_cm2=i_na + i_k + i_leak,
        i_membrane_ua_per_cm2=i_na + i_k + i_leak + i_cap,
        g_na_ms_per_cm2=g_na,
        g_k_ms_per_cm2=g_k,
        steps=measure_steps(experiment),
    )


def _open_fraction_peak(x0: np.ndarray, steady: np.ndarray, tau: np.ndarray, duration_ms: float) -> tuple[float, float]:
    """(largest m³h during a step of `duration_ms`, its time after onset), from the closed form itself."""
    from scipy.optimize import minimize_scalar

    def open_fraction(t: np.ndarray | float) -> np.ndarray:
        m, h = (steady[i] - (steady[i] - x0[i]) * np.exp(-np.asarray(t) / tau[i]) for i in (0, 1))
        return m**3 * h

    grid = np.linspace(0, duration_ms, 2001)
    best = int(np.argmax(open_fraction(grid)))
    bounds = (grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)])
    found = minimize_scalar(lambda t: -open_fraction(t), bounds=bounds, method="bounded", options={"xatol": 1e-12})
    at = float(found.x) if -found.fun >= open_fraction(grid[best]) else float(grid[best])
    return float(open_fraction(at)), at


def _crossing(x: np.ndarray, y: np.ndarray, level: float, rising_only: bool = False) -> float | None:
    """The first x where y passes `level` (linear between samples), or None."""
    below = y < level
    for i in range(len(y) - 1):
        if below[i] != below[i + 1] and not (rising_only and not below[i]):
            return float(x[i] + (level - y[i]) * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))
    return None


def measure_steps(experiment: VoltageClampExperiment) -> ClampSteps:
    """Peak I_Na (and when), steady I_K, the I–V reversal and the half-activation voltages of a step family."""
    membrane = blocked_membrane(experiment)
    start, _ = relaxation(experiment.holding_mv, experiment.temperature_c)
    steps = np.array(experiment.step_potentials_mv, dtype=float)
    peak_open, peak_ms, n_end = [], [], []
    for v in steps:
        steady, tau = relaxation(v, experiment.temperature_c)
        fraction, at = _open_fraction_peak(start, steady, tau, experiment.step_duration_ms)
        peak_open.append(fraction)
        peak_ms.append(at)
        n_end.append(steady[2] - (steady[2] - start[2]) * np.exp(-experiment.step_duration_ms / tau[2]))
    g_na = membrane.g_na_ms_per_cm2 * np.array(peak_open)
    g_k = membrane.g_k_ms_per_cm2 * np.array(n_end) ** 4
    i_na = g_na * (steps - membrane.e_na_mv)
    order = np.argsort(steps)
    return ClampSteps(
        step_mv=steps,
        peak_i_na_ua_per_cm2=i_na,
        peak_i_na_ms=np.array(peak_ms),
        steady_i_k_ua_per_cm2=g_k * (steps - membrane.e_k_mv),
        peak_g_na_ms_per_cm2=g_na,
        steady_g_k_ms_per_cm2=g_k,
        largest_inward_i_na_ua_per_cm2=float(i_na.min()) if i_na.min() < 0 else None,
        largest_inward_i_na_step_mv=float(steps[np.argmin(i_na)]) if i_na.min() < 0 else None,
        na_reversal_mv=_crossing(steps[order], i_na[order], 0.0) if g_na.max() > 0 else None,
        na_half_activation_mv=_half(steps[order], g_na[order]),
        k_half_activation_mv=_half(steps[order], g_k[order]),
    )


def _half(step_mv: np.ndarray, conductance: np.ndarray) -> float | None:
    """Where a conductance–voltage curve first rises through half its largest value."""
    if conductance.max() <= 0:
        return None
    return _crossing(step_mv, conductance / conductance.max(), 0.5, rising_only=True)
