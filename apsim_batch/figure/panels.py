"""What each panel under the voltage shows: its curves and y axis (gates, conductances, currents, stimulus strip)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config.models import Config
from ..trace.waveform import Trace
from .palette import CURVE_STYLE

# Membrane currents span three decades: I_Na and I_K reach ~800 µA/cm² during the spike while the
# leak stays within ~±30 and is ~3 at rest. On a linear axis the leak is under a pixel from zero.
# A symmetric-log axis (linear within ±LINTHRESH, logarithmic beyond) keeps the sign (inward down,
# outward up) and shows all three on one axis, each readable against decade ticks; a separate
# strip per current would cost height we need for type a projector can show.
CURRENT_LINTHRESH_UA = 5.0
PANEL_HEIGHTS = {"gates": 0.42, "conductances": 0.46, "currents": 0.55, "stimulus": 0.28}


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
    return PanelSpec("gates", curves, "gates", "", (-0.05, 1.05), height=PANEL_HEIGHTS["gates"], readout_decimals=2)


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
    data = np.concatenate([c.values for c in curves])
    # limits on whole decades, so the log part of the axis ends on a labelled tick
    top = 10.0 ** np.ceil(np.log10(max(abs(float(data.max())), 10 * CURRENT_LINTHRESH_UA)))
    bottom = 10.0 ** np.ceil(np.log10(max(abs(float(data.min())), 10 * CURRENT_LINTHRESH_UA)))
    return PanelSpec(
        "currents",
        curves,
        "I (µA/cm²)",
        "µA/cm²",
        (-2 * bottom, 2 * top),  # a third of a decade past the outer ticks keeps their labels inside
        scale="symlog",
        linthresh=CURRENT_LINTHRESH_UA,
        height=PANEL_HEIGHTS["currents"],
    )


def stimulus(config: Config, trace: Trace) -> PanelSpec:
    values = trace.extra["i_stim_ua_per_cm2"]
    low, high = float(min(values.min(), 0.0)), float(max(values.max(), 0.0))
    span = (high - low) or 1.0
    curve = _curve("i_stim_ua_per_cm2", "I_stim", "I$_{stim}$", values)
    return PanelSpec(
        "stimulus",
        (curve,),
        "I$_{stim}$",
        "µA/cm²",
        (low - 0.15 * span if low < 0 else -0.12 * span, high + 1.0 * span),  # room to write each size above it
        height=PANEL_HEIGHTS["stimulus"],
        end_labels=False,
    )
