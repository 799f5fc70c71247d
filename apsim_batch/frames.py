"""The figure and the fast frame stream.

matplotlib draws the figure only twice: once without the trace (`base`) and once with the whole
trace (`full`). Frame k is `full` where the trace has already passed and `base` elsewhere, so
each new frame only copies the newly revealed pixels. Layering
stays right (the annotation above the trace, reference lines below it) because both layers were
drawn by matplotlib with the real z-order. A third, index-coloured drawing says which sample
reveals each pixel of a curve, so even the near-vertical upstroke appears segment by segment.
The only approximation is the line cap at the very tip; tests bound it against a full redraw.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import Config
from .waveform import Trace

DPI = 100


@dataclass(frozen=True)
class Layers:
    """The two pre-rendered images a frame is composed of, and when each pixel changes."""

    base: np.ndarray  # (H, W, 3) uint8: everything but the traces
    full: np.ndarray  # (H, W, 3) uint8: the finished figure (also the poster)
    change_pos: np.ndarray  # flat indices of pixels where `full` differs from `base` ...
    change_at: np.ndarray  # ... and the sample index that reveals each, ascending

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.full.shape[1], self.full.shape[0]


def revealed_counts(config: Config) -> np.ndarray:
    """Samples visible in each frame: frame i shows (i + 1) * samples_per_frame, capped at all.

    The original showed 2*i samples in frame i, so its first frame was empty and its last one
    missed the final two samples; here the last frame is the finished trace.
    """
    samples = config.waveform.samples
    per_frame = config.animation.samples_per_frame
    return np.minimum(np.arange(1, config.frame_count + 1) * per_frame, samples)


def _new_figure(config: Config) -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(config.plot.width_px / DPI, config.plot.height_px / DPI), dpi=DPI)
    return fig, FigureCanvasAgg(fig)


def _axes(fig: Any, config: Config, decorate: bool) -> list[Any]:
    """Create the axes with their limits; with `decorate`, also labels, ticks and reference lines."""
    plot, waveform = config.plot, config.waveform
    ax = fig.add_subplot()
    ax.set_ylim(*plot.voltage_range_mv)
    ax.set_xlim(0, waveform.duration_ms)
    if not decorate:
        return [ax]
    ax.set_xticks(np.arange(0, waveform.duration_ms + plot.time_tick_ms / 2, plot.time_tick_ms))
    ax.set_xlabel(plot.x_label)
    ax.set_ylabel(plot.y_label)
    ax.set_title(config.title)
    if plot.rest_line:
        ax.axhline(y=waveform.resting_mv, color="gray", linestyle="--", alpha=0.5, zorder=1)
    if plot.zero_line:
        ax.axhline(y=0, color="black", linestyle="-", alpha=0.5, zorder=0)
    if plot.annotation:
        ax.annotate(
            plot.annotation,
            (0.97, 0.03),
            xycoords="axes fraction",
            fontsize=8,
            ha="right",
            va="bottom",
            alpha=0.3,
            zorder=3,
        )
    return [ax]


def _curves(config: Config, trace: Trace) -> list[tuple[int, np.ndarray, dict[str, Any]]]:
    """What is revealed over time: (axes index, y values over trace.time_ms, line style)."""
    style = {"color": config.plot.line_color, "linewidth": config.plot.line_width_pt, "zorder": 2}
    return [(0, trace.voltage_mv, style)]


def _rgb(canvas: Any) -> np.ndarray:
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def draw_figure(config: Config, trace: Trace, revealed: int | None = None) -> np.ndarray:
    """Draw the figure with the first `revealed` samples (None: all) the straightforward way.

    This is the single source of what the picture looks like: the fast path composes its
    frames from two of these images, and tests compare the two.
    """
    fig, canvas = _new_figure(config)
    axes = _axes(fig, config, decorate=True)
    shown = len(trace.time_ms) if revealed is None else revealed
    if shown:
        for index, values, style in _curves(config, trace):
            axes[index].plot(trace.time_ms[:shown], values[:shown], **style)
    return _rgb(canvas)


def draw_reveal_map(config: Config, trace: Trace) -> np.ndarray:
    """For each pixel, the index of the sample whose arrival reveals it, as an (H, W) int array.

    Pixels on a curve are revealed by the segment that reaches them, drawn as an index-coloured
    line a little wider than the real one so anti-aliased edges are covered; earlier segments are
    drawn on top so the earliest wins. Any other pixel is revealed when the tip reaches its column.
    """
    from matplotlib.collections import LineCollection

    fig, canvas = _new_figure(config)
    fig.patch.set_facecolor("black")
    axes = _axes(fig, config, decorate=False)
    points = len(trace.time_ms)
    arrival = np.arange(1, points)[::-1]  # segment i is complete when sample i + 1 arrives
    colors = np.column_stack([(arrival >> 16) & 255, (arrival >> 8) & 255, arrival & 255]) / 255
    for index, values, style in _curves(config, trace):
        xy = np.column_stack([trace.time_ms, values])
        segments = np.stack([xy[:-1], xy[1:]], axis=1)[::-1]
        width = style["linewidth"] + 2 * 72 / DPI  # one extra pixel each side
        axes[index].set_facecolor("black")
        axes[index].add_collection(
            LineCollection(segments, colors=colors, linewidths=width, antialiaseds=False, capstyle="round")
        )
    rgb = _rgb(canvas).astype(np.int64)
    on_curve = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    sample_x = axes[0].transData.transform(np.column_stack([trace.time_ms, np.zeros_like(trace.time_ms)]))[:, 0]
    width_px = rgb.shape[1]
    by_column = np.searchsorted(sample_x, np.arange(width_px) + 0.5)
    reveal = np.where(on_curve > 0, on_curve, by_column[None, :])
    return np.minimum(reveal, points - 1)


def draw_layers(config: Config, trace: Trace) -> Layers:
    """Draw the figure three times (without, with the traces, as a reveal map): all a render needs."""
    base = draw_figure(config, trace, revealed=0)
    full = draw_figure(config, trace)
    reveal = draw_reveal_map(config, trace)
    changed = np.flatnonzero(np.any(base != full, axis=2))
    at = reveal.reshape(-1)[changed]
    order = np.argsort(at, kind="stable")
    return Layers(base=base, full=full, change_pos=changed[order], change_at=at[order])


Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


def stream(
    layers: Layers, counts: np.ndarray, base: np.ndarray | None = None, full: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, Box | None]]:
    """Yield each frame (as a view of one reused buffer) and the box that changed since the last.

    `counts` are the samples visible in each frame, non-decreasing. `base`/`full` default to the
    RGB layers; pass palette-index versions to stream GIF frames without re-quantizing. Each
    frame costs O(newly revealed pixels), so time per frame and memory do not grow with length.
    """
    base = layers.base if base is None else base
    full = layers.full if full is None else full
    height, width = base.shape[:2]
    canvas = base.copy()
    flat_canvas = canvas.reshape(height * width, -1)
    flat_full = full.reshape(height * width, -1)
    done = 0
    for count in counts:
        upto = int(np.searchsorted(layers.change_at, int(count) - 1, side="right"))
        if upto < done:
            raise ValueError("counts must not decrease")
        new = layers.change_pos[done:upto]
        box = None
        if len(new):
            flat_canvas[new] = flat_full[new]
            rows, cols = np.divmod(new, width)
            box = (int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1)
        done = upto
        yield canvas, box
