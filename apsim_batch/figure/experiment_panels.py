"""The experiments' panels: the clamp's command steps and current families, and the axon's recording sites."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..config.models import Config
from ..trace.experiments import clamp_column
from ..trace.waveform import Trace
from .canvas import DPI
from .labels import Occupancy, Request
from .palette import AMBER, BLACK, BLUE, BLUISH_GREEN, CRIMSON, INDIGO, POTASSIUM, REDDISH_PURPLE, SODIUM
from .panels import Curve, PanelSpec

if TYPE_CHECKING:
    from .parts import Parts

# One hue per recording site, nearest first: each 3:1 on white, any two apart for colour-blind viewers.
SITE_HUES = (BLUE, BLUISH_GREEN, AMBER, REDDISH_PURPLE, INDIGO, CRIMSON)
MA_PER_UA = 1e-3  # the clamp's currents reach thousands of µA/cm²: mA/cm² keeps the tick labels short
PANEL_HEIGHTS = {"clamp_command": 0.45, "clamp_currents": 0.9, "clamp_total": 0.6, "axon_sites": 1.0}


def _limits(values: list[np.ndarray], pad: float = 0.08) -> tuple[float, float]:
    data = np.concatenate(values)
    low, high = min(float(data.min()), 0.0), max(float(data.max()), 0.0)
    span = high - low or 1.0
    return low - pad * span, high + pad * span


def _steps(config: Config) -> list[tuple[int, float]]:
    return list(enumerate(config.waveform.step_potentials_mv))


def _family(
    trace: Trace, quantity: str, config: Config, name: str, label: str, color: str, scale: float = 1.0
) -> list[Curve]:
    """One curve per step of the family (all in the quantity's hue: the family reads as one shape)."""
    columns = [(clamp_column(quantity, k, v), v) for k, v in _steps(config)]
    return [Curve(c, f"{name} {v:g} mV", label, color, False, trace.extra[c] * scale) for c, v in columns]


def clamp_command(config: Config, trace: Trace) -> PanelSpec:
    """The command voltage of every step: the cause of the currents below."""
    curves = tuple(_family(trace, "v_command_mv", config, "V", "V", BLACK))
    return PanelSpec(
        "clamp_command", curves, "steps (mV)", "mV", _limits([c.values for c in curves]),
        height=PANEL_HEIGHTS["clamp_command"], end_labels=False, readout_decimals=0,
    )  # fmt: skip


def clamp_currents(config: Config, trace: Trace) -> PanelSpec:
    """I_Na and I_K of every step, in their ions' hues: the fast inward and the slow outward family."""
    curves = (
        *_family(trace, "i_na_ua_per_cm2", config, "I_Na", "I$_{Na}$", SODIUM, MA_PER_UA),
        *_family(trace, "i_k_ua_per_cm2", config, "I_K", "I$_{K}$", POTASSIUM, MA_PER_UA),
    )
    return PanelSpec(
        "clamp_currents", curves, "I (mA/cm²)", "mA/cm²", _limits([c.values for c in curves]),
        height=PANEL_HEIGHTS["clamp_currents"], end_labels=False, readout_decimals=2,
    )  # fmt: skip


def clamp_total(config: Config, trace: Trace) -> PanelSpec:
    """The membrane current of every step, what the clamp amplifier records: the ionic current and, at each
    edge, the capacitive transient. The axis fits the ionic current; the transients run off it, as on
    Hodgkin and Huxley's oscilloscope, since their height says how briefly the clamp charged, not what flowed."""
    curves = tuple(_family(trace, "i_membrane_ua_per_cm2", config, "I_m", "I$_{m}$", BLACK, MA_PER_UA))
    ionic = [c.values for c in _family(trace, "i_total_ua_per_cm2", config, "I_ion", "I$_{ion}$", BLACK, MA_PER_UA)]
    return PanelSpec(
        "clamp_total", curves, "total (mA/cm²)", "mA/cm²", _limits(ionic),
        height=PANEL_HEIGHTS["clamp_total"], end_labels=False, readout_decimals=2,
    )  # fmt: skip


def axon_sites(config: Config, trace: Trace) -> PanelSpec:
    """V at each recording electrode, one hue per site: the impulse arrives later the farther it is."""
    columns = [c for c in trace.extra if c.startswith("v_mv_site")]  # named by `axon_column`
    curves = []
    for i, column in enumerate(columns):
        where = f"{float(column.split('_at_')[1].removesuffix('_mm')):.1f} mm"
        curves.append(Curve(column, f"V {where}", "V", SITE_HUES[i % len(SITE_HUES)], False, trace.extra[column]))
    low, high = _limits([c.values for c in curves])
    return PanelSpec(
        "axon_sites", tuple(curves), "V (mV)", "mV", (low, high + 0.12 * (high - low)),  # room for the site names
        height=PANEL_HEIGHTS["axon_sites"], end_labels=False, readout_decimals=1,
    )  # fmt: skip


def _occupancy(parts: Parts, ax: Any, spec: PanelSpec) -> tuple[Occupancy, float]:
    """The panel's area with its curves marked (labels keep clear of them), and the image height."""
    height, width = int(parts.fig.get_figheight() * DPI), int(parts.fig.get_figwidth() * DPI)
    occupancy = Occupancy((height, width), parts.image_box(ax))
    for curve in spec.curves:
        cols, rows = _pixels(ax, parts.trace.time_ms, curve.values, height)
        occupancy.mark_polyline(cols, rows, 2.5)
    return occupancy, height


def _pixels(ax: Any, time_ms: np.ndarray, values: np.ndarray, height: float) -> tuple[np.ndarray, np.ndarray]:
    xy = ax.transData.transform(np.column_stack([time_ms, values]))
    return xy[:, 0], height - xy[:, 1]


def _at(parts: Parts, ax: Any, curve: Curve, index: int, height: float) -> tuple[float, float]:
    cols, rows = _pixels(ax, parts.trace.time_ms[index : index + 1], curve.values[index : index + 1], height)
    return float(cols[0]), float(rows[0])


def _excursion(curve: Curve, limits: tuple[float, float]) -> np.ndarray:
    """How far each sample is from the curve's start, where the curve stays (a running median over five
    samples passes over a capacitive transient's one or two) and on the axes (0 elsewhere)."""
    from scipy.ndimage import median_filter

    steady = median_filter(curve.values, size=5, mode="nearest")
    shown = (curve.values >= limits[0]) & (curve.values <= limits[1])
    return np.where(shown, np.abs(steady - curve.values[0]), 0.0)


def family_labels(parts: Parts, spec: PanelSpec, ax: Any) -> tuple[Occupancy, list[Request]]:
    """Each family named once beside its largest excursion (the command panel: its lowest and highest step),
    revealed when the trace reaches that point."""
    occupancy, height = _occupancy(parts, ax, spec)
    groups: dict[str, list[Curve]] = {}
    for curve in spec.curves:
        groups.setdefault(curve.label, []).append(curve)
    requests = []
    for label, curves in groups.items():
        if spec.name == "clamp_command":  # the range of the steps
            picks = [min(curves, key=lambda c: c.values.min()), max(curves, key=lambda c: c.values.max())]
        else:  # the curve that strays farthest from where it starts, on the axes (a transient may run off them)
            picks = [max(curves, key=lambda c: float(np.max(_excursion(c, spec.limits))))]
        for curve in picks:
            away = _excursion(curve, spec.limits)
            index = len(away) - 1 - int(np.argmax(away[::-1]))  # its last sample there: a step's right end
            col, row = _at(parts, ax, curve, index, height)
            text = f"{curve.values[index]:+.0f} mV" if spec.name == "clamp_command" else label
            requests.append(Request((text,), col, col, row, index, curve.color, point=(col, row)))
    return occupancy, requests


def site_labels(parts: Parts, spec: PanelSpec, ax: Any) -> tuple[Occupancy, list[Request]]:
    """Each site's distance beside its peak, revealed as the impulse reaches it."""
    occupancy, height = _occupancy(parts, ax, spec)
    requests = []
    for curve in spec.curves:
        index = int(np.argmax(curve.values))
        col, row = _at(parts, ax, curve, index, height)
        distance = curve.name.split(" ", 1)[1]
        requests.append(Request((distance, distance.split()[0]), col, col, row, index, curve.color, point=(col, row)))
    return occupancy, requests
