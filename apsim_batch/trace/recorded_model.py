"""The `model: recorded` entry's work: read and resample the recording, and measure it robustly to its noise."""

from __future__ import annotations

import numpy as np

from ..config.models import Config
from ..config.recorded import RecordedWaveform
from .analysis import Analysis
from .features import DETECTION_MV
from .measure import measure
from .phases import phases
from .recorded import noise_mv, read_recording, resample
from .waveform import Trace

HYSTERESIS_SIGMAS = 5.0  # a spike ends when the voltage falls this many noise sigmas below the detection level
MIN_HYSTERESIS_MV = 1.0
SLOPE_SMOOTHING_MS = 0.1  # the threshold's slope is taken on a running mean this wide (detection only)


def recorded_trace(waveform: RecordedWaveform) -> Trace:
    """The recording's window on the animation grid, its time axis starting at 0 where the window starts."""
    recording = read_recording(waveform.file, waveform.time_unit, waveform.voltage_unit, waveform.sweep)
    start_ms = float(recording.time_ms[0]) if waveform.start_ms is None else waveform.start_ms
    grid = resample(recording, waveform.samples, start_ms, waveform.duration_ms)
    return Trace(time_ms=grid.time_ms - start_ms, voltage_mv=grid.voltage_mv)


def recorded_rest_mv(waveform: RecordedWaveform, trace: Trace, detection_mv: float = DETECTION_MV) -> float:
    """The stated resting potential, else, like eFEL's voltage_base, the level before the first spike: the
    median of the first half of the samples before the detection level is first reached (the second half
    may hold the stimulus's depolarization). A window without spikes: its median."""
    if waveform.resting_mv is not None:
        return waveform.resting_mv
    reached = np.flatnonzero(trace.voltage_mv >= detection_mv)
    before = trace.voltage_mv[: max(1, int(reached[0]) // 2)] if len(reached) else trace.voltage_mv
    return float(np.median(before))


def smoothed_slope(trace: Trace, width_ms: float = SLOPE_SMOOTHING_MS) -> np.ndarray:
    """dV/dt (mV/ms) of a running mean `width_ms` wide: noise differentiated raw would cross any slope level."""
    step_ms = float(np.median(np.diff(trace.time_ms)))
    width = max(1, int(round(width_ms / step_ms)))
    kernel = np.ones(width) / width
    padded = np.pad(trace.voltage_mv, (width // 2, width - 1 - width // 2), mode="edge")
    return np.gradient(np.convolve(padded, kernel, mode="valid"), trace.time_ms)


def recorded_analysis(config: Config, trace: Trace) -> Analysis:
    """Spikes found with a hysteresis band scaled to the noise and thresholds on a smoothed slope; every
    feature (peak, widths, troughs) is measured on the drawn samples, which are never smoothed."""
    hysteresis_mv = max(HYSTERESIS_SIGMAS * noise_mv(trace), MIN_HYSTERESIS_MV)
    measurements = measure(
        trace,
        config.plot.spike_detection_mv,
        rest_mv=recorded_rest_mv(config.waveform, trace, config.plot.spike_detection_mv),
        hysteresis_mv=hysteresis_mv,
        slope=smoothed_slope(trace),
    )
    return Analysis(trace, measurements, tuple(phases(trace, measurements)), None)
