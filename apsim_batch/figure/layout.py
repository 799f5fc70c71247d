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
from .canvas import DPI, LABEL_GID, Box, new_figure, rgb_of
from .cursor import Cursor
from .decorate import decorate, grid_steps, margins
from .marks import Timed, draw_marks, reserve_ribbon
from .measured import marked
from .overlay import cursor_from_panels, readout_column_px
from .palette import voltage_color
from .panel_kinds import draw_panel_labels, panel_specs
from .parts import VOLTAGE, Parts
from .reveal_index import index_colors, timed_map
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
    sizes, specs = type_sizes(config), panel_specs(config, trace)
    vrange = voltage_range(config, trace.voltage_mv, reversal_levels(config))
    if not sizes.projector and not specs:
        axes = [fig.add_subplot()]
    else:
        curves = [(tuple((c.name, c.color, c.values) for c in s.curves), s.readout_decimals) for s in specs]
        column_px = readout_column_px(config, trace, curves, config.plot.height_px)
        spacing = margins(fig, config, sizes, specs, column_px) if sizes.projector else {"hspace": PANEL_GAP}
        grid = fig.add_gridspec(1 + len(specs), 1, height_ratios=[1] + [s.height for s in specs], **spacing)
        axes = [fig.add_subplot(grid[0])]
        axes += [fig.add_subplot(grid[i + 1], sharex=axes[0]) for i in range(len(specs))]
    names = [VOLTAGE, *(spec.name for spec in specs)]  # the voltage axes keep the top
    # marked even when not decorated: the ribbon's rows move the axes, and every drawing of a figure
    # (the reveal map's too) must put them in the same place
    found = marked(config, analysis)
    parts = Parts(fig, axes, names, config, analysis, specs, sizes, vrange, found)
    parts.voltage.set_ylim(*vrange.limits)
    parts.voltage.set_xlim(0, config.waveform.duration_ms)
    reserve_ribbon(parts)
    for spec, ax in parts.panels():
        if spec.scale == "symlog":
            ax.set_yscale("symlog", linthresh=spec.linthresh, linscale=1.0)
        ax.set_ylim(*spec.limits)
    parts.grid = grid_steps(parts)
    if decorated:
        decorate(parts)
    return parts


def _axes(fig: Any, config: Config, analysis: Analysis, decorate: bool) -> list[Any]:
    """The axes of a figure (voltage first), as `build` makes them."""
    return build(fig, config, analysis, decorate).axes


def _curves(parts: Parts) -> list[tuple[int, np.ndarray, dict[str, Any]]]:
    """What is revealed over time: (axes index, y values over trace.time_ms, line style)."""
    config = parts.config
    style = {"color": voltage_color(config), "linewidth": config.plot.line_width_pt, "zorder": 2}
    curves = [(parts.names.index(VOLTAGE), parts.trace.voltage_mv, style)]
    width = 2.2 if parts.sizes.projector else 1.5
    for spec in parts.specs:
        index = parts.names.index(spec.name)
        for curve in spec.curves:
            line = {"color": curve.color, "linewidth": width, "zorder": 2}
            if curve.dashed:
                line["linestyle"] = (0, (4, 1.6))
            curves.append((index, curve.values, line))
    return curves


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
        for index, values, style in _curves(parts):
            parts.axes[index].plot(trace.time_ms[:shown], values[:shown], **style)
    timed = _draw_all_marks(parts, shown)
    return parts, rgb_of(canvas), timed


def _draw_all_marks(parts: Parts, shown: int) -> list[Timed]:
    """The voltage axes' marks, then each panel's labels; those that appear whole with a sample."""
    timed = draw_marks(parts, shown)
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
        cursor_from_panels(config, trace, panel_geometry(parts), rgb.shape[:2]).draw(rgb, shown)
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
    """The reveal map drawn on a figure of its own (see `_reveal_pixels`), and that figure's parts."""
    fig, _ = new_figure(config)
    fig.patch.set_facecolor("black")
    parts = build(fig, config, analysis, decorated=False)
    for ax in parts.axes:  # an anti-aliased spine over a curve would blend its index into a smaller one
        ax.spines[:].set_visible(False)
        ax.tick_params(which="both", length=0)
    return _reveal_pixels(parts, timed)[0], parts


def _reveal_on_drawn(parts: Parts, timed: list[Timed]) -> tuple[np.ndarray, np.ndarray]:
    """The reveal map drawn on the figure the layers were just drawn from, instead of a new one.

    Everything but the axes' backgrounds is hidden (ticks and labels too: the index-coloured lines
    are clipped to their axes, and outside them every pixel is revealed by its column anyway), so
    the axes stay exactly where they were drawn and no tick is laid out again.
    """
    from matplotlib import rcParams

    parts.fig.patch.set_facecolor("black")
    for artist in parts.fig.get_children():
        if artist is not parts.fig.patch and artist not in parts.axes:
            artist.set_visible(False)
    for ax in parts.axes:
        for child in ax.get_children():
            if child is not ax.patch:
                child.set_visible(False)
        ax.patch.set_facecolor(rcParams["axes.facecolor"])  # as a new figure's; axes with a curve turn black
    return _reveal_pixels(parts, timed)


def _reveal_pixels(parts: Parts, timed: list[Timed]) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel, the index of the sample whose arrival reveals it, as an (H, W) int array; and the
    sample from which what lies under a curve or a label shows (its column's).

    Pixels on a curve are revealed by the segment that reaches them, drawn as an index-coloured
    line a little wider than the real one so anti-aliased edges are covered; earlier segments are
    drawn on top so the earliest wins. A label (and its leader) appears whole with the sample it
    belongs to. Any other pixel (phase shading included) is revealed when the tip reaches its column.
    """
    from matplotlib.collections import LineCollection

    trace = parts.trace
    points = len(trace.time_ms)
    arrival = np.arange(1, points)[::-1]  # segment i is complete when sample i + 1 arrives
    colors = index_colors(arrival)
    for index, values, style in _curves(parts):
        xy = np.column_stack([trace.time_ms, values])
        segments = np.stack([xy[:-1], xy[1:]], axis=1)[::-1]
        width = style["linewidth"] + 2 * 72 / DPI  # one extra pixel each side
        parts.axes[index].set_facecolor("black")
        lines = LineCollection(segments, colors=colors, linewidths=width, antialiaseds=False, capstyle="round")
        parts.axes[index].add_collection(lines, autolim=False)  # the limits are set: skip measuring every segment
    rgb = rgb_of(parts.fig.canvas).astype(np.int64)
    on_curve = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    sample_x = parts.voltage.transData.transform(np.column_stack([trace.time_ms, np.zeros_like(trace.time_ms)]))[:, 0]
    by_column = np.searchsorted(sample_x, np.arange(rgb.shape[1]) + 0.5)
    behind = np.broadcast_to(by_column[None, :], on_curve.shape)
    reveal = np.where(on_curve > 0, on_curve, behind)
    if timed:
        marks = timed_map(list(timed), rgb.shape[:2])
        at_mark = marks >= 0
        reveal = np.where(at_mark & (on_curve > 0), np.minimum(reveal, marks), np.where(at_mark, marks, reveal))
    return np.minimum(reveal, points - 1), np.minimum(behind, points - 1)


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
        out[spec.name] = PanelGeometry(
            spec.name, box, (0.0, duration), spec.limits, spec.scale, spec.linthresh, spec.unit, curves,
            spec.readout_decimals,
        )  # fmt: skip
    return tuple(out[name] for name in parts.names)


def _artists(parts: Parts) -> list[Any]:
    """Every artist added to the figure or its axes so far (axis, ticks and spines are the axes' own)."""
    return [*parts.fig.get_children(), *(child for ax in parts.axes for child in ax.get_children())]


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
    for index, values, style in _curves(parts):
        parts.axes[index].plot(trace.time_ms, values, **style)
    timed = _draw_all_marks(parts, shown)
    return parts, base, rgb_of(canvas), timed


def _without_curves(parts: Parts) -> np.ndarray:
    """The finished figure with its curves and labels hidden: what lies under them (shading, grid)."""
    lines = [line for ax in parts.axes for line in ax.lines if line.get_zorder() == 2]  # `_curves` draws at 2
    lines += [artist for artist in parts.fig.get_children() if artist.get_gid() == LABEL_GID]
    for line in lines:
        line.set_visible(False)
    image = rgb_of(parts.fig.canvas)
    for line in lines:
        line.set_visible(True)
    return image


def draw_layers(config: Config, analysis: Analysis) -> Layers:
    """Draw the figure (without and with the traces, from one build, and without the curves) and the reveal map."""
    parts, base, full, timed = draw_base_and_full(config, analysis)
    trace = analysis.trace
    under = _without_curves(parts)
    reveal, behind = _reveal_on_drawn(parts, timed)
    changed = np.flatnonzero(np.any(base != full, axis=2))
    at = reveal.reshape(-1)[changed]
    order = np.argsort(at, kind="stable")
    # where the tip passes a column before the curve or the label there arrives, and something other than
    # the background lies under it: without this the shading showed a white wedge along a falling limb
    flat_under, flat_base = under.reshape(-1, 3), base.reshape(-1, 3)
    first = behind.reshape(-1)[changed]
    early = (first < at) & np.any(flat_under[changed] != flat_base[changed], axis=1)
    early_order = np.argsort(first[early], kind="stable")
    early_pos = changed[early][early_order]
    panels = panel_geometry(parts)
    overlay = cursor_from_panels(config, trace, panels, base.shape[:2]) if config.plot.tip_marker else None
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
    )
