"""Every phase and measurement rule (trace/invariants.py) on generated stimuli, the issue's cases and the shipped configs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apsim_batch.config.load import load_config
from apsim_batch.config.models import Config
from apsim_batch.trace.invariants import violations
from apsim_batch.trace.measure import measure, phases
from apsim_batch.trace.models import synthesize

from .conftest import ROOT

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def hh(pulses=(), step=None, **fields) -> dict:
    stimulus = {
        "pulses": [{"onset_ms": a, "duration_ms": d, "amplitude_ua_per_cm2": i} for a, d, i in pulses],
        "step": None if step is None else {"onset_ms": step[0], "amplitude_ua_per_cm2": step[1]},
    }
    return {"model": "hodgkin_huxley", "stimulus": stimulus, **fields}


def check(waveform: dict) -> None:
    trace = synthesize(Config.model_validate({"waveform": waveform}).waveform)
    m = measure(trace)
    found = phases(trace, m)
    assert violations(trace, m, found) == [], [(p.name, p.start_ms, p.end_ms, p.spike) for p in found]


# the issue's cases, each a rule that was broken
ISSUE = {
    "ahp above rest": hh([(a, 0.2, 60) for a in (2, 5.333, 8.667, 12, 15.333, 18.667)], duration_ms=27.0, samples=2701),
    "300 Hz train": hh([(2 + k * 10 / 3, 0.2, 60) for k in range(30)], duration_ms=105.0, samples=2101),
    "250 Hz train at 20 °C": hh(
        [(2 + 4 * k, 0.2, 60) for k in range(20)], duration_ms=84.0, samples=4201, temperature_c=20.0
    ),
    "summation that fires": hh([(2 + 0.2 * k, 0.05, 40) for k in range(8)], duration_ms=10.0, samples=1001),
    "depolarization block": hh([(5, 50, 200)], duration_ms=80.0, samples=1601),
    "sustained oscillation": hh(step=(5, 100), duration_ms=60.0, samples=1201),
    "passive charge": hh(step=(5, 1000), duration_ms=30.0, samples=601),
    "peak at the last sample": hh([(0, 0.5, 100)], duration_ms=0.5, samples=51),
    "hyperpolarizing cause": hh([(5, 10, -20)], duration_ms=40.0, samples=801),
}


@pytest.mark.parametrize("waveform", list(ISSUE.values()), ids=list(ISSUE))
def test_the_issues_cases_keep_every_rule(waveform):
    check(waveform)


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_configs_keep_every_rule(path):
    trace = synthesize(load_config(path).config.waveform)
    m = measure(trace)
    assert violations(trace, m, phases(trace, m)) == []


def test_the_issues_cases_are_named_as_a_physiologist_would():
    def run(waveform):
        trace = synthesize(Config.model_validate({"waveform": waveform}).waveform)
        m = measure(trace)
        return m, [p.name for p in phases(trace, m)]

    m, names = run(ISSUE["summation that fires"])
    assert names[:3] == ["rest", "to_threshold", "rising"]
    m, names = run(ISSUE["depolarization block"])
    assert "block" in names and m.spikes[0].ahp_min_mv is None  # no AHP measured after the pulse ends
    m, names = run(ISSUE["sustained oscillation"])
    assert m.spike_count == 1 and m.passive_crossings >= 1 and names[-1] == "oscillation"
    m, names = run(ISSUE["passive charge"])
    assert m.spike_count == 0 and m.passive_crossings == 1 and "block" in names
    m, names = run(ISSUE["peak at the last sample"])
    assert m.spike_count == 0 and m.incomplete_spike is not None and names[-1] == "incomplete"
    m, names = run(ISSUE["ahp above rest"])
    assert "refractory_failure" in names and "subthreshold" not in names[:-1]


pulse = st.tuples(
    st.floats(0, 30, allow_nan=False),  # onset_ms (some at or past the trace's end)
    st.sampled_from([0.05, 0.2, 0.5, 1.0, 3.0, 10.0]),  # duration_ms
    st.sampled_from([-30.0, -10.0, 5.0, 8.0, 15.0, 40.0, 60.0, 200.0]),  # amplitude_ua_per_cm2
)
train = st.builds(
    lambda onset, n, period, amp: [(onset + k * period, 0.2, amp) for k in range(n)],
    st.floats(0, 5),
    st.integers(2, 12),
    st.sampled_from([0.2, 2.0, 3.333, 4.0, 8.0]),
    st.sampled_from([30.0, 60.0]),
)
parameters = st.fixed_dictionaries(
    {},
    optional={
        "temperature_c": st.sampled_from([-5.0, 0.0, 6.3, 20.0, 35.0]),
        "g_na_ms_per_cm2": st.sampled_from([60.0, 120.0, 200.0]),
        "g_k_ms_per_cm2": st.sampled_from([18.0, 36.0, 60.0]),
        "e_k_mv": st.sampled_from([-90.0, -77.0, -70.0]),
        "capacitance_uf_per_cm2": st.sampled_from([0.5, 1.0, 2.0]),
    },
)


@pytest.mark.slow
@SETTINGS
@given(
    pulses=st.one_of(st.lists(pulse, max_size=4), train),
    step=st.none() | st.tuples(st.floats(0, 20), st.sampled_from([3.0, 10.0, 30.0, 100.0, 200.0])),
    duration_ms=st.sampled_from([2.0, 12.0, 30.0]),
    parameters=parameters,
)
@example(pulses=[(0.0, 0.5, 100.0)], step=None, duration_ms=2.0, parameters={})  # a spike cut by the end
@example(pulses=[(2.0, 1.0, 15.0), (8.0, 1.0, 15.0)], step=None, duration_ms=30.0, parameters={})
@example(pulses=[(1.0, 0.2, 200.0)], step=(0.0, 100.0), duration_ms=12.0, parameters={"temperature_c": 35.0})
@example(pulses=[(1.0, 0.05, 300.0)], step=(0.0, 400.0), duration_ms=30.0, parameters={"temperature_c": -5.0})
def test_every_rule_holds_on_generated_stimuli(pulses, step, duration_ms, parameters):
    check(hh(pulses, step, duration_ms=duration_ms, samples=int(duration_ms / 0.02) + 1, **parameters))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    components=st.lists(
        st.tuples(st.floats(0.5, 9.5), st.floats(0.05, 1.0), st.floats(-40, 130).filter(lambda a: abs(a) > 0.01)),
        min_size=1,
        max_size=3,
    )
)
def test_every_rule_holds_on_gaussian_waveforms(components):
    check(
        {
            "model": "gaussian",
            "components": [{"center_ms": c, "width_ms": w, "amplitude_mv": a} for c, w, a in components],
        }
    )


def _old(waveform: dict, pieces, **changes):
    """The trace, its measurements (with `changes`) and a phase list as the code before the rules labelled it."""
    from dataclasses import replace

    from apsim_batch.trace.phases import Phase

    trace = synthesize(Config.model_validate({"waveform": waveform}).waveform)
    m = replace(measure(trace), **changes)
    return trace, m, [Phase(name, a, b, k) for name, a, b, k in pieces]


def test_each_rule_catches_what_the_issue_found():
    """The rules are not vacuous: each flags the labels the code gave before it was written."""
    from dataclasses import replace

    from apsim_batch.trace import invariants as rules

    end = 27.0
    trace, m, found = _old(ISSUE["ahp above rest"], [("rest", 0, 2, None), ("ahp", 2, end, 0)])
    assert rules.ahp_only_below_rest(trace, m, found)
    trace, m, found = _old(
        ISSUE["summation that fires"],
        [("rest", 0, 2, None), ("subthreshold", 2, 3.2, None), ("to_threshold", 3.2, 10, 0)],
    )
    assert rules.the_depolarization_to_threshold_starts_low(trace, m, found)
    trace, m, found = _old(
        ISSUE["depolarization block"], [("rest", 0, 5.5, None), ("falling", 5.5, 55.24, 0), ("rest", 55.24, 80, None)]
    )
    assert rules.the_falling_phase_falls(trace, m, found)
    trace, m, found = _old(ISSUE["sustained oscillation"], [("rest", 0, 43.25, None), ("block", 43.25, 60, None)])
    assert rules.block_and_oscillation_are_named(trace, m, found)
    pulses = [(2, 1, 15), (8, 1, 15), (22, 1, 15)]
    trace, m, found = _old(
        hh(pulses, duration_ms=35.0, samples=1050),
        [("rest", 0, 8, None), ("subthreshold", 8, 9.9, None), ("rest", 9.9, 35, None)],
    )
    assert rules.refractory_failures_are_named(trace, m, found)
    trace, m, _ = _old(ISSUE["passive charge"], [])
    charged = replace(measure(trace).spikes[0] if m.spikes else _fake_spike(), peak_time_ms=5.2, threshold_mv=None)
    assert rules.spikes_need_inward_current(trace, replace(m, spikes=(charged,), spike_count=1), [])
    trace, m, _ = _old(ISSUE["peak at the last sample"], [])
    cut = replace(_fake_spike(), peak_time_ms=0.5)
    assert rules.peaks_are_local_maxima(trace, replace(m, spikes=(cut,), spike_count=1), [])
    assert rules.a_cut_off_spike_is_incomplete(trace, replace(m, incomplete_spike=None), [])


def _fake_spike():
    from apsim_batch.trace.features import Spike

    return Spike(None, None, 0.0, 0.0, None, None, None, None, None, None)
