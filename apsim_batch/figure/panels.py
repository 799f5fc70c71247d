"""What each panel under the voltage shows: its curves and y axis (gates, conductances, currents, stimulus strip)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..config.models import Config
from ..trace.waveform import Trace
from .axes_fit import nice_step
from .palette import CURVE_STYLE

# Membrane currents span three decades: I_Na and I_K reach ~800 µA/cm² during the spike while the leak
# stays within ~±30 and is ~3 at rest. The axis is linear all the same (a log or symlog axis made 4
# µA/cm² look half as big as 100, with nothing saying so): a current the size of the leak is drawn
# honestly small, on the zero line, and the cursor's readout gives its value.
PANEL_HEIGHTS = {
    "gates": 0.42,
    "conductances": 0.46,
    "currents": 0.55,
    "currents_close_up": 0.45,
    "stimulus": 0.34,
}  # its label: a word and its unit
CLOSE_UP_HEADROOM = 1.15  # the close-up's limits: the leak's largest size and a little room, on a 1-2-5 number


@dataclass(frozen=True)
class Curve:
    """One curve of a panel: its data column, its text (plain and mathtext) and its style."""

    key: str
    name: str  # plain text, for readouts: "I_Na"
    label: str  # mathtext, for the figure: "I$_{Na}$"
    color: str
    dashed: bool
    values: np.ndarray


@dataclass(frozen=True)
class PanelSpec:
    """What one panel shows and how its y axis reads."""

    name: str  # its key in `panel_kinds.PANELS`
    curves: tuple[Curve, ...]
    y_label: str
    unit: str
    limits: tuple[float, float]
    scale: str = "linear"  # or "symlog"
    linthresh: float = 1.0
    height: float = 0.42  # relative to the voltage axes
    end_labels: bool = True
    readout_decimals: int | None = None  # the cursor's readout digits (None: from the values' range)
    margin_right_em: float = 0.0  # room it needs in the right margin (a colour bar), in tick-label heights
    x_limits: tuple[float, float] | None = None  # a side panel's own x axis (see side_column.py); None: time


def _curve(key: str, name: str, label: str, values: np.ndarray) -> Curve:
    color, dashed = CURVE_STYLE[key]
    return Curve(key, name, label, color, dashed, np.asarray(values, dtype=float))


def _padded(values: list[np.ndarray], include_zero: bool = True, pad: float = 0.08) -> tuple[float, float]:
    data = np.concatenate(values)
    low, high = float(data.min()), float(data.max())
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    span = high - low or 1.0
    return low - pad * span, high + pad * span


def conductances(waveform: Any, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    """g_Na = gNa m³h and g_K = gK n⁴, in mS/cm²."""
    e = trace.extra
    return waveform.g_na_ms_per_cm2 * e["m"] ** 3 * e["h"], waveform.g_k_ms_per_cm2 * e["n"] ** 4


def gates(config: Config, trace: Trace) -> PanelSpec:
    e = trace.extra
    curves = (_curve("m", "m", "m", e["m"]), _curve("h", "h", "h", e["h"]), _curve("n", "n", "n", e["n"]))
    return PanelSpec(
        "gates", curves, "gate (0–1)", "", (-0.05, 1.05), height=PANEL_HEIGHTS["gates"], readout_decimals=2
    )  # fmt: skip


def conductance_panel(config: Config, trace: Trace) -> PanelSpec:
    g_na, g_k = conductances(config.waveform, trace)
    curves = (_curve("g_na", "g_Na", "g$_{Na}$", g_na), _curve("g_k", "g_K", "g$_{K}$", g_k))
    low, high = _padded([g_na, g_k])
    return PanelSpec("conductances", curves, "g (mS/cm²)", "mS/cm²", (0.0, high), height=PANEL_HEIGHTS["conductances"])


def currents(config: Config, trace: Trace) -> PanelSpec:
    e = trace.extra
    curves = (
        _curve("i_na_ua_per_cm2", "I_Na", "I$_{Na}$", e["i_na_ua_per_cm2"]),
        _curve("i_k_ua_per_cm2", "I_K", "I$_{K}$", e["i_k_ua_per_cm2"]),
        _curve("i_leak_ua_per_cm2", "I_L", "I$_{L}$", e["i_leak_ua_per_cm2"]),
    )
    return PanelSpec(
        "currents", curves, "I (µA/cm²)", "µA/cm²", _padded([c.values for c in curves]),
        height=PANEL_HEIGHTS["currents"],
    )  # fmt: skip


def currents_close_up(config: Config, trace: Trace) -> PanelSpec:
    """The same currents on a linear axis as wide as the leak: the small currents readable, the spike's off scale.

    A second linear panel rather than a nonlinear axis: what leaves it runs off its edge, visibly, and its
    label says it is a close-up; the `currents` panel above shows the whole size.
    """
    spec = currents(config, trace)
    leak = float(np.max(np.abs(trace.extra["i_leak_ua_per_cm2"])))
    half = nice_step(CLOSE_UP_HEADROOM * max(leak, 1.0), 1)
    return replace(
        spec, name="currents_close_up", y_label="I close-up\n(µA/cm²)", limits=(-half, half),
        height=PANEL_HEIGHTS["currents_close_up"], end_labels=False,
    )  # fmt: skip


def stimulus(config: Config, trace: Trace) -> PanelSpec:
    values = trace.extra["i_stim_ua_per_cm2"]
    low, high = float(min(values.min(), 0.0)), float(max(values.max(), 0.0))
    span = (high - low) or 1.0
    curve = _curve("i_stim_ua_per_cm2", "I_stim", "I$_{stim}$", values)
    return PanelSpec(
        "stimulus",
        (curve,),
        "stimulus\n(µA/cm²)",  # two lines: the strip is too short for one
        "µA/cm²",
        (low - 0.15 * span if low < 0 else -0.12 * span, high + 1.0 * span),  # room to write each size above it
        height=PANEL_HEIGHTS["stimulus"],
        end_labels=False,
    )
