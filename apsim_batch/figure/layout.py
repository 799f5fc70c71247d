"""The figure: its axes and panels, drawn as the two layers and the reveal map the frame stream needs.

The figure is built once per render and drawn twice: once without the trace (`base`) and once
with the whole trace (`full`). Frame k is `full` where the trace has already passed and `base` elsewhere, so
each new frame only copies the newly revealed pixels. Layering
stays right (the annotation above the trace, reference lines below it) because both layers were
drawn by matplotlib with the real z-order. A third drawing of the same figure, with everything
hidden but index-coloured curves, says which sample reveals each pixel of a curve, so even the
near-vertical upstroke appears segment by segment.
The only approximation is the line cap at the very tip; tests bound it against a full redraw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config.models import Config
from ..trace.analysis import Analysis
from .axes_fit import GridSteps, reversal_levels, voltage_range
from .canvas import Box, new_figure, rgb_of
from .cursor import Cursor
from .decorate import decorate, grid_steps, margins
from .frame_panels import FramePanel
from .marks import Timed, draw_marks, reserve_ribbon
from .measured import marked
from .overlay import cursor_from_panels, readout_column_px
from .palette import voltage_color
from .panel_kinds import (
    draw_panel_content,
    draw_panel_labels,
    frame_panels,
    own_x_panels,
    panel_kind,
    panel_specs,
    side_pieces,
    style_panel_axis,
)
from .parts import VOLTAGE, Parts
from .reveal_map import off_time, reveal_on_drawn, reveal_pixels, timed_curves, without_curves
from .side_column import add_column, decorate_column, draw_pieces, split_margins
from .style import type_sizes

PANEL_GAP = 0.12  # space between stacked axes, relative to their mean height (original type)


@dataclass(frozen=True)
class PanelGeometry:
    """Where one axes of the figure is, and how its data maps to pixels (for cursors and readouts).

    `box` is in image pixels (x0, y0, x1, y1; row 0 at the top, x1/y1 exclusive). `curves` are the
    (name, colour, values over trace.time_ms) drawn in it, `unit` their unit.
    """

    name: str  # "voltage", or the panel's name in `panel_kinds.PANELS`
    box: Box
    x_range: tuple[float, float]  # ms at the left and right edges
    y_range: tuple[float, float]  # values at the bottom and top edges
    y_scale: str  # "linear" or "symlog"
    linthresh: float
    unit: str
    curves: tuple[tuple[str, str, np.ndarray], ...]
    decimals: int | None = None  # the readout's digits (None: from the values' range)

    def to_pixel(self, time_ms: np.ndarray | float, value: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Image column and row (floats) of data points in this axes."""
        x0, y0, x1, y1 = self.box
        fx = (np.asarray(time_ms, dtype=float) - self.x_range[0]) / (self.x_range[1] - self.x_range[0])
        lo, hi, v = (self._scaled(np.asarray(a, dtype=float)) for a in (self.y_range[0], self.y_range[1], value))
        return x0 + fx * (x1 - x0), y1 - (v - lo) / (hi - lo) * (y1 - y0)

    def _scaled(self, value: np.ndarray) -> np.ndarray:
        if self.y_scale != "symlog":
            return value
        # matplotlib's symlog (base 10, linscale 1), in units of linthresh
        c, adj = self.linthresh, 1 / (1 - 1 / 10)
        outside = np.sign(value) * (adj + np.log10(np.maximum(np.abs(value), c) / c))
        return np.where(np.abs(value) <= c, value / c * adj, outside)


@dataclass(frozen=True)
class Layers:
    """The two pre-rendered images a frame is composed of, and when each pixel changes."""

    base: np.ndarray  # (H, W, 3) uint8: everything but the traces
    full: np.ndarray  # (H, W, 3) uint8: the finished figure (also the poster)
    change_pos: np.ndarray  # flat indices of pixels where `full` differs from `base` ...
    change_at: np.ndarray  # ... and the sample index that reveals each, ascending
    overlay: Cursor | None = None  # drawn on each frame after the reveal (plot.tip_marker)
    # pixels a curve covers later but whose column the tip passes first (shading under a falling limb):
    # they show the figure without the curves from `early_at` on, then `full` when the curve arrives
    early_pos: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    early_at: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    early_rgb: np.ndarray = field(default_factory=lambda: np.empty((0, 3), np.uint8))
    panels: tuple[PanelGeometry, ...] = ()  # every axes top to bottom, found by name (`panel`)
    grid: GridSteps | None = None  # major and minor steps of the time and voltage axes
    notes: tuple[str, ...] = field(default=())  # worth telling the user (a trace leaving its axis)
    moving: tuple[FramePanel, ...] = ()  # panels redrawn every frame from the frame's time (`frame_panels`)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.full.shape[1], self.full.shape[0]

    def panel(self, name: str) -> PanelGeometry:
        """The geometry of the axes named `name` ("voltage" or a panel's name)."""
        return next(panel for panel in self.panels if panel.name == name)


def revealed_counts(config: Config) -> np.ndarray:
    """Samples visible in each frame: frame i shows (i + 1) * samples_per_frame, capped at all.

    The original showed 2*i samples in frame i, so its first frame was empty and its last one
    missed the final two samples; here the last frame is the finished trace.
    """
    samples = config.waveform.samples
    per_frame = config.animation.samples_per_frame
    return np.minimum(np.arange(1, config.frame_count + 1) * per_frame, samples)


def build(fig: Any, config: Config, analysis: Analysis, decorated: bool) -> Parts:
    """Create the axes with their limits; when `decorated`, also ticks, labels and static marks.

    With the original type and no panels this is the original single plot, made by the same
    calls; otherwise the voltage axes keep the top and the panels share its time axis below it.
    """
    trace = analysis.trace
    sizes, every = type_sizes(config), panel_specs(config, trace)
    specs = [spec for spec in every if not panel_kind(spec.name).side]
    side = [spec for spec in every if panel_kind(spec.name).side]
    vrange = voltage_range(config, trace.voltage_mv, reversal_levels(config))
    names = [VOLTAGE, *(spec.name for spec in specs)]  # the voltage axes keep the top
    own_x = frozenset(own_x_panels(names))
    side_axes: list[Any] = []
    if not sizes.projector and not every:
        axes = [fig.add_subplot()]
    else:
        timed_specs = [spec for spec in specs if spec.name not in own_x]  # the readouts walk the time panels
        curves = [(tuple((c.name, c.color, c.values) for c in s.curves), s.readout_decimals) for s in timed_specs]
        column_px = readout_column_px(config, trace, curves, config.plot.height_px)
        spacing = margins(fig, config, sizes, specs, column_px) if sizes.projector else {"hspace": PANEL_GAP}
        if side:  # the time panels keep the left part; the side column takes the right (side_column.py)
            spacing = {"left": 0.125, "right": 0.9, "top": 0.88, "bottom": 0.11, **spacing}  # matplotlib's defaults
            width_px, height_px = config.plot.width_px, config.plot.height_px
            spacing, side_margins = split_margins(spacing, width_px, spacing["left"] * width_px)
            side_axes = add_column(fig, side, side_margins, spacing["bottom"] * height_px)
        axes = _stacked_axes(fig, [1.0] + [s.height for s in specs], len(names) - len(own_x), spacing)
    # marked even when not decorated: the ribbon's rows move the axes, and every drawing of a figure
    # (the reveal map's too) must put them in the same place
    found = marked(config, analysis)
    column = list(zip(side, side_axes, strict=True))
    parts = Parts(fig, axes, names, config, analysis, specs, sizes, vrange, found, own_x=own_x, side=column)
    parts.voltage.set_ylim(*vrange.limits)
    parts.voltage.set_xlim(0, config.waveform.duration_ms)
    reserve_ribbon(parts)
    for spec, ax in parts.panels():
        if spec.scale == "symlog":
            ax.set_yscale("symlog", linthresh=spec.linthresh, linscale=1.0)
        ax.set_ylim(*spec.limits)
    for spec, ax in parts.side:
        ax.set_xlim(*spec.x_limits)
        ax.set_ylim(*spec.limits)
    parts.grid = grid_steps(parts)
    if decorated:
        decorate(parts)
        decorate_column(parts, style_panel_axis)
    return parts


def _stacked_axes(fig: Any, heights: list[float], timed: int, spacing: dict[str, float]) -> list[Any]:
    """The axes top to bottom: the first `timed` share the time axis; those below have x axes of their own,
    after a band as tall as the bottom margin for the time axis' tick labels and name."""
    if timed == len(heights):
        grid = fig.add_gridspec(len(heights), 1, height_ratios=heights, **spacing)
        cells = [grid[i] for i in range(len(heights))]
    else:
        spacing = dict(spacing)
        hspace = spacing.pop("hspace")
        band = spacing.get("bottom", 0.12)  # a figure fraction
        usable = spacing.get("top", 0.9) - spacing.get("bottom", 0.1)
        outer = fig.add_gridspec(
            2, 1, height_ratios=[sum(heights[:timed]), sum(heights[timed:])],
            hspace=band / max((usable - band) / 2, 1e-3), **spacing,
        )  # fmt: skip
        upper = outer[0].subgridspec(timed, 1, height_ratios=heights[:timed], hspace=hspace)
        lower = outer[1].subgridspec(len(heights) - timed, 1, height_ratios=heights[timed:], hspace=hspace)
        cells = [upper[i] for i in range(timed)] + [lower[i] for i in range(len(heights) - timed)]
    axes = [fig.add_subplot(cells[0])]
    axes += [fig.add_subplot(cell, sharex=axes[0] if i < timed else None) for i, cell in enumerate(cells[1:], 1)]
    return axes


def _axes(fig: Any, config: Config, analysis: Analysis, decorate: bool) -> list[Any]:
    """The axes of a figure (voltage first), as `build` makes them."""
    return build(fig, config, analysis, decorate).axes


def draw_parts(
    config: Config, analysis: Analysis, revealed: int | None = None
) -> tuple[Parts, np.ndarray, list[Timed]]:
    """Draw the figure with the first `revealed` samples (None: all), without the tip overlay.

    Returns the drawing (its figure and axes, for tests and tools that inspect the artists), its
    pixels, and every mark that appears whole at a sample.
    """
    fig, canvas = new_figure(config)
    parts = build(fig, config, analysis, decorated=True)
    trace = analysis.trace
    shown = len(trace.time_ms) if revealed is None else revealed
    if shown:
        for index, values, style in timed_curves(parts):
            parts.axes[index].plot(trace.time_ms[:shown], values[:shown], **style)
    draw_panel_content(parts, shown)
    timed = _draw_all_marks(parts, shown)
    return parts, rgb_of(canvas), timed


def _draw_all_marks(parts: Parts, shown: int) -> list[Timed]:
    """The voltage axes' marks, then each panel's labels; those that appear whole with a sample."""
    timed = draw_marks(parts, shown)
    draw_pieces(parts, side_pieces(parts), shown)
    return timed + draw_panel_labels(parts, shown)


def _draw(
    config: Config, analysis: Analysis, revealed: int | None, with_overlay: bool = True
) -> tuple[np.ndarray, list[Timed]]:
    """The figure with the first `revealed` samples, and every mark that appears whole at a sample.

    With `with_overlay` and plot.tip_marker, the tip marker and readout are drawn on top the same
    way the frame stream draws them (the layers are drawn without it).
    """
    parts, rgb, timed = draw_parts(config, analysis, revealed)
    trace = analysis.trace
    shown = len(trace.time_ms) if revealed is None else revealed
    if with_overlay and config.plot.tip_marker and shown:
        cursor_from_panels(config, trace, _on_time(parts, panel_geometry(parts)), rgb.shape[:2]).draw(rgb, shown)
    return rgb, timed


def draw_figure(config: Config, analysis: Analysis, revealed: int | None = None) -> np.ndarray:
    """Draw the figure with the first `revealed` samples (None: all) the straightforward way.

    This is the single source of what the picture looks like: the fast path composes its
    frames from two of these images, and tests compare the two.
    """
    return _draw(config, analysis, revealed)[0]


def draw_reveal_map(config: Config, analysis: Analysis, timed: list[Timed] = ()) -> np.ndarray:
    """For each pixel, the index of the sample whose arrival reveals it (see `_reveal_map`)."""
    return _reveal_map(config, analysis, timed)[0]


def _reveal_map(config: Config, analysis: Analysis, timed: list[Timed] = ()) -> tuple[np.ndarray, Parts]:
    """The reveal map drawn on a figure of its own (see `reveal_pixels`), and that figure's parts."""
    fig, _ = new_figure(config)
    fig.patch.set_facecolor("black")
    parts = build(fig, config, analysis, decorated=False)
    for ax in parts.every_axes:  # an anti-aliased spine over a curve would blend its index into a smaller one
        ax.spines[:].set_visible(False)
        ax.tick_params(which="both", length=0)
    return reveal_pixels(parts, timed)[0], parts


def panel_geometry(parts: Parts) -> tuple[PanelGeometry, ...]:
    """Every axes' pixel box and data range, with the curves drawn in it."""
    duration = parts.config.waveform.duration_ms
    voltage = PanelGeometry(
        VOLTAGE,
        parts.image_box(parts.voltage),
        (0.0, duration),
        parts.vrange.limits,
        "linear",
        1.0,
        "mV",
        (("V", voltage_color(parts.config), parts.trace.voltage_mv),),
    )
    out = {VOLTAGE: voltage}
    for spec, ax in parts.panels():
        curves = tuple((c.name, c.color, c.values) for c in spec.curves)
        box = parts.image_box(ax)
        x_range = (0.0, duration) if spec.name not in parts.own_x else tuple(map(float, ax.get_xlim()))
        out[spec.name] = PanelGeometry(
            spec.name, box, x_range, spec.limits, spec.scale, spec.linthresh, spec.unit, curves,
            spec.readout_decimals,
        )  # fmt: skip
    return tuple(out[name] for name in parts.names)


def _on_time(parts: Parts, panels: tuple[PanelGeometry, ...]) -> list[PanelGeometry]:
    """The panels on the time axis: the cursor walks those only (a distance axis has no tip)."""
    return [panel for panel in panels if panel.name not in parts.own_x]


def _artists(parts: Parts) -> list[Any]:
    """Every artist added to the figure or its axes so far (axis, ticks and spines are the axes' own)."""
    return [*parts.fig.get_children(), *(child for ax in parts.every_axes for child in ax.get_children())]


def _static_marks(parts: Parts) -> None:
    """What the marks of an empty trace draw that shows: the panels' static labels, there before the trace.

    (Marks of an empty trace also add all-NaN off-axis flags, which paint nothing.) Only these are drawn,
    so the labels that arrive with the trace are placed once per render, not twice; tests compare with
    `draw_parts(.., 0)`.
    """
    draw_panel_labels(parts, 0, static_only=True)


def draw_base_and_full(config: Config, analysis: Analysis) -> tuple[Parts, np.ndarray, np.ndarray, list[Timed]]:
    """`base` (no trace) and `full` (the whole trace), both drawn from one figure built once.

    The figure gets the marks of an empty trace (`_static_marks`) and is drawn as `base`;
    those marks are then removed again, and the curves and every mark are added in the same order
    `draw_parts` adds them, so `full` has exactly the artists, in exactly the order, of a figure
    drawn from scratch: the same pixels, for one figure build instead of two.
    """
    fig, canvas = new_figure(config)
    parts = build(fig, config, analysis, decorated=True)
    trace = analysis.trace
    before = {id(artist) for artist in _artists(parts)}
    _static_marks(parts)
    base = rgb_of(canvas)
    for artist in _artists(parts):
        if id(artist) not in before:
            artist.remove()
    shown = len(trace.time_ms)
    for index, values, style in timed_curves(parts):
        parts.axes[index].plot(trace.time_ms, values, **style)
    draw_panel_content(parts, shown)
    timed = _draw_all_marks(parts, shown)
    return parts, base, rgb_of(canvas), timed


def draw_layers(config: Config, analysis: Analysis) -> Layers:
    """Draw the figure (without and with the traces, from one build, and without the curves) and the reveal map."""
    parts, base, full, timed = draw_base_and_full(config, analysis)
    trace = analysis.trace
    moving = frame_panels(parts, base)
    under = without_curves(parts)
    reveal, behind = reveal_on_drawn(parts, timed)
    changed = np.flatnonzero(np.any(base != full, axis=2))
    at = reveal.reshape(-1)[changed]
    order = np.argsort(at, kind="stable")
    # where the tip passes a column before the curve or the label there arrives, and something other than
    # the background lies under it: without this the shading showed a white wedge along a falling limb
    flat_under, flat_base = under.reshape(-1, 3), base.reshape(-1, 3)
    first = behind.reshape(-1)[changed]
    early = (first < at) & np.any(flat_under[changed] != flat_base[changed], axis=1) & ~off_time(parts)[changed]
    early_order = np.argsort(first[early], kind="stable")
    early_pos = changed[early][early_order]
    panels = panel_geometry(parts)
    overlay = (
        cursor_from_panels(config, trace, _on_time(parts, panels), base.shape[:2]) if config.plot.tip_marker else None
    )
    note = parts.vrange.note()
    return Layers(
        base=base,
        full=full,
        change_pos=changed[order],
        change_at=at[order],
        overlay=overlay,
        early_pos=early_pos,
        early_at=first[early][early_order],
        early_rgb=flat_under[early_pos],
        panels=panels,
        grid=parts.grid,
        notes=(note,) if note else (),
        moving=moving,
    )
