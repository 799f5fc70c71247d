"""The waveform against its closed form and against the original script's curve."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from apsim_batch.config.load import load_config
from apsim_batch.config.models import Config, GaussianComponent, GaussianWaveform
from apsim_batch.trace.models import synthesize

from .conftest import CONFIGS


def original_curve() -> tuple[np.ndarray, np.ndarray]:
    """The original teaching script's curve, written out independently of our code."""
    time = np.linspace(0, 10, 500)
    voltage = -70 + 110 * np.exp(-((time - 2.5) ** 2) / (2 * 0.1**2))
    voltage += -20 * np.exp(-((time - 3.5) ** 2) / (2 * 0.2**2))
    return time, voltage


def test_classic_matches_original_sample_for_sample():
    trace = synthesize(Config().waveform)
    time, voltage = original_curve()
    assert len(trace.time_ms) == 500
    np.testing.assert_allclose(trace.time_ms, time, atol=1e-12)
    np.testing.assert_allclose(trace.voltage_mv, voltage, atol=1e-6)
    assert 39.5 < trace.voltage_mv.max() < 40.5
    assert abs(trace.voltage_mv.min() - (-90)) < 0.5


def test_peak_mv_is_absolute_and_amplitude_relative():
    component = dict(center_ms=5, width_ms=1)
    a = GaussianWaveform(resting_mv=-60, components=[GaussianComponent(**component, peak_mv=-80)])
    b = GaussianWaveform(resting_mv=-60, components=[GaussianComponent(**component, amplitude_mv=-20)])
    np.testing.assert_array_equal(synthesize(a).voltage_mv, synthesize(b).voltage_mv)


def test_closed_form_without_smoothing():
    wf = GaussianWaveform(
        resting_mv=-65,
        duration_ms=7,
        samples=701,
        smoothing="none",
        components=[
            GaussianComponent(center_ms=2, width_ms=0.3, amplitude_mv=90),
            GaussianComponent(center_ms=4, width_ms=0.7, peak_mv=-75),
        ],
    )
    trace = synthesize(wf)
    t = np.arange(701) * 0.01
    expected = -65 + 90 * np.exp(-((t - 2) ** 2) / 0.18) - 10 * np.exp(-((t - 4) ** 2) / 0.98)
    np.testing.assert_allclose(trace.voltage_mv, expected, atol=1e-9)


def test_smoothing_changes_nothing_by_design():
    """`smoothing` is kept for the original script's sake and changes nothing, by design.

    The original passed its samples through interp1d(kind="cubic") evaluated on the same grid; an
    interpolating spline returns its own samples there, so apsim-batch skips the call and both
    settings give the same trace. The premise is checked against scipy's own interp1d here.
    """
    from scipy.interpolate import interp1d

    wf = GaussianWaveform(samples=50, smoothing="cubic")
    trace = synthesize(wf)
    original = interp1d(trace.time_ms, trace.voltage_mv, kind="cubic")(trace.time_ms)
    np.testing.assert_allclose(original, trace.voltage_mv, rtol=0, atol=1e-9)
    unsmoothed = synthesize(wf.model_copy(update={"smoothing": "none"}))
    np.testing.assert_array_equal(unsmoothed.voltage_mv, trace.voltage_mv)


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.yaml")), ids=lambda path: path.stem)
def test_cubic_smoothing_equals_scipy_spline_in_every_csv_digit(config):
    """Smoothing skips scipy: on its own grid the original's cubic spline returns the samples."""
    from scipy.interpolate import make_interp_spline

    waveform = load_config(config).config.waveform.model_copy(update={"smoothing": "cubic"})
    if waveform.model in ("voltage_clamp", "axon"):
        pytest.skip("an experiment has no smoothing, and a clamp's command is a step no spline reproduces")
    trace = synthesize(waveform)
    spline = make_interp_spline(trace.time_ms, trace.voltage_mv, k=3)(trace.time_ms)
    np.testing.assert_allclose(trace.voltage_mv, spline, rtol=0, atol=1e-12)
    assert [f"{v:.12g}" for v in trace.voltage_mv] == [f"{v:.12g}" for v in spline]


def test_no_components_is_flat_rest():
    trace = synthesize(GaussianWaveform(components=[], resting_mv=-72))
    np.testing.assert_allclose(trace.voltage_mv, -72, atol=1e-9)


def _on_grid(duration_ms: float, samples: int, fraction: float) -> float:
    """A time that is one of the trace's samples, so the sampled trace can show the exact centre."""
    step = duration_ms / (samples - 1)
    return round(fraction * (samples - 1)) * step


@settings(max_examples=25, deadline=None)
@given(
    resting=st.floats(-80, -55),
    spike=st.tuples(st.floats(0.2, 0.4), st.floats(0.05, 0.3), st.floats(-20, 50)),  # centre, sigma, peak
    trough=st.tuples(st.floats(0.1, 0.3), st.floats(0.1, 1.0), st.floats(-100, -75)),  # its offset, sigma, peak
    extra=st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.2, 3.0), st.floats(-30, 20)), max_size=3),
)
# found by hypothesis: the spike's own bend beside the trough moved the trough 0.18 mV
@example(resting=-62.0, spike=(0.390625, 0.25, 0.0), trough=(0.296875, 0.5, -75.0), extra=[(0.6875, 1.0, -19.0)])
def test_peak_mv_is_the_trace_at_the_centre_and_the_measured_peak(resting, spike, trough, extra):
    """A requested peak_mv is what the trace reaches, whatever the other components add there (deep_ahp's +32
    for a requested +35 was the AHPs' tails summed into the spike's centre)."""
    duration, samples = 20.0, 2001
    center = _on_grid(duration, samples, spike[0])
    trough_center = _on_grid(duration, samples, spike[0] + trough[0])
    components = [
        GaussianComponent(center_ms=center, width_ms=spike[1], peak_mv=spike[2]),
        GaussianComponent(center_ms=trough_center, width_ms=trough[1], peak_mv=trough[2]),
        *(GaussianComponent(center_ms=f * duration, width_ms=w, amplitude_mv=a) for f, w, a in extra),
    ]
    waveform = GaussianWaveform(resting_mv=resting, duration_ms=duration, samples=samples, components=components)
    trace = synthesize(waveform)
    at = lambda t: float(trace.voltage_mv[int(round(t / duration * (samples - 1)))])  # noqa: E731
    assert at(center) == pytest.approx(spike[2], abs=1e-9)
    assert at(trough_center) == pytest.approx(trough[2], abs=1e-9)
    # the measured extremum near each centre: the requested value, where the others' slope there leaves it one
    slope = np.gradient(trace.voltage_mv, trace.time_ms)
    curvature = np.gradient(slope, trace.time_ms)
    for middle, sigma, level, pick in (
        (center, spike[1], spike[2], np.max),
        (trough_center, trough[1], trough[2], np.min),
    ):
        # a neighbour's slope s at the centre moves the extremum by about s² / (2 |V''|), V'' the whole
        # trace's curvature there (the neighbours' bend counts too): attainable when that is small
        i = int(round(middle / duration * (samples - 1)))
        s, bend = float(slope[i]), float(curvature[i])
        assume(abs(level - resting) > 10 and bend * np.sign(level - resting) < 0 and s**2 / (2 * abs(bend)) < 0.05)
        near = np.abs(trace.time_ms - middle) <= 2 * sigma
        assert float(pick(trace.voltage_mv[near])) == pytest.approx(level, abs=0.1)


def test_deep_ahp_draws_the_peak_it_asks_for():
    config = load_config(CONFIGS / "deep_ahp.yaml").config
    trace = synthesize(config.waveform)
    asked = next(c.peak_mv for c in config.waveform.components if c.peak_mv is not None)
    assert float(trace.voltage_mv.max()) == pytest.approx(asked, abs=0.1)
    # its after-hyperpolarization is one trough that recovers, not a W of two dips
    v = trace.voltage_mv[np.argmax(trace.voltage_mv) :]
    troughs = np.flatnonzero((v[1:-1] < v[:-2]) & (v[1:-1] <= v[2:]))
    assert len(troughs) == 1 and v[troughs[0] + 1] < config.waveform.resting_mv - 20
