"""The rest-zoom panel: the voltage near rest, magnified, so an after-hyperpolarization can be read to 1 mV.

On the voltage axes of a 480 px figure a millivolt is about two pixels and the grid 5 mV: the depth of
an after-hyperpolarization, or when the membrane is back within 1 mV of rest, cannot be read there.
This panel shares the time axis and shows ZOOM_MV around rest with a 1 mV grid. Its window follows
the resting level only, never the trace, so on a handout its limits say nothing about the trough.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config.models import Config
from ..trace.models import model_of
from ..trace.waveform import Trace
from .palette import GRID_MAJOR, GRID_MINOR, REFERENCE_LINE, voltage_color
from .panels import Curve, PanelSpec

if TYPE_CHECKING:
    from .parts import Parts

NAME = "rest_zoom"
ZOOM_MV = (-27.0, 3.0)  # the window, relative to rest: troughs down to 25 mV below rest, and a margin
MAJOR_MV, MINOR_MV = 5.0, 1.0  # its grid: the minor step is what a student reads to
HEIGHT = 1.0  # as tall as the voltage axes: 30 mV at 9 px/mV or more on an 800 px figure


def rest_zoom(config: Config, trace: Trace) -> PanelSpec:
    """The voltage trace again, on an axis from rest + ZOOM_MV[0] to rest + ZOOM_MV[1]."""
    rest = model_of(config.waveform).rest_mv(config.waveform, trace)
    curve = Curve("voltage_mv", "V", "V", voltage_color(config), False, trace.voltage_mv)
    limits = (rest + ZOOM_MV[0], rest + ZOOM_MV[1])
    return PanelSpec(NAME, (curve,), "V near rest (mV)", "mV", limits, height=HEIGHT, end_labels=False)


def rest_zoom_axis(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    """A 5 mV / 1 mV grid in voltage (the time grid is the figure's) and the dashed rest line."""
    from matplotlib.ticker import MultipleLocator

    ax.yaxis.set_major_locator(MultipleLocator(MAJOR_MV))
    ax.yaxis.set_minor_locator(MultipleLocator(MINOR_MV))
    ax.yaxis.set_major_formatter("{x:g}")
    ax.set_axisbelow(True)
    ax.grid(True, which="major", axis="y", color=GRID_MAJOR, linewidth=0.9)
    ax.grid(True, which="minor", axis="y", color=GRID_MINOR, linewidth=0.6)
    ax.tick_params(which="minor", length=3)
    if parts.config.plot.rest_line:
        rest = spec.limits[0] - ZOOM_MV[0]
        ax.axhline(y=rest, color=REFERENCE_LINE, linestyle="--", zorder=1)  # a reference curve: 3:1 like any
