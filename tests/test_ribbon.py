"""The layout that cannot clutter: phase names on a ribbon, short leaders, readouts in the margin, the ISI bracket.

The ribbon's rules are invariants of `ribbon.lay_out`, checked on generated band sets; the others are
measured on the figure's layout objects of every shipped config that names phases or shows readouts.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apsim_batch import load_config
from apsim_batch.config.models import Config
from apsim_batch.config.variants import student_plot
from apsim_batch.figure.labels import LEADER_MAX_FRACTION, TOUCH_PX
from apsim_batch.figure.layout import draw_layers, draw_parts
from apsim_batch.figure.measured import FIGURE_NAMES
from apsim_batch.figure.pacing import paced
from apsim_batch.figure.ribbon import RibbonItem, lay_out
from apsim_batch.trace.models import analyze

from .conftest import CONFIGS

PHASED = ["hh_classic", "hh_refractory", "hh_repetitive", "hh_temperature", "hh_threshold"]
CHAR_PX = 9  # about one character of 16 px type


@st.composite
def band_sets(draw):
    """Contiguous bands tiling an axes inside a frame, its margins at least half the longest name wide.

    (`lay_out`'s precondition: a name over a band at the axes' edge fits in the frame centred. On
    figures the left margin holds the tick labels and the right one the curve names, and a band at
    time 0 is rest, a short name.)
    """
    frame_h = draw(st.integers(360, 1080))
    longest = max(CHAR_PX * len(text) + 2 for text in FIGURE_NAMES.values())
    left = draw(st.integers(longest // 2 + 5, longest // 2 + 60))
    axes_w = draw(st.integers(200, 900))
    right = draw(st.integers(longest // 2 + 5, 220))
    cuts = sorted(draw(st.lists(st.floats(0, 1), min_size=1, max_size=9)))
    edges = [left + axes_w * c for c in [0.0, *cuts, 1.0]]
    names = draw(st.lists(st.sampled_from(sorted(FIGURE_NAMES.values())), min_size=len(edges) - 1,
                          max_size=len(edges) - 1))  # fmt: skip
    items = [
        RibbonItem(text, a, b, CHAR_PX * len(text) + 2, int(0.022 * frame_h) + 4)
        for text, a, b in zip(names, edges[:-1], edges[1:], strict=True)
    ]
    return items, float(left + axes_w + right), frame_h


@settings(max_examples=60, deadline=None)
@given(band_sets())
def test_ribbon_names_never_overlap_and_each_is_over_its_band_or_joined_by_a_short_tick(case):
    items, width, frame_h = case
    labels = lay_out(items, 4, width - 4, 100.0, frame_h)
    assert [label.item for label in labels] == items
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            apart = a.box[2] <= b.box[0] or b.box[2] <= a.box[0] or a.box[3] <= b.box[1] or b.box[3] <= a.box[1]
            assert apart, f"{a.item.text!r} {a.box} overlaps {b.item.text!r} {b.box}"
        assert a.box[3] <= 100.0 and a.box[0] >= 4 and a.box[2] <= width - 4  # above the axes, in the frame
        centre = (a.box[0] + a.box[2]) / 2
        if a.tick is None:
            assert a.item.x0_px - 0.5 <= centre <= a.item.x1_px + 0.5, f"{a.item.text!r} is off its band"
        else:
            (c0, r0), (c1, r1) = a.tick
            assert np.hypot(c1 - c0, r1 - r0) <= LEADER_MAX_FRACTION * frame_h + 1e-9
            assert a.item.x0_px - 0.5 <= c1 <= a.item.x1_px + 0.5 and r1 == 100.0  # it ends on the band
            for b in labels:
                if b is not a:
                    assert not _segment_hits(a.tick, b.box), f"the {a.item.text!r} tick crosses {b.item.text!r}"


def _segment_hits(segment, box) -> bool:
    (a, b), (c, d) = segment
    t = np.linspace(0, 1, 200)
    x, y = a + (c - a) * t, b + (d - b) * t
    return bool(((x > box[0]) & (x < box[2]) & (y > box[1]) & (y < box[3])).any())


def _figure(name: str) -> tuple[Config, object]:
    config = load_config(CONFIGS / f"{name}.yaml").config
    analysis = analyze(config)
    return paced(config, analysis), analysis


@pytest.fixture(scope="module", params=PHASED)
def drawn(request):
    config, analysis = _figure(request.param)
    parts, image, timed = draw_parts(config, analysis)
    return request.param, config, analysis, parts, image, timed


def test_hh_repetitive_names_the_first_spike_only():
    config, analysis = _figure("hh_repetitive")
    _, _, timed = draw_parts(config, analysis)
    texts = [mark.text for mark in timed]
    assert sorted(texts) == sorted(["rest", "to threshold", "rising phase", "falling phase", "AHP", "threshold",
                                    f"ISI {analysis.spikes[0].isi_ms:.1f} ms", "10 µA/cm²"]), texts  # fmt: skip


def ax_texts(parts):
    return [text for ax in parts.axes for text in ax.texts]


def test_one_name_per_phase_on_every_figure(drawn):
    """One name per phase, and "threshold" written once (on the threshold line where there is one)."""
    name, _, _, parts, _, timed = drawn
    phase_texts = [m.text for m in timed if m.text in FIGURE_NAMES.values()]
    repeated = {"subthreshold", "hyperpolarizing", "refractory: no spike"}  # each failed response is an outcome
    once = [t for t in phase_texts if t not in repeated]
    assert len(once) == len(set(once)), f"{name}: {phase_texts}"
    assert not {"rise", "fall", "at rest", "after-hyperpolarization", "ISI"} & set(phase_texts)
    named = sum(m.text == "threshold" for m in timed) + sum(
        t.get_text().startswith("threshold ") for t in ax_texts(parts)
    )
    assert named <= 1, f"{name}: 'threshold' written {named} times"


def test_leaders_are_short_and_cross_no_curve_or_reference_line(drawn):
    """No leader longer than 40 px at 720 px; none crosses the trace, rest, 0 mV, E_Na/E_K or a pulse onset."""
    name, config, analysis, parts, image, timed = drawn
    height = image.shape[0]
    ax = parts.voltage
    box = parts.image_box(ax)
    trace = analysis.trace
    xy = ax.transData.transform(np.column_stack([trace.time_ms, trace.voltage_mv]))
    dense = np.linspace(0, len(xy) - 1, 20 * len(xy))
    cols, rows = np.interp(dense, np.arange(len(xy)), xy[:, 0]), height - np.interp(dense, np.arange(len(xy)), xy[:, 1])
    levels = [0.0, config.waveform.e_na_mv, config.waveform.e_k_mv] if config.plot.reversal_lines else [0.0]
    level_rows = [height - ax.transData.transform((0, level))[1] for level in levels]
    for mark in timed:
        if mark.leader is None or mark.text.startswith("ISI "):
            continue  # the ISI bracket's line is a measure, not a leader
        (a, b), (c, d) = mark.leader
        length = np.hypot(c - a, d - b)
        assert length <= LEADER_MAX_FRACTION * height + 1e-6, f"{name}: {mark.text!r} leader is {length:.0f} px"
        if b <= box[1] and d <= box[1] + 1:
            continue  # a ribbon tick, above the axes
        keep = max(0.0, 1 - (TOUCH_PX + 2) / max(length, 1e-9))  # the end touches what it names
        t = np.linspace(0, keep, 100)
        x, y = a + (c - a) * t, b + (d - b) * t
        near = np.hypot(x[:, None] - cols[None, ::7], y[:, None] - rows[None, ::7]).min(axis=1)
        assert (near > 2).all(), f"{name}: the {mark.text!r} leader crosses the trace"
        for row in level_rows:
            assert not ((y.min() < row - 1) and (y.max() > row + 1)), f"{name}: {mark.text!r} crosses a line"


def test_readouts_stand_in_the_margin_outside_every_axes(drawn):
    """On the held last frame the V/t readout and the panels' readouts cover no axes (hh_classic, hh_threshold)."""
    name, config, analysis, *_ = drawn
    if not config.plot.tip_marker:
        pytest.skip("no readouts")
    layers = draw_layers(config, analysis)
    last = len(analysis.trace.time_ms) - 1
    for readout in layers.overlay.readouts:
        x, y = (int(v) for v in readout.xy[last])
        h, w = readout.shape
        assert x >= 0 and x + w <= layers.size[0] and y >= 0 and y + h <= layers.size[1]
        for panel in layers.panels:
            x0, y0, x1, y1 = panel.box
            assert x + w <= x0 or x >= x1 or y + h <= y0 or y >= y1, f"{name}: a readout covers {panel.name}"
        assert (readout.xy == readout.xy[0]).all()  # it never moves


def test_the_isi_bracket_measures_spike_to_spike_as_efel_does():
    efel = pytest.importorskip("efel")
    config, analysis = _figure("hh_repetitive")
    _, _, timed = draw_parts(config, analysis)
    [text] = [m.text for m in timed if m.text.startswith("ISI ")]
    trace = analysis.trace
    efel.reset()
    efel.set_setting("Threshold", config.plot.spike_detection_mv)
    efel.set_setting("interp_step", trace.sample_interval_ms)  # on our samples, as tests/test_efel.py compares
    found = efel.get_feature_values(
        [{"T": trace.time_ms, "V": trace.voltage_mv, "stim_start": [0.0], "stim_end": [float(trace.time_ms[-1])]}],
        ["all_ISI_values"],
    )[0]["all_ISI_values"]
    assert float(text.split()[1]) == pytest.approx(found[0], abs=0.1)  # peak to peak, the first interval
    efel.reset()


def test_no_isi_bracket_in_a_student_handout():
    import yaml

    raw = yaml.safe_load((CONFIGS / "hh_repetitive.yaml").read_text(encoding="utf-8"))
    student = Config.model_validate({**raw, "plot": student_plot(raw["plot"])})  # as a handout plots it
    _, _, timed = draw_parts(student, analyze(student))
    assert not [m for m in timed if "ISI" in m.text]
