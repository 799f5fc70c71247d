"""Recorded traces: a CSV (units stated) or ABF recording read into a Trace, its noise, resampling to a grid.

The one place a model reads a file: the recording is the model's input, as a config's numbers are
the Gaussian's. Measurements are meant for the recording's own samples (`read_recording`); the
animation grid (`resample`) may be coarser, and then each grid sample is the mean of the recorded
samples around it, so noise is averaged rather than aliased and the trace keeps its slow shape.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from pathlib import Path

import numpy as np

from ..config.recorded import check_recording_file
from ..errors import RecordingError
from .waveform import Trace

MIN_SAMPLES = 8
# unit -> factor to ms or mV; written as in headers ("time_s", "Vm (mV)") or stated beside the file
TIME_UNITS = {"s": 1000.0, "ms": 1.0, "us": 1e-3, "µs": 1e-3}
VOLTAGE_UNITS = {"v": 1000.0, "mv": 1.0, "uv": 1e-3, "µv": 1e-3}
_UNIT_IN_NAME = re.compile(r"(?:[_ ]|\()\s*([a-zµ]+)\s*\)?\s*$", re.IGNORECASE)


def read_recording(
    path: str | os.PathLike[str], time_unit: str | None = None, voltage_unit: str | None = None, sweep: int = 0
) -> Trace:
    """A recording as a Trace in ms and mV: `.csv` (time and voltage columns) or `.abf` (pyabf's reader)."""
    source = Path(path)
    if source.suffix.lower() == ".abf":
        return read_abf(source, sweep)
    if source.suffix.lower() == ".csv":
        return read_csv(source, time_unit, voltage_unit)
    raise RecordingError(f"{source}: a recording must be a .csv or an .abf file")


def read_csv(path: Path, time_unit: str | None = None, voltage_unit: str | None = None) -> Trace:
    """The first two columns: time, then voltage. Units come from the arguments or from the header
    (`time_ms,voltage_mv`, `t (s),Vm (V)`); a header without them and no stated unit is refused."""
    rows = csv.reader(io.StringIO(_read_text(path)))
    header = next(rows, None)
    if not header or len(header) < 2:
        raise RecordingError(f"{path}:1: the header must name a time and a voltage column (e.g. time_ms,voltage_mv)")
    to_ms = _factor(path, header[0], time_unit, TIME_UNITS, "time")
    to_mv = _factor(path, header[1], voltage_unit, VOLTAGE_UNITS, "voltage")
    times, volts = [], []
    for line, row in enumerate(rows, start=2):
        if not row or not "".join(row).strip():
            continue
        try:
            t, v = float(row[0]), float(row[1])
        except (IndexError, ValueError):
            raise RecordingError(f"{path}:{line}: expected two numbers (time, voltage), got {row[:2]!r}") from None
        if not (math.isfinite(t) and math.isfinite(v)):
            raise RecordingError(f"{path}:{line}: time and voltage must be finite numbers, got {row[:2]!r}")
        times.append(t)
        volts.append(v)
    return _trace(path, np.asarray(times) * to_ms, np.asarray(volts) * to_mv)


def read_abf(path: Path, sweep: int = 0) -> Trace:
    """One sweep of an ABF file's first channel, which must be recorded in a voltage unit."""
    try:
        import pyabf
    except ImportError:
        raise RecordingError(f"{path}: reading ABF files needs pyabf: pip install 'apsim-batch[recorded]'") from None
    _check_file(path)
    try:
        abf = pyabf.ABF(str(path))
    except Exception as exc:  # pyabf raises bare exceptions for damaged files
        raise RecordingError(f"{path}: not a readable ABF file ({exc})") from None
    if not 0 <= sweep < abf.sweepCount:
        raise RecordingError(f"{path}: sweep {sweep} does not exist (the file has sweeps 0 to {abf.sweepCount - 1})")
    abf.setSweep(sweep, channel=0)
    unit = str(abf.sweepUnitsY)
    if unit.lower() not in VOLTAGE_UNITS:
        raise RecordingError(f"{path}: channel 0 is recorded in {unit!r}, not a voltage (allowed: V, mV, uV)")
    return _trace(
        path, np.asarray(abf.sweepX, float) * 1000.0, np.asarray(abf.sweepY, float) * VOLTAGE_UNITS[unit.lower()]
    )


def noise_mv(trace: Trace) -> float:
    """The recording's noise (standard deviation, mV), robust to spikes and slow drift: the median absolute
    deviation of successive differences, scaled to a Gaussian's sigma (white noise: diff has sigma·√2)."""
    steps = np.diff(trace.voltage_mv)
    return float(1.4826 * np.median(np.abs(steps - np.median(steps))) / math.sqrt(2))


def resample(trace: Trace, samples: int, start_ms: float | None = None, duration_ms: float | None = None) -> Trace:
    """The trace on a uniform grid of `samples` points from `start_ms` over `duration_ms` (default: all of it).

    Finer than the recording: linear interpolation. Coarser: each grid point is the mean of the recorded
    samples within half a grid step of it (a boxcar as wide as the step), so white noise shrinks by
    about √(recorded samples per step) instead of aliasing into the trace.
    """
    start = float(trace.time_ms[0]) if start_ms is None else float(start_ms)
    duration = float(trace.time_ms[-1]) - start if duration_ms is None else float(duration_ms)
    if samples < 2 or not duration > 0:
        raise RecordingError(
            f"resampling needs at least 2 samples over a positive duration (got {samples}, {duration})"
        )
    if start < trace.time_ms[0] - 1e-9 or start + duration > trace.time_ms[-1] + 1e-9:
        shown = f"{trace.time_ms[0]:g} to {trace.time_ms[-1]:g} ms"
        raise RecordingError(f"the grid {start:g} to {start + duration:g} ms is outside the recording ({shown})")
    grid = start + np.arange(samples) * (duration / (samples - 1))
    step_ms = duration / (samples - 1)
    recorded_step = float(np.median(np.diff(trace.time_ms)))
    if step_ms <= 1.5 * recorded_step:
        return Trace(grid, np.interp(grid, trace.time_ms, trace.voltage_mv))
    # running sums give each window's mean in O(n), whatever the window
    sums = np.concatenate([[0.0], np.cumsum(trace.voltage_mv)])
    low = np.searchsorted(trace.time_ms, grid - step_ms / 2, side="left")
    high = np.searchsorted(trace.time_ms, grid + step_ms / 2, side="right")
    return Trace(grid, (sums[high] - sums[low]) / np.maximum(high - low, 1))


def _trace(path: Path, time_ms: np.ndarray, voltage_mv: np.ndarray) -> Trace:
    if time_ms.size < MIN_SAMPLES:
        raise RecordingError(f"{path}: {time_ms.size} samples; a recording needs at least {MIN_SAMPLES}")
    steps = np.diff(time_ms)
    if not np.all(steps > 0):
        where = int(np.argmax(steps <= 0)) + 1
        raise RecordingError(f"{path}: time must increase from sample to sample (sample {where + 1} does not)")
    return Trace(time_ms, voltage_mv)


def _factor(path: Path, name: str, stated: str | None, units: dict[str, float], quantity: str) -> float:
    """The factor to ms or mV: the stated unit, else the one written in the column's name."""
    found = _UNIT_IN_NAME.search(name.strip())
    unit = stated if stated is not None else (found.group(1) if found else None)
    plain = sorted(u for u in units if "µ" not in u)
    if unit is None or unit.lower() not in {u.lower() for u in units}:
        said = f"unit {unit!r}" if unit else "no unit"
        raise RecordingError(
            f"{path}:1: {quantity} column {name.strip()!r} has {said}; name it like '{quantity}_{plain[0]}'"
            f" or state the unit (allowed: {', '.join(plain)})"
        )
    return {u.lower(): f for u, f in units.items()}[unit.lower()]


def _check_file(path: Path) -> None:
    try:
        check_recording_file(path)
    except ValueError as exc:
        raise RecordingError(str(exc)) from None


def _read_text(path: Path) -> str:
    _check_file(path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordingError(f"{path}: not UTF-8 text (byte {exc.start})") from None
