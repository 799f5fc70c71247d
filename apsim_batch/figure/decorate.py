"""What every frame shows from the start: ticks, grid, titles, reference lines, panel labels and curve names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..config.models import Config
from ..trace.models import model_of
from .axes_fit import GridSteps, minor_step, reversal_levels, time_tick_ms
from .canvas import DPI
from .labels import spread
from .palette import CREDIT_TEXT, GRID_MAJOR, GRID_MINOR, POTASSIUM, REFERENCE_LINE, SODIUM, text_shade
from .panel_kinds import own_x_panels, style_panel_axis
from .panels import PanelSpec
from .style import MIN_TEXT_FRACTION, TypeSizes
from .threshold_line import draw_threshold_line

if TYPE_CHECKING:
    from .parts import Parts

END_LABEL_GAP_PX = 6  # between the right edge of the axes and a curve's name
# Names with a subscript (I$_{Na}$, g$_{K}$) are set this much larger, so that mathtext's subscript
# (70% of the size) still reaches the projector floor.
SUBSCRIPT_SCALE = 1.45
END_LABEL_SCALE = SUBSCRIPT_SCALE
CREDIT_INSET_PX = 6  # from the frame's right and bottom edges to the credit

LABEL_GAP_PX = 12  # a stacked panel label may reach this much past its panel, half above, half below
X_TICK_DROP = 0.9  # how far below the axes an x tick label starts, in its size (tick length 3.5 pt)


def _rest_level(config: Config, trace: Any) -> float:
    """The resting level the dashed line marks: the model's (a Gaussian's parameter, or where the simulation starts)."""
    return model_of(config.waveform).rest_mv(config.waveform, trace)


def _end_names(config: Config, specs: list[PanelSpec]) -> list[str]:
    names = [c.label for s in specs if s.end_labels for c in s.curves]
    return names + (["E$_{Na}$", "E$_{K}$"] if reversal_levels(config) else [])


def _text_px(fig: Any, text: str, size_pt: float) -> tuple[float, float]:
    from matplotlib.font_manager import FontProperties

    renderer = fig.canvas.get_renderer()
    w, h, _ = renderer.get_text_width_height_descent(text, FontProperties(size=size_pt), ismath="$" in text)
    return w, h


def _label_text(fig: Any, label: str, size_pt: float, room_px: float) -> str:
    """A panel's y label, its unit on a second line when one line is longer than its axes are tall
    (projector type: the neighbouring panels' labels ran into each other)."""
    if "\n" in label or " (" not in label or _text_px(fig, label, size_pt)[0] <= room_px:
        return label
    return label.replace(" (", "\n(", 1)


def _fitted_pt(fig: Any, text: str, size_pt: float, panel_px: float, subscript: bool) -> float:
    """A stacked label's size, made smaller (not under the projector floor) where its longest line is taller
    than its panel and the gap around it, so neighbouring short panels' labels do not meet (hh stimulus strip)."""
    longest = max(_text_px(fig, line, size_pt)[0] for line in text.split("\n"))
    room = panel_px + LABEL_GAP_PX
    floor_pt = MIN_TEXT_FRACTION * fig.bbox.height * 72 / DPI * (SUBSCRIPT_SCALE if subscript else 1)
    return size_pt if longest <= room else max(size_pt * room / longest, floor_pt, 0.0)


def margins(
    fig: Any, config: Config, sizes: TypeSizes, specs: list[PanelSpec], readout_px: float = 0
) -> dict[str, float]:
    """Margins (figure fractions) for projector type: room for ticks, axis labels, the title, curve names,
    and `readout_px` for the readout column at the right edge."""
    width, height = config.plot.width_px, config.plot.height_px
    tick_px, label_px, title_px = sizes.px(sizes.tick_pt), sizes.px(sizes.axis_label_pt), sizes.px(sizes.title_pt)
    widest = "\u22121000" if any(max(map(abs, s.limits)) >= 1000 for s in specs) else "\u2212100"  # matplotlib's minus
    tick_w = _text_px(fig, widest, sizes.tick_pt)[0]
    top = title_px * 1.6 + 8
    bottom = tick_px * 1.35 + label_px * 1.35 + 14
    if config.plot.annotation and own_x_panels([s.name for s in specs]):
        # the bottom axes has an x label of its own (distance), as long as it likes: the credit takes a row under it
        bottom += sizes.px(sizes.annotation_pt) * 1.2 + CREDIT_INSET_PX
    share = (height - top - bottom) / (1 + sum(s.height for s in specs))  # about the voltage axes' height
    # a label longer than its panel is tall runs over two lines; reserved here with room to spare
    lines = [_label_text(fig, s.y_label, sizes.axis_label_pt, 0.8 * share * s.height).count("\n") + 1 for s in specs]
    y_label_w = max(
        [label_px * count for count in lines]
        + [label_px]
        + [sizes.px(sizes.label_pt * SUBSCRIPT_SCALE) for s in specs if "$_" in s.y_label]
    )
    left = tick_w + 3.5 + 4 + y_label_w * 1.25 + 8  # tick length and pad, label, a margin
    names = _end_names(config, specs)
    right = max([_text_px(fig, n, sizes.label_pt * END_LABEL_SCALE)[0] for n in names] + [0]) + END_LABEL_GAP_PX + 10
    right = max([right, 0.035 * width] + [s.margin_right_em * tick_px for s in specs]) + readout_px
    n, gap = 1 + len(specs), 0.5 * tick_px + 6  # neighbouring panels' edge tick labels stay apart
    usable = height - top - bottom
    hspace = gap * n / max(usable - (n - 1) * gap, 1.0)  # matplotlib counts it in mean axes heights
    return {
        "left": left / width,
        "right": 1 - right / width,
        "top": 1 - top / height,
        "bottom": bottom / height,
        "hspace": hspace,
    }


def grid_steps(parts: Parts) -> GridSteps:
    """The major and minor steps of the time and voltage axes of this figure."""
    config, ax = parts.config, parts.voltage
    box = ax.get_window_extent()
    tick_px = parts.sizes.px(parts.sizes.tick_pt)
    major_t = time_tick_ms(config, box.width, tick_px)
    low, high = parts.vrange.limits
    ticks = [t for t in ax.yaxis.get_major_locator().tick_values(low, high) if low <= t <= high]
    major_v = float(np.min(np.diff(ticks))) if len(ticks) > 1 else high - low
    return GridSteps(
        time_major_ms=major_t,
        time_minor_ms=minor_step(major_t, box.width / config.waveform.duration_ms),
        voltage_major_mv=major_v,
        voltage_minor_mv=minor_step(major_v, box.height / (high - low)),
    )


def user_text(config: Config) -> dict[str, bool]:
    """Text properties for words from a config: drawn as written ("$5 and $10" stays so), never
    through TeX, and read as mathtext only when the config sets plot.math_text."""
    return {"parse_math": config.plot.math_text, "usetex": False}


def decorate(parts: Parts) -> None:
    """Ticks, labels, title, reference lines, annotation, grid and panel decorations.

    With the original type and nothing new asked for, this makes exactly the calls the original
    figure made, in the same order, so its pixels do not change.
    """
    config, ax, sizes = parts.config, parts.voltage, parts.sizes
    plot, duration = config.plot, config.waveform.duration_ms
    step = parts.grid.time_major_ms
    ax.set_xticks(np.arange(0, duration + step / 2, step))
    text = {} if not sizes.projector else {"fontsize": sizes.axis_label_pt}
    parts.time_axes[-1].set_xlabel(plot.x_label, **text, **user_text(config))
    ax.set_ylabel(plot.y_label, **text, **user_text(config))
    title = {} if not sizes.projector else {"fontsize": sizes.title_pt}
    ax.set_title(config.title, pad=6 + parts.ribbon_px * 72 / DPI, **title, **user_text(config))  # over the ribbon
    if plot.rest_line:
        rest = _rest_level(config, parts.trace)
        if sizes.projector:  # a reference curve: 3:1 against the background like every curve
            ax.axhline(y=rest, color=REFERENCE_LINE, linestyle="--", zorder=1)
        else:
            ax.axhline(y=rest, color="gray", linestyle="--", alpha=0.5, zorder=1)
    if plot.zero_line and sizes.projector:
        ax.axhline(y=0, color=REFERENCE_LINE, linestyle="-", zorder=0)
    elif plot.zero_line:
        ax.axhline(y=0, color="black", linestyle="-", alpha=0.5, zorder=0)
    draw_threshold_line(parts)
    if plot.annotation and sizes.projector:
        _credit(parts)
    elif plot.annotation:  # the seed's faint note in the lower right corner of the axes
        ax.annotate(
            plot.annotation,
            (0.97, 0.03),
            xycoords="axes fraction",
            fontsize=sizes.annotation_pt,
            ha="right",
            va="bottom",
            alpha=0.3,
            zorder=3,
            **user_text(config),
        )
    if sizes.projector:
        for each in parts.axes:  # x labels below the lowest y label's lower half, which hangs under the corner
            each.tick_params(labelsize=sizes.tick_pt)
            each.tick_params(axis="x", pad=max(3.5, X_TICK_DROP * sizes.tick_pt - 3.5))
    for each in parts.time_axes[:-1]:
        each.tick_params(labelbottom=False)
    if plot.grid:
        _grid(parts)
    for spec, panel_ax in parts.panels():
        _decorate_panel(parts, spec, panel_ax)
    _reversal_lines(parts)
    _end_labels(parts)


def _credit(parts: Parts) -> None:
    """The credit in a lower corner of the frame, under the time axis: never over data, 5.3:1 grey.

    The right one, unless a side column's own x label sits there (voltage_clamp): then the left one.
    """
    fig, right = parts.fig, not parts.side
    fig.text(
        1 - CREDIT_INSET_PX / fig.bbox.width if right else CREDIT_INSET_PX / fig.bbox.width,
        CREDIT_INSET_PX / fig.bbox.height,
        parts.config.plot.annotation,
        color=CREDIT_TEXT,
        fontsize=parts.sizes.annotation_pt,
        ha="right" if right else "left",
        va="bottom",
        **user_text(parts.config),
    )


def _grid(parts: Parts) -> None:
    """A light measurement grid: major and minor lines in time on every axes, in voltage on the voltage axes."""
    from matplotlib.ticker import MultipleLocator

    steps = parts.grid
    ax = parts.voltage
    ax.yaxis.set_major_locator(MultipleLocator(steps.voltage_major_mv))
    ax.yaxis.set_minor_locator(MultipleLocator(steps.voltage_minor_mv))
    for each in parts.time_axes:
        each.xaxis.set_minor_locator(MultipleLocator(steps.time_minor_ms))
        each.set_axisbelow(True)
        each.grid(True, which="major", axis="x" if each is not ax else "both", color=GRID_MAJOR, linewidth=0.9)
        each.grid(True, which="minor", axis="x" if each is not ax else "both", color=GRID_MINOR, linewidth=0.6)
        each.tick_params(which="minor", length=3)


def _decorate_panel(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    sizes = parts.sizes
    label_pt = sizes.axis_label_pt if sizes.projector else 9
    if sizes.projector and "$_" in spec.y_label:
        label_pt = sizes.label_pt * SUBSCRIPT_SCALE
    text = (
        _label_text(parts.fig, spec.y_label, label_pt, ax.get_window_extent().height)
        if sizes.projector
        else spec.y_label
    )
    if sizes.projector:
        label_pt = _fitted_pt(parts.fig, text, label_pt, ax.get_window_extent().height, "$_" in spec.y_label)
    ax.set_ylabel(text, fontsize=label_pt)
    if not sizes.projector:
        ax.tick_params(labelsize=8)
    style_panel_axis(parts, spec, ax)


def _reversal_lines(parts: Parts) -> None:
    waveform = parts.config.waveform
    if not reversal_levels(parts.config):
        return
    for level, color in ((waveform.e_na_mv, SODIUM), (waveform.e_k_mv, POTASSIUM)):
        parts.voltage.axhline(y=level, color=color, linestyle=(0, (6, 4)), linewidth=1.4, alpha=0.9, zorder=1)


def _end_labels(parts: Parts) -> None:
    """Name each curve at its right end, in the margin, stacked so that no two names overlap."""
    if not parts.sizes.projector:
        if parts.specs:
            _legends(parts)
        return
    height = parts.fig.get_figheight() * DPI
    waveform = parts.config.waveform
    groups = [(spec.curves, ax) for spec, ax in parts.panels() if spec.end_labels]
    for curves, ax in groups:
        names = [(c.label, c.color, float(c.values[-1])) for c in curves]
        _stack_names(parts, ax, names, height)
    if reversal_levels(parts.config):
        names = [("E$_{Na}$", SODIUM, waveform.e_na_mv), ("E$_{K}$", POTASSIUM, waveform.e_k_mv)]
        _stack_names(parts, parts.voltage, names, height)


def _stack_names(parts: Parts, ax: Any, names: list[tuple[str, str, float]], height: float) -> None:
    from matplotlib.lines import Line2D

    box = ax.get_window_extent()
    rows_wanted = [height - ax.transData.transform((0, value))[1] for _, _, value in names]
    sizes = [_text_px(parts.fig, label, parts.sizes.label_pt * END_LABEL_SCALE) for label, _, _ in names]
    line_px = parts.sizes.px(parts.sizes.label_pt * END_LABEL_SCALE) * 1.3  # a text's box is a whole line tall
    rows = spread(rows_wanted, [int(max(h, line_px)) + 2 for _, h in sizes], height - box.y1, height - box.y0)
    x_text = box.x1 + END_LABEL_GAP_PX
    for (label, color, _), wanted, row in zip(names, rows_wanted, rows, strict=True):
        parts.fig.text(
            x_text / parts.fig.bbox.width,
            1 - row / height,
            label,
            color=text_shade(color),
            fontsize=parts.sizes.label_pt * END_LABEL_SCALE,
            ha="left",
            va="center",
        )
        if abs(row - wanted) > 4:  # moved away from its curve's end: a short leader shows whose it is
            parts.fig.add_artist(
                Line2D(
                    [box.x1, x_text - 1],
                    [height - min(max(wanted, height - box.y1), height - box.y0), height - row],
                    transform=None,
                    color=color,
                    linewidth=1,
                )
            )


def _legends(parts: Parts) -> None:
    """Original type: a legend per panel, as before (with the new colours and names)."""
    from matplotlib.lines import Line2D

    for spec, ax in parts.panels():
        if not spec.end_labels:
            continue
        handles = [
            Line2D([], [], color=c.color, linewidth=1.5, linestyle="--" if c.dashed else "-", label=c.label)
            for c in spec.curves
        ]
        ax.legend(handles=handles, loc="upper right", ncol=len(handles), fontsize=7, frameon=True, framealpha=0.85)
