"""Phases from the spikes: one vocabulary, every spike labelled, boundaries against the measurements."""

from __future__ import annotations

import json

import numpy as np
import pytest

from apsim_batch.config.load import load_config
from apsim_batch.config.models import Config
from apsim_batch.output.render import render
from apsim_batch.trace.measure import PHASE_LABELS, PHASE_NAMES, measure, phases
from apsim_batch.trace.models import analyze, synthesize

from .conftest import ROOT, write


def trace_of(data: dict):
    return synthesize(Config.model_validate({"waveform": data}).waveform)


def hh(pulses=(), step=None, **fields):
    stimulus = {
        "pulses": [{"onset_ms": a, "duration_ms": d, "amplitude_ua_per_cm2": i} for a, d, i in pulses],
        "step": None if step is None else {"onset_ms": step[0], "amplitude_ua_per_cm2": step[1]},
    }
    return trace_of({"model": "hodgkin_huxley", "stimulus": stimulus, **fields})


def shipped(name: str):
    trace = synthesize(load_config(ROOT / "configs" / f"{name}.yaml").config.waveform)
    m = measure(trace)
    return trace, m, phases(trace, m)


def check_tiling(found, t):
    """Phases follow each other without gaps from the first sample to the last, in the one vocabulary."""
    assert found[0].start_ms == t[0] and found[-1].end_ms == pytest.approx(t[-1])
    for a, b in zip(found, found[1:], strict=False):
        assert a.end_ms == pytest.approx(b.start_ms, abs=1e-12) and a.end_ms > a.start_ms
        assert (a.name, a.spike) != (b.name, b.spike)
        assert a.name != "subthreshold" or b.name != "rising"  # a response that fires is not "subthreshold"
        assert a.name != "to_threshold" or (b.name, b.spike) == ("rising", a.spike)
    assert {p.name for p in found} <= set(PHASE_NAMES)
    assert all(p.label == PHASE_LABELS[p.name] for p in found)


def named(found):
    return [(p.name, p.spike) for p in found]


def test_classic_gaussian_spike():
    trace = synthesize(Config().waveform)
    m = measure(trace)
    found = phases(trace, m)
    check_tiling(found, trace.time_ms)
    # a Gaussian has no threshold: its rise starts where it leaves the band, so nothing leads "to threshold"
    assert named(found) == [("rest", None), ("rising", 0), ("falling", 0), ("ahp", 0), ("rest", None)]
    rising, falling, ahp = found[1:4]
    assert rising.end_ms == m.spikes[0].peak_time_ms == falling.start_ms
    assert np.interp(falling.end_ms, trace.time_ms, trace.voltage_mv) == pytest.approx(m.resting_mv, abs=0.05)
    # the whole undershoot is the after-hyperpolarization, through its trough, until back within 1 mV of rest
    assert ahp.start_ms < m.spikes[0].ahp_time_ms < ahp.end_ms
    assert np.interp(ahp.end_ms, trace.time_ms, trace.voltage_mv) == pytest.approx(m.resting_mv - 1, abs=0.05)


def test_spike_without_undershoot_has_no_ahp_and_no_spike_means_a_subthreshold_response():
    trace = trace_of({"components": [{"center_ms": 3, "width_ms": 0.2, "amplitude_mv": 100}]})
    assert [p.name for p in phases(trace, measure(trace))] == ["rest", "rising", "falling", "rest"]
    bump = trace_of({"components": [{"center_ms": 3, "width_ms": 0.8, "amplitude_mv": 10}]})
    assert [p.name for p in phases(bump, measure(bump))] == ["rest", "subthreshold", "rest"]
    sub = synthesize(load_config(ROOT / "configs" / "subthreshold.yaml").config.waveform)
    assert [p.name for p in phases(sub, measure(sub))] == ["rest", "subthreshold", "rest"]
    flat = trace_of({"components": []})
    assert [(p.name, p.start_ms, p.end_ms) for p in phases(flat, measure(flat))] == [("rest", 0.0, 10.0)]


def test_hh_classic_depolarizes_to_threshold_then_shades_the_whole_after_hyperpolarization():
    trace, m, found = shipped("hh_classic")
    check_tiling(found, trace.time_ms)
    assert named(found) == [
        ("rest", None),
        ("to_threshold", 0),  # the pulse drives the membrane to the threshold of the spike it causes
        ("rising", 0),
        ("falling", 0),
        ("ahp", 0),
        ("rest", None),
    ]
    assert "subthreshold" not in {p.name for p in found}  # nothing here fails
    ramp = found[1]
    assert ramp.start_ms == 1.0  # the pulse: with a stimulus acting the membrane is not "at rest"
    assert ramp.end_ms == found[2].start_ms == m.spikes[0].threshold_time_ms
    assert ramp.label == "depolarization to threshold"
    ahp = found[4]
    assert ahp.end_ms - ahp.start_ms > 8  # several ms below rest, not a sliver
    assert np.interp(ahp.start_ms, trace.time_ms, trace.voltage_mv) == pytest.approx(m.resting_mv, abs=0.05)


def test_hh_threshold_tells_the_failed_response_from_the_one_that_fires():
    trace, m, found = shipped("hh_threshold")
    check_tiling(found, trace.time_ms)
    assert named(found) == [
        ("rest", None),
        ("subthreshold", None),  # 5 µA/cm² at 2 ms: fails
        ("rest", None),
        ("to_threshold", 0),  # 8 µA/cm² at 14 ms: fires
        ("rising", 0),
        ("falling", 0),
        ("ahp", 0),
    ]
    failed, quiet, ramp = found[1:4]
    assert failed.start_ms == 2.0 and failed.end_ms < 14 and quiet.end_ms == 14.0
    assert ramp.start_ms == 14.0 and ramp.end_ms == m.spikes[0].threshold_time_ms
    assert failed.label != ramp.label
    assert m.spike_count == 1


def test_hh_refractory_failed_pulse_interrupts_the_ahp():
    trace, m, found = shipped("hh_refractory")
    check_tiling(found, trace.time_ms)
    assert named(found) == [
        ("rest", None),
        ("to_threshold", 0),
        ("rising", 0),
        ("falling", 0),
        ("ahp", 0),
        ("refractory_failure", None),  # the pulse at 8 ms, as strong as the one that fired, fails
        ("ahp", 0),
        ("rest", None),
        ("to_threshold", 1),
        ("rising", 1),
        ("falling", 1),
        ("ahp", 1),
    ]
    assert found[5].start_ms == 8.0 and 9 < found[5].end_ms < 12


def test_repetitive_firing_labels_every_spike_and_the_intervals_never_rest():
    trace, m, found = shipped("hh_repetitive")
    check_tiling(found, trace.time_ms)
    assert m.spike_count == 5
    assert [p.name for p in found if p.spike == 0] == ["to_threshold", "rising", "falling", "ahp"]
    for k in range(1, 5):  # under the sustained current the interval runs up to the next rise
        assert [p.name for p in found if p.spike == k] == ["rising", "falling", "ahp"]
    after = [p.name for p in found if p.start_ms > 5]
    assert "rest" not in after and after.count("isi") == 5
    peaks = [p.end_ms for p in found if p.name == "rising"]
    assert peaks == [s.peak_time_ms for s in m.spikes]


def test_hyperpolarizing_pulse_and_anode_break():
    found = phases(t := hh([(5, 10, -10)], duration_ms=40, samples=2001), measure(t))
    names = [p.name for p in found]
    assert names[:2] == ["rest", "hyperpolarizing"] and found[1].start_ms == 5.0
    assert names[2:5] == ["to_threshold", "rising", "falling"]  # the rebound, then the anode-break spike
    rebound = found[2]  # from the trace leaving the band upward (no stimulus of its own) to the threshold
    assert np.interp(rebound.start_ms, t.time_ms, t.voltage_mv) == pytest.approx(measure(t).resting_mv + 1, abs=0.05)
    small = hh([(5, 2, -3)], duration_ms=30, samples=1501)
    assert [p.name for p in phases(small, measure(small))] == ["rest", "hyperpolarizing", "rest"]


def test_depolarization_block_is_not_a_falling_phase():
    trace = hh(step=(5, 200), duration_ms=100, samples=2001)
    found = phases(trace, measure(trace))
    assert [p.name for p in found] == ["rest", "to_threshold", "rising", "falling", "block"]
    assert found[3].end_ms - found[3].start_ms < 5 and found[-1].end_ms == 100


def test_a_single_spike_under_a_weak_step_then_a_steady_response():
    trace = hh(step=(5, 3), duration_ms=60, samples=3001)
    names = [p.name for p in phases(trace, measure(trace))]
    assert names[:3] == ["rest", "to_threshold", "rising"] and names[-1] == "subthreshold"


def test_a_pulse_that_fires_during_the_ahp_ends_it_and_one_that_fails_interrupts_it():
    fires = hh([(2, 0.5, 30), (10, 0.5, 150)], duration_ms=25, samples=2501)
    found = phases(fires, measure(fires))
    assert named(found)[:7] == [
        ("rest", None),
        ("to_threshold", 0),
        ("rising", 0),
        ("falling", 0),
        ("ahp", 0),
        ("to_threshold", 1),
        ("rising", 1),
    ]
    assert found[5].start_ms == 10.0
    fails = hh([(2, 0.5, 30), (9, 0.5, 30)], duration_ms=20, samples=2001)
    assert [p.name for p in phases(fails, measure(fails))][4:7] == [
        "ahp",
        "refractory_failure",
        "ahp",
    ]  # as strong as the first


def test_summed_pulses_lead_into_threshold_and_a_pulse_long_before_fails_alone():
    trace = hh([(2, 1, 5), (5, 1, 12)], duration_ms=25, samples=2501)
    m = measure(trace)
    found = phases(trace, m)
    assert m.spike_count == 1
    # the second pulse comes while the membrane is still more than half-way up the first one's response:
    # they sum, and the depolarization to threshold starts with the first
    assert named(found)[:3] == [("rest", None), ("to_threshold", 0), ("rising", 0)]
    assert found[1].start_ms == 2.0
    apart = hh([(2, 1, 5), (12, 1, 12)], duration_ms=30, samples=3001)  # back near rest in between: no sum
    assert [p.name for p in phases(apart, measure(apart))][1:3] == ["subthreshold", "to_threshold"]


def test_render_manifest_lists_the_phases_with_labels(tmp_path):
    config = write(
        tmp_path / "spike.yaml",
        "waveform: {model: hodgkin_huxley, duration_ms: 15, samples: 300}\nplot: {phases: true}\noutputs: [csv]\n",
    )
    result = render(load_config(config), tmp_path / "out")
    saved = json.loads((result.folder / "manifest.json").read_text())
    names = [p["phase"] for p in saved["phases"]]
    assert "rising" in names and "ahp" in names
    assert {p["label"] for p in saved["phases"]} <= set(PHASE_LABELS.values())
    assert saved["phases"][0]["start_ms"] == 0 and saved["phases"][-1]["end_ms"] == 15
    header = (result.folder / "trace.csv").read_text().splitlines()[0]
    assert header == "time_ms,voltage_mv,m,h,n,i_na_ua_per_cm2,i_k_ua_per_cm2,i_leak_ua_per_cm2,i_stim_ua_per_cm2"


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_config_tiles_into_phases(path):
    trace = synthesize(load_config(path).config.waveform)
    check_tiling(phases(trace, measure(trace)), trace.time_ms)


def test_consumers_name_the_ramp_and_keep_slow_motion_from_the_threshold():
    from apsim_batch.figure.measured import FIGURE_NAMES
    from apsim_batch.figure.pacing import spike_windows
    from apsim_batch.figure.palette import phase_tint
    from apsim_batch.output.captions import phase_cues

    assert set(FIGURE_NAMES) == set(PHASE_NAMES) and FIGURE_NAMES["to_threshold"] == "to threshold"
    # never the yellow of a failed response; the rising phase's tint starts at the threshold
    assert phase_tint("to_threshold") not in (phase_tint("subthreshold"), phase_tint("rising"))
    trace, m, found = shipped("hh_classic")
    counts = np.arange(1, len(trace.time_ms) + 1)  # one sample a frame: a cue per phase
    texts = [cue.text for cue in phase_cues(found, trace.time_ms, counts, fps=100)]
    assert texts[1].startswith("Depolarization to threshold, 1 to 2.") and texts[2].startswith("Rising phase, 2.")
    assert not any("ubthreshold" in text for text in texts)
    ((start, _),) = spike_windows(found)
    assert start == m.spikes[0].threshold_time_ms  # slow motion starts at the threshold, not at the pulse


@pytest.mark.parametrize("name", ["hh_threshold", "hh_refractory"])
def test_no_phase_label_lies_over_a_response_that_fails(name):
    """No other phase's label lies over a failed response's columns: the figure keeps fails apart from fires."""
    from apsim_batch.figure.layout import draw_parts
    from apsim_batch.figure.measured import marked

    config = load_config(ROOT / "configs" / f"{name}.yaml").config
    trace = synthesize(config.waveform)
    parts, _, timed = draw_parts(config, analyze(config, trace))
    bands = marked(config, analyze(config, trace)).phases
    columns = lambda band: parts.voltage.transData.transform([(band.start_ms, 0), (band.end_ms, 0)])[:, 0]  # noqa: E731
    bottom = parts.fig.bbox.height - parts.voltage.get_window_extent().y0  # the voltage axes' lowest row
    names = {text for b in bands if b.name not in ("rest", "subthreshold", "refractory_failure") for text in (b.label,)}
    labels = [m for m in timed if m.text in names and m.box[3] <= bottom]
    ramp = next(b for b in bands if b.name == "to_threshold")
    r0, r1 = columns(ramp)
    assert any(m.start == ramp.reveal_index and m.box[0] < r1 and m.box[2] > r0 for m in labels)  # named on its band
    failed = [b for b in bands if b.name in ("subthreshold", "refractory_failure")]
    assert failed
    for band in failed:
        f0, f1 = columns(band)
        for mark in labels:
            assert mark.box[2] <= f0 or mark.box[0] >= f1, f"a label at {mark.box} lies over the failed response"
