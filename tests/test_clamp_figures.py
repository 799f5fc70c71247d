"""The clamp as Hodgkin and Huxley showed it: the I–V and activation curves in the side column, revealed
point by point, the capacitive transient, the blocker configs and the exercise's leak-free handouts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apsim_batch.config.clamp import VoltageClampExperiment
from apsim_batch.config.models import Config
from apsim_batch.figure.palette import POTASSIUM, SODIUM
from apsim_batch.trace.clamp import measure_steps, protocol, relaxation, simulate_clamp
from apsim_batch.trace.models import analyze

from .conftest import ROOT

CONFIGS = ROOT / "configs"
LIGHT = {  # a small figure of the whole family: quick to draw, every mechanism in it
    "title": "clamp",
    "waveform": {
        "model": "voltage_clamp",
        "step_range": {"start_mv": -90, "stop_mv": 60, "step_mv": 10},
        "samples": 131,
    },
    "plot": {"width_px": 960, "height_px": 540, "panels": ["clamp_currents", "clamp_total", "clamp_iv", "clamp_gv"]},
    "animation": {"samples_per_frame": 4},
}


def _config(**plot):
    return Config.model_validate({**LIGHT, "plot": {**LIGHT["plot"], **plot}})


def _points(ax, color):
    """(x, y) of the drawn points of one hue: each a one-point line with a marker."""
    found = [
        (line.get_xdata()[0], line.get_ydata()[0])
        for line in ax.get_lines()
        if len(line.get_xdata()) == 1 and line.get_marker() not in (None, "None", "") and line.get_color() == color
    ]
    return np.array(sorted(found))


@pytest.fixture(scope="module")
def drawn():
    from apsim_batch.figure.layout import draw_parts

    config = _config()
    parts, rgb, _ = draw_parts(config, analyze(config))
    return config, parts, rgb


def test_iv_points_are_the_measured_currents_of_every_step(drawn):
    config, parts, _ = drawn
    steps = measure_steps(config.waveform)
    ax = parts.named("clamp_iv")
    na, k = _points(ax, SODIUM), _points(ax, POTASSIUM)
    order = np.argsort(steps.step_mv)
    np.testing.assert_allclose(na[:, 0], steps.step_mv[order])
    np.testing.assert_allclose(na[:, 1], steps.peak_i_na_ua_per_cm2[order] / 1000, atol=1e-6)
    np.testing.assert_allclose(k[:, 1], steps.steady_i_k_ua_per_cm2[order] / 1000, atol=1e-6)
    g = _points(parts.named("clamp_gv"), POTASSIUM)
    normalized = steps.steady_g_k_ms_per_cm2 / steps.steady_g_k_ms_per_cm2.max()
    np.testing.assert_allclose(g[:, 1], normalized[order], atol=1e-6)  # the manifest keeps 6 decimals


def test_the_side_column_has_its_own_step_axis_right_of_the_time_panels(drawn):
    _, parts, _ = drawn
    time_right = max(parts.image_box(ax)[2] for ax in parts.axes)
    for name in ("clamp_iv", "clamp_gv"):
        ax = parts.named(name)
        assert parts.image_box(ax)[0] > time_right + 40, "clear of the time panels and their curve names"
        assert ax.get_xlabel() == "Step potential (mV)" and ax not in parts.axes
        low, high = ax.get_xlim()
        assert low < -90 and high > 60
    iv_box, gv_box = parts.image_box(parts.named("clamp_iv")), parts.image_box(parts.named("clamp_gv"))
    assert iv_box[3] < gv_box[1], "stacked, the I–V curve on top"


ANSWERS = ("V½", "reverses", "E$_{Na}$")  # what the measured marks write


def _texts(parts):
    return [t.get_text() for t in parts.fig.texts] + [t.get_text() for ax in parts.every_axes for t in ax.texts]


def _e_na_lines(parts, config):
    e_na = config.waveform.membrane.e_na_mv
    return [line for line in parts.named("clamp_iv").get_lines() if list(line.get_xdata()) == [e_na, e_na]]


def test_measured_marks_label_the_reversal_and_each_half_activation(drawn):
    config, parts, _ = drawn
    steps = measure_steps(config.waveform)
    texts = _texts(parts)
    assert len(_e_na_lines(parts, config)) == 1
    value = f"{steps.na_reversal_mv:+.0f} mV"
    assert f"reverses at {value}" in texts or f"reversal {value}" in texts
    for half in (steps.na_half_activation_mv, steps.k_half_activation_mv):
        assert f"V½ = {half:.0f} mV".replace("-", "\u2212") in texts
    assert "E$_{Na}$" in texts


def test_handouts_carry_no_answer():
    """A student set's plot turns the marks off: no E_Na, no reversal, no V½ anywhere in the figure."""
    from apsim_batch.config.variants import student_plot
    from apsim_batch.figure.layout import draw_parts

    config = _config(**student_plot(LIGHT["plot"]))
    assert config.plot.measured_marks is False and config.plot.grid is True
    parts, _, _ = draw_parts(config, analyze(config))
    texts = _texts(parts)
    assert not [t for t in texts if any(answer in t for answer in ANSWERS)], texts
    assert not _e_na_lines(parts, config), "E_Na's line is where the reversal is read"
    assert "peak I$_{Na}$" in texts, "the curves are still named"


def test_a_point_appears_once_its_step_has_drawn_what_it_measures():
    from apsim_batch.figure.layout import draw_parts

    config = _config()
    analysis = analyze(config)
    steps = measure_steps(config.waveform)
    time_ms = analysis.trace.time_ms
    first_peak = config.waveform.pre_step_ms + float(steps.peak_i_na_ms.min())
    end = config.waveform.pre_step_ms + config.waveform.step_duration_ms
    before = int(np.searchsorted(time_ms, first_peak))  # samples shown: up to just before the earliest peak
    parts, _, _ = draw_parts(config, analysis, revealed=before)
    assert len(_points(parts.named("clamp_iv"), SODIUM)) == 0
    parts, _, _ = draw_parts(config, analysis, revealed=int(np.searchsorted(time_ms, end)))
    assert len(_points(parts.named("clamp_iv"), SODIUM)) == len(steps.step_mv), "every peak is past"
    assert len(_points(parts.named("clamp_iv"), POTASSIUM)) == 0, "steady I_K is read at the step's end"
    parts, _, _ = draw_parts(config, analysis, revealed=int(np.searchsorted(time_ms, end)) + 1)
    assert len(_points(parts.named("clamp_iv"), POTASSIUM)) == len(steps.step_mv)


@pytest.fixture(scope="module")
def layered():
    from apsim_batch.figure.layout import draw_layers

    config = _config()
    analysis = analyze(config)
    return config, analysis, draw_layers(config, analysis)


@pytest.mark.parametrize("frame", [8, 12, 30, 32])
def test_side_column_frames_match_a_full_redraw(layered, frame):
    from apsim_batch.figure.layout import draw_figure, revealed_counts
    from apsim_batch.figure.stream import stream

    config, analysis, layers = layered
    counts = revealed_counts(config)
    for i, (image, _) in enumerate(stream(layers, counts[: frame + 1])):
        if i == frame:
            fast = image.copy()
    reference = draw_figure(config, analysis, revealed=int(counts[frame]))
    diff = np.abs(reference.astype(int) - fast).max(axis=2)
    # the time panels' line caps at the tip, and the soft rims of points that arrive this frame
    assert (diff > 64).sum() <= 600, (diff > 64).sum()
    assert diff.mean() < 0.3
    x0, y0, x1, y1 = layers.panel("voltage").box
    side = diff[:, x1 + 60 :]  # the side column alone
    assert (side > 64).sum() <= 200, (side > 64).sum()


def test_the_capacitive_transient_carries_c_delta_v():
    experiment = VoltageClampExperiment(model="voltage_clamp", steps_mv=(-90.0, 0.0, 40.0), samples=521)
    result = simulate_clamp(experiment)
    capacitive = result.i_membrane_ua_per_cm2 - result.i_total_ua_per_cm2
    t = result.time_ms
    c = experiment.membrane.capacitance_uf_per_cm2
    on = experiment.pre_step_ms
    off = on + experiment.step_duration_ms
    for row, step_mv in enumerate(experiment.step_potentials_mv):
        for edge, delta_mv in ((on, step_mv - experiment.holding_mv), (off, experiment.holding_mv - step_mv)):
            window = (t > edge - 0.2) & (t < edge + 0.5)
            charge = np.trapezoid(capacitive[row][window], t[window])  # µA/cm² × ms = nC/cm²
            assert charge == pytest.approx(c * delta_mv, rel=0.01)
        quiet = (t > on + 0.5) & (t < off - 0.01)
        assert np.max(np.abs(capacitive[row][quiet])) < 1e-6, "no capacitive current while V is held"


@settings(max_examples=8, deadline=None)
@given(tau_us=st.floats(0, 40), samples=st.integers(200, 2000))
@example(tau_us=1.1125369292536007e-308, samples=200)  # found by hypothesis: t / tau overflowed
def test_the_transient_charge_holds_for_any_width_and_sampling(tau_us, samples):
    experiment = VoltageClampExperiment(
        model="voltage_clamp", steps_mv=(10.0,), samples=samples, charging_tau_us=tau_us
    )
    result = simulate_clamp(experiment)
    capacitive = (result.i_membrane_ua_per_cm2 - result.i_total_ua_per_cm2)[0]
    t = result.time_ms
    on = (t > 0.5) & (t < 5)
    assert np.trapezoid(capacitive[on], t[on]) == pytest.approx(75.0, rel=0.01)  # 1 µF/cm² × 75 mV
    # the ionic currents are those of the ideal step, untouched
    assert np.array_equal(result.i_total_ua_per_cm2, simulate_clamp(experiment.model_copy(
        update={"charging_tau_us": 0.0})).i_total_ua_per_cm2)  # fmt: skip


@settings(max_examples=8, deadline=None)
@given(e_na=st.floats(10, 58), temperature=st.floats(4, 20))
def test_the_measured_reversal_is_e_na(e_na, temperature):
    experiment = VoltageClampExperiment.model_validate(
        {"model": "voltage_clamp", "temperature_c": temperature, "membrane": {"e_na_mv": e_na}}
    )
    assert measure_steps(experiment).na_reversal_mv == pytest.approx(e_na, abs=1.0)


def _normalized_half(conductance, low=-80.0, high=60.0, v_max=60.0) -> float:
    """Where a closed-form conductance–voltage curve, over its value at `v_max`, first reaches 0.5."""
    from scipy.optimize import brentq

    return brentq(lambda v: conductance(v) / conductance(v_max) - 0.5, low, high)


def test_half_activation_agrees_with_the_closed_form():
    """V½ of steady g_K is n∞⁴'s half point (steps long enough to settle); V½ of peak g_Na is that of the
    closed form's peak m³h, not of m∞³: the peak comes after inactivation has begun (HH separated them)."""
    from apsim_batch.trace.clamp import _open_fraction_peak

    temperature = 6.3
    experiment = VoltageClampExperiment(
        model="voltage_clamp",
        temperature_c=temperature,
        step_range={"start_mv": -80, "stop_mv": 60, "step_mv": 2},
        step_duration_ms=60,
    )
    steps = measure_steps(experiment)
    k_closed = _normalized_half(lambda v: relaxation(v, temperature)[0][2] ** 4)
    assert steps.k_half_activation_mv == pytest.approx(k_closed, abs=1.0)
    start, _ = relaxation(experiment.holding_mv, temperature)

    def peak_open(v):
        steady, tau = relaxation(v, temperature)
        return _open_fraction_peak(start, steady, tau, experiment.step_duration_ms)[0]

    assert steps.na_half_activation_mv == pytest.approx(_normalized_half(peak_open), abs=1.0)
    m_closed = _normalized_half(lambda v: relaxation(v, temperature)[0][0] ** 3)
    assert steps.na_half_activation_mv - m_closed > 10, "inactivation shifts the peak's half point well right"


def test_protocol_edges_are_where_the_transients_are():
    experiment = VoltageClampExperiment(model="voltage_clamp", steps_mv=(0.0,), samples=261)
    result = simulate_clamp(experiment)
    capacitive = (result.i_membrane_ua_per_cm2 - result.i_total_ua_per_cm2)[0]
    edges = [piece[0] for piece in protocol(experiment, 0.0)[1:]]
    biggest = np.sort(np.argsort(np.abs(capacitive))[-2:])
    np.testing.assert_allclose(result.time_ms[biggest], [e + result.time_ms[1] for e in edges], atol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["voltage_clamp_ttx", "voltage_clamp_tea"])
def test_the_blocker_configs_render_and_block(name, tmp_path):
    from PIL import Image

    from apsim_batch.api import render
    from apsim_batch.config.load import load_config

    loaded = load_config(CONFIGS / f"{name}.yaml")
    plain = load_config(CONFIGS / "voltage_clamp.yaml").config
    experiment = loaded.config.waveform
    # the same experiment and figure as the plain one but for the blocker
    same = {"ttx_block_fraction", "tea_block_fraction"}
    assert experiment.model_dump(exclude=same) == plain.waveform.model_dump(exclude=same)
    assert loaded.config.plot == plain.plot
    done = render(loaded, tmp_path, ["png"])  # the poster alone: about 3 s on a free core
    with Image.open(done.files["png"]) as png:
        assert png.size == (1280, 720)
    found = done.measurements
    if name.endswith("ttx"):
        assert max(abs(v) for v in found["peak_i_na_ua_per_cm2"]) == 0 and found["na_reversal_mv"] is None
        assert found["k_half_activation_mv"] is not None
    else:
        assert max(abs(v) for v in found["steady_i_k_ua_per_cm2"]) == 0 and found["k_half_activation_mv"] is None
        assert found["na_reversal_mv"] == pytest.approx(experiment.membrane.e_na_mv, abs=1.0)


@pytest.mark.slow
def test_the_exercise_keys_the_clamp_analysis_and_hands_out_no_answer(tmp_path):
    """Two variants of the shipped exercise, run as a teacher would: the key's columns are the clamp's
    measurements (the same values as its analysis), its notes say nothing of Gaussians, and the handout
    folder holds only pictures named by the set and variant."""
    import csv
    import json

    from apsim_batch.config.load import load_config
    from apsim_batch.trace.models import analyze as analyze_config

    from .conftest import run_entry_point

    source = CONFIGS / "exercises" / "clamp_reversal.yaml"
    out = tmp_path / "out"
    done = run_entry_point("run", source, "--set", "variants.count=2", "--out", out, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    key = json.loads((out / "clamp-reversal" / "teacher" / "answer_key.json").read_text(encoding="utf-8"))
    assert key["measurement_notes"] == []
    with open(out / "clamp-reversal" / "teacher" / "answer_key.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    asked = ("na_reversal_mv", "na_half_activation_mv", "k_half_activation_mv", "largest_inward_i_na_ua_per_cm2")
    assert set(asked) <= set(rows[0])
    for row, variant in zip(rows[1:], key["variants"], strict=True):
        e_na = float(row["waveform.membrane.e_na_mv"])
        assert float(row["na_reversal_mv"]) == pytest.approx(e_na, abs=1.0)
        assert all(float(row[column]) == variant["measurements"][column] for column in asked)
    plain = load_config(source).config
    found = analyze_config(plain).measurements.as_dict()
    assert found["na_half_activation_mv"] == pytest.approx(-11.134126, abs=1e-5)  # the analysis the key reads
    handouts = sorted(p.name for p in (out / "clamp-reversal" / "handouts").iterdir())
    assert handouts == sorted(
        [f"clamp-reversal-v0{i}.{fmt}" for i in (1, 2) for fmt in ("gif", "png")] + ["index.html", "manifest.json"]
    )
    page = (out / "clamp-reversal" / "handouts" / "index.html").read_text(encoding="utf-8")
    assert "V½" not in page and "e_na" not in page and "measurements" not in page
