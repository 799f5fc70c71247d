"""`model: recorded`: a recording renders, measures, caches, varies and is watched like a model."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest
from PIL import Image

from apsim_batch.batch.run import run_batch
from apsim_batch.batch.watch import snapshot, watch
from apsim_batch.config.load import load_config
from apsim_batch.config.models import HodgkinHuxleyWaveform
from apsim_batch.config.variants import load_renders
from apsim_batch.errors import ConfigError
from apsim_batch.output.manifest import cache_key, resolved_parameters
from apsim_batch.trace.measure import measure
from apsim_batch.trace.models import analyze
from apsim_batch.trace.waveform import hodgkin_huxley_trace

from .conftest import write
from .test_recorded import write_csv

RATE_HZ = 20_000
CONFIG = """\
waveform:
  model: recorded
  file: {file}
  duration_ms: {duration_ms}
  samples: {samples}
animation:
  samples_per_frame: 20
outputs: [gif, png, csv]
"""


def hh_recording(amplitudes=(12.0, 12.0), duration_ms: float = 30.0):
    """A clean Hodgkin–Huxley trace at 20 kHz fired by one pulse per amplitude, 15 ms apart."""
    pulses = [{"onset_ms": 3 + 15 * k, "duration_ms": 1, "amplitude_ua_per_cm2": a} for k, a in enumerate(amplitudes)]
    waveform = HodgkinHuxleyWaveform.model_validate(
        {
            "model": "hodgkin_huxley",
            "duration_ms": duration_ms,
            "samples": int(duration_ms * RATE_HZ / 1000) + 1,
            "stimulus": {"pulses": pulses},
        }
    )
    return hodgkin_huxley_trace(waveform)


def recorded_config(tmp_path, volts, *, sigma_mv=0.0, seed=0, samples=None, name="cell.csv"):
    clean = hh_recording() if volts is None else volts
    noisy = clean.voltage_mv + np.random.default_rng(seed).normal(0, sigma_mv, clean.voltage_mv.size)
    write_csv(tmp_path / name, "time_ms,voltage_mv", clean.time_ms, noisy)
    text = CONFIG.format(file=name, duration_ms=float(clean.time_ms[-1]), samples=samples or clean.time_ms.size)
    return write(tmp_path / "cell.yaml", text)


@pytest.mark.parametrize("seed", range(6))
def test_noisy_recording_measures_the_clean_traces_spikes(tmp_path, seed):
    """Seeded noise (1 mV) on a known HH trace: the same spikes, peaks within two samples of the clean ones."""
    clean = hh_recording()
    expected = measure(clean)
    loaded = load_config(recorded_config(tmp_path, clean, sigma_mv=1.0, seed=seed))
    found = analyze(loaded.config).measurements
    assert found.spike_count == expected.spike_count == 2
    for got, want in zip(found.spikes, expected.spikes, strict=True):
        assert abs(got.peak_time_ms - want.peak_time_ms) <= 2 * 1000 / RATE_HZ
        assert abs(got.peak_mv - want.peak_mv) < 4.0
        assert got.threshold_mv is not None
    assert found.resting_mv == pytest.approx(float(clean.voltage_mv[0]), abs=0.3)  # rest before the first pulse


def test_noise_riding_on_the_detection_level_is_one_spike(tmp_path):
    """A plateau at the detection level with noise crosses it many times: hysteresis keeps one spike."""
    t = np.arange(0, 20, 0.05)
    v = np.where((t > 5) & (t < 10), -20.0, -70.0) + np.where((t > 5.5) & (t < 6.5), 50.0, 0.0)
    v = v + np.random.default_rng(3).normal(0, 0.7, t.size)
    write_csv(tmp_path / "plateau.csv", "time_ms,voltage_mv", t, v)
    write(tmp_path / "p.yaml", CONFIG.format(file="plateau.csv", duration_ms=float(t[-1]), samples=t.size))
    analysis = analyze(load_config(tmp_path / "p.yaml").config)
    assert measure(analysis.trace).spike_count > 1  # the plain detector splits it
    assert analysis.measurements.spike_count == 1


def test_recording_renders_end_to_end(tmp_path):
    path = recorded_config(tmp_path, None, sigma_mv=0.5, samples=300)
    result = run_batch([path], tmp_path / "out")
    assert result.ok, [o.error for o in result.outcomes]
    with Image.open(tmp_path / "out" / "cell" / "cell.png") as png:
        assert png.size[0] > 300 and len(np.unique(np.asarray(png.convert("L")))) > 10
    with Image.open(tmp_path / "out" / "cell" / "cell.gif") as gif:
        assert gif.n_frames > 10
    rows = (tmp_path / "out" / "cell" / "trace.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 301
    manifest = (tmp_path / "out" / "cell" / "manifest.json").read_text(encoding="utf-8")
    assert hashlib.sha256((tmp_path / "cell.csv").read_bytes()).hexdigest() in manifest


def key_of(path) -> str:
    loaded = load_config(path)
    return cache_key(resolved_parameters(loaded.config, loaded.name), ["png"])


def test_editing_the_data_changes_the_cache_key(tmp_path):
    path = recorded_config(tmp_path, None, samples=200)
    before = key_of(path)
    assert key_of(path) == before
    data = tmp_path / "cell.csv"
    data.write_text(data.read_text(encoding="utf-8").replace(",-6", ",-7", 1), encoding="utf-8")
    assert key_of(path) != before


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "not a regular file"),
    ],
)
def test_a_missing_or_odd_recording_is_one_located_line(tmp_path, make, says):
    make(tmp_path / "gone.csv")
    path = write(tmp_path / "c.yaml", CONFIG.format(file="gone.csv", duration_ms=10, samples=100))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:3: waveform.file: ") and says in message and "\n" not in message


def test_an_unknown_format_is_refused(tmp_path):
    path = write(tmp_path / "c.yaml", CONFIG.format(file="cell.txt", duration_ms=10, samples=100))
    with pytest.raises(ConfigError, match=r"waveform\.file: .*\.csv or an \.abf"):
        load_config(path)


def test_a_variant_set_over_the_file_renders_each_recording(tmp_path):
    clean = hh_recording()
    for k in range(2):
        noisy = clean.voltage_mv + np.random.default_rng(k).normal(0, 0.5, clean.voltage_mv.size)
        write_csv(tmp_path / f"cell{k}.csv", "time_ms,voltage_mv", clean.time_ms, noisy)
    text = CONFIG.format(file="cell0.csv", duration_ms=30.0, samples=200)
    text += "variants:\n  mode: grid\n  fields:\n    waveform.file: [cell0.csv, cell1.csv]\n"
    renders = load_renders(write(tmp_path / "set.yaml", text))
    digests = [r.config.waveform.recording_sha256 for r in renders]
    assert digests == [hashlib.sha256((tmp_path / f"cell{k}.csv").read_bytes()).hexdigest() for k in range(2)]


def test_abf_recording_measures_like_its_csv(tmp_path):
    abf_writer = pytest.importorskip("pyabf.abfWriter")
    clean = hh_recording(duration_ms=100.0)
    abf_writer.writeABF1(clean.voltage_mv[None, :].astype(np.float32), str(tmp_path / "cell.abf"), RATE_HZ, units="mV")
    path = write(tmp_path / "a.yaml", CONFIG.format(file="cell.abf", duration_ms=60.0, samples=1200))
    found = analyze(load_config(path).config).measurements
    assert found.spike_count == 2


def bump(path, text: str) -> None:
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_watch_re_renders_when_the_recording_is_saved(tmp_path):
    folder = tmp_path / "configs"
    folder.mkdir()
    recorded_config(folder, None, samples=150)
    (folder / "cell.yaml").write_text(
        (folder / "cell.yaml").read_text(encoding="utf-8").replace("[gif, png, csv]", "[csv]"), encoding="utf-8"
    )
    data = folder / "cell.csv"
    stamps = snapshot([folder])
    assert len(stamps[folder / "cell.yaml"]) == 2  # the config's stamp and its recording's
    edited = data.read_text(encoding="utf-8").replace(",-6", ",-8", 1)
    polls = [0]

    def sleep(_seconds):
        polls[0] += 1
        if polls[0] == 1:
            bump(data, edited)

    outcomes = []
    watch([folder], tmp_path / "out", on_outcome=outcomes.append, echo=lambda line: None, sleep=sleep, max_polls=3)
    assert [(o.name, o.status) for o in outcomes] == [("cell", "rendered"), ("cell", "rendered")]
