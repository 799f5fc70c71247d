"""Recorded traces: CSV (units stated) and ABF files the tests write themselves, noise, resampling to a grid."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apsim_batch.errors import RecordingError
from apsim_batch.trace.measure import measure
from apsim_batch.trace.recorded import noise_mv, read_recording, resample
from apsim_batch.trace.waveform import Trace

SEEDS = range(8)


def recorded_spike(seed: int, rate_hz: float = 20_000, duration_ms: float = 20.0, sigma_mv: float = 0.5):
    """A spike on a drifting rest with white noise, as an amplifier would give it (seeded)."""
    rng = np.random.default_rng(seed)
    time_ms = np.arange(int(duration_ms * rate_hz / 1000)) * (1000 / rate_hz)
    rest_mv = rng.uniform(-75, -60)
    center_ms = rng.uniform(5, 12)
    clean = rest_mv + 0.05 * time_ms + rng.uniform(80, 110) * np.exp(-0.5 * ((time_ms - center_ms) / 0.3) ** 2)
    return time_ms, clean, clean + rng.normal(0, sigma_mv, time_ms.size)


def write_csv(path, header: str, time, volts) -> None:
    lines = [header] + [f"{float(t)!r},{float(v)!r}" for t, v in zip(time, volts, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("header", "to_time", "to_volts", "stated"),
    [
        ("time_ms,voltage_mv", 1.0, 1.0, {}),
        ("t (s),Vm (V)", 1e-3, 1e-3, {}),
        ("time_us,voltage_uv", 1e3, 1e3, {}),
        ("time,membrane potential", 1e-3, 1.0, {"time_unit": "s", "voltage_unit": "mV"}),
    ],
)
def test_csv_in_any_stated_unit_reads_as_ms_and_mv(tmp_path, header, to_time, to_volts, stated):
    time_ms, _, noisy = recorded_spike(1)
    path = tmp_path / "cell.csv"
    write_csv(path, header, time_ms * to_time, noisy * to_volts)
    trace = read_recording(path, **stated)
    np.testing.assert_allclose(trace.time_ms, time_ms, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trace.voltage_mv, noisy, rtol=1e-12, atol=1e-9)


def test_abf_written_by_pyabf_reads_as_the_same_trace(tmp_path):
    abf_writer = pytest.importorskip("pyabf.abfWriter")
    time_ms, _, noisy = recorded_spike(2, duration_ms=100.0)  # pyabf reads back ABF1 files of 2000+ samples only
    path = tmp_path / "cell.abf"
    abf_writer.writeABF1(noisy[None, :].astype(np.float32), str(path), 20_000, units="mV")
    trace = read_recording(path)
    np.testing.assert_allclose(trace.time_ms, time_ms, atol=1e-9)
    # ABF1 keeps 16-bit samples: the error is at most half a step of the file's scale
    assert np.max(np.abs(trace.voltage_mv - noisy)) < 0.01
    abf_writer.writeABF1(noisy[None, :].astype(np.float32), str(tmp_path / "clamp.abf"), 20_000, units="pA")
    with pytest.raises(RecordingError, match=r"clamp.abf: channel 0 is recorded in 'pA', not a voltage"):
        read_recording(tmp_path / "clamp.abf")
    with pytest.raises(RecordingError, match=r"cell.abf: sweep 3 does not exist \(the file has sweeps 0 to 0\)"):
        read_recording(path, sweep=3)


@pytest.mark.parametrize("seed", SEEDS)
def test_noise_estimate_ignores_spikes_and_drift(seed):
    sigma_mv = [0.2, 0.5, 1.0, 2.0][seed % 4]
    time_ms, _, noisy = recorded_spike(seed, sigma_mv=sigma_mv, duration_ms=100.0)  # one spike in 100 ms
    assert noise_mv(Trace(time_ms, noisy)) == pytest.approx(sigma_mv, rel=0.1)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_coarser_grid_averages_the_noise_and_keeps_the_shape(seed):
    """On a grid 10x coarser than the recording, the noise left is about sigma/sqrt(10), the spike stays put."""
    time_ms, clean, noisy = recorded_spike(seed, sigma_mv=1.0, rate_hz=50_000)
    grid = resample(Trace(time_ms, noisy), samples=101, start_ms=0.0, duration_ms=19.8)  # step 0.2 ms = 10 samples
    reference = resample(Trace(time_ms, clean), samples=101, start_ms=0.0, duration_ms=19.8)
    left = np.std(grid.voltage_mv - reference.voltage_mv)
    assert left == pytest.approx(1.0 / math.sqrt(10), rel=0.35)
    # a boxcar of width w lowers a Gaussian peak of sigma s by about amplitude * w^2 / (24 s^2): < 110 * 0.04 / 2.16
    assert np.max(np.abs(reference.voltage_mv - np.interp(grid.time_ms, time_ms, clean))) < 2.5
    assert abs(grid.time_ms[np.argmax(grid.voltage_mv)] - time_ms[np.argmax(clean)]) <= 0.2
    assert measure(grid).spike_count == 1


def test_a_finer_grid_interpolates_and_the_ends_are_the_recording():
    time_ms = np.arange(0, 10.5, 0.5)
    trace = resample(Trace(time_ms, 3 * time_ms - 70), samples=201)
    assert trace.time_ms[0] == 0 and trace.time_ms[-1] == 10
    np.testing.assert_allclose(trace.voltage_mv, 3 * trace.time_ms - 70, atol=1e-12)
    with pytest.raises(RecordingError, match=r"the grid 5 to 15 ms is outside the recording \(0 to 10 ms\)"):
        resample(trace, 11, start_ms=5, duration_ms=10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "time,voltage\n0,1\n",
            r"cell.csv:1: time column 'time' has no unit; name it like 'time_ms' or state the unit",
        ),
        ("time_ms,volts_kv\n", r"cell.csv:1: voltage column 'volts_kv' has unit 'kv'; .* \(allowed: mv, uv, v\)"),
        (
            "time_ms,voltage_mv\n0,-70\n0.1,abc\n",
            r"cell.csv:3: expected two numbers \(time, voltage\), got \['0.1', 'abc'\]",
        ),
        ("time_ms,voltage_mv\n0,-70\n0.1,nan\n", r"cell.csv:3: time and voltage must be finite numbers"),
        ("time_ms,voltage_mv\n0,-70\n0.1,-70\n", r"cell.csv: 2 samples; a recording needs at least 8"),
        ("time_ms\n", r"cell.csv:1: the header must name a time and a voltage column"),
        (
            "time_ms,voltage_mv\n" + "".join(f"{t},-70\n" for t in [0, 1, 2, 2, 3, 4, 5, 6, 7]),
            r"cell.csv: time must increase from sample to sample \(sample 4 does not\)",
        ),
    ],
)
def test_a_bad_csv_is_one_located_line(tmp_path, text, message):
    path = tmp_path / "cell.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecordingError, match=message) as caught:
        read_recording(path)
    assert "\n" not in str(caught.value)


def test_other_files_are_refused(tmp_path):
    with pytest.raises(RecordingError, match=r"cell.txt: a recording must be a .csv or an .abf file"):
        read_recording(tmp_path / "cell.txt")
    with pytest.raises(RecordingError, match=r"missing.csv: no such file"):
        read_recording(tmp_path / "missing.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(RecordingError, match=r"folder.csv: not a regular file"):
        read_recording(tmp_path / "folder.csv")
    (tmp_path / "latin.csv").write_bytes(b"time_ms,voltage_mv\n0,\xe9\n")
    with pytest.raises(RecordingError, match=r"latin.csv: not UTF-8 text"):
        read_recording(tmp_path / "latin.csv")
