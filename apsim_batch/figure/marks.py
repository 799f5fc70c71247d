"""Marks that arrive with the trace: phase bands, the ribbon's names, thresholds, the ISI, refractory bars.

Each is drawn only once the tip has reached it. Bands, markers and bars are revealed column by
column with the tip; a label (and its leader line) appears whole at the sample it belongs to, so
every label is placed once for the finished figure and never moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..trace.models import model_of
from .axes_fit import reversal_levels
from .canvas import DPI, LABEL_GID, Box
from .labels import PANEL_LEADER_MAX_FRACTION, TRACE_MARGIN_PX, Occupancy, Placed, Request, place
from .measured import FAILED_OUTCOME, FIGURE_NAMES, named_bands
from .overlay import badge_box
from .palette import FLAG, LABEL_TEXT, PHASE_HUES, PHASE_TINT_ALPHA, REFERENCE, STIMULUS, phase_text
from .ribbon import GROUP_ROWS, RibbonItem, lay_out, reserved_px

if TYPE_CHECKING:
    from .panels import PanelSpec
    from .parts import Parts

LABEL_PAD_PX = 3
MARKER_PX = 10  # diameter of a threshold marker
ABSOLUTE_COLOR, RELATIVE_COLOR = "#3C3C3C", "#8A8A8A"  # both bars 3:1 or more on white, apart in lightness
RIBBON_EDGE_PX = 4  # the ribbon's names keep this far from the frame's left and right edges
BRACKET_END_PX = 6  # the ISI bracket's end ticks
FAILED_NAMES = {FIGURE_NAMES[name] for name in FAILED_OUTCOME}  # no other name over these: it would say "fired"


@dataclass(frozen=True)
class Timed:
    """A mark that appears whole when sample `start` arrives: its box (image pixels) and leader line."""

    start: int
    box: Box
    leader: tuple[tuple[float, float], tuple[float, float]] | None = None
    text: str = ""  # the words shown (a label's), so a mark can be told apart from the others


def _index(parts: Parts, time_ms: float) -> int:
    t = parts.trace.time_ms
    return min(int(np.searchsorted(t, time_ms - 1e-9 * max(1.0, abs(time_ms)))), len(t) - 1)


def _rows(parts: Parts, ax: Any, time_ms: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xy = ax.transData.transform(np.column_stack([time_ms, values]))
    return xy[:, 0], parts.fig.get_figheight() * DPI - xy[:, 1]


def draw_marks(parts: Parts, shown: int) -> list[Timed]:
    """Draw every mark on the voltage axes the first `shown` samples have reached; return those that appear whole."""
    tip_ms = float(parts.trace.time_ms[shown - 1]) if shown else -np.inf
    _shade_phases(parts, shown, tip_ms)
    _pulse_lines(parts, shown)
    _threshold_markers(parts, shown)
    _refractory_bars(parts, tip_ms)
    _clip_marks(parts, tip_ms)
    timed = _draw_ribbon(parts, shown)
    occupancy, requests = _voltage_labels(parts)
    timed += _isi_bracket(parts, occupancy, shown)
    return timed + draw_labels(parts, parts.voltage, (occupancy, requests), shown)  # the panels': panel_kinds.py


def reserve_ribbon(parts: Parts) -> None:
    """Lay out the phase names' ribbon and make room for it: the voltage axes' top moves down by its height.

    Called before anything is drawn, on every drawing of the figure, so the axes stand in the same
    place in the layers and in the reveal map; only columns are used, and moving the top keeps them.
    """
    ax = parts.voltage
    height, width = int(parts.fig.get_figheight() * DPI), int(parts.fig.get_figwidth() * DPI)
    entries = []  # (sample that shows it, colour, item)
    for band in named_bands(parts.marked.phases):
        x0, x1 = _rows(parts, ax, np.array([band.start_ms, band.end_ms]), np.zeros(2))[0]
        entries.append((band.reveal_index, phase_text(band.name), _ribbon_item(parts, band.label, x0, x1)))
    for request in _homeless(parts):  # no room with a short leader inside the axes: named on the ribbon
        entries.append((request.start, LABEL_TEXT, _ribbon_item(parts, request.texts[0], request.x0_px, request.x1_px)))
    if not entries:
        return
    entries.sort(key=lambda entry: (entry[2].x0_px, entry[2].x1_px))
    failed = tuple((i.x0_px, i.x1_px) for _, _, i in entries if i.text in FAILED_NAMES)
    labels = lay_out([i for _, _, i in entries], RIBBON_EDGE_PX, width - RIBBON_EDGE_PX, 0.0, height, failed)
    parts.ribbon = tuple((start, color, label) for (start, color, _), label in zip(entries, labels, strict=True))
    parts.ribbon_px = reserved_px(labels, GROUP_ROWS if parts.config.plot.axis_group else 0) + 2
    grid = ax.get_subplotspec().get_gridspec()
    top = grid.top if grid.top is not None else parts.fig.subplotpars.top
    grid.update(top=top - parts.ribbon_px / height)
    for each in parts.axes:  # the update leaves axes already placed where they were
        each.set_position(each.get_subplotspec().get_position(parts.fig))


def _ribbon_item(parts: Parts, text: str, x0: float, x1: float) -> RibbonItem:
    w, h = _text_size(parts, text, pad=2)  # no glyph pixel outside the box, where it would show by column
    return RibbonItem(text, float(x0), float(x1), w, h)


def _homeless(parts: Parts) -> list[Request]:
    """The voltage axes' labels with no place inside them (a short leader crossing nothing): they go on the ribbon.

    Decided once, before the ribbon moves the axes' top, so every drawing agrees.
    """
    occupancy, requests = _voltage_labels(parts)
    if not requests:
        return []
    _, missing = place(requests, occupancy, {t: _text_size(parts, t) for r in requests for t in r.texts})
    return missing


def _draw_ribbon(parts: Parts, shown: int) -> list[Timed]:
    """The phase names over their bands, in their bands' hues darkened for text; each from its band's reveal."""
    from matplotlib.lines import Line2D

    height = parts.fig.get_figheight() * DPI
    top = parts.image_box(parts.voltage)[1]
    timed = []
    for start, color, label in parts.ribbon:
        box, tick = label.moved(top)
        timed.append(Timed(start, box, tick, label.item.text))
        if start >= shown:
            continue
        x, y = (box[0] + box[2]) / 2 / parts.fig.bbox.width, 1 - (box[1] + box[3]) / 2 / height
        kwargs = {"ha": "center", "va": "center", "fontsize": parts.sizes.label_pt, "color": color, "gid": LABEL_GID}
        parts.fig.text(x, y, label.item.text, **kwargs)
        if tick is not None:
            (a, b), (c, d) = tick
            tick = Line2D([a, c], [height - b, height - d], transform=None, color=color, linewidth=1.2, gid=LABEL_GID)
            parts.fig.add_artist(tick)
    return timed


def _isi_bracket(parts: Parts, occupancy: Occupancy | None, shown: int) -> list[Timed]:
    """The first interspike interval as a bracket from peak to peak with its value (eFEL's ISI), above the peaks.

    Part of the phase annotation, so never in a student handout (they draw no phases). It sits in
    the lowest free place above both peaks; with no room there it is left out rather than cover data.
    """
    from matplotlib.lines import Line2D

    spikes = parts.analysis.spikes
    if not parts.config.plot.phases or len(spikes) < 2 or spikes[0].isi_ms is None or occupancy is None:
        return []
    ax = parts.voltage
    times = np.array([spikes[0].peak_time_ms, spikes[1].peak_time_ms])
    cols, rows = _rows(parts, ax, times, np.array([spikes[0].peak_mv, spikes[1].peak_mv]))
    text = f"ISI {spikes[0].isi_ms:.1f} ms"
    w, h = _text_size(parts, text)  # padded, as every boxed label: no glyph pixel outside the box
    c0, c1 = int(round(cols[0])), int(round(cols[1]))
    centre = (c0 + c1) // 2
    lowest = int(min(rows)) - 2 * TRACE_MARGIN_PX - 2 - BRACKET_END_PX  # the line's row: its ends stop above the peaks
    for row in range(lowest, occupancy.area[1] + h + 3, -3):
        box = (min(c0, centre - w // 2), row - h - 2, max(c1, centre + w - w // 2) + 1, row + BRACKET_END_PX + 1)
        if not occupancy.taken_in(*(np.array([v]) for v in box))[0]:
            break
    else:
        return []
    occupancy.mark_box(box, margin=2)
    start, height = _index(parts, float(times[1])), parts.fig.get_figheight() * DPI
    label = (centre - w // 2, row - h - 2, centre - w // 2 + w, row - 2)
    tip = _rows(parts, ax, parts.trace.time_ms[max(shown - 1, 0) : shown], np.zeros(min(shown, 1)))[0]
    if len(tip) and tip[0] >= c0:  # the bracket grows with the tip from the first peak, as the frames reveal it
        low, high = height - row - BRACKET_END_PX, height - row
        xs, ys = [c0, c0, min(c1, tip[0])], [low, high, high]
        if tip[0] >= c1:
            xs, ys = [*xs, c1], [*ys, low]
        parts.fig.add_artist(Line2D(xs, ys, transform=None, color=LABEL_TEXT, linewidth=1.3))
    if start < shown:  # its value appears whole with the second peak, on the shading (no box to hide it)
        x, y = (label[0] + label[2]) / 2 / parts.fig.bbox.width, 1 - (label[1] + label[3]) / 2 / height
        parts.fig.text(x, y, text, ha="center", va="center", fontsize=parts.sizes.label_pt, color=LABEL_TEXT,
                       gid=LABEL_GID)  # fmt: skip
    return [Timed(start, label, None, text)]


def _pulses(parts: Parts) -> list[tuple[float, float, float | None]]:
    """Each switch-on of the model's stimulus: (onset_ms, amplitude, end_ms or None for a sustained step)."""
    return model_of(parts.config.waveform).pulses(parts.config.waveform)


def _shade_phases(parts: Parts, shown: int, tip_ms: float) -> None:
    for band in parts.marked.phases:
        hue = PHASE_HUES.get(band.name)
        if hue is not None and band.start_index < shown:
            end = min(band.end_ms, tip_ms)
            parts.voltage.axvspan(band.start_ms, end, color=hue, alpha=PHASE_TINT_ALPHA, linewidth=0, zorder=-1)


def _pulse_lines(parts: Parts, shown: int) -> None:
    """A dotted line through every axes at each switch-on of the stimulus, once the tip gets there."""
    if parts.named("stimulus") is None:
        return
    for onset, _, _ in _pulses(parts):
        if _index(parts, onset) < shown:
            for ax in parts.axes:
                ax.axvline(onset, color=REFERENCE, linestyle=(0, (1.5, 2.5)), linewidth=1.3, alpha=0.8, zorder=0.5)


def _threshold_markers(parts: Parts, shown: int) -> None:
    for time_ms, voltage_mv in parts.marked.thresholds:
        if _index(parts, time_ms) < shown:
            parts.voltage.plot(
                [time_ms], [voltage_mv], color="black", marker="o", markersize=MARKER_PX * 72 / DPI,
                markerfacecolor="white", markeredgecolor="black", markeredgewidth=1.8, linestyle="none", zorder=4,
            )  # fmt: skip


def _bar_level(parts: Parts) -> float:
    low, high = parts.vrange.limits
    return high - 0.06 * (high - low)


def _refractory_bars(parts: Parts, tip_ms: float) -> None:
    r = parts.marked.refractory
    if r is None:
        return
    y = _bar_level(parts)
    for start, end, color in ((r.reference_ms, r.absolute_end_ms, ABSOLUTE_COLOR),
                              (r.absolute_end_ms, r.relative_end_ms, RELATIVE_COLOR)):  # fmt: skip
        if tip_ms > start:
            parts.voltage.plot([start, min(end, tip_ms)], [y, y], color=color, linewidth=7, solid_capstyle="butt",
                               zorder=3)  # fmt: skip


def _clip_marks(parts: Parts, tip_ms: float) -> None:
    """A thick line along the edge the trace leaves through, wherever it is off the axis."""
    low, high = parts.vrange.limits
    t, v = parts.trace.time_ms, parts.trace.voltage_mv
    for outside, edge in ((v < low, low), (v > high, high)):
        if not outside.any():
            continue
        masked = np.where(outside & (t <= tip_ms), edge, np.nan)
        parts.voltage.plot(t, masked, color=FLAG, linewidth=6, solid_capstyle="butt", clip_on=False, zorder=5)


def _text_size(parts: Parts, text: str, pad: int = LABEL_PAD_PX) -> tuple[int, int]:
    from matplotlib.font_manager import FontProperties

    renderer = parts.fig.canvas.get_renderer()
    w, h, _ = renderer.get_text_width_height_descent(text, FontProperties(size=parts.sizes.label_pt), ismath=False)
    return int(np.ceil(w)) + 2 * pad, int(np.ceil(h)) + 2 * pad


def _voltage_occupancy(parts: Parts) -> Occupancy:
    ax = parts.voltage
    height, width = int(parts.fig.get_figheight() * DPI), int(parts.fig.get_figwidth() * DPI)
    occupancy = Occupancy((height, width), parts.image_box(ax))
    cols, rows = _rows(parts, ax, parts.trace.time_ms, parts.trace.voltage_mv)
    line_px = parts.config.plot.line_width_pt * DPI / 72
    occupancy.mark_polyline(cols, rows, line_px / 2 + TRACE_MARGIN_PX)
    for time_ms, voltage_mv in parts.marked.thresholds:
        c, r = _rows(parts, ax, np.array([time_ms]), np.array([voltage_mv]))
        half = MARKER_PX // 2 + 2
        occupancy.mark_box((int(c[0]) - half, int(r[0]) - half, int(c[0]) + half + 1, int(r[0]) + half + 1))
    if parts.marked.refractory is not None:
        r = parts.marked.refractory
        c, row = _rows(parts, ax, np.array([r.reference_ms, r.relative_end_ms]), np.full(2, _bar_level(parts)))
        occupancy.mark_box((int(c[0]), int(row[0]) - 6, int(c[1]) + 1, int(row[0]) + 6))
    box = parts.image_box(ax)
    badge = badge_box((height, width), parts.config.animation.spike_slowdown, box)
    if badge is not None:
        occupancy.mark_box(badge, margin=2)
    # reference lines: no label sits on one, no leader crosses one (a leader across E_Na or the pulse
    # onset reads as a time or voltage marker)
    plot = parts.config.plot
    levels = [*reversal_levels(parts.config)]
    levels += [] if plot.threshold_line_mv is None else [plot.threshold_line_mv]
    levels += [0.0] if plot.zero_line else []
    levels += [model_of(parts.config.waveform).rest_mv(parts.config.waveform, parts.trace)] if plot.rest_line else []
    for level in levels:
        row = int(_rows(parts, ax, np.array([0.0]), np.array([level]))[1][0])
        occupancy.mark_box((box[0], row - 2, box[2], row + 3))
    if parts.named("stimulus") is not None:
        for onset, _, _ in _pulses(parts):
            column = int(_rows(parts, ax, np.array([onset]), np.zeros(1))[0][0])
            occupancy.mark_box((column - 2, box[1], column + 3, box[3]))
    for text in ax.texts:  # the annotation
        extent = text.get_window_extent(parts.fig.canvas.get_renderer())
        occupancy.mark_box((int(extent.x0), int(height - extent.y1), int(extent.x1) + 1, int(height - extent.y0) + 1))
    return occupancy


def _voltage_labels(parts: Parts) -> tuple[Occupancy | None, list[Request]]:
    """The labels inside the voltage axes: 'threshold' (once), refractory periods, off-axis flags (phases: ribbon)."""
    ax, trace, requests = parts.voltage, parts.trace, []
    cols, _ = _rows(parts, ax, trace.time_ms, trace.voltage_mv)
    if parts.marked.thresholds and parts.config.plot.threshold_line_mv is None:  # the line names it otherwise
        time_ms, voltage_mv = parts.marked.thresholds[0]
        c, r = _rows(parts, ax, np.array([time_ms]), np.array([voltage_mv]))
        shown = max(_index(parts, time_ms), *parts.marked.thresholds_shown[:1])  # named once the spike fires
        requests.append(Request(("threshold",), c[0], c[0], r[0], shown, "black", (c[0], r[0])))
    requests += _refractory_requests(parts)
    requests += _clip_requests(parts, cols)
    requests = [r for r in requests if r.texts[0] not in {label.item.text for _, _, label in parts.ribbon}]
    wanted = requests or (parts.config.plot.phases and len(parts.analysis.spikes) > 1)  # or the ISI bracket
    return (_voltage_occupancy(parts) if wanted else None), requests  # no labels, nothing to avoid


def _refractory_requests(parts: Parts) -> list[Request]:
    r = parts.marked.refractory
    if r is None:
        return []
    ax = parts.voltage
    c, row = _rows(parts, ax, np.array([r.reference_ms, r.absolute_end_ms, r.relative_end_ms]), np.zeros(3))
    bar_row = _rows(parts, ax, np.array([0.0]), np.array([_bar_level(parts)]))[1][0]
    return [
        Request(("absolute refractory", "absolute"), c[0], c[1], bar_row + 14, _index(parts, r.reference_ms),
                ABSOLUTE_COLOR),
        Request(("relative refractory", "relative"), c[1], c[2], bar_row + 14, _index(parts, r.absolute_end_ms),
                RELATIVE_COLOR),
    ]  # fmt: skip


def _clip_requests(parts: Parts, cols: np.ndarray) -> list[Request]:
    vr = parts.vrange
    out = []
    box = parts.image_box(parts.voltage)
    v = parts.trace.voltage_mv
    for level, outside, row, text in (
        (vr.below_mv, v < vr.low_mv, box[3] - 20, f"trace goes below the axis, to {vr.below_mv or 0:.0f} mV"),
        (vr.above_mv, v > vr.high_mv, box[1] + 20, f"trace goes above the axis, to {vr.above_mv or 0:.0f} mV"),
    ):
        if level is None:
            continue
        first = int(np.flatnonzero(outside)[0])
        out.append(Request((text, f"off axis: {level:.0f} mV"), cols[first], cols[first], row, first, FLAG))
    return out


def _curve_occupancy(parts: Parts, ax: Any, spec: Any) -> Occupancy:
    height, width = int(parts.fig.get_figheight() * DPI), int(parts.fig.get_figwidth() * DPI)
    occupancy = Occupancy((height, width), parts.image_box(ax))
    for curve in spec.curves:
        cols, rows = _rows(parts, ax, parts.trace.time_ms, curve.values)
        occupancy.mark_polyline(cols, rows, 2.5)
    return occupancy


def current_captions(parts: Parts, spec: PanelSpec, ax: Any) -> tuple[Occupancy, list[Request]]:
    """Which way is outward (up) and inward (down) on the membrane-current axis, clear of the curves."""
    x0, y0, x1, y1 = parts.image_box(ax)
    return _curve_occupancy(parts, ax, spec), [  # the whole width is theirs: never a leader
        Request(("outward ↑",), x0, x1, y0, -1, "white"),
        Request(("inward ↓",), x0, x1, y1, -1, "white"),
    ]


def stimulus_labels(parts: Parts, spec: PanelSpec, ax: Any) -> tuple[Occupancy, list[Request]]:
    """Each pulse's amplitude beside it on the stimulus strip (the step's beside its onset)."""
    trace = parts.trace
    height, width = int(parts.fig.get_figheight() * DPI), int(parts.fig.get_figwidth() * DPI)
    occupancy = Occupancy((height, width), parts.image_box(ax))
    values = spec.curves[0].values
    cols, rows = _rows(parts, ax, trace.time_ms, values)
    occupancy.mark_polyline(cols, rows, 2.5)
    requests = []
    previous = None
    for onset, amplitude, end in _pulses(parts):
        if amplitude == previous:
            continue  # the same pulse again: its size is already written beside the first
        previous = amplitude
        stop = (
            end if end is not None else min(onset + 0.25 * parts.config.waveform.duration_ms, float(trace.time_ms[-1]))
        )
        c, r = _rows(parts, ax, np.array([onset, stop]), np.array([amplitude, amplitude]))
        r = r - parts.sizes.px(parts.sizes.label_pt)  # just above the pulse's top
        texts = (f"{amplitude:g} µA/cm²", f"{amplitude:g}")
        requests.append(Request(texts, c[0], c[1], r[0], _index(parts, onset), STIMULUS))
    return occupancy, requests


def draw_labels(parts: Parts, ax: Any, found: tuple[Occupancy | None, list[Request]], shown: int) -> list[Timed]:
    from matplotlib.lines import Line2D

    occupancy, requests = found
    if not requests:
        return []
    sizes = {text: _text_size(parts, text) for r in requests for text in r.texts}
    # the voltage axes' homeless labels went to the ribbon; a panel has none
    longer = None if ax is parts.voltage else PANEL_LEADER_MAX_FRACTION
    placed, _missing = place(requests, occupancy, sizes, longer)
    height = parts.fig.get_figheight() * DPI
    timed = []
    for label in placed:
        if label.request.start >= 0:  # a negative start: a static label, in every frame
            timed.append(Timed(label.request.start, label.box, label.leader, label.text))
        if label.request.start >= shown:
            continue
        _text_artist(parts, label, height)
        if label.leader is not None:
            (a, b), (c, d) = label.leader
            parts.fig.add_artist(Line2D([a, c], [height - b, height - d], transform=None, color=REFERENCE,
                                        linewidth=1.2, marker=None, zorder=6, gid=LABEL_GID))  # fmt: skip
    return timed


def _text_artist(parts: Parts, label: Placed, height: float) -> None:
    """The label: an opaque box on whole pixels (so it appears and hides exactly) with its text."""
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = label.box
    # the frame's 1 px stroke lies on the box's outermost pixels, never outside them
    frame = Rectangle((x0 + 0.5, height - y1 + 0.5), x1 - x0 - 1, y1 - y0 - 1, transform=None, zorder=7)
    frame.set(facecolor="white", edgecolor=label.request.color, linewidth=72 / DPI, antialiased=False, snap=False,
              gid=LABEL_GID)  # fmt: skip
    parts.fig.add_artist(frame)
    parts.fig.text(
        (x0 + x1) / 2 / parts.fig.bbox.width,
        1 - (y0 + y1) / 2 / height,
        label.text,
        ha="center",
        va="center",
        fontsize=parts.sizes.label_pt,
        color=LABEL_TEXT,
        zorder=8,
        gid=LABEL_GID,
    )
