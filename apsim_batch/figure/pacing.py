"""When each animation frame is shown and how much trace it reveals: speed, slow motion through spikes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config.models import Config
from ..trace.analysis import Analysis

# Phase names that open and close a spike's slow motion (trace/phases.py's vocabulary).
RISING = ("rising",)
FALLING = ("falling",)
MIN_PHASE_S = 0.4  # by default each spike's rising and falling phase stays on screen at least this long
MAX_SLOWDOWN = 20  # AnimationConfig.spike_slowdown's upper bound


@dataclass(frozen=True)
class Schedule:
    """The animation frames: samples visible in each, and which ones play in slow motion."""

    counts: np.ndarray  # (frames,) int, non-decreasing; the last frame shows every sample
    slow: np.ndarray  # (frames,) bool: the frame lies inside a slowed spike (the badge shows)
    fps: float
    slowdown: float
    windows_ms: tuple[tuple[float, float], ...] = ()

    @property
    def frames(self) -> int:
        return len(self.counts)


def plain_counts(samples: int, per_frame: int) -> np.ndarray:
    """Frame i shows (i + 1) * per_frame samples, capped at all (the original reveal, kept exactly)."""
    frames = -(-samples // per_frame)
    return np.minimum(np.arange(1, frames + 1) * per_frame, samples)


def trace_speed_ms_per_s(config: Config) -> float:
    """Milliseconds of trace per second of playback, whichever way the config sets the speed."""
    animation, waveform = config.animation, config.waveform
    if animation.trace_ms_per_s is not None:
        return animation.trace_ms_per_s
    step_ms = waveform.duration_ms / max(waveform.samples - 1, 1)
    return animation.samples_per_frame * animation.fps * step_ms


def _reach_s(time_ms: np.ndarray, ms_per_s: float, windows_ms: Sequence[tuple[float, float]], slowdown: float):
    """Seconds of playback at which each sample appears, `slowdown` times slower inside the windows.

    A sample counts as reached one sample step after its own time, as in the original reveal
    (frame i shows (i + 1) * samples_per_frame samples), so without slow motion the clock gives
    exactly the plain frames.
    """
    step_ms = (time_ms[-1] - time_ms[0]) / max(len(time_ms) - 1, 1)
    t = np.asarray(time_ms, dtype=float) + step_ms
    stretched = t - time_ms[0]
    for start, end in windows_ms:
        stretched += (slowdown - 1) * (np.clip(t, start, end) - start)
    return stretched / ms_per_s


def frame_total(config: Config, time_ms: np.ndarray, windows_ms: Sequence[tuple[float, float]] = ()) -> int:
    """How many frames the animation has (cheap: check it against a cap before building anything)."""
    animation = config.animation
    if animation.trace_ms_per_s is None and animation.spike_slowdown == 1:
        return math.ceil(len(time_ms) / animation.samples_per_frame)
    reach = _reach_s(time_ms, trace_speed_ms_per_s(config), windows_ms, animation.spike_slowdown)
    return max(1, math.ceil(float(reach[-1]) * animation.fps - 1e-9))


def clocked(time_ms: np.ndarray, ms_per_s: float, fps: float, windows_ms=(), slowdown: float = 1.0):
    """Samples visible in each frame, and which frames are slowed, when the trace plays at `ms_per_s`.

    Frame i is shown at (i + 1) / fps seconds and shows every sample reached by then.
    """
    reach = _reach_s(time_ms, ms_per_s, windows_ms, slowdown)
    frames = max(1, math.ceil(float(reach[-1]) * fps - 1e-9))
    clock_s = np.arange(1, frames + 1) / fps
    counts = np.searchsorted(reach, clock_s + 1e-9, side="right").astype(np.int64)
    counts = np.maximum(counts, 1)
    counts[-1] = len(time_ms)
    tip_ms = np.interp(clock_s, reach, time_ms)  # the trace time each frame's clock stands at
    slow = np.zeros(frames, bool)
    if slowdown != 1:
        for start, end in windows_ms:
            slow |= (tip_ms >= start) & (tip_ms < end)
    return counts, slow


def schedule(config: Config, analysis: Analysis, windows_ms: Sequence[tuple[float, float]] | None = None) -> Schedule:
    """The frames of a render: the original reveal unless trace_ms_per_s is set or the spikes play slowed."""
    config = paced(config, analysis)
    animation, trace = config.animation, analysis.trace
    if animation.trace_ms_per_s is None and animation.spike_slowdown == 1:
        counts = plain_counts(len(trace.time_ms), animation.samples_per_frame)
        return Schedule(counts, np.zeros(len(counts), bool), animation.fps, 1.0)
    if windows_ms is None:
        windows_ms = spike_windows(analysis.phases) if animation.spike_slowdown != 1 else ()
    counts, slow = clocked(
        trace.time_ms, trace_speed_ms_per_s(config), animation.fps, windows_ms, animation.spike_slowdown
    )
    return Schedule(counts, slow, animation.fps, animation.spike_slowdown, tuple(windows_ms))


def spike_windows(found: Sequence[Any]) -> list[tuple[float, float]]:
    """(start, end) in ms of each spike, from the start of its rising phase to the end of its falling phase.

    `found` are the render's phases (its analysis'), so slow motion follows the same spikes as the
    figure and the captions; without spikes there is no window.
    """
    windows: dict[int, list[float]] = {}
    for phase in found:
        if phase.spike is None or phase.name not in RISING + FALLING:
            continue
        span = windows.setdefault(phase.spike, [math.inf, -math.inf])
        span[0], span[1] = min(span[0], phase.start_ms), max(span[1], phase.end_ms)
    return [(start, end) for _, (start, end) in sorted(windows.items()) if start < end]


def default_slowdown(config: Config, analysis: Analysis) -> float:
    """The config's spike_slowdown, or (unset) the smallest whole factor that keeps every rising and falling
    phase on screen at least MIN_PHASE_S (1 when they already are; at most MAX_SLOWDOWN)."""
    if config.animation.spike_slowdown is not None:
        return config.animation.spike_slowdown
    spans_ms = [p.end_ms - p.start_ms for p in analysis.phases if p.spike is not None and p.name in RISING + FALLING]
    spans_ms = [span for span in spans_ms if span > 0]
    if not spans_ms:
        return 1.0
    on_screen_s = MIN_PHASE_S + 2 / config.animation.fps  # two frames spare: a phase rarely starts on one
    needed = on_screen_s * trace_speed_ms_per_s(config) / min(spans_ms)
    return float(min(MAX_SLOWDOWN, max(1, math.ceil(needed - 1e-9))))


def paced(config: Config, analysis: Analysis) -> Config:
    """The config with its spike_slowdown decided (see default_slowdown), as the figure and animation read it."""
    slowdown = default_slowdown(config, analysis)
    if slowdown == config.animation.spike_slowdown:
        return config
    return config.model_copy(update={"animation": config.animation.model_copy(update={"spike_slowdown": slowdown})})
