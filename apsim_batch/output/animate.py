"""The animated files of one render: the frame schedule and its cap, the GIF (poster first) and the MP4."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config.models import MAX_FRAMES, Config
from ..errors import RenderError
from ..figure.cursor import READOUT_HZ, Badge
from ..figure.layout import Layers
from ..figure.pacing import Schedule, frame_total, schedule, spike_windows, trace_speed_ms_per_s
from ..figure.quantize import TRANSPARENT, gif_palette, nearest_palette_index, palette_colors
from ..trace.analysis import Analysis
from .encode import FULL, gif_step_cs, gif_timing, write_gif, write_mp4
from .manifest import file_record


@dataclass(frozen=True)
class Animation:
    """Everything the GIF and the MP4 are made of."""

    config: Config
    layers: Layers
    schedule: Schedule
    badge: Badge | None


def plan_animation(config: Config, analysis: Analysis, layers: Layers) -> Animation:
    """The frames to write, refused when there are more than MAX_FRAMES (only renders with gif or mp4 get here).

    The analysis' phases decide where slow motion applies.
    """
    animation, trace = config.animation, analysis.trace
    windows = spike_windows(analysis.phases) if animation.spike_slowdown != 1 else []
    frames = frame_total(config, trace.time_ms, windows)
    if frames > MAX_FRAMES:
        speed = (
            f"trace_ms_per_s {animation.trace_ms_per_s:g}"
            if animation.trace_ms_per_s is not None
            else f"samples_per_frame {animation.samples_per_frame}"
        )
        raise RenderError(
            f"animation: {len(trace.time_ms):,} samples at {speed}, {animation.fps:g} fps and spike_slowdown"
            f" {animation.spike_slowdown:g} make {frames:,} frames; a GIF or MP4 may have at most {MAX_FRAMES:,}"
            " (play faster, or write only png and csv)"
        )
    plan = schedule(config, analysis, windows)
    badge = None
    if plan.slow.any():
        from ..figure.overlay import slow_badge

        voltage_box = tuple(layers.panel("voltage").box)  # the badge sits inside the voltage axes
        badge = slow_badge(layers.full.shape[:2], animation.spike_slowdown, voltage_box)
    return Animation(config, layers, plan, badge)


def _overlay_sample(anim: Animation) -> np.ndarray | None:
    """A frame with every overlay drawn, so the palette holds their colours too."""
    layers = anim.layers
    if layers.overlay is None and anim.badge is None and not layers.moving:
        return None
    sample = layers.full.copy()
    for panel in layers.moving:  # its curve mid-way over its still pixels
        panel.draw(sample, max(1, panel.samples // 2))
    if layers.overlay is not None:
        layers.overlay.draw(sample, max(1, len(layers.overlay.tip_xy) // 2))
    if anim.badge is not None:
        anim.badge.draw(sample)
    return sample


def _after_poster(poster: np.ndarray, frames: Iterator[tuple[np.ndarray, Any]]) -> Iterator[tuple[np.ndarray, Any]]:
    """The finished figure first; the next frame (the animation's start) then repaints the whole image."""
    yield poster, FULL
    for index, (image, box) in enumerate(frames):
        yield image, FULL if index == 0 else box


def write_gif_file(path: Path, anim: Animation, out_dir: Path) -> tuple[dict[str, Any], list[str]]:
    """Write the GIF; return its manifest record and notes for the user."""
    config, layers, plan = anim.config, anim.layers, anim.schedule
    from ..figure.stream import overlaid, stream

    fps = config.animation.fps
    timing = gif_timing(plan.frames, fps, config.animation.hold_last_frame_s, config.animation.poster_s)
    palette, base_index, full_index = gif_palette(layers.full, layers.base, _overlay_sample(anim))
    colors = palette_colors(palette)
    early_index = nearest_palette_index(layers.early_rgb[None], colors)[0]  # shading under a later curve
    chosen = list(timing.frames)
    shown = plan.counts[chosen]
    gif_fps = len(timing.frames) / max(sum(timing.delays_cs) / 100, 1e-9)
    frames = overlaid(
        stream(layers, shown, base_index, full_index, early_index),
        shown,
        layers.overlay,
        colors,
        anim.badge,
        plan.slow[chosen],
        refresh_every(gif_fps),
        layers.moving,
    )
    if timing.poster_cs:
        frames = _after_poster(full_index, frames)
    write_gif(path, frames, layers.size, palette, timing.all_delays_cs, TRANSPARENT)
    notes = []
    if timing.merged:
        notes.append(
            f"GIF: {plan.frames} frames at {fps:g} fps shown as {len(timing.frames)} frames of"
            f" {10 * gif_step_cs(fps)} ms, because GIF delays are whole 10 ms steps (at least 20 ms in browsers)"
            f" and steady ones play evenly; it still plays in {timing.duration_s:.2f} s"
        )
    record = file_record(
        path,
        out_dir,
        format="gif",
        frames=timing.count,
        fps=round(timing.fps, 3),
        duration_s=timing.duration_s,
        merged_frames=timing.merged,
        poster_first_s=timing.poster_cs / 100,
        width=layers.size[0],
        height=layers.size[1],
        **_pacing(anim),
    )
    return record, notes


def write_mp4_file(path: Path, anim: Animation, out_dir: Path) -> dict[str, Any]:
    """Write the MP4 (every animation frame, then the finished frame repeated for the hold); return its record."""
    config, layers, plan = anim.config, anim.layers, anim.schedule
    from ..figure.stream import overlaid, stream

    fps = config.animation.fps
    hold_frames = round(config.animation.hold_last_frame_s * fps)

    def rgb_frames() -> Iterator[np.ndarray]:
        image = layers.full
        frames = overlaid(
            stream(layers, plan.counts),
            plan.counts,
            layers.overlay,
            None,
            anim.badge,
            plan.slow,
            refresh_every(fps),
            layers.moving,
        )
        for image, _ in frames:
            yield image
        for _ in range(hold_frames):
            yield image

    written = write_mp4(path, rgb_frames(), fps)
    return file_record(
        path,
        out_dir,
        format="mp4",
        frames=written,
        fps=fps,
        duration_s=round(written / fps, 6),
        codec="h264",
        pixel_format="yuv420p",
        width=layers.size[0],
        height=layers.size[1],
        **_pacing(anim),
    )


def refresh_every(fps: float) -> int:
    """Frames between readout updates, so values change at most READOUT_HZ times a second."""
    return max(1, math.ceil(fps / READOUT_HZ - 1e-9))


def _pacing(anim: Animation) -> dict[str, Any]:
    """How fast the trace plays, for the manifest: ms of trace per second and the slowed spans."""
    plan = anim.schedule
    return {
        "trace_ms_per_s": round(trace_speed_ms_per_s(anim.config), 6),
        "slow_motion": [
            {"start_ms": round(a, 6), "end_ms": round(b, 6), "slowdown": plan.slowdown} for a, b in plan.windows_ms
        ],
    }
