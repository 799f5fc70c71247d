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
  `static_labels`: those are in every frame (the base layer), not revealed with the trace;
- `content(parts, spec, ax, shown)`: what it draws besides curves (an image, a line), as it is after
  `shown` samples; it is in the finished figure and revealed with time like the curves;
- `time_axis`: whether it shares the figure's time axis; a panel with an x axis of its own (distance)
  sits below the time panels, and its `axis` styling labels that axis;
- `moving(parts, spec) -> frame_panels.Moving`: a panel redrawn every frame from the frame's time
  (its curve at each sample), over its still pixels; the finished figure shows its `content`.
- `pieces(parts, spec, ax) -> [Piece]`: set only by a panel whose x axis is not time (an I–V curve):
  it sits in the column at the right (`side_column.py`), and draws these pieces, each revealed whole at
  its own sample, instead of curves over time (its spec has none); `side` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config.models import Config
from ..errors import RenderError
from ..trace.models import model_of
from ..trace.waveform import Trace
from .axes_fit import nice_step
from .axon_panels import (
    axon_map,
    axon_profile,
    map_axis,
    map_content,
    profile_axis,
    profile_content,
    profile_moving,
)
from .clamp_panels import clamp_gv, clamp_iv, conductance_voltage_pieces, current_voltage_pieces, side_axis, side_labels
from .experiment_panels import axon_sites, clamp_command, clamp_currents, clamp_total, family_labels, site_labels
from .frame_panels import FramePanel, Moving
from .marks import Timed, current_captions, draw_labels, stimulus_labels
from .palette import REFERENCE_LINE
from .panels import PanelSpec, conductance_panel, currents, currents_close_up, gates, stimulus
from .rest_zoom import rest_zoom, rest_zoom_axis
from .side_column import Piece, Pieces

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
    content: Callable[[Parts, PanelSpec, Any, int], None] | None = None
    time_axis: bool = True
    moving: Callable[[Parts, PanelSpec], Moving] | None = None
    pieces: Pieces | None = None

    @property
    def side(self) -> bool:
        """Whether the panel sits in the side column at the right (its x axis is not time: an I–V curve)."""
        return self.pieces is not None


def _unit_ticks(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    ax.set_yticks([0, 0.5, 1])
    ax.yaxis.set_major_formatter("{x:g}")


def _stimulus_axis(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    peak = float(np.max(spec.curves[0].values))
    ax.set_yticks([0, peak] if peak > 0 else [0])
    ax.yaxis.set_major_formatter("{x:g}")
    ax.axhline(y=0, color=REFERENCE_LINE, linewidth=0.8, zorder=0)


def _current_axis(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    """1-2-5 ticks on the linear current axis, as many as have room, zero among them, and the zero line."""
    from matplotlib.ticker import MultipleLocator

    low, high = ax.get_ylim()
    _, top, _, bottom = parts.image_box(ax)
    room = parts.sizes.px(parts.sizes.tick_pt) * 2.2  # a label and a gap as wide as most of one
    fits = max(2.0, (bottom - top) / room)
    step = nice_step(high - low, fits)
    # a tick of each sign (the direction of a current is the lesson): the next smaller 1-2-5 step
    # while the smaller side has none, as long as the ticks still have room at half their gap
    while step > min(-low, high) > 0 and (high - low) / nice_step(step / 2.6, 1) <= 2 * fits:
        step = nice_step(step / 2.6, 1)
    ax.yaxis.set_major_locator(MultipleLocator(step))
    ax.yaxis.set_major_formatter("{x:g}")
    ax.axhline(y=0, color=REFERENCE_LINE, linestyle="-", linewidth=0.8, zorder=0)
    # "outward ↑" and "inward ↓" are placed clear of the curves with the other labels (`labels`)


PANELS: dict[str, PanelKind] = {
    kind.name: kind
    for kind in (
        PanelKind("gates", HH_GATES, gates, axis=_unit_ticks),
        PanelKind("conductances", HH_GATES, conductance_panel),
        PanelKind("currents", HH_CURRENTS, currents, axis=_current_axis, labels=current_captions, static_labels=True),
        PanelKind("currents_close_up", HH_CURRENTS, currents_close_up, axis=_current_axis),
        PanelKind("stimulus", ("i_stim_ua_per_cm2",), stimulus, axis=_stimulus_axis, labels=stimulus_labels),
        # one column per step or per site: the model's config names them (only the clamp and the axon offer these)
        PanelKind("clamp_command", (), clamp_command, labels=family_labels),
        PanelKind("clamp_currents", (), clamp_currents, labels=family_labels),
        PanelKind("clamp_total", (), clamp_total, labels=family_labels),
        PanelKind("axon_sites", (), axon_sites, labels=site_labels),
        PanelKind("axon_map", (), axon_map, axis=map_axis, content=map_content),
        PanelKind(
            "axon_profile",
            (),
            axon_profile,
            axis=profile_axis,
            content=profile_content,
            time_axis=False,
            moving=profile_moving,
        ),  # fmt: skip
        # x is the step potential: these sit in the side column, a step's point revealed once its measure is drawn
        PanelKind("clamp_iv", (), clamp_iv, axis=side_axis, labels=side_labels, pieces=current_voltage_pieces),
        PanelKind("clamp_gv", (), clamp_gv, axis=side_axis, labels=side_labels, pieces=conductance_voltage_pieces),
        PanelKind("rest_zoom", (), rest_zoom, axis=rest_zoom_axis),  # any model: the voltage near rest, magnified
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
    names.sort(key=lambda n: not panel_kind(n).time_axis)  # a distance axis goes below the time panels
    for name in names:
        missing = [column for column in panel_kind(name).needs if column not in trace.extra]
        if missing:
            needs = ", ".join(missing)
            raise RenderError(f"the {name} panel needs {needs}, which the {model.name} model does not make")
    return names


def panel_specs(config: Config, trace: Trace) -> list[PanelSpec]:
    """What each panel of this figure shows, top to bottom (the stimulus strip last, next to the time axis).

    A panel's limits are fitted to its curves unless `plot.panel_limits` sets them (by hand, or from
    the figure's axis group: see batch/axis_groups.py).
    """
    specs = [panel_kind(name).build(config, trace) for name in panel_names(config, trace)]
    chosen = config.plot.panel_limits
    return [replace(spec, limits=tuple(chosen[spec.name])) if spec.name in chosen else spec for spec in specs]


def draw_panel_content(parts: Parts, shown: int) -> None:
    """What the panels draw besides curves, as it is after `shown` samples."""
    for spec, ax in parts.panels():
        content = panel_kind(spec.name).content
        if content is not None:
            content(parts, spec, ax, shown)


def content_axes(parts: Parts) -> list[Any]:
    """The axes of panels that draw content besides curves (revealed with time like curves)."""
    return [ax for spec, ax in parts.panels() if panel_kind(spec.name).content is not None]


def own_x_panels(names: list[str]) -> set[str]:
    """Which of these panels have an x axis of their own instead of time."""
    return {name for name in names if name in PANELS and not PANELS[name].time_axis}


def frame_panels(parts: Parts, still: np.ndarray) -> tuple[FramePanel, ...]:
    """The panels redrawn every frame, each with its moving curve and its pixels in `still` (the base layer)."""
    found = []
    for spec, ax in parts.panels():
        moving = panel_kind(spec.name).moving
        if moving is not None:
            x0, y0, x1, y1 = box = parts.image_box(ax)
            found.append(FramePanel(moving(parts, spec), ax, box, still[y0:y1, x0:x1]))
    return tuple(found)


def style_panel_axis(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    """The panel's own ticks and reference lines, if it has any."""
    axis = panel_kind(spec.name).axis
    if axis is not None:
        axis(parts, spec, ax)


def draw_panel_labels(parts: Parts, shown: int, static_only: bool = False) -> list[Timed]:
    """Every panel's labels (only those in every frame with `static_only`); returns those revealed with the trace."""
    timed: list[Timed] = []
    for spec, ax in [*parts.panels(), *parts.side]:
        kind = panel_kind(spec.name)
        if kind.labels is not None and (kind.static_labels or not static_only):
            placed = draw_labels(parts, ax, kind.labels(parts, spec, ax), shown)
            timed += [] if kind.static_labels else placed
    return timed


def side_pieces(parts: Parts) -> Callable[[PanelSpec, Any], list[Piece]]:
    """What each side panel of this figure draws: its pieces, looked up by its name."""

    def pieces_of(spec: PanelSpec, ax: Any) -> list[Piece]:
        return panel_kind(spec.name).pieces(parts, spec, ax)

    return pieces_of
