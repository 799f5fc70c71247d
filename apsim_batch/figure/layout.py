"""The figure: axes, panels, phase shading and labels, drawn as the layers every frame is composed of.

matplotlib draws the figure only twice: once without the trace (`base`) and once with the whole
trace (`full`). Frame k is `full` where the trace has already passed and `base` elsewhere, so
each new frame only copies the newly revealed pixels. Layering
stays right (the annotation above the trace, reference lines below it) because both layers were
drawn by matplotlib with the real z-order. A third, index-coloured drawing says which sample
reveals each pixel of a curve, so even the near-vertical upstroke appears segment by segment.
The only approximation is the line cap at the very tip; tests bound it against a full redraw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config.models import Config, GaussianWaveform
from ..trace.measure import Phase, measure, phases
from ..trace.waveform import Trace
from .canvas import DPI, Box, new_figure, rgb_of
from .overlay import TipOverlay, tip_overlay


@dataclass(frozen=True)
class Layers:
    """The two pre-rendered images a frame is composed of, and when each pixel changes."""

    base: np.ndarray  # (H, W, 3) uint8: everything but the traces
    full: np.ndarray  # (H, W, 3) uint8: the finished figure (also the poster)
    change_pos: np.ndarray  # flat indices of pixels where `full` differs from `base` ...
    change_at: np.ndarray  # ... and the sample index that reveals each, ascending
    overlay: TipOverlay | None = None  # drawn on each frame after the reveal (plot.tip_marker)

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


PANEL_CURVES = {
    "gates": (("m", "m", "#d62728"), ("h", "h", "#2ca02c"), ("n", "n", "#9467bd")),
    "currents": (
        ("i_na_ua_per_cm2", "I_Na", "#d62728"),
        ("i_k_ua_per_cm2", "I_K", "#1f77b4"),
        ("i_leak_ua_per_cm2", "I_L", "#7f7f7f"),
        ("i_stim_ua_per_cm2", "I_stim", "#ff7f0e"),
    ),
}
PANEL_Y_LABELS = {"gates": "Gates", "currents": "µA/cm²"}
PANEL_HEIGHT = 0.42  # each panel's height relative to the voltage axes
# Shading of each phase (rest stays unshaded but is labelled).
PHASE_COLORS = {
    "rest": "#9e9e9e",
    "subthreshold": "#f9a825",
    "hyperpolarizing": "#00838f",
    "rising": "#e53935",
    "falling": "#1e88e5",
    "ahp": "#8e24aa",
    "isi": "#43a047",
    "block": "#6d4c41",
}
PHASE_ALPHA = 0.14
LABEL_FONT_PT = 7.5
LABEL_PAD = 0.3  # box padding around a label, in font sizes
LABEL_ROW_PX = 19.0
LABEL_GAP_PX = 5.0


def _rest_level(config: Config, trace: Trace) -> float:
    """The resting level the dashed line marks: the Gaussian's parameter, or where the simulation starts."""
    waveform = config.waveform
    return waveform.resting_mv if isinstance(waveform, GaussianWaveform) else float(trace.voltage_mv[0])


def user_text(config: Config) -> dict[str, bool]:
    """Text properties for words from a config: drawn as written ("$5 and $10" stays so), never
    through TeX, and read as mathtext only when the config sets plot.math_text."""
    return {"parse_math": config.plot.math_text, "usetex": False}


def _axes(fig: Any, config: Config, trace: Trace, decorate: bool) -> list[Any]:
    """Create the axes with their limits; with `decorate`, also labels, ticks and reference lines.

    Without panels this is the original single plot; with panels the voltage axes keep the top
    and the panels share its time axis below it.
    """
    plot, waveform = config.plot, config.waveform
    strip_px = _label_strip_px(fig, config, trace)
    if not plot.panels and not strip_px:
        axes = [fig.add_subplot()]
    else:
        grid = fig.add_gridspec(
            1 + len(plot.panels),
            1,
            height_ratios=[1] + [PANEL_HEIGHT] * len(plot.panels),
            hspace=0.12,
            top=fig.subplotpars.top - strip_px / (fig.get_figheight() * DPI),
        )
        axes = [fig.add_subplot(grid[0])]
        axes += [fig.add_subplot(grid[i + 1], sharex=axes[0]) for i in range(len(plot.panels))]
    ax = axes[0]
    ax.set_ylim(*plot.voltage_range_mv)
    ax.set_xlim(0, waveform.duration_ms)
    for panel, panel_ax in zip(plot.panels, axes[1:], strict=True):
        panel_ax.set_ylim(*_panel_limits(panel, trace))
    if not decorate:
        return axes
    ticks = np.arange(0, waveform.duration_ms + plot.time_tick_ms / 2, plot.time_tick_ms)
    ax.set_xticks(ticks)
    axes[-1].set_xlabel(plot.x_label, **user_text(config))
    ax.set_ylabel(plot.y_label, **user_text(config))
    ax.set_title(config.title, pad=6 + strip_px * 72 / DPI, **user_text(config))  # above the phase labels' strip
    if plot.rest_line:
        ax.axhline(y=_rest_level(config, trace), color="gray", linestyle="--", alpha=0.5, zorder=1)
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
            **user_text(config),
        )
    if plot.panels:
        _decorate_panels(config, axes)
    return axes


def _panel_limits(panel: str, trace: Trace) -> tuple[float, float]:
    if panel == "gates":
        return -0.05, 1.05
    values = np.concatenate([trace.extra[column] for column, _, _ in PANEL_CURVES[panel]])
    low, high = float(min(values.min(), 0.0)), float(max(values.max(), 0.0))
    pad = 0.08 * (high - low or 1.0)
    return low - pad, high + pad


def _decorate_panels(config: Config, axes: list[Any]) -> None:
    from matplotlib.lines import Line2D

    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    for panel, ax in zip(config.plot.panels, axes[1:], strict=True):
        ax.set_ylabel(PANEL_Y_LABELS[panel], fontsize=9)
        ax.tick_params(labelsize=8)
        if panel == "currents":
            ax.axhline(y=0, color="black", linestyle="-", alpha=0.3, linewidth=0.8, zorder=0)
        handles = [Line2D([], [], color=color, linewidth=1.5, label=name) for _, name, color in PANEL_CURVES[panel]]
        ax.legend(
            handles=handles,
            loc="upper right",
            ncol=len(handles),
            fontsize=7,
            frameon=True,
            framealpha=0.85,
            handlelength=1.2,
            columnspacing=0.9,
            borderpad=0.3,
        )


def _curves(config: Config, trace: Trace) -> list[tuple[int, np.ndarray, dict[str, Any]]]:
    """What is revealed over time: (axes index, y values over trace.time_ms, line style)."""
    style = {"color": config.plot.line_color, "linewidth": config.plot.line_width_pt, "zorder": 2}
    curves = [(0, trace.voltage_mv, style)]
    for index, panel in enumerate(config.plot.panels, start=1):
        for column, _, color in PANEL_CURVES[panel]:
            curves.append((index, trace.extra[column], {"color": color, "linewidth": 1.5, "zorder": 2}))
    return curves


def trace_phases(config: Config, trace: Trace) -> list[Phase]:
    """The phases the figure annotates (empty unless plot.phases is on)."""
    if not config.plot.phases:
        return []
    return phases(trace, measure(trace, config.plot.spike_detection_mv))


def phase_start_index(trace: Trace, phase: Phase) -> int:
    """The first sample inside the phase: the frame that reveals it shows its shading and label."""
    start = phase.start_ms - 1e-12 * max(1.0, abs(phase.start_ms))
    return min(int(np.searchsorted(trace.time_ms, start)), len(trace.time_ms) - 1)


def _label_layout(fig: Any, config: Config, trace: Trace) -> list[tuple[Phase, float, int]]:
    """Where the phase labels go: (phase, left edge in pixels, row), rows counted up from the axes.

    Only the first phase of each kind is labelled. Each label starts where its phase starts (kept
    inside the axes' width) and takes the lowest row of the strip above the axes where it does not
    overlap the label before it. Computed from fonts and the figure's margins alone, so it is the
    same in every drawing of a render and never moves during the animation.
    """
    from matplotlib.font_manager import FontProperties

    found = trace_phases(config, trace)
    if not found:
        return []
    renderer = fig.canvas.get_renderer()
    width_px = fig.get_figwidth() * DPI
    left, right = fig.subplotpars.left * width_px, fig.subplotpars.right * width_px
    font = FontProperties(size=LABEL_FONT_PT)
    pad_px = 2 * LABEL_PAD * LABEL_FONT_PT * DPI / 72
    layout, row_ends, seen = [], [], set()
    for phase in found:
        if phase.name in seen:
            continue
        seen.add(phase.name)
        text_w, _, _ = renderer.get_text_width_height_descent(phase.label, font, ismath=False)
        w = text_w + pad_px
        start = left + phase.start_ms / config.waveform.duration_ms * (right - left)
        x0 = min(max(start, left), right - w)
        row = next((r for r, end in enumerate(row_ends) if x0 > end + LABEL_GAP_PX), len(row_ends))
        if row == len(row_ends):
            row_ends.append(-np.inf)
        row_ends[row] = x0 + w
        layout.append((phase, x0 + pad_px / 2, row))
    return layout


def _label_strip_px(fig: Any, config: Config, trace: Trace) -> float:
    """Height of the strip above the voltage axes that holds the phase labels (0 without phases)."""
    layout = _label_layout(fig, config, trace)
    return 0.0 if not layout else (max(row for _, _, row in layout) + 1) * LABEL_ROW_PX + 4


def _phase_artists(ax: Any, config: Config, trace: Trace, shown: int) -> list[tuple[int, Any]]:
    """Shade each phase up to the tip and label the first phase of each kind once it has begun.

    The labels sit in the strip above the axes, out of the trace's way. Returns (start sample,
    text) for every label, visible or not.
    """
    from matplotlib.transforms import blended_transform_factory

    all_phases = trace_phases(config, trace)
    if not all_phases:
        return []
    tip_ms = float(trace.time_ms[shown - 1]) if shown else -np.inf
    for phase in all_phases:
        if phase.name != "rest" and phase_start_index(trace, phase) < shown:
            ax.axvspan(
                phase.start_ms,
                min(phase.end_ms, tip_ms),
                color=PHASE_COLORS[phase.name],
                alpha=PHASE_ALPHA,
                linewidth=0,
                zorder=-1,
            )
    box = ax.get_window_extent()
    labels = []
    for phase, x_px, row in _label_layout(ax.figure, config, trace):
        y = 1 + (4 + LABEL_ROW_PX * row + LABEL_ROW_PX / 2) / box.height
        text = ax.text(
            ax.transData.inverted().transform((x_px, 0))[0],
            y,
            phase.label,
            transform=blended_transform_factory(ax.transData, ax.transAxes),
            ha="left",
            va="center",
            fontsize=LABEL_FONT_PT,
            color="#333333",
            clip_on=False,
            zorder=5,
            bbox={
                "boxstyle": f"round,pad={LABEL_PAD}",
                "facecolor": "white",
                "edgecolor": PHASE_COLORS[phase.name],
                "linewidth": 0.9,
            },
        )
        start_index = phase_start_index(trace, phase)
        text.set_visible(start_index < shown)
        labels.append((start_index, text))
    return labels


def _draw(
    config: Config, trace: Trace, revealed: int | None, with_overlay: bool = True
) -> tuple[np.ndarray, list[tuple[int, Box]]]:
    """The figure with the first `revealed` samples, and the pixel box of each phase label.

    With `with_overlay` and plot.tip_marker, the tip marker and readout are drawn on top the same
    way the frame stream draws them (the layers are drawn without it).
    """
    fig, canvas = new_figure(config)
    axes = _axes(fig, config, trace, decorate=True)
    shown = len(trace.time_ms) if revealed is None else revealed
    if shown:
        for index, values, style in _curves(config, trace):
            axes[index].plot(trace.time_ms[:shown], values[:shown], **style)
    labels = _phase_artists(axes[0], config, trace, shown)
    rgb = rgb_of(canvas)
    height = rgb.shape[0]
    boxes = []
    for start, text in labels:
        if text.get_visible():
            patch = text.get_bbox_patch().get_window_extent()
            x0, x1 = int(np.floor(patch.x0)), int(np.ceil(patch.x1))
            y0, y1 = height - int(np.ceil(patch.y1)), height - int(np.floor(patch.y0))
            boxes.append((start, (max(x0, 0), max(y0, 0), x1, y1)))
    if with_overlay and config.plot.tip_marker and shown:
        tip_overlay(config, trace, axes[0], rgb.shape[:2]).draw(rgb, shown)
    return rgb, boxes


def draw_figure(config: Config, trace: Trace, revealed: int | None = None) -> np.ndarray:
    """Draw the figure with the first `revealed` samples (None: all) the straightforward way.

    This is the single source of what the picture looks like: the fast path composes its
    frames from two of these images, and tests compare the two.
    """
    return _draw(config, trace, revealed)[0]


def draw_reveal_map(config: Config, trace: Trace, label_boxes: list[tuple[int, Box]] = ()) -> np.ndarray:
    """For each pixel, the index of the sample whose arrival reveals it, as an (H, W) int array.

    Pixels on a curve are revealed by the segment that reaches them, drawn as an index-coloured
    line a little wider than the real one so anti-aliased edges are covered; earlier segments are
    drawn on top so the earliest wins. A phase label's box appears whole with its phase's first
    sample. Any other pixel (phase shading included) is revealed when the tip reaches its column.
    """
    from matplotlib.collections import LineCollection

    fig, canvas = new_figure(config)
    fig.patch.set_facecolor("black")
    axes = _axes(fig, config, trace, decorate=False)
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
    rgb = rgb_of(canvas).astype(np.int64)
    on_curve = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    sample_x = axes[0].transData.transform(np.column_stack([trace.time_ms, np.zeros_like(trace.time_ms)]))[:, 0]
    width_px = rgb.shape[1]
    by_column = np.searchsorted(sample_x, np.arange(width_px) + 0.5)
    reveal = np.where(on_curve > 0, on_curve, by_column[None, :])
    for start, (x0, y0, x1, y1) in sorted(label_boxes, reverse=True):  # the earliest label wins
        reveal[y0:y1, x0:x1] = start
    return np.minimum(reveal, points - 1)


def draw_layers(config: Config, trace: Trace) -> Layers:
    """Draw the figure three times (without, with the traces, as a reveal map): all a render needs."""
    base, _ = _draw(config, trace, 0, with_overlay=False)
    full, label_boxes = _draw(config, trace, None, with_overlay=False)
    reveal = draw_reveal_map(config, trace, label_boxes)
    changed = np.flatnonzero(np.any(base != full, axis=2))
    at = reveal.reshape(-1)[changed]
    order = np.argsort(at, kind="stable")
    overlay = None
    if config.plot.tip_marker:
        fig, _ = new_figure(config)
        overlay = tip_overlay(config, trace, _axes(fig, config, trace, decorate=False)[0], base.shape[:2])
    return Layers(base=base, full=full, change_pos=changed[order], change_at=at[order], overlay=overlay)
