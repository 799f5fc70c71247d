"""Measurements: closed forms of Gaussian waveforms, and a threshold that measures the Hodgkin–Huxley membrane."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apsim_batch import load_config
from apsim_batch.config.models import Config, GaussianComponent, GaussianWaveform
from apsim_batch.trace.measure import SPIKE_KEYS, measure
from apsim_batch.trace.models import synthesize
from apsim_batch.trace.waveform import Trace

from .conftest import ROOT


def waveform(rest, spike, ahp=None, duration=20.0, samples=2001):
    comps = [GaussianComponent(center_ms=spike[0], width_ms=spike[1], amplitude_mv=spike[2])]
    if ahp:
        comps.append(GaussianComponent(center_ms=ahp[0], width_ms=ahp[1], amplitude_mv=ahp[2]))
    wf = GaussianWaveform(resting_mv=rest, duration_ms=duration, samples=samples, smoothing="none", components=comps)
    trace = synthesize(wf)
    return trace, trace.sample_interval_ms


def hh(pulses=(), step=None, **fields):
    data = {"model": "hodgkin_huxley", "duration_ms": 30, "samples": 3001, **fields}
    data["stimulus"] = {
        "pulses": [{"onset_ms": a, "duration_ms": d, "amplitude_ua_per_cm2": i} for a, d, i in pulses],
        "step": None if step is None else {"onset_ms": step[0], "amplitude_ua_per_cm2": step[1]},
    }
    return synthesize(Config.model_validate({"waveform": data}).waveform)


@pytest.mark.parametrize(("center", "sigma", "amp"), [(5, 0.1, 110), (6, 0.5, 90), (4, 0.25, 60.5)])
def test_single_gaussian_spike_closed_form(center, sigma, amp):
    trace, dt = waveform(-70, (center, sigma, amp))
    m = measure(trace)
    assert m.resting_mv == pytest.approx(-70, abs=1e-9) and m.spike_count == 1 and m.firing_rate_hz is None
    (s,) = m.spikes
    assert abs(s.peak_time_ms - center) <= dt and s.peak_mv == pytest.approx(-70 + amp, abs=amp * 1e-3)
    assert s.amplitude_mv == pytest.approx(amp, abs=amp * 1e-3)  # from rest
    assert abs(s.half_width_ms - 2 * sigma * math.sqrt(2 * math.log(2))) <= dt
    # a drawn shape has no membrane currents, hence no threshold; and no undershoot, hence no AHP
    assert s.threshold_mv is None and s.threshold_time_ms is None
    assert s.ahp_min_mv is None and s.ahp_depth_mv is None and s.isi_ms is None


def test_after_hyperpolarization_closed_form():
    trace, dt = waveform(-65, (3, 0.1, 100), ahp=(6, 0.8, -25))
    (s,) = measure(trace).spikes
    assert abs(s.ahp_time_ms - 6) <= dt
    assert s.ahp_min_mv == pytest.approx(-90, abs=1e-3) and s.ahp_depth_mv == pytest.approx(25, abs=1e-3)


def test_two_gaussian_spikes_are_measured_each_with_isi_and_rate():
    wf = GaussianWaveform(
        resting_mv=-70,
        duration_ms=30,
        samples=3001,
        components=[
            GaussianComponent(center_ms=5, width_ms=0.2, amplitude_mv=100),
            GaussianComponent(center_ms=17.5, width_ms=0.4, amplitude_mv=90),
        ],
    )
    m = measure(synthesize(wf))
    assert m.spike_count == 2 and [s.peak_time_ms for s in m.spikes] == pytest.approx([5, 17.5], abs=0.01)
    assert m.spikes[0].isi_ms == pytest.approx(12.5, abs=0.01) and m.spikes[1].isi_ms is None
    assert m.firing_rate_hz == pytest.approx(80, abs=0.1)
    assert m.spikes[1].half_width_ms == pytest.approx(2 * m.spikes[0].half_width_ms, abs=0.02)


def test_subthreshold_bump_has_no_spike_and_no_features():
    trace, _ = waveform(-70, (3, 0.8, 10))
    m = measure(trace)
    assert m.spike_count == 0 and m.spikes == () and m.firing_rate_hz is None
    flat = m.as_dict()
    assert all(flat[k] is None for k in SPIKE_KEYS) and flat["spikes"] == []


def test_detection_level_is_the_documented_rule():
    trace, _ = waveform(-70, (3, 0.3, 45))  # peaks at -25 mV
    assert measure(trace).spike_count == 0
    assert measure(trace, detection_mv=-30).spike_count == 1


def test_flat_and_nearly_flat_traces_report_nothing():
    m = measure(Trace(np.linspace(0, 1, 11), np.full(11, -70.0)))
    assert m.spike_count == 0 and m.spikes == () and m.stimulus is None
    # a 1e-9 ms pulse moves the membrane by rounding noise only: no spike, no half-width
    tiny = hh([(1, 1e-9, 40)], duration_ms=20, samples=201)
    assert measure(tiny).spike_count == 0


def test_classic_values_and_manifest_form():
    m = measure(synthesize(GaussianWaveform())).as_dict()
    assert m["spike_count"] == 1 and m["peak_mv"] == pytest.approx(39.86, abs=0.01)
    assert m["ahp_min_mv"] == pytest.approx(-90, abs=0.05) and m["threshold_mv"] is None
    assert m["spikes"][0] == {k: m[k] for k in SPIKE_KEYS}  # the first spike, flat at the top level
    assert m["stimulus"] is None


@pytest.mark.parametrize("amplitude", [7, 8, 10, 12, 15, 20, 25, 30, 40])
def test_threshold_of_brief_pulses_is_physiological(amplitude):
    """1 ms pulses at 6.3 °C: the threshold lies between -60 and -40 mV, after the pulse starts, below the peak."""
    trace = hh([(2, 1, amplitude)])
    m = measure(trace)
    assert m.spike_count == 1
    (s,) = m.spikes
    assert -60 < s.threshold_mv < -40, s.threshold_mv
    assert 2 < s.threshold_time_ms < s.peak_time_ms
    before = trace.voltage_mv[trace.time_ms <= s.threshold_time_ms]
    assert before.min() < s.threshold_mv < s.peak_mv


def test_threshold_does_not_precede_a_pulse_between_samples():
    trace = hh([(1.05, 1, 40)], duration_ms=20, samples=201)  # onset halfway between two samples
    (s,) = measure(trace).spikes
    assert s.threshold_time_ms > 1.05 and -60 < s.threshold_mv < -40


def test_anode_break_threshold_is_well_above_the_hyperpolarized_level():
    trace = hh([(5, 10, -10)], duration_ms=40, samples=4001)
    m = measure(trace)
    assert m.spike_count == 1
    lowest = trace.voltage_mv[trace.time_ms < 15].min()
    (s,) = m.spikes
    assert s.threshold_time_ms > 15  # after the release that causes it
    assert s.threshold_mv > lowest + 15 and -62 < s.threshold_mv < -45, (lowest, s.threshold_mv)


def test_stimulus_summary_has_exact_episode_times():
    m = measure(hh([(1.05, 1, 40), (20, 2, -5)], step=None, duration_ms=30, samples=301))
    assert m.stimulus == {
        "episodes": [
            {"onset_ms": 1.05, "end_ms": 2.05, "peak_ua_per_cm2": 40.0},
            {"onset_ms": 20.0, "end_ms": 22.0, "peak_ua_per_cm2": -5.0},
        ]
    }
    sustained = measure(hh(step=(5, 10), duration_ms=10, samples=101)).stimulus
    assert sustained == {"episodes": [{"onset_ms": 5.0, "end_ms": None, "peak_ua_per_cm2": 10.0}]}


def test_shipped_refractory_threshold_belongs_to_the_first_spike():
    config = load_config(ROOT / "configs" / "hh_refractory.yaml").config
    m = measure(synthesize(config.waveform))
    first, second = m.spikes
    assert -60 < first.threshold_mv < -40 and 2 < first.threshold_time_ms < first.peak_time_ms < 5
    assert 22 < second.threshold_time_ms < second.peak_time_ms < 25
    assert first.isi_ms == pytest.approx(second.peak_time_ms - first.peak_time_ms)


def test_shipped_repetitive_fires_five_spikes_at_about_68_hz():
    config = load_config(ROOT / "configs" / "hh_repetitive.yaml").config
    m = measure(synthesize(config.waveform))
    assert m.spike_count == 5 and m.firing_rate_hz == pytest.approx(68, abs=1)
    assert all(-60 < s.threshold_mv < -40 for s in m.spikes)
    assert [s.isi_ms is None for s in m.spikes] == [False] * 4 + [True]
