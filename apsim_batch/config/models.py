"""The config model (pydantic, frozen) and loading a YAML file into it with located errors.

Every field carries a one-line description: the same text feeds `--help`, the JSON Schema and
the README's config reference. Defaults alone reproduce the original teaching figure.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from ..errors import ConfigError, Problem
from .yamlsafe import parse_yaml, read_config_text

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

# Output names become folder and file names on every OS, so keep them to one portable segment.
# \Z, not $: "$" also matches before a trailing newline, which would put "evil\n" through.
_SAFE_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,79}\Z")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}

# Named colours accepted besides hex codes: CSS4 names (as matplotlib knows them) and the
# single-letter and tab: shortcuts. Kept here so validation never imports matplotlib.
_CSS4 = frozenset(
    """
    aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet
    brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan
    darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta darkolivegreen
    darkorange darkorchid darkred darksalmon darkseagreen darkslateblue darkslategray darkslategrey
    darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite
    forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray green greenyellow grey honeydew
    hotpink indianred indigo ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue
    lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon
    lightseagreen lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime
    limegreen linen magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple
    mediumseagreen mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue
    mintcream mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid
    palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum
    powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown seagreen
    seashell sienna silver skyblue slateblue slategray slategrey snow springgreen steelblue tan teal
    thistle tomato turquoise violet wheat white whitesmoke yellow yellowgreen
    """.split()  # noqa: SIM905
)
_TAB = frozenset(f"tab:{c}" for c in "blue orange green red purple brown pink gray olive cyan".split())  # noqa: SIM905
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def is_color(value: str) -> bool:
    """True for colours matplotlib draws: hex codes, CSS4 names, tab: names, b g r c m y k w."""
    return bool(_HEX.match(value)) or value in _CSS4 or value in _TAB or value in set("bgrcmykw")


def check_color(value: str) -> str:
    if not is_color(value):
        raise ValueError(f"must be a colour: a hex code like '#1f77b4' or a CSS name like 'blue' (got {value!r})")
    return value


def check_output_name(name: str) -> str | None:
    """Return why `name` is not a safe single path segment, or None when it is."""
    if not _SAFE_NAME.match(name) or name.endswith("."):
        return "may use only letters, digits, '.', '_' and '-' (start with a letter or digit, at most 80)"
    if name.split(".")[0].lower() in _WINDOWS_RESERVED:
        return "is a reserved device name on Windows"
    return None


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
                    raise ValueError(f"{key}: random mode needs a {key}")
        else:
            for key in ("count", "seed"):
                if getattr(self, key) is not None:
                    raise ValueError(
                        f"{key}: only random mode takes a {key}; a {self.mode} set's size follows its lists"
                    )
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
            raise ValueError(
                f"animation.samples_per_frame: {self.waveform.samples} samples at {self.animation.samples_per_frame}"
                f" per frame make {frames:,} frames; at most {MAX_FRAMES:,} are allowed"
            )
        if self.plot.panels and self.waveform.model != "hodgkin_huxley":
            raise ValueError(
                "plot.panels: gates and currents exist only in the Hodgkin–Huxley model; set"
                " waveform.model: hodgkin_huxley or remove the panels"
            )
        ticks = self.waveform.duration_ms / self.plot.time_tick_ms
        if ticks > MAX_TICKS:
            raise ValueError(
                f"plot.time_tick_ms: {self.plot.time_tick_ms:g} ms ticks over {self.waveform.duration_ms:g} ms"
                f" make {ticks:,.0f} ticks; at most {MAX_TICKS} are allowed"
            )
        return self

    @property
    def frame_count(self) -> int:
        """Number of animation frames (without the hold of the last frame)."""
        return math.ceil(self.waveform.samples / self.animation.samples_per_frame)


class VariantInfo(BaseModel):
    """Which variant of which set a render is, and the values that make it one."""

    model_config = ConfigDict(frozen=True)

    set_name: str
    id: str
    index: int  # 0-based position in the set
    size: int
    mode: str
    seed: int | None
    student: bool
    values: dict[str, Any]  # field path as written in the set -> value


class LoadedConfig(BaseModel):
    """A validated config with where it came from."""

    model_config = ConfigDict(frozen=True)

    config: Config
    name: str
    source: str
    source_sha256: str
    overrides: dict[str, Any] = {}  # --set path -> value, applied after the file
    variant: VariantInfo | None = None

    def manifest_extras(self) -> dict[str, Any]:
        """What a render's manifest records beyond the resolved parameters: overrides and variant."""
        extras: dict[str, Any] = {}
        if self.overrides:
            extras["overrides"] = dict(self.overrides)
        if self.variant is not None:
            extras["variant"] = self.variant.model_dump(mode="json")
        return extras


def load_config(path: str | Path) -> LoadedConfig:
    """Read, parse and validate one YAML config file; raise ConfigError with every problem found."""
    return read_config(path)[0]


def read_config(path: str | Path) -> tuple[LoadedConfig, Mapping[tuple, int]]:
    """Like load_config, also returning the line of every value (for errors located later)."""
    import hashlib

    path = Path(path)
    source = str(path)
    text = read_config_text(path)
    data, lines = parse_yaml(text, source)
    if data is None:
        raise ConfigError([Problem(source, "file is empty; expected a mapping of settings such as 'waveform:'", 1)])
    if not isinstance(data, dict):
        raise ConfigError([Problem(source, f"top level must be a mapping of settings, not a {_kind(data)}", 1)])
    config = validate_config(data, source, lines)
    name = config.name or path.stem
    if config.name is None and (why := check_output_name(name)):
        raise ConfigError([Problem(source, f"the file name {name!r} {why}; rename the file or set it", 1, "name")])
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedConfig(config=config, name=name, source=source, source_sha256=sha), lines


def validate_config(data: Mapping[str, Any], source: str, lines: Mapping[tuple, int] | None = None) -> Config:
    """Validate plain data as a Config; errors are located by `lines` (path -> line) when given."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, data, source, lines or {})) from None


def format_validation_error(exc: ValidationError, data: Any, source: str, lines: Mapping[tuple, int]) -> list[Problem]:
    """Turn pydantic's errors into one located Problem each (file, line, dotted field path)."""
    problems = []
    for err in exc.errors(include_url=False):
        loc, _ = _walk(tuple(err["loc"]), data)
        field, message = _field_and_message(err, loc, data)
        # A model-level check naming its own field ("count: why") is located at that field's line.
        named = (
            (*loc, *field.split(".")[len(field_path(loc).split(".")) :]) if loc and field != field_path(loc) else loc
        )
        problems.append(Problem(source, message, _line_of(named, lines), field))
    return problems


def field_path(loc: tuple) -> str:
    """('waveform', 'components', 1, 'width_ms') -> 'waveform.components[1].width_ms'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(loc: tuple, lines: Mapping[tuple, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _field_and_message(err: dict, loc: tuple, data: Any) -> tuple[str, str]:
    kind, ctx, value = err["type"], err.get("ctx", {}), err.get("input")
    got = f" (got {_show(value)})"
    if kind == "union_tag_invalid":
        discriminator = str(ctx.get("discriminator", "")).strip("'")
        return field_path(
            (*loc, discriminator)
        ), f"must be one of {ctx.get('expected_tags')} (got {_show(ctx.get('tag'))})"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1], data)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        return field_path(loc), f"unknown key{suggestion} (allowed: {', '.join(allowed)})"
    messages = {
        "greater_than": lambda: f"must be greater than {_num(ctx.get('gt'))}{got}",
        "greater_than_equal": lambda: f"must be at least {_num(ctx.get('ge'))}{got}",
        "less_than": lambda: f"must be less than {_num(ctx.get('lt'))}{got}",
        "less_than_equal": lambda: f"must be at most {_num(ctx.get('le'))}{got}",
        "finite_number": lambda: f"must be a finite number{got}",
        "float_type": lambda: f"must be a number{got}",
        "int_type": lambda: f"must be a whole number{got}",
        "bool_type": lambda: f"must be true or false{got}",
        "string_type": lambda: f"must be text{got}",
        "missing": lambda: "is required",
        "literal_error": lambda: f"must be one of {ctx.get('expected')}{got}",
        "too_long": lambda: f"is too long: at most {ctx.get('max_length')} items or characters",
        "too_short": lambda: f"is too short: at least {ctx.get('min_length')} item(s)",
        "tuple_type": lambda: f"must be a list{got}",
        "model_type": lambda: f"must be a mapping of settings{got}",
        "model_attributes_type": lambda: f"must be a mapping of settings{got}",
    }
    if kind in messages:
        return field_path(loc), messages[kind]()
    message = str(ctx.get("error", err["msg"])) if kind == "value_error" else err["msg"]
    # A model-level check may name its own field ("field: why"); keep the path precise.
    head, sep, rest = message.partition(": ")
    if sep and re.fullmatch(r"[a-z_]+(\.[a-z_]+)*", head):
        return field_path((*loc, *head.split("."))) if loc else head, rest
    return field_path(loc), message


def _num(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: Any) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "boolean"}.get(type(value), "value")


def _allowed_keys(loc: tuple, data: Any) -> list[str]:
    """Field names of the model found at `loc` (a path without union tags), walking from Config."""
    _, model = _walk(loc, data)
    return sorted(model.model_fields) if model is not None else []


def _walk(loc: tuple, data: Any) -> tuple[tuple, type[BaseModel] | None]:
    """Follow a pydantic error location from Config: (the location as YAML sees it, model at its end).

    pydantic puts the tag of a discriminated union into the location ('waveform', 'hodgkin_huxley',
    'e_na_mv'); the YAML has no such level, so it is dropped here. Where the location has no tag,
    the member is picked from the data's own tag (a mapping without one means the first member).
    """
    model: Any = Config
    node: Any = data
    clean: list = []
    parts = list(loc)
    in_dict = False  # the next part is a mapping key (a variant field path), not a field name
    while parts:
        part = parts.pop(0)
        clean.append(part)
        if in_dict:
            in_dict = False
            node = node.get(part) if isinstance(node, Mapping) else None
            continue
        if isinstance(part, int):
            node = node[part] if isinstance(node, list | tuple) and -len(node) <= part < len(node) else None
            continue
        node = node.get(part) if isinstance(node, Mapping) else None
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            model = None
            continue
        members = models_in(field.annotation)
        if isinstance(field.discriminator, str) and len(members) > 1:
            tags = {m.model_fields[field.discriminator].default: m for m in members}
            for m in members:
                for tag in getattr(m.model_fields[field.discriminator].annotation, "__args__", ()):
                    tags[tag] = m
            if parts and parts[0] in tags:
                model = tags[parts.pop(0)]
            else:
                tag = node.get(field.discriminator) if isinstance(node, Mapping) else None
                model = tags.get(tag, members[0])
        else:
            model = members[0] if members else None
        in_dict = getattr(field.annotation, "__origin__", None) is dict
    return tuple(clean), model


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The BaseModel classes inside an annotation such as `tuple[GaussianComponent, ...]` or a union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()):
        found += [m for m in models_in(arg) if m not in found]
    return found
