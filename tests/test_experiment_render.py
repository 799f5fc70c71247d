"""The experiments through the renderer: real files decoded, manifests equal to the science modules' values."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest
from PIL import Image

from .conftest import ROOT, run_entry_point, write

CONFIGS = ROOT / "configs"


def _frames(path):
    """Every frame of a GIF, decoded to RGB arrays."""
    with Image.open(path) as gif:
        frames = []
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("RGB")))
    return frames


def _same_picture(gif_frame, poster):
    """The GIF's palette moves colours a little, never the picture: under 0.5% of pixels differ visibly."""
    differ = np.abs(gif_frame.astype(int) - poster.astype(int)).max(axis=2) > 48
    return differ.mean() < 0.005


def _columns(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, values = rows[0], np.array(rows[1:], dtype=float)
    return header, {name: values[:, i] for i, name in enumerate(header)}


def _rounded(value):
    """The manifest's form of a science value: 6 decimals, arrays as lists."""
    if isinstance(value, np.ndarray):
        return [_rounded(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return round(float(value), 6) if isinstance(value, float | np.floating) else value


@pytest.fixture(scope="module")
def clamp_render(tmp_path_factory):
    from apsim_batch.api import render

    return render(CONFIGS / "voltage_clamp.yaml", tmp_path_factory.mktemp("clamp"), ["png", "gif", "csv"])


@pytest.fixture(scope="module")
def axon_render(tmp_path_factory):
    from apsim_batch.api import render

    return render(CONFIGS / "axon_squid.yaml", tmp_path_factory.mktemp("axon"), ["png", "gif", "csv"])


def test_the_clamp_renders_a_revealed_family_and_its_measurements(clamp_render):
    from apsim_batch.config.load import load_config
    from apsim_batch.trace.clamp import measure_steps, simulate_clamp

    experiment = load_config(CONFIGS / "voltage_clamp.yaml").config.waveform
    frames = _frames(clamp_render.files["gif"])
    with Image.open(clamp_render.files["png"]) as png:
        poster = np.asarray(png.convert("RGB"))
    assert poster.shape == frames[-1].shape == (720, 1280, 3) and len(frames) > 50
    assert _same_picture(frames[-1], poster), "the animation ends on the poster"
    ink = [int((frame < 128).all(axis=2).sum()) for frame in frames[1 :: len(frames) // 8]]  # 0: the poster
    assert ink == sorted(ink) and ink[0] < ink[-1] / 2, "the family is revealed over time, never erased"
    # the manifest says what trace/clamp.py measures, to the manifest's 6 decimals
    steps = dataclasses.asdict(measure_steps(experiment))
    assert clamp_render.measurements == {"holding_mv": -65, **{k: _rounded(v) for k, v in steps.items()}}
    assert clamp_render.measurements["na_reversal_mv"] == pytest.approx(experiment.membrane.e_na_mv, abs=0.5)
    # the CSV: time and the shown command first, then every step's command and currents
    header, columns = _columns(clamp_render.files["csv"])
    result = simulate_clamp(experiment)
    assert header[:2] == ["time_ms", "voltage_mv"] and len(header) == 2 + 5 * len(experiment.step_potentials_mv)
    shown = int(np.argmin(result.steps.peak_i_na_ua_per_cm2))
    assert np.allclose(columns["voltage_mv"], result.voltage_mv[shown])
    for k, step_mv in enumerate(experiment.step_potentials_mv):
        at = f"step{k + 1}_at_{step_mv:g}_mv"
        assert np.allclose(columns[f"i_na_ua_per_cm2_{at}"], result.i_na_ua_per_cm2[k], rtol=1e-9, atol=1e-9)
        assert np.allclose(columns[f"i_k_ua_per_cm2_{at}"], result.i_k_ua_per_cm2[k], rtol=1e-9, atol=1e-9)
        assert np.allclose(columns[f"v_command_mv_{at}"], result.voltage_mv[k])


def test_the_axon_renders_arrivals_in_order_and_its_measurements(axon_render):
    from apsim_batch.config.load import load_config
    from apsim_batch.trace.axon import simulate_axon

    experiment = load_config(CONFIGS / "axon_squid.yaml").config.waveform
    frames = _frames(axon_render.files["gif"])
    with Image.open(axon_render.files["png"]) as png:
        assert _same_picture(frames[-1], np.asarray(png.convert("RGB")))
    assert len(frames) > 50 and not _same_picture(frames[1], frames[-1])  # frame 0 is the poster
    result = simulate_axon(experiment)
    found = axon_render.measurements
    assert found["velocity_m_per_s"] == pytest.approx(18.8, rel=0.02)  # Hodgkin & Huxley (1952)
    propagation = dataclasses.asdict(result.propagation)
    assert {k: found[k] for k in propagation} == {k: _rounded(v) for k, v in propagation.items()}
    assert found["space_step_um"] == _rounded(result.space_step_um) and found["time_step_us"] == 5.0
    assert found["compartments"] == len(result.position_mm)
    arrivals = [site["arrival_ms"] for site in found["sites"]]
    assert arrivals == [_rounded(s.arrival_ms) for s in result.sites] and arrivals == sorted(arrivals)
    header, columns = _columns(axon_render.files["csv"])
    assert header[:2] == ["time_ms", "voltage_mv"] and len(header) == 2 + len(result.sites)
    for column, site in zip(header[2:], result.sites, strict=True):
        assert column.startswith("v_mv_site") and np.allclose(columns[column], site.voltage_mv)


def test_the_site_labels_name_each_electrode_in_its_hue():
    from apsim_batch.config.load import load_config
    from apsim_batch.figure.experiment_panels import axon_sites
    from apsim_batch.trace.experiments import axon_trace

    config = load_config(CONFIGS / "axon_squid.yaml").config
    spec = axon_sites(config, axon_trace(config.waveform))
    assert [c.name for c in spec.curves] == [f"V {mm:.1f} mm" for mm in (5.0, 10.0, 15.0, 20.0)]
    assert len({c.color for c in spec.curves}) == len(spec.curves)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "waveform:\n  model: voltage_clamp\n  ttx_block_fraction: 2\n",
            "bad.yaml:3: waveform.ttx_block_fraction: must be at most 1 (got 2)",
        ),
        (
            "waveform:\n  model: voltage_clamp\n  steps_mv: [-40, 0]\n  step_range: {start_mv: 0, stop_mv: 10, step_mv: 5}\n",
            "waveform.steps_mv: give either steps_mv or step_range, not both",
        ),
        (
            "waveform:\n  model: axon\n  length_mm: 20\n  recording_sites_mm: [5, 30]\n",
            "waveform.recording_sites_mm[1]: must lie on the axon, 0 to 20 mm (got 30)",
        ),
        (
            "waveform:\n  model: axon\nplot:\n  panels: [clamp_currents]\n",
            "bad.yaml:4: plot.panels[0]: clamp_currents is drawn only for model voltage_clamp; the axon model's"
            " panels are axon_sites",
        ),
        (
            "waveform:\n  model: voltage_clamp\nplot:\n  stimulus_panel: true\n",
            "plot.stimulus_panel: only the Hodgkin–Huxley model has a stimulus strip",
        ),
    ],
)
def test_a_bad_experiment_field_is_located(tmp_path, text, expected):
    from apsim_batch.config.load import load_config
    from apsim_batch.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path / "bad.yaml", text))
    assert expected in str(caught.value)


def test_validate_accepts_the_shipped_experiments(tmp_path):
    done = run_entry_point("validate", CONFIGS / "voltage_clamp.yaml", CONFIGS / "axon_squid.yaml", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == "" and "2 valid, 0 invalid" in done.stdout
