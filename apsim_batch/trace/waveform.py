"""The Trace, and how the Gaussian and Hodgkin–Huxley models make one (pure numpy/scipy; see `models.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..config.models import GaussianWaveform, HodgkinHuxleyWaveform


@dataclass(frozen=True)
class Trace:
    """A sampled membrane-voltage trace; `extra` holds further CSV columns (gates, currents)."""

    time_ms: np.ndarray
    voltage_mv: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    # Hodgkin–Huxley only: C (the threshold needs it) and the stimulus episodes at their exact times,
    # (onset_ms, end_ms or None when on to the end, signed current of largest size in µA/cm²).
    capacitance_uf_per_cm2: float = 1.0
    stimulus_episodes: tuple[tuple[float, float | None, float], ...] | None = None

    @property
    def sample_interval_ms(self) -> float:
        return float(self.time_ms[1] - self.time_ms[0])


def gaussian(time_ms: np.ndarray, center_ms: float, width_ms: float, amplitude_mv: float) -> np.ndarray:
    """amplitude * exp(-(t - center)^2 / (2 sigma^2)), in mV."""
    return amplitude_mv * np.exp(-((time_ms - center_ms) ** 2) / (2 * width_ms**2))


def component_amplitudes(waveform: GaussianWaveform) -> tuple[float, ...]:
    """Each component's height above rest, in mV, such that every `peak_mv` is the trace's voltage at its centre.

    The components add up, so a `peak_mv` component's own height is its peak above rest minus what the
    other components contribute at its centre (with several, one linear solve). A component far from
    the others gets exactly `peak_mv - resting_mv`, as before. Two `peak_mv` components at one centre
    cannot both hold; the system is then singular and each keeps `peak_mv - resting_mv`.
    """
    components = waveform.components
    fixed = [c.amplitude_mv for c in components]  # None where peak_mv sets the height
    wanted = [i for i, c in enumerate(components) if c.amplitude_mv is None]
    if not wanted:
        return tuple(fixed)
    centers = np.array([components[i].center_ms for i in wanted])
    given = [i for i in range(len(components)) if i not in wanted]
    others = np.zeros(len(wanted))
    for i in given:
        c = components[i]
        others += gaussian(centers, c.center_ms, c.width_ms, c.amplitude_mv)
    # overlap[r, k]: component wanted[k]'s contribution per mV of height at centre r (1 on the diagonal)
    unit = [(components[k].center_ms, components[k].width_ms) for k in wanted]
    overlap = np.array([[gaussian(t, center, width, 1.0) for center, width in unit] for t in centers])
    own = np.array([components[i].peak_mv - waveform.resting_mv for i in wanted])
    target = own - others
    if np.array_equal(overlap, np.eye(len(wanted))):
        heights = target  # no overlap among them: no solve, so the plain case keeps its exact floats
    else:
        try:
            heights = np.linalg.solve(overlap, target)
        except np.linalg.LinAlgError:
            heights = own
    for k, i in enumerate(wanted):
        fixed[i] = float(heights[k])
    return tuple(fixed)


def gaussian_trace(waveform: GaussianWaveform) -> Trace:
    """Sample the Gaussian waveform exactly as the original script did (same operations, same order)."""
    time_ms = np.linspace(0, waveform.duration_ms, waveform.samples)
    voltage_mv = np.ones_like(time_ms) * waveform.resting_mv
    for component, amplitude_mv in zip(waveform.components, component_amplitudes(waveform), strict=True):
        voltage_mv += gaussian(time_ms, component.center_ms, component.width_ms, amplitude_mv)
    # smoothing "cubic": the original passed the curve through interp1d(kind="cubic") evaluated on
    # the same grid. An interpolating spline passes through its samples, so there it returns them
    # unchanged; scipy's result differs only by rounding (< 1e-13 mV: the same CSV digits, the same
    # pixels). Skipping the call saves importing scipy.interpolate, about 0.4 s of every render process.
    return Trace(time_ms=time_ms, voltage_mv=voltage_mv)


def hodgkin_huxley_trace(waveform: HodgkinHuxleyWaveform) -> Trace:
    """Simulate the Hodgkin–Huxley membrane; gates and currents become extra CSV columns."""
    from .hodgkin_huxley import simulate, stimulus_episodes

    sim = simulate(waveform)
    extra = {
        "m": sim.m,
        "h": sim.h,
        "n": sim.n,
        "i_na_ua_per_cm2": sim.i_na_ua_per_cm2,
        "i_k_ua_per_cm2": sim.i_k_ua_per_cm2,
        "i_leak_ua_per_cm2": sim.i_leak_ua_per_cm2,
        "i_stim_ua_per_cm2": sim.i_stim_ua_per_cm2,
    }
    return Trace(
        time_ms=sim.time_ms,
        voltage_mv=sim.voltage_mv,
        extra=extra,
        capacitance_uf_per_cm2=waveform.capacitance_uf_per_cm2,
        stimulus_episodes=stimulus_episodes(waveform.stimulus, waveform.duration_ms),
    )
