"""Marks that arrive with the trace: phase bands and their names, thresholds, pulse onsets, refractory bars.

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
from .canvas import DPI, Box
from .labels import TRACE_MARGIN_PX, Occupancy, Placed, Request, place
from .overlay import badge_box
from .palette import FLAG, LABEL_TEXT, PHASE_HUES, PHASE_TINT_ALPHA, REFERENCE, STIMULUS

if TYPE_CHECKING:
    from .panels import PanelSpec
    from .parts import Parts

LABEL_PAD_PX = 3
MARKER_PX = 10  # diameter of a threshold marker
ABSOLUTE_COLOR, RELATIVE_COLOR = "#3C3C3C", "#8A8A8A"  # both bars 3:1 or more on white, apart in lightness
# no other phase's name may seem to name a response that fails
FAILED = ("subthreshold", "hyperpolarizing", "refractory_failure")


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
    return draw_labels(parts, parts.voltage, _voltage_labels(parts), shown)  # the panels' labels: panel_kinds.py


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


def _text_size(parts: Parts, text: str) -> tuple[int, int]:
    from matplotlib.font_manager import FontProperties

    renderer = parts.fig.canvas.get_renderer()
    w, h, _ = renderer.get_text_width_height_descent(text, FontProperties(size=parts.sizes.label_pt), ismath=False)
    return int(np.ceil(w)) + 2 * LABEL_PAD_PX, int(np.ceil(h)) + 2 * LABEL_PAD_PX


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
    threshold = () if parts.config.plot.threshold_line_mv is None else (parts.config.plot.threshold_line_mv,)
    for level in (*reversal_levels(parts.config), *threshold):  # a label on E_Na's line would hide where it is
        row = int(_rows(parts, ax, np.array([0.0]), np.array([level]))[1][0])
        occupancy.mark_box((box[0], row - 2, box[2], row + 3), crossable=True)
    for text in ax.texts:  # the annotation
        extent = text.get_window_extent(parts.fig.canvas.get_renderer())
        occupancy.mark_box((int(extent.x0), int(height - extent.y1), int(extent.x1) + 1, int(height - extent.y0) + 1))
    return occupancy


def _voltage_labels(parts: Parts) -> tuple[Occupancy | None, list[Request]]:
    """Every label of the voltage axes: each phase band's name, 'threshold', refractory periods, off-axis flags."""
    ax, trace = parts.voltage, parts.trace
    cols, rows = _rows(parts, ax, trace.time_ms, trace.voltage_mv)
    requests = []
    seen: set[str] = set()
    spans = [(b, _rows(parts, ax, np.array([b.start_ms, b.end_ms]), np.zeros(2))[0]) for b in parts.marked.phases]
    failed = lambda band: tuple((float(c[0]), float(c[1])) for b, c in spans if b is not band and b.name in FAILED)  # noqa: E731
    for band in parts.marked.phases:
        if band.name == "rest" and band.name in seen:
            continue  # the first rest band says what rest is; the others need no repeat
        x0, x1 = _rows(parts, ax, np.array([band.start_ms, band.end_ms]), np.zeros(2))[0]
        inside = (trace.time_ms >= band.start_ms) & (trace.time_ms <= band.end_ms)
        anchor = float(np.median(rows[inside])) if inside.any() else float(np.median(rows))
        # a kind's first band is named in full, the later ones (the next spikes) in short
        texts = (band.label, band.short_label) if band.name not in seen else (band.short_label,)
        seen.add(band.name)
        hue = PHASE_HUES.get(band.name)
        # an unshaded band (rest, the way to threshold, an interval) has only the trace to point at
        path = None if hue is not None else _band_path(parts, band.start_ms, band.end_ms)
        request = Request(tuple(dict.fromkeys(texts)), x0, x1, anchor, band.reveal_index, hue or REFERENCE,
                          avoid=failed(band), path=path)  # fmt: skip
        requests.append(request)
    if parts.marked.thresholds:
        time_ms, voltage_mv = parts.marked.thresholds[0]
        c, r = _rows(parts, ax, np.array([time_ms]), np.array([voltage_mv]))
        shown = max(_index(parts, time_ms), *parts.marked.thresholds_shown[:1])  # named once the spike fires
        requests.append(Request(("threshold",), c[0], c[0], r[0], shown, "black", (c[0], r[0])))
    requests += _refractory_requests(parts)
    requests += _clip_requests(parts, cols)
    return (_voltage_occupancy(parts) if requests else None), requests  # no labels, nothing to avoid


def _band_path(parts: Parts, start_ms: float, end_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """The trace between two times in image pixels, its ends interpolated (a band may fall between samples)."""
    t, v = parts.trace.time_ms, parts.trace.voltage_mv
    inner = (t > start_ms) & (t < end_ms)
    times = np.concatenate([[start_ms], t[inner], [end_ms]])
    return _rows(parts, parts.voltage, times, np.interp(times, t, v))


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
    placed, _missing = place(requests, occupancy, sizes)
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
                                        linewidth=1.2, marker=None, zorder=6))  # fmt: skip
    return timed


def _text_artist(parts: Parts, label: Placed, height: float) -> None:
    """The label: an opaque box on whole pixels (so it appears and hides exactly) with its text."""
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = label.box
    # the frame's 1 px stroke lies on the box's outermost pixels, never outside them
    frame = Rectangle((x0 + 0.5, height - y1 + 0.5), x1 - x0 - 1, y1 - y0 - 1, transform=None, zorder=7)
    frame.set(facecolor="white", edgecolor=label.request.color, linewidth=72 / DPI, antialiased=False, snap=False)
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
    )
