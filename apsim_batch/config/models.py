"""The config models (pydantic, frozen): every setting, its default, its range and its description.

Every field carries a one-line description: the same text feeds `--help`, the JSON Schema and
the README's config reference. Defaults alone reproduce the original teaching figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
    model_validator,
)

from ..errors import FieldError
from ..names import check_output_name
from .axon import AxonExperiment
from .base import MAX_SAMPLES, Mv, StrictModel
from .clamp import VoltageClampExperiment
from .hodgkin_huxley import CurrentPulse, HodgkinHuxleyWaveform, Stimulus, SustainedStep
from .plot import PlotConfig
from .recorded import RecordedWaveform

# The rule check_output_name applies, as a JSON Schema pattern for editors (checked in the tests).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"

MAX_FRAMES = 20_000
MAX_TICKS = 200
MAX_VARIANTS = 10_000  # per variant set; a grid is refused before it is expanded
# Below this, sigma² underflows to 0 and exp(-0 / 0) makes the trace NaN at the centre.
MIN_WIDTH_MS = 1e-150
# Range values are rounded to 9 decimals, so a finer step only repeats values.
MIN_STEP = 1e-9
MAX_VARIANT_FIELDS = 20
OUTPUT_FORMATS = ("gif", "mp4", "png", "csv")
# What an exercise may ask (`variants.ask`): the answer key's measured columns, in its order; a test
# checks they are output/answers.py's KEY_COLUMNS (the trace layer defines them; config cannot import it).
MEASURED_NAMES = (
    "resting_mv",
    "spike_count",
    "firing_rate_hz",
    "threshold_mv",
    "threshold_time_ms",
    "peak_mv",
    "peak_time_ms",
    "amplitude_mv",
    "half_width_ms",
    "ahp_min_mv",
    "ahp_time_ms",
    "ahp_depth_mv",
    "isi_ms",
    "recovery_time_ms",
)
OutputFormat = Literal["gif", "mp4", "png", "csv"]
__all__ = ["CurrentPulse", "HodgkinHuxleyWaveform", "MAX_SAMPLES", "Stimulus", "SustainedStep"]  # their old home


class GaussianComponent(StrictModel):
    """One Gaussian bump added to the resting level."""

    label: str | None = Field(
        None, max_length=60, description="Name of the component, e.g. 'depolarization'; used in addresses and legends."
    )
    center_ms: StrictFloat = Field(ge=-1e5, le=1e5, description="Time of the Gaussian's peak, in ms.")
    width_ms: StrictFloat = Field(gt=0, le=1e4, description="The Gaussian's standard deviation (sigma), in ms.")
    amplitude_mv: Mv | None = Field(
        None, description="Height relative to the resting level, in mV (give this or peak_mv, not both)."
    )
    peak_mv: Mv | None = Field(
        None,
        description="The trace's voltage at the centre, in mV, the other components included (the figure's peak"
        " there): this component's own height is what the others leave to reach it.",
    )

    @field_validator("width_ms")
    @classmethod
    def _finite_trace(cls, value: float) -> float:
        if value < MIN_WIDTH_MS:
            raise ValueError(
                f"must be at least {MIN_WIDTH_MS:g}: a narrower Gaussian's sigma² is 0 in floating point,"
                f" which makes the trace not a number (got {value!r})"
            )
        return value

    @model_validator(mode="after")
    def _exactly_one_height(self) -> GaussianComponent:
        if (self.amplitude_mv is None) == (self.peak_mv is None):
            which = "both" if self.amplitude_mv is not None else "neither"
            raise ValueError(f"give exactly one of amplitude_mv or peak_mv (got {which})")
        return self


def _classic_components() -> tuple[GaussianComponent, ...]:
    return (
        GaussianComponent(label="depolarization", center_ms=2.5, width_ms=0.1, amplitude_mv=110),
        GaussianComponent(label="hyperpolarization", center_ms=3.5, width_ms=0.2, peak_mv=-90),
    )


class GaussianWaveform(StrictModel):
    """A resting level plus a sum of Gaussian components (the original teaching curve)."""

    model: Literal["gaussian"] = Field("gaussian", description="Waveform model: 'gaussian' (sum of bumps).")
    resting_mv: Mv = Field(-70, description="Resting membrane potential, in mV.")
    duration_ms: StrictFloat = Field(10, gt=0, le=10_000, description="Length of the trace, in ms.")
    samples: StrictInt = Field(500, ge=2, le=MAX_SAMPLES, description="Number of evenly spaced samples, ends included.")
    smoothing: Literal["none", "cubic"] = Field(
        "cubic",
        description="'cubic': the original's interpolating cubic spline on the sample grid, which returns the samples"
        " unchanged; kept so configs written for the original read the same.",
    )
    components: tuple[GaussianComponent, ...] = Field(
        default_factory=_classic_components, max_length=50, description="The Gaussian components, in any order."
    )


def _gaussian_by_default(value: Any) -> Any:
    """A waveform mapping without `model` keeps meaning the original Gaussian waveform."""
    if isinstance(value, Mapping) and "model" not in value:
        return {"model": "gaussian", **value}
    return value


# Every waveform model's config, tagged by its `model:` (a new model: its class here, its entry in trace/models.py).
WAVEFORM_MODELS = (GaussianWaveform, HodgkinHuxleyWaveform, VoltageClampExperiment, AxonExperiment, RecordedWaveform)
# The panels each model has data for (`plot.panels` may list only these, or a panel no model lists, which
# draws from the voltage alone); trace/models.py's entries use them.
MODEL_PANELS: dict[str, tuple[str, ...]] = {
    "hodgkin_huxley": ("gates", "conductances", "currents", "currents_close_up"),
    "voltage_clamp": ("clamp_command", "clamp_currents", "clamp_total", "clamp_iv", "clamp_gv"),
    "axon": ("axon_sites", "axon_profile", "axon_map"),
}
Waveform = Annotated[Union[WAVEFORM_MODELS], Field(discriminator="model")]  # noqa: UP007 (a union built from the tuple)


class AnimationConfig(StrictModel):
    """How the trace is revealed over time."""

    fps: StrictFloat = Field(90, ge=1, le=120, description="Frames per second of the animation (the MP4 keeps it).")
    samples_per_frame: StrictInt = Field(2, ge=1, le=MAX_SAMPLES, description="Samples revealed by each new frame.")
    trace_ms_per_s: StrictFloat | None = Field(
        None,
        gt=0,
        le=1e6,
        description="Play this many ms of trace per second instead of samples_per_frame, so figures compared"
        " side by side play at the same speed.",
    )
    spike_slowdown: StrictFloat | None = Field(
        None,
        ge=1,
        le=20,
        description="Play each spike, from threshold to the end of repolarization, this many times slower, with a"
        " 'slow ×N' badge (1: off; default: the smallest whole factor, at most 20, that keeps each spike's rising"
        " and falling phase on screen at least 0.4 s).",
    )
    hold_last_frame_s: StrictFloat = Field(2, ge=0, le=60, description="Extra seconds to show the finished trace.")
    poster_s: StrictFloat = Field(
        0.02,
        ge=0,
        le=60,
        description="GIF only: open on the finished figure for this long, so viewers that show only the first"
        " frame show the whole trace (0: open on the empty axes). The default, 0.02 s, is the shortest delay"
        " browsers honour: a preview shows the poster, a player starts the animation without showing the answer.",
    )

    @model_validator(mode="after")
    def _one_speed(self) -> AnimationConfig:
        if self.trace_ms_per_s is not None and "samples_per_frame" in self.model_fields_set:
            raise FieldError(
                ("trace_ms_per_s",),
                "give either samples_per_frame or trace_ms_per_s, not both (each sets the speed)",
            )
        return self


# --- variant sets ----------------------------------------------------------------------------

VariantValue = StrictBool | StrictInt | StrictFloat | Annotated[str, Field(max_length=120)]
Number = StrictInt | StrictFloat


class VariantField(StrictModel):
    """How one field varies: a list of values, or a min/max range with an optional step."""

    values: tuple[VariantValue, ...] | None = Field(
        None, min_length=1, max_length=MAX_VARIANTS, description="Values in order (grid, zip) or to pick from (random)."
    )
    min: Number | None = Field(None, ge=-1e6, le=1e6, description="Lower end of a range (included).")
    max: Number | None = Field(None, ge=-1e6, le=1e6, description="Upper end of a range (included).")
    step: Number | None = Field(
        None, gt=0, le=1e6, description="Range values are min + k * step (random rounds to it; grid needs it)."
    )

    @field_validator("step")
    @classmethod
    def _resolvable_step(cls, value: float | None) -> float | None:
        if value is not None and value < MIN_STEP:
            raise ValueError(f"must be at least {MIN_STEP:g}: range values are rounded to 9 decimals (got {value!r})")
        return value

    @model_validator(mode="before")
    @classmethod
    def _list_is_values(cls, data: Any) -> Any:
        """A bare list is shorthand for `values: [...]`."""
        return {"values": data} if isinstance(data, list) else data

    @model_validator(mode="after")
    def _one_form(self) -> VariantField:
        ranged = self.min is not None or self.max is not None or self.step is not None
        if self.values is not None and ranged:
            raise ValueError("give either a list of values or min/max (with an optional step), not both")
        if self.values is None and (self.min is None or self.max is None):
            raise ValueError("give a list of values, or both min and max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min must not exceed max (got min {self.min}, max {self.max})")
        return self


def _list_shorthand_schema(schema: dict[str, Any]) -> None:
    """For editors: a field's spec may also be a bare list of values (VariantField reads it so)."""
    values = {"type": "array", "minItems": 1, "items": {"type": ["boolean", "number", "string"]}}
    schema["additionalProperties"] = {"anyOf": [schema["additionalProperties"], values]}
    # pydantic checks a mapping's size but does not write it into the schema.
    schema.update(minProperties=1, maxProperties=MAX_VARIANT_FIELDS)


class VariantSet(StrictModel):
    """Expands one config into many renders for an exercise (see the README's Variant sets)."""

    mode: Literal["grid", "zip", "random"] = Field(
        description="'grid': every combination; 'zip': lists taken in step; 'random': count draws from a seed."
    )
    count: StrictInt | None = Field(None, ge=1, description="random: how many variants to draw.")
    seed: StrictInt | None = Field(None, ge=0, le=10**9, description="random: the seed; same seed, same variants.")
    student: StrictBool = Field(
        False, description="Also write student handouts that show only the set name and variant id."
    )
    exercise: str | None = Field(
        None,
        max_length=4000,
        description="Text for students (the task), shown on the set's handout page; blank lines separate paragraphs.",
    )
    ask: tuple[Literal[MEASURED_NAMES], ...] | None = Field(
        None,
        min_length=1,
        description="The measurements the exercise asks for, by their answer-key names (e.g. ahp_depth_mv,"
        " recovery_time_ms): the handout page lists them, the key marks them and the exports ask them."
        " Unset: every measured value with a marking tolerance.",
    )
    fields: dict[Annotated[str, Field(min_length=1, max_length=200)], VariantField] = Field(
        min_length=1,
        max_length=MAX_VARIANT_FIELDS,
        description="Field path -> how it varies, e.g. waveform.components[0].width_ms.",
        json_schema_extra=_list_shorthand_schema,
    )

    @model_validator(mode="after")
    def _mode_settings(self) -> VariantSet:
        if self.mode == "random":
            for key in ("count", "seed"):
                if getattr(self, key) is None:
                    raise FieldError((key,), f"random mode needs a {key}")
        else:
            for key in ("count", "seed"):
                if getattr(self, key) is not None:
                    message = f"only random mode takes a {key}; a {self.mode} set's size follows its lists"
                    raise FieldError((key,), message)
        return self


class Config(StrictModel):
    """One animation: a waveform, how to draw it, how to animate it and which files to write."""

    name: str | None = Field(
        None,
        max_length=80,
        description="Output name (letters, digits, '.', '_', '-'); defaults to the config file's stem.",
        json_schema_extra={"pattern": NAME_PATTERN},
    )
    title: str = Field("Action Potential", max_length=120, description="Title above the plot.")
    waveform: Waveform = Field(
        default_factory=GaussianWaveform, description="The membrane-voltage waveform: its `model` picks the fields."
    )
    plot: PlotConfig = Field(default_factory=PlotConfig, description="The figure.")
    animation: AnimationConfig = Field(default_factory=AnimationConfig, description="The animation.")
    outputs: tuple[OutputFormat, ...] = Field(
        OUTPUT_FORMATS, min_length=1, description="Files to write: any of gif, mp4, png, csv."
    )
    # Excluded from dumps: a variant's resolved parameters are one render's, without the set.
    variants: VariantSet | None = Field(
        None, exclude=True, description="Render many variants of this config (an exercise set) instead of one."
    )

    _default_model = field_validator("waveform", mode="before")(_gaussian_by_default)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str | None) -> str | None:
        if value is not None and (why := check_output_name(value)):
            raise ValueError(f"{why} (got {value!r})")
        return value

    @field_validator("outputs")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"lists a format twice (got {list(value)})")
        return value

    @model_validator(mode="after")
    def _bounded_work(self) -> Config:
        """Cap what one file can ask for (the frame cap applies at render time, to animations only)."""
        model = self.waveform.model
        offered = MODEL_PANELS.get(model, ())
        for i, name in enumerate(self.plot.panels):
            owners = " or ".join(m for m, names in MODEL_PANELS.items() if name in names)
            if owners and name not in offered:  # a panel no model lists draws only the voltage: any model's
                has = (
                    f"the {model} model's panels are {', '.join(offered)}" if offered else f"the {model} model has none"
                )
                raise FieldError(("plot", "panels", i), f"{name} is drawn only for model {owners}; {has}")
        if self.waveform.model != "hodgkin_huxley":
            plot = self.plot
            for wanted, field, what in (
                (plot.stimulus_panel, "stimulus_panel", "a stimulus strip"),
                (plot.reversal_lines, "reversal_lines", "E_Na and E_K lines"),
            ):
                if wanted:
                    raise FieldError(
                        ("plot", field),
                        f"only the Hodgkin–Huxley model has {what}; set waveform.model: hodgkin_huxley or leave it out",
                    )
        if self.plot.time_tick_ms is not None:
            ticks = self.waveform.duration_ms / self.plot.time_tick_ms
            if ticks > MAX_TICKS:
                raise FieldError(
                    ("plot", "time_tick_ms"),
                    f"{self.plot.time_tick_ms:g} ms ticks over {self.waveform.duration_ms:g} ms"
                    f" make {ticks:,.0f} ticks; at most {MAX_TICKS} are allowed (leave it out to choose them"
                    " from the duration)",
                )
        return self

    @property
    def frame_count(self) -> int:
        """Number of animation frames (without the hold of the last frame)."""
        return math.ceil(self.waveform.samples / self.animation.samples_per_frame)


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The BaseModel classes inside an annotation such as `tuple[GaussianComponent, ...]` or a union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()):
        found += [m for m in models_in(arg) if m not in found]
    return found
