"""The config models (pydantic, frozen): every setting, its default, its range and its description.

Every field carries a one-line description: the same text feeds `--help`, the JSON Schema and
the README's config reference. Defaults alone reproduce the original teaching figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
    model_validator,
)

from ..errors import FieldError
from ..names import check_output_name
from .colors import check_color

MAX_SAMPLES = 200_000
MAX_FRAMES = 20_000
MAX_TICKS = 200
MAX_VARIANTS = 10_000  # per variant set; a grid is refused before it is expanded
# Below this, sigma² underflows to 0 and exp(-0 / 0) makes the trace NaN at the centre.
MIN_WIDTH_MS = 1e-150
# Range values are rounded to 9 decimals, so a finer step only repeats values.
MIN_STEP = 1e-9
OUTPUT_FORMATS = ("gif", "mp4", "png", "csv")
OutputFormat = Literal["gif", "mp4", "png", "csv"]

Mv = Annotated[StrictFloat, Field(ge=-1000, le=1000)]


class _Model(BaseModel):
    """Frozen, strict about unknown keys, and no NaN or infinity anywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=False)


class GaussianComponent(_Model):
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
        None, description="Absolute voltage at the centre, in mV; amplitude = peak_mv - resting_mv."
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

    def amplitude_from(self, resting_mv: float) -> float:
        """Height of this component relative to rest, in mV."""
        return self.amplitude_mv if self.amplitude_mv is not None else self.peak_mv - resting_mv


def _classic_components() -> tuple[GaussianComponent, ...]:
    return (
        GaussianComponent(label="depolarization", center_ms=2.5, width_ms=0.1, amplitude_mv=110),
        GaussianComponent(label="hyperpolarization", center_ms=3.5, width_ms=0.2, peak_mv=-90),
    )


class GaussianWaveform(_Model):
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


UaPerCm2 = Annotated[StrictFloat, Field(ge=-10_000, le=10_000)]


class CurrentPulse(_Model):
    """A rectangular current pulse injected into the membrane (positive depolarizes)."""

    onset_ms: StrictFloat = Field(ge=0, le=1e5, description="Time the pulse switches on, in ms.")
    duration_ms: StrictFloat = Field(gt=0, le=1e5, description="How long the pulse lasts, in ms.")
    amplitude_ua_per_cm2: UaPerCm2 = Field(description="Injected current density, in µA/cm² (positive depolarizes).")


class SustainedStep(_Model):
    """A current step that switches on and stays on to the end of the trace."""

    onset_ms: StrictFloat = Field(0, ge=0, le=1e5, description="Time the step switches on, in ms.")
    amplitude_ua_per_cm2: UaPerCm2 = Field(description="Injected current density, in µA/cm² (positive depolarizes).")


def _one_pulse() -> tuple[CurrentPulse, ...]:
    return (CurrentPulse(onset_ms=1, duration_ms=1, amplitude_ua_per_cm2=10),)


class Stimulus(_Model):
    """The injected current: any number of pulses plus an optional sustained step (they add up)."""

    pulses: tuple[CurrentPulse, ...] = Field(
        default_factory=_one_pulse, max_length=100, description="Current pulses, in any order; they may overlap."
    )
    step: SustainedStep | None = Field(None, description="A sustained current step, or none.")


class HodgkinHuxleyWaveform(_Model):
    """The Hodgkin–Huxley (1952) squid-axon model in the modern convention (rest near -65 mV)."""

    model: Literal["hodgkin_huxley"] = Field(description="Waveform model: 'hodgkin_huxley' (simulated membrane).")
    duration_ms: StrictFloat = Field(20, gt=0, le=10_000, description="Length of the trace, in ms.")
    samples: StrictInt = Field(
        1000, ge=2, le=MAX_SAMPLES, description="Number of evenly spaced samples, ends included."
    )
    capacitance_uf_per_cm2: StrictFloat = Field(1, gt=0, le=100, description="Membrane capacitance, in µF/cm².")
    g_na_ms_per_cm2: StrictFloat = Field(120, ge=0, le=10_000, description="Maximal sodium conductance, in mS/cm².")
    g_k_ms_per_cm2: StrictFloat = Field(36, ge=0, le=10_000, description="Maximal potassium conductance, in mS/cm².")
    g_leak_ms_per_cm2: StrictFloat = Field(0.3, gt=0, le=10_000, description="Leak conductance, in mS/cm².")
    e_na_mv: Mv = Field(50, description="Sodium reversal potential, in mV.")
    e_k_mv: Mv = Field(-77, description="Potassium reversal potential, in mV.")
    e_leak_mv: Mv = Field(-54.387, description="Leak reversal potential, in mV.")
    temperature_c: StrictFloat = Field(
        6.3, ge=-5, le=45, description="Temperature, in °C; every rate is scaled by 3^((T - 6.3) / 10)."
    )
    stimulus: Stimulus = Field(default_factory=Stimulus, description="The injected current.")


def _gaussian_by_default(value: Any) -> Any:
    """A waveform mapping without `model` keeps meaning the original Gaussian waveform."""
    if isinstance(value, Mapping) and "model" not in value:
        return {"model": "gaussian", **value}
    return value


Waveform = Annotated[GaussianWaveform | HodgkinHuxleyWaveform, Field(discriminator="model")]


class PlotConfig(_Model):
    """The figure: size, axes, labels and reference lines."""

    width_px: StrictInt = Field(640, ge=160, le=3840, description="Frame width in pixels (even, for H.264).")
    height_px: StrictInt = Field(480, ge=120, le=2160, description="Frame height in pixels (even, for H.264).")
    voltage_range_mv: tuple[Mv, Mv] = Field((-100, 70), description="Lower and upper limit of the voltage axis, in mV.")
    time_tick_ms: StrictFloat = Field(1, gt=0, le=10_000, description="Spacing of the time-axis ticks, in ms.")
    x_label: str = Field("Time (ms)", max_length=120, description="Label of the time axis.")
    y_label: str = Field("Voltage (mV)", max_length=120, description="Label of the voltage axis.")
    annotation: str = Field("© Remy Cohan", max_length=120, description="Faint text at the lower right ('' for none).")
    math_text: StrictBool = Field(
        False,
        description="Read $...$ in the title, axis labels and annotation as matplotlib mathtext; otherwise text is"
        " drawn exactly as written.",
    )
    line_color: str = Field("blue", description="Colour of the trace: a hex code or a CSS colour name.")
    line_width_pt: StrictFloat = Field(2, gt=0, le=20, description="Width of the trace, in points.")
    rest_line: StrictBool = Field(True, description="Draw a dashed grey line at the resting level.")
    zero_line: StrictBool = Field(True, description="Draw a faint black line at 0 mV.")
    panels: tuple[Literal["gates", "currents"], ...] = Field(
        (),
        max_length=2,
        description="Panels under the voltage (Hodgkin–Huxley only): 'gates' (m, h, n), 'currents' (ionic, stimulus).",
    )
    phases: StrictBool = Field(
        False, description="Shade and label the phases of the action potential as they are reached."
    )
    tip_marker: StrictBool = Field(False, description="Mark the tip of the trace with a time and voltage readout.")
    spike_detection_mv: Mv = Field(
        -20.0,
        description="A spike is counted each time the trace rises through this level, in mV (eFEL's default: -20).",
    )
    refractory: StrictBool = Field(
        False,
        description="Hodgkin–Huxley: measure the absolute and relative refractory periods after the first spike "
        "with test pulses, report them in the manifest and draw them as bars.",
    )

    _check_color = field_validator("line_color")(check_color)

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
    def _increasing(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] >= value[1]:
            raise ValueError(f"the lower limit must be below the upper one (got {list(value)})")
        return value


class AnimationConfig(_Model):
    """How the trace is revealed over time."""

    fps: StrictFloat = Field(90, ge=1, le=120, description="Frames per second of the animation (the MP4 keeps it).")
    samples_per_frame: StrictInt = Field(2, ge=1, le=MAX_SAMPLES, description="Samples revealed by each new frame.")
    hold_last_frame_s: StrictFloat = Field(0, ge=0, le=60, description="Extra seconds to show the finished trace.")


# --- variant sets ----------------------------------------------------------------------------

VariantValue = StrictBool | StrictInt | StrictFloat | Annotated[str, Field(max_length=120)]
Number = StrictInt | StrictFloat


class VariantField(_Model):
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


class VariantSet(_Model):
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
    fields: dict[Annotated[str, Field(min_length=1, max_length=200)], VariantField] = Field(
        min_length=1,
        max_length=20,
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


class Config(_Model):
    """One animation: a waveform, how to draw it, how to animate it and which files to write."""

    name: str | None = Field(None, description="Output name; defaults to the config file's stem.")
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
        """Cap what one file can ask for, so no config can demand a billion frames or ticks."""
        frames = self.frame_count
        if frames > MAX_FRAMES:
            raise FieldError(
                ("animation", "samples_per_frame"),
                f"{self.waveform.samples} samples at {self.animation.samples_per_frame}"
                f" per frame make {frames:,} frames; at most {MAX_FRAMES:,} are allowed",
            )
        if self.plot.panels and self.waveform.model != "hodgkin_huxley":
            raise FieldError(
                ("plot", "panels"),
                "gates and currents exist only in the Hodgkin–Huxley model; set"
                " waveform.model: hodgkin_huxley or remove the panels",
            )
        ticks = self.waveform.duration_ms / self.plot.time_tick_ms
        if ticks > MAX_TICKS:
            raise FieldError(
                ("plot", "time_tick_ms"),
                f"{self.plot.time_tick_ms:g} ms ticks over {self.waveform.duration_ms:g} ms"
                f" make {ticks:,.0f} ticks; at most {MAX_TICKS} are allowed",
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
