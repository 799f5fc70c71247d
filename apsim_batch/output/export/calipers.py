"""The teacher key's calipers pages: each variant's trace with the key's measurements drawn where they are read."""

from __future__ import annotations

from typing import Any

from ...figure.calipers import draw_calipers
from .reader import ExportSet, Variant

PER_PAGE = (2, 3)  # rows, columns of small traces on a landscape A4 page
TEXT_PT = 6.5


def caliper_pages(exported: ExportSet, page_in: tuple[float, float]) -> list[Any]:
    """Landscape pages of six variants each: the trace, rest, peak and amplitude, half-width, AHP depth."""
    from matplotlib.figure import Figure

    rows, columns = PER_PAGE
    pages = []
    variants = list(exported.variants)
    for start in range(0, len(variants), rows * columns):
        figure = Figure(figsize=page_in)
        figure.suptitle(f"{exported.name}: where each value of the key is read", x=0.07, ha="left", size=13)
        grid = figure.add_gridspec(rows, columns, left=0.07, right=0.97, top=0.88, bottom=0.08, hspace=0.45)
        for index, variant in enumerate(variants[start : start + rows * columns]):
            axes = figure.add_subplot(grid[index // columns, index % columns])
            _draw(axes, variant)
        pages.append(figure)
    return pages


def _draw(axes: Any, variant: Variant) -> None:
    axes.set_title(variant.id, size=10, loc="left")
    axes.tick_params(labelsize=7)
    axes.set_xlabel("Time (ms)", size=8)
    axes.set_ylabel("Voltage (mV)", size=8)
    if variant.trace is None:
        axes.text(0.5, 0.5, "no trace.csv rendered", ha="center", va="center", transform=axes.transAxes, size=8)
        return
    time_ms, voltage_mv = variant.trace
    axes.plot(time_ms, voltage_mv, color="#000000", linewidth=0.9)
    axes.grid(True, color="#dddddd", linewidth=0.5)
    draw_calipers(axes, time_ms, voltage_mv, dict(variant.measured), TEXT_PT)
