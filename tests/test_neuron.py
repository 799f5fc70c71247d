"""NEURON as a test peer: the same protocols in NEURON's `hh` and in ours, traces, spike times and measurements compared.

A single `hh` section whose area turns µA/cm² into nA, one IClamp per pulse (a step is an IClamp that lasts
past the end), the temperature as `h.celsius`, CVODE with tight tolerances, sampled at our sample times.
Our measurements are computed on NEURON's trace too (its gates give the ionic currents the threshold needs),
so a definition that depends on a solver's detail would show here.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from apsim_batch.config.models import Config, HodgkinHuxleyWaveform
from apsim_batch.trace.hodgkin_huxley import ionic_currents, resting_potential, stimulus_current
from apsim_batch.trace.invariants import violations
from apsim_batch.trace.measure import measure, phases
from apsim_batch.trace.models import synthesize
from apsim_batch.trace.waveform import Trace

try:
    from neuron import h
except ImportError as error:  # pragma: no cover - the test extra installs it
    pytest.skip(f"NEURON cannot be imported ({error}); install the test extra", allow_module_level=True)

DIAMETER_UM = LENGTH_UM = 10.0
AREA_CM2 = math.pi * DIAMETER_UM * LENGTH_UM * 1e-8  # the lateral surface, as NEURON's area()
NA_PER_UA_PER_CM2 = AREA_CM2 * 1e3  # 1 µA/cm² over the section is this many nA


def waveform(pulses=(), step=None, duration_ms=30.0, **fields) -> HodgkinHuxleyWaveform:
    stimulus = {
        "pulses": [{"onset_ms": a, "duration_ms": d, "amplitude_ua_per_cm2": i} for a, d, i in pulses],
        "step": None if step is None else {"onset_ms": step[0], "amplitude_ua_per_cm2": step[1]},
    }
    data = {"model": "hodgkin_huxley", "duration_ms": duration_ms, "samples": int(duration_ms / 0.01) + 1}
    return Config.model_validate({"waveform": {**data, "stimulus": stimulus, **fields}}).waveform


def in_neuron(w: HodgkinHuxleyWaveform) -> Trace:
    """The same protocol simulated by NEURON, as a Trace with the columns our measurements use."""
    h.load_file("stdrun.hoc")
    soma = h.Section(name="soma")
    soma.L, soma.diam, soma.nseg, soma.cm = LENGTH_UM, DIAMETER_UM, 1, w.capacitance_uf_per_cm2
    soma.insert("hh")
    seg = soma(0.5)
    seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl = w.g_na_ms_per_cm2 / 1e3, w.g_k_ms_per_cm2 / 1e3, w.g_leak_ms_per_cm2 / 1e3
    seg.ena, seg.ek, seg.hh.el = w.e_na_mv, w.e_k_mv, w.e_leak_mv
    h.celsius = w.temperature_c
    h.usetable_hh = 0  # exact rate functions, not hh.mod's table interpolated every 1 mV
    clamps = []
    for onset, duration, amplitude in [
        (p.onset_ms, p.duration_ms, p.amplitude_ua_per_cm2) for p in w.stimulus.pulses
    ] + ([(w.stimulus.step.onset_ms, 1e9, w.stimulus.step.amplitude_ua_per_cm2)] if w.stimulus.step else []):
        clamp = h.IClamp(seg)
        clamp.delay, clamp.dur, clamp.amp = onset, duration, amplitude * NA_PER_UA_PER_CM2
        clamps.append(clamp)
    times = np.linspace(0, w.duration_ms, w.samples)
    h.cvode.active(1)
    h.cvode.atol(1e-9)
    h.cvode.rtol(1e-9)
    t_vec = h.Vector(times)
    records = {name: h.Vector() for name in ("t", "v", "m", "h", "n")}
    records["t"].record(h._ref_t, t_vec)
    records["v"].record(seg._ref_v, t_vec)
    for gate in "mhn":
        records[gate].record(getattr(seg.hh, f"_ref_{gate}"), t_vec)
    h.finitialize(resting_potential(w))
    h.continuerun(w.duration_ms + 0.1)  # past the end, so the last sample time is recorded too
    # CVODE now and then skips a requested time next to a stimulus edge (2 of 1501): those few are interpolated
    # from their neighbours 0.01 ms away; every other sample is NEURON's own
    recorded = np.array(records["t"])
    v, m, hh_h, n = (np.interp(times, recorded, np.array(records[k])) for k in ("v", "m", "h", "n"))
    i_na, i_k, i_leak = ionic_currents(w, v, m, hh_h, n)
    extra = {"i_na_ua_per_cm2": i_na, "i_k_ua_per_cm2": i_k, "i_leak_ua_per_cm2": i_leak}
    extra["i_stim_ua_per_cm2"] = stimulus_current(w.stimulus, times)
    return Trace(times, v, extra, w.capacitance_uf_per_cm2, synthesize(w).stimulus_episodes)


def protocols(seed: int, count: int) -> list[HodgkinHuxleyWaveform]:
    """Seeded random protocols: pulses (trains, hyperpolarizing, at the edges), steps, temperatures, parameters."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        duration = rng.choice([15.0, 30.0])
        pulses = [
            (rng.uniform(0, duration), rng.choice([0.2, 0.5, 1.0, 5.0]), rng.choice([-20.0, 8.0, 15.0, 40.0, 60.0]))
            for _ in range(rng.randint(0, 4))
        ]
        step = (rng.uniform(0, 10), rng.choice([5.0, 10.0, 30.0])) if rng.random() < 0.3 else None
        fields = {
            "temperature_c": rng.choice([0.0, 6.3, 18.5, 30.0]),
            "g_k_ms_per_cm2": rng.choice([30.0, 36.0]),
            "e_k_mv": rng.choice([-77.0, -85.0]),
            "capacitance_uf_per_cm2": rng.choice([1.0, 1.5]),
        }
        found.append(waveform(pulses or [(2.0, 1.0, 20.0)], step, duration, **fields))
    return found


def compare(w: HodgkinHuxleyWaveform) -> None:
    ours, theirs = synthesize(w), in_neuron(w)
    gap = np.abs(ours.voltage_mv - theirs.voltage_mv)
    steep = np.abs(np.gradient(ours.voltage_mv, ours.time_ms)) > 50  # mid-upstroke a tiny time shift is mV
    assert np.max(gap[~steep]) < 0.01 and np.max(gap) < 0.1, float(np.max(gap))
    a, b = measure(ours), measure(theirs)
    assert (a.spike_count, a.passive_crossings, a.incomplete_spike is None) == (
        b.spike_count,
        b.passive_crossings,
        b.incomplete_spike is None,
    )
    for x, y in zip(a.spikes, b.spikes, strict=True):
        assert abs(x.peak_time_ms - y.peak_time_ms) <= 0.0101 and abs(x.peak_mv - y.peak_mv) < 0.05
        assert abs(x.threshold_mv - y.threshold_mv) < 0.2 and abs(x.threshold_time_ms - y.threshold_time_ms) < 0.01
        assert (x.ahp_min_mv is None) == (y.ahp_min_mv is None)
        assert x.ahp_min_mv is None or abs(x.ahp_min_mv - y.ahp_min_mv) < 0.05
        assert x.half_width_ms is None or abs(x.half_width_ms - y.half_width_ms) < 0.011
    assert violations(theirs, b, phases(theirs, b)) == []  # every rule holds on NEURON's trace as well


def test_a_textbook_spike_agrees_with_neuron():
    compare(waveform([(2.0, 1.0, 10.0)], duration_ms=20.0))


@pytest.mark.slow
@pytest.mark.parametrize("w", protocols(seed=22, count=8), ids=lambda w: f"{w.temperature_c:g}C")
def test_generated_protocols_agree_with_neuron(w):
    compare(w)
