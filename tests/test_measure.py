"""Measurements against closed forms of Gaussian waveforms, within one sample interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from apsim_batch.config.models import GaussianComponent, GaussianWaveform
from apsim_batch.trace.measure import measure
from apsim_batch.trace.waveform import synthesize


def waveform(rest, spike, ahp=None, duration=20.0, samples=2001):
    comps = [GaussianComponent(center_ms=spike[0], width_ms=spike[1], amplitude_mv=spike[2])]
    if ahp:
        comps.append(GaussianComponent(center_ms=ahp[0], width_ms=ahp[1], amplitude_mv=ahp[2]))
    wf = GaussianWaveform(resting_mv=rest, duration_ms=duration, samples=samples, smoothing="none", components=comps)
    trace = synthesize(wf)
    return trace, trace.sample_interval_ms


@pytest.mark.parametrize(("center", "sigma", "amp"), [(5, 0.1, 110), (6, 0.5, 90), (4, 0.25, 60.5)])
def test_single_spike_closed_form(center, sigma, amp):
    trace, dt = waveform(-70, (center, sigma, amp))
    m = measure(trace.time_ms, trace.voltage_mv)
    assert m.resting_mv == pytest.approx(-70, abs=1e-9)
    assert abs(m.peak_time_ms - center) <= dt and m.peak_mv == pytest.approx(-70 + amp, abs=amp * 1e-3)
    assert m.amplitude_mv == pytest.approx(amp, abs=amp * 1e-3)
    assert abs(m.half_width_ms - 2 * sigma * math.sqrt(2 * math.log(2))) <= dt
    # threshold: dV/dt = A (c - t) / s^2 exp(-(t-c)^2 / 2s^2) first reaches 10 mV/ms
    slope = lambda x: amp * (center - x) / sigma**2 * math.exp(-((x - center) ** 2) / (2 * sigma**2)) - 10  # noqa: E731
    expected = brentq(slope, center - 8 * sigma, center - sigma)
    assert abs(m.threshold_time_ms - expected) <= dt
    assert m.ahp_min_mv is None and m.ahp_depth_mv is None
    # back within 1 mV: A exp(-(t-c)^2/2s^2) = 1
    expected_return = center + sigma * math.sqrt(2 * math.log(amp))
    assert abs(m.return_to_rest_ms - expected_return) <= dt


def test_after_hyperpolarization_closed_form():
    trace, dt = waveform(-65, (3, 0.1, 100), ahp=(6, 0.8, -25))
    m = measure(trace.time_ms, trace.voltage_mv)
    assert abs(m.ahp_time_ms - 6) <= dt
    assert m.ahp_min_mv == pytest.approx(-90, abs=1e-3) and m.ahp_depth_mv == pytest.approx(25, abs=1e-3)
    expected_return = 6 + 0.8 * math.sqrt(2 * math.log(25))
    assert abs(m.return_to_rest_ms - expected_return) <= dt


def test_subthreshold_bump_has_no_threshold():
    trace, _ = waveform(-70, (3, 0.8, 10))
    m = measure(trace.time_ms, trace.voltage_mv)
    assert m.threshold_time_ms is None and m.amplitude_mv == pytest.approx(10, abs=0.01)


def test_classic_values():
    trace = synthesize(GaussianWaveform())
    m = measure(trace.time_ms, trace.voltage_mv).as_dict()
    assert m["peak_mv"] == pytest.approx(39.86, abs=0.01) and m["ahp_min_mv"] == pytest.approx(-90, abs=0.05)
    assert all(isinstance(v, float) for v in m.values())


def test_flat_trace():
    m = measure(np.linspace(0, 1, 11), np.full(11, -70.0))
    assert m.amplitude_mv == 0 and m.half_width_ms is None and m.ahp_min_mv is None
