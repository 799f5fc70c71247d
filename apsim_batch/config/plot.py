"""The `plot` section of a config: the figure's size, axes, panels, annotations and type."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, ValidationInfo, field_validator

from .base import Mv, StrictModel
from .colors import check_color

# Checked by PlotConfig._even; stated for editors (JSON Schema) and the README's reference.
_EVEN = {"multipleOf": 2}


def _text_only(schema: dict) -> None:
    """For editors: the field takes text; null is not a way to ask for the default (leave the key out)."""
    schema.pop("anyOf", None)
    schema["type"] = "string"


def _group_name_schema(schema: dict) -> None:
    """For editors: a group is named by text matching GROUP_PATTERN (checked by PlotConfig._group_name)."""
    _text_only(schema)
    schema["pattern"] = GROUP_PATTERN


# The panels a config may list under `plot.panels` (drawn by figure/panel_kinds.py's registry, which a
# test holds to this list); the stimulus strip is `plot.stimulus_panel`.
PANEL_NAMES = (
    "gates", "conductances", "currents", "currents_close_up", "clamp_command", "clamp_currents", "clamp_total",
    "clamp_iv", "clamp_gv", "axon_sites", "axon_profile", "axon_map", "rest_zoom",
)  # fmt: skip


# The axes `plot.panel_limits` may fix: every panel, the stimulus strip among them (the voltage axis is
# `voltage_range_mv`).
LIMITED_PANELS = (*PANEL_NAMES, "stimulus")
GROUP_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$"


class PlotConfig(StrictModel):
    """The figure: size, axes, labels, reference lines, panels and annotations."""

    width_px: StrictInt = Field(
        640, ge=160, le=3840, description="Frame width in pixels (even, for H.264).", json_schema_extra=_EVEN
    )
    height_px: StrictInt = Field(
        480, ge=120, le=2160, description="Frame height in pixels (even, for H.264).", json_schema_extra=_EVEN
    )
    voltage_range_mv: tuple[Mv, Mv] | None = Field(
        None,
        description="Lower and upper limit of the voltage axis, in mV (default: fitted to the trace; -100 to 70"
        " for the original curve). A trace that leaves a range you set is flagged on the figure and in the notes.",
    )
    panel_limits: dict[Literal[LIMITED_PANELS], tuple[StrictFloat, StrictFloat]] = Field(
        {},
        description="Lower and upper limit of a panel's y axis, by panel name ('stimulus' for the stimulus strip),"
        " in the panel's unit, e.g. {conductances: [0, 40]} (default: fitted to the curves). An axis_group fills"
        " these in.",
    )
    axis_group: str | None = Field(
        None,
        description="Figures meant to be compared: every config in the same folder with the same axis_group gets"
        " the same voltage range and panel limits, the union of each one's fitted limits (written into"
        " voltage_range_mv and panel_limits before rendering, so the manifest records them). Rendering one file"
        " of a group still reads its folder's other members.",
        json_schema_extra=_group_name_schema,
    )
    time_tick_ms: StrictFloat | None = Field(
        None,
        gt=0,
        le=10_000,
        description="Spacing of the time-axis ticks, in ms"
        " (default: chosen from the duration, e.g. 1 ms for 10 ms, 10 ms for 80 ms).",
    )
    x_label: str = Field("Time (ms)", max_length=120, description="Label of the time axis.")
    y_label: str = Field("Voltage (mV)", max_length=120, description="Label of the voltage axis.")
    annotation: str = Field(
        "",
        max_length=120,
        description="Credit text in the lower right corner of the frame, under the time axis, never over data"
        " (none by default; with type_size 'original', faint inside the axes, as the original script drew it).",
    )
    math_text: StrictBool = Field(
        False,
        description="Read $...$ in the title, axis labels and annotation as matplotlib mathtext; otherwise text is"
        " drawn exactly as written.",
    )
    line_color: str | None = Field(
        None,
        description="Colour of the voltage trace: a hex code or a CSS colour name"
        " (default: blue for Gaussian waveforms, as originally; black for Hodgkin–Huxley, whose ions own the colours).",
        json_schema_extra=_text_only,  # leaving it out picks the default; an explicit null is a mistake
    )
    line_width_pt: StrictFloat = Field(2, gt=0, le=20, description="Width of the trace, in points.")
    rest_line: StrictBool = Field(True, description="Draw a dashed grey line at the resting level.")
    zero_line: StrictBool = Field(True, description="Draw a faint black line at 0 mV.")
    panels: tuple[Literal[PANEL_NAMES], ...] = Field(
        (),
        max_length=5,
        description="Panels"
        " under the voltage, top to bottom. Hodgkin–Huxley: 'gates' (m, h, n), 'conductances' (g_Na = gNa·m³h,"
        " g_K = gK·n⁴), 'currents' (membrane currents I_Na, I_K, I_L), 'currents_close_up' (the same on an axis"
        " as wide as the leak, so the small currents read; the spike's run off its edges). Voltage clamp:"
        " 'clamp_command' (every step), 'clamp_currents' (I_Na and I_K of every step), 'clamp_total' (the"
        " membrane current of every step: ionic plus the capacitive transient at its edges); and, in a column at"
        " the right with the step potential across, 'clamp_iv' (peak I_Na and steady I_K: the I–V curve) and"
        " 'clamp_gv' (peak g_Na and steady g_K over their largest: the activation curves). Axon: 'axon_sites' (V"
        " at each recording electrode), 'axon_profile' (V along the axon at each moment, over a drawing of it;"
        " drawn below the time panels), 'axon_map' (V as colour over time and distance, with the measured"
        " velocity as a line). Any model: 'rest_zoom' (the voltage from 27 mV below rest to 3 mV above it, with"
        " a 1 mV grid: an after-hyperpolarization read to the millivolt).",
    )
    stimulus_panel: StrictBool | None = Field(
        None,
        description="Draw the injected current on its own strip, pulse"
        " onsets marked across every panel (default: on for Hodgkin–Huxley).",
    )
    reversal_lines: StrictBool = Field(False, description="Draw E_Na and E_K as dashed lines (Hodgkin–Huxley only).")
    phases: StrictBool = Field(
        False, description="Shade and label the phases of the action potential as they are reached."
    )
    threshold_markers: StrictBool | None = Field(
        None,
        description="Mark the measured threshold on each spike"
        " (default: on for Hodgkin–Huxley; always off in student handouts, where it would give an answer away).",
    )
    grid: StrictBool | None = Field(
        None,
        description="Draw a light measurement grid with minor ticks (default: on in student handouts, off elsewhere).",
    )
    type_size: Literal["auto", "original", "projector"] = Field(
        "auto",
        description="Text sizes: 'projector' scales"
        " with the frame height (digits of tick labels, readouts and the credit at least 2.2% of it); 'original'"
        " keeps the original script's sizes and faint credit, to reproduce its figure; 'auto' is projector.",
    )
    velocity_line: StrictBool = Field(
        True,
        description="Axon map: draw the measured conduction velocity as a line of that slope, labelled with its"
        " value (left out of student handouts, where it would give it away).",
    )
    measured_marks: StrictBool = Field(
        True,
        description="Voltage clamp: mark what the I–V and G–V panels measure (E_Na, where I_Na reverses, each"
        " V½); always off in student handouts, where the marks would answer the exercise.",
    )
    tip_marker: StrictBool = Field(False, description="Mark the tip of the trace with a time and voltage readout.")
    threshold_line_mv: Mv | None = Field(
        None,
        description="Draw a dashed line at this voltage, labelled 'threshold', in mV: for figures whose lesson"
        " is the firing threshold (off by default; left out of student handouts, where it would give it away).",
    )
    spike_detection_mv: Mv = Field(
        -20.0,
        description="A spike rises through this level and falls back below it, in mV (eFEL's default: -20); "
        "Hodgkin–Huxley spikes also need net inward ionic current.",
    )
    refractory: StrictBool = Field(
        False,
        description="Hodgkin–Huxley: measure the absolute and relative refractory periods after the first spike "
        "with test pulses, report them in the manifest and draw them as bars. The absolute period lasts until "
        "a test pulse of 10 x the resting threshold current fires (the cap), the relative one until 1.1 x does.",
    )

    @field_validator("line_color", mode="before")
    @classmethod
    def _no_null_color(cls, value: object, info: ValidationInfo) -> object:
        # In a file, `line_color: #1f77b4` unquoted is a YAML comment, i.e. null: say so instead of silently
        # using the default. (Resolved parameters, which hold the null default, are validated without context.)
        if value is None and (info.context or {}).get("written_by_user"):
            raise ValueError(
                "must be a colour (got nothing); quote a hex colour, because # starts a YAML comment: '#1f77b4'"
            )
        return value

    @field_validator("line_color")
    @classmethod
    def _color(cls, value: str | None) -> str | None:
        return value if value is None else check_color(value)

    @field_validator("width_px", "height_px")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError(f"must be even, because H.264 video in yuv420p needs even sizes (got {value})")
        return value

    @field_validator("panels")
    @classmethod
    def _unique_panels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"lists a panel twice (got {list(value)})")
        return value

    @field_validator("voltage_range_mv")
    @classmethod
    def _increasing(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None:
            _check_increasing(value)
        return value

    @field_validator("panel_limits")
    @classmethod
    def _each_increasing(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for name, limits in value.items():
            _check_increasing(limits, f"{name}: ")
        return value

    @field_validator("axis_group")
    @classmethod
    def _group_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(GROUP_PATTERN, value):
            raise ValueError(
                f"must be a name of letters, digits, '.', '_' or '-', starting with a letter or digit,"
                f" at most 60 characters, e.g. temperature-pair (got {value!r})"
            )
        return value


def _check_increasing(limits: tuple[float, float], which: str = "") -> None:
    if limits[0] >= limits[1]:
        raise ValueError(f"{which}the lower limit must be below the upper one (got {list(limits)})")
