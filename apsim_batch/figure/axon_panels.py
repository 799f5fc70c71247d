"""The axon's propagation panels: V along the axon over a drawing of it, and the distance–time map of V.

`axon_profile` has distance on its x axis, so it is not revealed with time: each frame redraws
V(x) at the frame's time (`frame_panels.Moving`), over a tube with its myelin sheaths, nodes and
electrodes. The poster shows V(x) at the moment each recording electrode sees its peak, in that
electrode's hue (the hues of `axon_sites`), so the still picture shows the impulse travelling too.
`axon_map` shares the time axis: V as colour over time and distance, revealed with time, with
the measured velocity as a line of that slope and its value (left out of student handouts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..config.models import Config
from ..trace.waveform import Trace
from .experiment_panels import SITE_HUES
from .frame_panels import Moving
from .palette import BLACK, GREY, REFERENCE, REFERENCE_LINE
from .panels import PanelSpec

if TYPE_CHECKING:
    from .parts import Parts

MAP_COLORMAP = "cividis"  # sequential, readable with any colour vision (Nuñez et al. 2018)
PROFILE_HEIGHT, MAP_HEIGHT = 1.0, 0.8  # relative to the voltage axes
TUBE_SHARE = 0.4  # of the profile's height: the drawing of the axon beneath the voltage
COLORBAR_EM = 6.6  # room the map's colour bar takes in the right margin, in tick-label heights
PROFILE_WIDTH_PT = 2.6
DISTANCE_LABEL = "Distance along the axon (mm)"


def axon_result(trace: Trace) -> Any:
    """The whole run behind an axon trace (`trace/experiments.py` keeps it on the trace)."""
    result = getattr(trace, "result", None)
    if result is None:
        raise ValueError("an axon panel needs the trace of an axon render")
    return result


def _voltage_limits(result: Any) -> tuple[float, float]:
    """The impulse's range: up to the highest peak an electrode records. Under a strong stimulating electrode V
    may go far higher for a moment; that is left to saturate (the colour bar's arrow) rather than flatten the rest."""
    peaks = [site.peak_mv for site in result.sites if site.arrival_ms is not None]
    low, high = float(result.voltage_mv.min()), max(peaks) if peaks else float(result.voltage_mv.max())
    span = high - low or 1.0
    return low - 0.06 * span, high + 0.1 * span


def axon_profile(config: Config, trace: Trace) -> PanelSpec:
    """V along the axon, with room beneath it for the drawing of the axon and its electrodes."""
    low, high = _voltage_limits(axon_result(trace))
    bottom = low - (high - low) * TUBE_SHARE / (1 - TUBE_SHARE)
    return PanelSpec("axon_profile", (), "V (mV)", "mV", (bottom, high), height=PROFILE_HEIGHT, end_labels=False)


def profile_moving(parts: Parts, spec: PanelSpec) -> Moving:
    """V at every compartment at each snapshot time: the curve each frame shows."""
    result = axon_result(parts.trace)
    return Moving(result.position_mm, result.voltage_mv, BLACK, PROFILE_WIDTH_PT)


def poster_times_ms(result: Any) -> list[tuple[float, str]]:
    """When the poster's profiles are taken: each recording electrode's peak, in its hue (reached ones only)."""
    return [
        (site.peak_ms, SITE_HUES[i % len(SITE_HUES)])
        for i, site in enumerate(result.sites)
        if site.arrival_ms is not None
    ]


def profile_axis(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    """Distance on x, the resting level, and the axon drawn beneath: tube, sheaths, nodes, electrodes."""
    from matplotlib.patches import FancyArrow, Rectangle

    result = axon_result(parts.trace)
    length_mm = parts.config.waveform.length_mm  # the axes of every axon figure: its config's length
    ax.set_xlim(0, length_mm)
    end_mm = _cable_end_mm(result)  # a myelinated fibre ends at its last whole node
    sizes = parts.sizes
    ax.set_xlabel(DISTANCE_LABEL, fontsize=sizes.axis_label_pt if sizes.projector else 10)
    ax.tick_params(labelbottom=True)
    low, high = _voltage_limits(result)
    ax.set_yticks([t for t in ax.yaxis.get_major_locator().tick_values(low, high) if low <= t <= high])
    ax.axhline(y=result.resting_mv, color=REFERENCE_LINE, linestyle="--", zorder=1)  # the rest line, as elsewhere
    bottom = spec.limits[0]
    band = low - bottom  # the drawing's height, in mV of the axis: stimulus, tube, recording electrodes, upwards
    tube_low, tube_high = bottom + 0.4 * band, bottom + 0.62 * band
    ax.add_patch(
        Rectangle((0, tube_low), end_mm, tube_high - tube_low, facecolor="#F2F2F2", edgecolor=GREY, lw=1.2, zorder=1)
    )
    nodes = result.node_mm
    if len(nodes) > 1:  # myelin: a grey sheath over each internode, the nodes of Ranvier left bare
        gap = max(length_mm / 200, 0.15 * (nodes[1] - nodes[0]))
        pad = 0.06 * band
        for a, b in zip(nodes[:-1], nodes[1:], strict=True):
            ax.add_patch(
                Rectangle(
                    (a + gap / 2, tube_low - pad), b - a - gap, tube_high - tube_low + 2 * pad,
                    facecolor="#A6A6A6", edgecolor="#595959", lw=0.8, zorder=2,
                )
            )  # fmt: skip
    arrow = {"width": length_mm / 260, "head_width": length_mm / 55, "length_includes_head": True, "clip_on": False}
    for i, site in enumerate(result.sites):  # recording electrodes: pointers from above, in their traces' hues
        ax.add_patch(
            FancyArrow(
                site.recorded_mm, tube_high + 0.34 * band, 0, -0.26 * band, head_length=0.12 * band,
                color=SITE_HUES[i % len(SITE_HUES)], zorder=4, **arrow,
            )
        )  # fmt: skip
    ax.add_patch(  # the stimulating electrode: a black pointer from below, named beside it
        FancyArrow(
            result.stimulus_mm, bottom + 0.04 * band, 0, 0.3 * band, head_length=0.12 * band, color=BLACK, zorder=4,
            **arrow,
        )
    )  # fmt: skip
    right = result.stimulus_mm < length_mm / 2
    ax.annotate(
        "stimulus",
        (result.stimulus_mm, bottom + 0.2 * band),
        xytext=(10 if right else -10, 0),
        textcoords="offset pixels",
        ha="left" if right else "right",
        va="center",
        fontsize=sizes.label_pt,
        color=BLACK,
        zorder=5,
    )


def profile_content(parts: Parts, spec: PanelSpec, ax: Any, shown: int) -> None:
    """What the profile shows after `shown` samples: the curve then, or (all shown) the poster's snapshots."""
    result = axon_result(parts.trace)
    if shown >= len(result.time_ms):
        for time_ms, color in poster_times_ms(result):
            index = int(np.argmin(np.abs(result.time_ms - time_ms)))
            ax.plot(result.position_mm, result.voltage_mv[index], color=color, linewidth=PROFILE_WIDTH_PT, zorder=3)
    elif shown > 0:
        ax.plot(result.position_mm, result.voltage_mv[shown - 1], color=BLACK, linewidth=PROFILE_WIDTH_PT, zorder=3)


def _cable_end_mm(result: Any) -> float:
    """Where the last compartment ends."""
    x = result.position_mm
    return float(x[-1] + (x[-1] - x[-2]) / 2) if len(x) > 1 else float(2 * x[0])


def axon_map(config: Config, trace: Trace) -> PanelSpec:
    """Distance along the axon against time; V is the colour (no curves: the cursor reads none)."""
    return PanelSpec(
        "axon_map", (), "distance (mm)", "mm", (0.0, float(config.waveform.length_mm)),
        height=MAP_HEIGHT, end_labels=False, margin_right_em=COLORBAR_EM,
    )  # fmt: skip


def _norm(result: Any) -> Any:
    from matplotlib.colors import Normalize

    return Normalize(*_voltage_limits(result))


def map_axis(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    """The distance ticks, and the colour bar in the right margin beside the map, labelled with its unit."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.ticker import FixedLocator, MaxNLocator

    # the map fills its axes to the edge, so a distance tick at its foot meets the time axis' first label
    # in the corner: the distances are named above it (0 mm is where the map starts)
    low, high = spec.limits
    distances = MaxNLocator(nbins=3, steps=[1, 2, 5, 10]).tick_values(low, high)
    ax.yaxis.set_major_locator(FixedLocator([d for d in distances if low < d <= high]))
    cax = ax.inset_axes((1.02, 0.0, 0.025, 1.0))
    result = axon_result(parts.trace)
    beyond = result.voltage_mv.max() > _norm(result).vmax
    bar = parts.fig.colorbar(
        ScalarMappable(_norm(result), MAP_COLORMAP), cax=cax, extend="max" if beyond else "neither"
    )
    sizes = parts.sizes
    bar.set_label("V (mV)", fontsize=sizes.axis_label_pt if sizes.projector else 9, labelpad=2)
    bar.ax.tick_params(labelsize=sizes.tick_pt if sizes.projector else 8)
    bar.ax.yaxis.set_major_formatter("{x:g}")


def velocity_line(result: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The measured velocity as a line in (time ms, distance mm), across the map; None when not measured."""
    p = result.propagation
    if p.velocity_m_per_s is None or p.velocity_line_ms is None:
        return None
    length = _cable_end_mm(result)
    far = length if length - result.stimulus_mm >= result.stimulus_mm else 0.0  # where the impulse runs to
    direction = 1.0 if far > result.stimulus_mm else -1.0
    span_ms = abs(far - result.stimulus_mm) / p.velocity_m_per_s  # m/s is mm/ms
    time_ms = np.array([p.velocity_line_ms, p.velocity_line_ms + span_ms])
    return time_ms, result.stimulus_mm + direction * p.velocity_m_per_s * (time_ms - p.velocity_line_ms)


def velocity_text(result: Any) -> str:
    return f"v = {result.propagation.velocity_m_per_s:.1f} m/s"


def map_content(parts: Parts, spec: PanelSpec, ax: Any, shown: int) -> None:
    """V as colour over the first `shown` samples, and the velocity's line (unless the plot leaves it out)."""
    result = axon_result(parts.trace)
    if shown <= 0:
        return
    t = result.time_ms
    step = t[1] - t[0] if len(t) > 1 else 1.0
    ax.imshow(
        result.voltage_mv[:shown].T, origin="lower", aspect="auto", cmap=MAP_COLORMAP, norm=_norm(result),
        extent=(t[0] - step / 2, t[shown - 1] + step / 2, 0.0, _cable_end_mm(result)),
        interpolation="nearest", zorder=1,
    )  # fmt: skip
    ax.set_xlim(0, parts.config.waveform.duration_ms)  # imshow would otherwise fit the axes to the image
    ax.set_ylim(*spec.limits)
    line = velocity_line(result) if parts.config.plot.velocity_line else None
    if line is not None:
        # black dashes with white gaps in one line: one of the two reads over any part of the map
        ax.plot(*line, color=BLACK, gapcolor="white", linewidth=2.6, linestyle=(0, (5, 3)), zorder=3)
        # named below and right of its middle, in a white box; uncovered with the map as time runs (a label
        # that appeared whole would show the empty axes under its box until then)
        ax.annotate(
            velocity_text(result), (float(np.mean(line[0])), float(np.mean(line[1]))), xytext=(14, -10),
            textcoords="offset pixels", ha="left", va="top", fontsize=parts.sizes.label_pt, color=BLACK, zorder=4,
            bbox={"boxstyle": "square,pad=0.25", "facecolor": "white", "edgecolor": REFERENCE, "linewidth": 0.8},
        )  # fmt: skip
