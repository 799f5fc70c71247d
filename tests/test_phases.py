"""Phases of the action potential: boundaries against the measurements, for every kind of trace."""

from __future__ import annotations

import json

import numpy as np
import pytest

from apsim_batch.config.load import load_config
from apsim_batch.config.models import Config
from apsim_batch.output.render import render
from apsim_batch.trace.measure import measure, phases
from apsim_batch.trace.waveform import synthesize

from .conftest import ROOT, write


def trace_of(data: dict):
    return synthesize(Config.model_validate({"waveform": data}).waveform)


def check_tiling(found, t):
    """Phases follow each other without gaps from the first sample to the last."""
    assert found[0].start_ms == t[0] and found[-1].end_ms == pytest.approx(t[-1])
    for a, b in zip(found, found[1:], strict=False):
        assert a.end_ms == pytest.approx(b.start_ms, abs=1e-12) and a.end_ms > a.start_ms
        assert t[b.start_index] >= b.start_ms - 1e-9 and (b.start_index == 0 or t[b.start_index - 1] < b.start_ms)


def test_classic_spike_has_the_five_textbook_phases():
    trace = synthesize(Config().waveform)
    t, v = trace.time_ms, trace.voltage_mv
    m = measure(t, v)
    found = phases(t, v, m)
    check_tiling(found, t)
    names = [p.name for p in found]
    assert names == ["resting", "depolarization", "repolarization", "hyperpolarization", "return_to_rest", "resting"]
    by = {p.name: p for p in found[1:5]}
    assert by["depolarization"].start_ms == pytest.approx(m.threshold_time_ms)
    assert by["depolarization"].end_ms == m.peak_time_ms == by["repolarization"].start_ms
    # repolarization ends where the trace crosses rest on the way down
    cross = by["repolarization"].end_ms
    assert np.interp(cross, t, v) == pytest.approx(m.resting_mv, abs=0.05)
    assert by["hyperpolarization"].end_ms == m.ahp_time_ms
    assert by["return_to_rest"].end_ms == pytest.approx(m.return_to_rest_ms)
    assert {p.spike for p in found[1:5]} == {0} and found[0].spike is None


def test_spike_without_ahp_skips_hyperpolarization():
    trace = trace_of({"components": [{"center_ms": 3, "width_ms": 0.2, "amplitude_mv": 100}]})
    names = [p.name for p in phases(trace.time_ms, trace.voltage_mv)]
    assert names == ["resting", "depolarization", "repolarization", "resting"]


def test_no_spike_is_rest_and_a_subthreshold_response():
    trace = trace_of({"components": [{"center_ms": 3, "width_ms": 0.8, "amplitude_mv": 10}]})
    found = phases(trace.time_ms, trace.voltage_mv)
    check_tiling(found, trace.time_ms)
    assert [p.name for p in found] == ["resting", "subthreshold", "resting"]
    flat = trace_of({"components": []})
    assert [(p.name, p.start_ms, p.end_ms) for p in phases(flat.time_ms, flat.voltage_mv)] == [("resting", 0.0, 10.0)]


def test_repetitive_firing_gives_each_spike_its_phases():
    trace = trace_of(
        {
            "model": "hodgkin_huxley",
            "duration_ms": 60,
            "samples": 3001,
            "stimulus": {"pulses": [], "step": {"onset_ms": 5, "amplitude_ua_per_cm2": 10}},
        }
    )
    found = phases(trace.time_ms, trace.voltage_mv)
    check_tiling(found, trace.time_ms)
    spikes = sorted({p.spike for p in found if p.spike is not None})
    assert len(spikes) == 4
    for k in spikes:
        own = [p.name for p in found if p.spike == k]
        assert own == ["depolarization", "repolarization", "hyperpolarization", "return_to_rest"]
    peaks = [p.end_ms for p in found if p.name == "depolarization"]
    assert all(v > 0 for v in np.interp(peaks, trace.time_ms, trace.voltage_mv))


def test_render_manifest_lists_the_phase_boundaries(tmp_path):
    config = write(
        tmp_path / "spike.yaml",
        "waveform: {model: hodgkin_huxley, duration_ms: 15, samples: 300}\nplot: {phases: true}\noutputs: [csv]\n",
    )
    result = render(load_config(config), tmp_path / "out")
    saved = json.loads((result.folder / "manifest.json").read_text())
    names = [p["phase"] for p in saved["phases"]]
    assert "depolarization" in names and "hyperpolarization" in names
    assert saved["phases"][0]["start_ms"] == 0 and saved["phases"][-1]["end_ms"] == 15
    header = (result.folder / "trace.csv").read_text().splitlines()[0]
    assert header == "time_ms,voltage_mv,m,h,n,i_na_ua_per_cm2,i_k_ua_per_cm2,i_leak_ua_per_cm2,i_stim_ua_per_cm2"


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_config_tiles_into_phases(path):
    trace = synthesize(load_config(path).config.waveform)
    check_tiling(phases(trace.time_ms, trace.voltage_mv), trace.time_ms)
