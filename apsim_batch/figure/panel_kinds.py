"""The panel registry: each panel's name, data needs, curves and axis, and the labels it carries.

A figure is the voltage axes and a list of panels sharing its time axis. A panel is found here by
name and nowhere else: adding one is a module with its `build(config, trace) -> PanelSpec` (and,
if it wants them, an `axis` styling and `labels`) plus one line in `PANELS`. The names a config may
list under `plot.panels` are `config/plot.py`'s `PANEL_NAMES` (checked there, so `validate` needs
no plotting library); a test checks every one of them has an entry here. An entry's fields:

- `needs`: the trace columns (`Trace.extra` keys) it draws; a model offers a panel by making them;
- `build(config, trace) -> PanelSpec`: its curves (names, colours, values: also the cursor's readouts),
  y label, unit, limits and scale;
- `axis(parts, spec, ax)`: ticks and reference lines beyond the common ones (None: matplotlib's);
- `labels(parts, spec, ax) -> (Occupancy, [Request])`: labels placed clear of the curves, and
  `static_labels`: those are in every frame (the base layer), not revealed with the trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config.models import Config
from ..errors import RenderError
from ..trace.models import model_of
from ..trace.waveform import Trace
from .experiment_panels import axon_sites, clamp_command, clamp_currents, clamp_total, family_labels, site_labels
from .marks import Timed, current_captions, draw_labels, stimulus_labels
from .palette import REFERENCE_LINE
from .panels import PanelSpec, conductance_panel, currents, gates, stimulus

if TYPE_CHECKING:
    from .parts import Parts

Styler = Callable[["Parts", PanelSpec, Any], None]
Labeler = Callable[["Parts", PanelSpec, Any], tuple[Any, list[Any]]]
HH_GATES = ("m", "h", "n")
HH_CURRENTS = ("i_na_ua_per_cm2", "i_k_ua_per_cm2", "i_leak_ua_per_cm2")


@dataclass(frozen=True)
class PanelKind:
    """One kind of panel (fields: see the module docstring)."""

    name: str
    needs: tuple[str, ...]
    build: Callable[[Config, Trace], PanelSpec]
    axis: Styler | None = None
    labels: Labeler | None = None
    static_labels: bool = False


def _unit_ticks(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    ax.set_yticks([0, 0.5, 1])
    ax.yaxis.set_major_formatter("{x:g}")


def _stimulus_axis(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    peak = float(np.max(spec.curves[0].values))
    ax.set_yticks([0, peak] if peak > 0 else [0])
    ax.yaxis.set_major_formatter("{x:g}")
    ax.axhline(y=0, color=REFERENCE_LINE, linewidth=0.8, zorder=0)


def _decade_axis(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    """Decade ticks on the symmetric-log axis and a zero line."""
    from matplotlib.ticker import FixedLocator, NullLocator

    low, high = ax.get_ylim()
    decades = [10.0**k for k in range(1, 6)]
    ticks = [-d for d in decades if -d >= low] + [0.0] + [d for d in decades if d <= high]
    rows = ax.transData.transform([(0.0, t) for t in ticks])[:, 1]
    room = parts.sizes.px(parts.sizes.tick_pt) * 1.3  # a short panel keeps every other decade
    while len(ticks) > 3 and np.min(np.diff(rows)) < room:
        keep = [i for i, t in enumerate(ticks) if t == 0 or abs(t) == max(abs(u) for u in ticks if u * t > 0)]
        inner = [i for i in range(len(ticks)) if i not in keep]
        drop = min(inner, key=lambda i: abs(ticks[i]))  # the smallest decades go first
        ticks.pop(drop)
        rows = np.delete(rows, drop)
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter("{x:g}")
    ax.axhline(y=0, color=REFERENCE_LINE, linestyle="-", linewidth=0.8, zorder=0)
    # "outward ↑" and "inward ↓" are placed clear of the curves with the other labels (`labels`)


PANELS: dict[str, PanelKind] = {
    kind.name: kind
    for kind in (
        PanelKind("gates", HH_GATES, gates, axis=_unit_ticks),
        PanelKind("conductances", HH_GATES, conductance_panel),
        PanelKind("currents", HH_CURRENTS, currents, axis=_decade_axis, labels=current_captions, static_labels=True),
        PanelKind("stimulus", ("i_stim_ua_per_cm2",), stimulus, axis=_stimulus_axis, labels=stimulus_labels),
        # one column per step or per site: the model's config names them (only the clamp and the axon offer these)
        PanelKind("clamp_command", (), clamp_command, labels=family_labels),
        PanelKind("clamp_currents", (), clamp_currents, labels=family_labels),
        PanelKind("clamp_total", (), clamp_total, labels=family_labels),
        PanelKind("axon_sites", (), axon_sites, labels=site_labels),
    )
}


def panel_kind(name: str) -> PanelKind:
    """The registered panel `name`; an unregistered name is a mistake in the program, said in words."""
    kind = PANELS.get(name)
    if kind is None:
        raise KeyError(f"no panel named {name!r} is registered; registered panels: {', '.join(PANELS)}")
    return kind


def panel_names(config: Config, trace: Trace) -> list[str]:
    """The panels of this figure, top to bottom: the config's, then the model's defaults (the stimulus strip last)."""
    model, strip = model_of(config.waveform), config.plot.stimulus_panel
    names = list(config.plot.panels)
    names += [n for n in model.default_panels if n not in names and (n != "stimulus" or strip is None)]
    names += ["stimulus"] if strip and "stimulus" not in names else []
    for name in names:
        missing = [column for column in panel_kind(name).needs if column not in trace.extra]
        if missing:
            needs = ", ".join(missing)
            raise RenderError(f"the {name} panel needs {needs}, which the {model.name} model does not make")
    return names


def panel_specs(config: Config, trace: Trace) -> list[PanelSpec]:
    """What each panel of this figure shows, top to bottom (the stimulus strip last, next to the time axis)."""
    return [panel_kind(name).build(config, trace) for name in panel_names(config, trace)]


def style_panel_axis(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    """The panel's own ticks and reference lines, if it has any."""
    axis = panel_kind(spec.name).axis
    if axis is not None:
        axis(parts, spec, ax)


def draw_panel_labels(parts: Parts, shown: int, static_only: bool = False) -> list[Timed]:
    """Every panel's labels (only those in every frame with `static_only`); returns those revealed with the trace."""
    timed: list[Timed] = []
    for spec, ax in parts.panels():
        kind = panel_kind(spec.name)
        if kind.labels is not None and (kind.static_labels or not static_only):
            placed = draw_labels(parts, ax, kind.labels(parts, spec, ax), shown)
            timed += [] if kind.static_labels else placed
    return timed
