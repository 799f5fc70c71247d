"""Refractory periods of a Hodgkin–Huxley render, measured by probing the model with test pulses (numpy/scipy).

After the first spike, a depolarizing test pulse is given at a delay and the model is asked whether it
fires a new spike: an upward crossing of the detection level with net inward ionic current (so a
membrane merely charged past the level by a large pulse does not count). The test pulse fits the cause:
as long as the depolarizing pulse that caused the spike, or HYPERPOLARIZING_TEST_MS after an anode
break (a hyperpolarizing cause is no test of excitability, and its duration is no test pulse's).

- Resting threshold current I0: the smallest test amplitude that fires from rest (bisection, 0.5 %).
- Absolute refractory period: until a test pulse of CAP_MULTIPLE x I0 first fires, and never before the
  first spike has fallen back below the detection level. The model has no strictly absolute period (a
  strong enough pulse fires earlier), so the cap defines it: 10 x I0 (a 20 x cap shortens the 6.1 ms of
  hh_refractory to about 4.8 ms).
- Relative refractory period: until a test pulse of RELATIVE_MULTIPLE x I0 first fires, i.e. until the
  threshold current is back within 10 % of its resting value.
Both ends are found by bisection on the delay to PRECISION_MS, assuming recovery only improves with
time (true of the Hodgkin–Huxley axon); about 30 short simulations in all. Periods are measured from the
first spike's threshold. Only pulse-evoked first spikes are probed: with a sustained current (a step)
on, or a pulse still on at the first spike's peak, there is no quiet membrane to probe and the answer is None.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.models import HodgkinHuxleyWaveform, Stimulus
from .hodgkin_huxley import ATOL, RTOL, derivative_of, ionic_currents, resting_state, simulate
from .measure import DETECTION_MV, THRESHOLD_SLOPE_MV_PER_MS, Measurements

CAP_MULTIPLE = 10.0  # absolute refractory period: no test pulse up to 10 x the resting threshold current fires
HYPERPOLARIZING_TEST_MS = 1.0  # the test pulse after an anode-break spike (a hyperpolarizing cause)
RELATIVE_MULTIPLE = 1.1  # relative refractory period: the threshold current is still above 1.1 x its resting value
PRECISION_MS = 0.02  # delays are bisected to this
SEARCH_MS_AT_6_3_C = 60.0  # the longest delay probed at 6.3 °C (shorter when warmer, with the gates' Q10)
WAIT_MS_AT_6_3_C = 10.0  # how long after a test pulse a spike may still come
CURRENT_PRECISION = 0.005  # relative precision of the resting threshold current


@dataclass(frozen=True)
class Refractory:
    """Ends of the refractory periods as absolute times in the trace, in ms, and how they were probed."""

    reference_ms: float  # the first spike's threshold time: both periods are measured from here
    absolute_end_ms: float
    relative_end_ms: float
    test_pulse_ms: float  # duration of every test pulse
    resting_threshold_ua_per_cm2: float  # I0: the test amplitude that just fires from rest

    @property
    def absolute_ms(self) -> float:
        return self.absolute_end_ms - self.reference_ms

    @property
    def relative_ms(self) -> float:
        return self.relative_end_ms - self.reference_ms

    def as_dict(self, digits: int = 4) -> dict[str, float]:
        return {
            "reference_ms": round(self.reference_ms, digits),
            "absolute_end_ms": round(self.absolute_end_ms, digits),
            "relative_end_ms": round(self.relative_end_ms, digits),
            "absolute_ms": round(self.absolute_ms, digits),
            "relative_ms": round(self.relative_ms, digits),
            "test_pulse_ms": round(self.test_pulse_ms, digits),
            "resting_threshold_ua_per_cm2": round(self.resting_threshold_ua_per_cm2, digits),
            "cap_multiple": CAP_MULTIPLE,
            "relative_multiple": RELATIVE_MULTIPLE,
        }


def refractory_periods(
    waveform: HodgkinHuxleyWaveform, measurements: Measurements, detection_mv: float | None = None
) -> Refractory | None:
    """Probe the model after the first spike (see the module docstring); None where that cannot be done."""
    if not measurements.spikes or measurements.spikes[0].threshold_time_ms is None:
        return None
    first = measurements.spikes[0]
    stimulus = waveform.stimulus
    if stimulus.step is not None and stimulus.step.onset_ms <= first.peak_time_ms:
        return None
    causes = [p for p in stimulus.pulses if p.onset_ms <= first.threshold_time_ms and p.amplitude_ua_per_cm2 != 0]
    if not causes or any(p.onset_ms + p.duration_ms > first.peak_time_ms for p in causes):
        return None
    conditioning = Stimulus(pulses=tuple(causes))
    level = measurements.detection_mv if detection_mv is None else detection_mv
    depolarizing = [p for p in causes if p.amplitude_ua_per_cm2 > 0]
    test_ms = depolarizing[-1].duration_ms if depolarizing else HYPERPOLARIZING_TEST_MS
    found = _probe(
        waveform.model_copy(update={"stimulus": conditioning}),
        first.threshold_time_ms,
        first.peak_time_ms,
        test_ms,
        level,
    )
    if found is None:
        return None
    i0, absolute, relative = found
    return Refractory(first.threshold_time_ms, absolute, relative, test_ms, i0)


def _probe(
    waveform: HodgkinHuxleyWaveform, reference_ms: float, peak_ms: float, pulse_ms: float, level: float
) -> tuple[float, float, float] | None:
    """(I0, absolute end, relative end) for the conditioned waveform (once per render: its analysis asks)."""
    phi = 3.0 ** ((waveform.temperature_c - 6.3) / 10)
    search_ms, wait_ms = SEARCH_MS_AT_6_3_C / phi, WAIT_MS_AT_6_3_C / phi
    tester = _Tester(waveform, reference_ms + search_ms + pulse_ms + wait_ms, pulse_ms, wait_ms, level)
    i0 = tester.resting_threshold()
    if i0 is None:
        return None
    # no test before the first spike is back below the detection level: it is still the first spike
    after = np.flatnonzero((tester.time_ms > peak_ms) & (tester.states[0] < level))
    first, last = (float(tester.time_ms[after[0]]) if len(after) else peak_ms), reference_ms + search_ms
    absolute = _earliest(lambda t: tester.fires(t, CAP_MULTIPLE * i0), first, last)
    if absolute is None:
        return None
    relative = _earliest(lambda t: tester.fires(t, RELATIVE_MULTIPLE * i0), absolute, last)
    return None if relative is None else (i0, absolute, relative)


def _earliest(fires, lo: float, hi: float) -> float | None:
    """The earliest time in [lo, hi] at which fires(t) holds, by bisection (fires assumed monotonic)."""
    if fires(lo):
        return lo
    if not fires(hi):
        return None
    while hi - lo > PRECISION_MS:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if fires(mid) else (mid, hi)
    return hi


class _Tester:
    """Runs test pulses on the conditioned model, from its state at any time of the conditioning run."""

    def __init__(self, waveform: HodgkinHuxleyWaveform, until_ms: float, pulse_ms: float, wait_ms: float, level: float):
        self.waveform, self.pulse_ms, self.wait_ms, self.level = waveform, pulse_ms, wait_ms, level
        samples = int(until_ms / (PRECISION_MS / 4)) + 1
        run = simulate(waveform.model_copy(update={"duration_ms": until_ms, "samples": samples}))
        self.time_ms = run.time_ms
        self.states = np.stack([run.voltage_mv, run.m, run.h, run.n])
        self.derivative = derivative_of(waveform)
        self.rest = resting_state(waveform)

    def state_at(self, when_ms: float) -> np.ndarray:
        return np.array([np.interp(when_ms, self.time_ms, row) for row in self.states])

    def resting_threshold(self) -> float | None:
        """The smallest test amplitude that fires from rest (doubling, then bisection)."""
        hi = 1.0
        while not self._fires_from(self.rest, hi):
            hi *= 2
            if hi > 1e4:
                return None
        lo = 0.0
        while hi - lo > CURRENT_PRECISION * hi:
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if self._fires_from(self.rest, mid) else (mid, hi)
        return hi

    def fires(self, when_ms: float, amplitude: float) -> bool:
        return self._fires_from(self.state_at(when_ms), amplitude)

    def _fires_from(self, state: np.ndarray, amplitude: float) -> bool:
        """Does a test pulse from this state make a new spike: below the level, then above it with net inward current?

        Net inward ionic current above the level (-I_ion/C of at least 10 mV/ms, the threshold slope) is what
        tells a regenerative spike from a membrane merely charged past the level by a large pulse.
        """
        from scipy.integrate import solve_ivp

        been_below = state[0] < self.level
        for duration, current in ((self.pulse_ms, amplitude), (self.wait_ms, 0.0)):
            result = solve_ivp(
                self.derivative,
                (0.0, duration),
                state,
                method="LSODA",
                args=(current,),
                t_eval=np.linspace(0.0, duration, max(2, int(duration / 0.01) + 1)),
                rtol=RTOL * 1e3,
                atol=ATOL * 1e3,
            )
            v, m, h, n = result.y
            inward = -sum(ionic_currents(self.waveform, v, m, h, n)) / self.waveform.capacitance_uf_per_cm2
            below = np.cumsum(v < self.level) > 0 if not been_below else np.ones(len(v), bool)
            if np.any(below & (v >= self.level) & (inward >= THRESHOLD_SLOPE_MV_PER_MS)):
                return True
            been_below = been_below or bool(np.any(v < self.level))
            state = result.y[:, -1]
        return False


__all__ = ["CAP_MULTIPLE", "DETECTION_MV", "RELATIVE_MULTIPLE", "Refractory", "refractory_periods"]
