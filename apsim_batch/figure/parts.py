"""One drawing of the figure: its axes by panel name, the panels' specs, and what was decided for them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..config.models import Config
from ..trace.analysis import Analysis
from ..trace.waveform import Trace
from .axes_fit import GridSteps, VoltageRange
from .canvas import DPI, Box
from .measured import Marked
from .panels import PanelSpec
from .style import TypeSizes

VOLTAGE = "voltage"  # the membrane-voltage axes' name, beside the panels' names


@dataclass
class Parts:
    """One drawing of the figure: its axes (named by `names`, top to bottom) and what was decided for them."""

    fig: Any
    axes: list[Any]
    names: list[str]
    config: Config
    analysis: Analysis
    specs: list[PanelSpec]
    sizes: TypeSizes
    vrange: VoltageRange
    marked: Marked
    grid: GridSteps | None = None
    own_x: frozenset[str] = frozenset()  # panels with an x axis of their own (distance), below the time panels
    side: list[tuple[PanelSpec, Any]] = field(default_factory=list)  # panels with their own x axis, at the right
    ribbon: tuple = ()  # the phase names' ribbon.RibbonLabel's, rows relative to the voltage axes' top
    ribbon_px: float = 0.0  # the height reserved for them between the title and the voltage axes

    @property
    def trace(self) -> Trace:
        return self.analysis.trace

    def named(self, name: str) -> Any | None:
        """The axes of the panel `name` (a side panel's too), or None when this figure has no such panel."""
        if name in self.names:
            return self.axes[self.names.index(name)]
        return next((ax for spec, ax in self.side if spec.name == name), None)

    @property
    def voltage(self) -> Any:
        """The membrane-voltage axes, wherever the layout put them."""
        return self.named(VOLTAGE)

    @property
    def time_axes(self) -> list[Any]:
        """The axes that share the time axis, top to bottom (the voltage axes first)."""
        return [ax for name, ax in zip(self.names, self.axes, strict=True) if name not in self.own_x]

    @property
    def every_axes(self) -> list[Any]:
        """The time column's axes, then the side column's."""
        return [*self.axes, *(ax for _, ax in self.side)]

    def panels(self) -> Iterator[tuple[PanelSpec, Any]]:
        """Each panel's spec with its axes (the voltage axes have no spec)."""
        by_name = dict(zip(self.names, self.axes, strict=True))
        return ((spec, by_name[spec.name]) for spec in self.specs)

    def image_box(self, ax: Any) -> Box:
        """The axes' box in image pixels (row 0 at the top)."""
        bbox = ax.get_window_extent()
        height = self.fig.get_figheight() * DPI
        return (
            int(round(bbox.x0)),
            int(round(height - bbox.y1)),
            int(round(bbox.x1)),
            int(round(height - bbox.y0)),
        )
