"""The JSON Schema of a config, generated from the pydantic models, for editors' YAML support."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, NoDefault

SCHEMA_FILE = "apsim-batch.schema.json"
SCHEMA_HEADER = "# yaml-language-server: $schema="
REGENERATE = "apsim-batch schema --out apsim-batch.schema.json"


class _Generator(GenerateJsonSchema):
    """pydantic's generator, plus defaults made by factories and without auto-made field titles."""

    def get_default_value(self, schema: Any) -> Any:
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            return _plain(factory())
        return super().get_default_value(schema)

    def field_title_should_be_set(self, schema: Any) -> bool:
        # "Center Ms" says less than the description beside it; editors show the key name anyway.
        return False


def _plain(value: Any) -> Any:
    """A default as JSON data (models dumped, tuples as lists)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value if value is not None else NoDefault


def config_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every config file must satisfy."""
    from ..config.models import Config

    schema = Config.model_json_schema(schema_generator=_Generator)
    _standard_keywords(schema)
    models: dict[str, type] = {}
    _collect(Config, models)
    for title, definition in [("Config", schema), *schema.get("$defs", {}).items()]:
        model = models.get(title)
        if model is None:
            continue
        definition["title"] = _TITLES.get(title, definition.get("title", title))
        for name, prop in definition.get("properties", {}).items():
            prop["markdownDescription"] = hover_text(model.model_fields[name], name)
            if "discriminator" in prop:  # a tagged union: a wrong type is named by its tags, in words
                tag = prop["discriminator"]["propertyName"]
                prop.update(type="object", title=f"a {name} ({tag}: {' or '.join(prop['discriminator']['mapping'])})")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "apsim-batch config",
        "description": (
            "One action-potential animation for apsim-batch: a waveform, how to draw and animate it, which files to"
            " write. Generated from apsim_batch/config/models.py; regenerate with: " + REGENERATE
        ),
    }


# Editors show a definition's title as the hover heading and join the titles of a union's members in
# type errors ("Expected A | B"), so the titles are words a teacher reads, never class names.
_TITLES = {
    "Config": "apsim-batch config",
    "GaussianWaveform": "a Gaussian waveform (model: gaussian)",
    "HodgkinHuxleyWaveform": "a Hodgkin–Huxley waveform (model: hodgkin_huxley)",
    "RecordedWaveform": "a recorded trace (model: recorded)",
    "VoltageClampExperiment": "a voltage-clamp experiment (model: voltage_clamp)",
    "AxonExperiment": "propagation along an axon (model: axon)",
    "GaussianComponent": "a Gaussian component",
    "Membrane": "the Hodgkin–Huxley membrane",
    "StepRange": "a range of step potentials",
    "Myelin": "myelin and nodes of Ranvier",
    "AxonStimulus": "the stimulating electrode",
    "PointPulse": "a current pulse at one point",
    "Stimulus": "the injected current",
    "CurrentPulse": "a current pulse",
    "SustainedStep": "a sustained current step",
    "PlotConfig": "the figure (plot)",
    "AnimationConfig": "the animation",
    "VariantSet": "a variant set",
    "VariantField": "how one field varies (a list of values, or min/max/step)",
}

# pydantic writes the limits of a union (e.g. `int | float` with ge=0) under its own names, which
# editors ignore; JSON Schema spells them so.
_KEYWORDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}

# Units spelled out on hover, by the suffix of the field name.
_UNITS = {
    "_ua_per_cm2": "µA/cm²",
    "_ms_per_cm2": "mS/cm²",
    "_uf_per_cm2": "µF/cm²",
    "_mv": "mV",
    "_ms": "ms",
    "_px": "pixels",
    "_pt": "points",
    "_s": "seconds",
    "_c": "°C",
}


def _standard_keywords(node: Any) -> None:
    if isinstance(node, dict):
        if "anyOf" in node and any(key in node for key in _KEYWORDS):
            for key, keyword in _KEYWORDS.items():
                if key in node:
                    node[keyword] = node.pop(key)
        for value in node.values():
            _standard_keywords(value)
    elif isinstance(node, list):
        for value in node:
            _standard_keywords(value)


def _collect(model: Any, found: dict[str, type]) -> None:
    """Every model reachable from `model`, by class name (pydantic's $defs keys)."""
    from ..config.models import models_in

    found[model.__name__] = model
    for field in model.model_fields.values():
        for sub in models_in(field.annotation):
            if sub.__name__ not in found:
                _collect(sub, found)


def unit_of(name: str) -> str | None:
    """The unit a field name ends with (`resting_mv` -> mV), or None."""
    return next((unit for suffix, unit in _UNITS.items() if name.endswith(suffix)), None)


def hover_text(field: Any, name: str) -> str:
    """What an editor shows on hover: the description, then unit, default and allowed range."""
    from .reference import allowed_text, default_text

    lines = [field.description or ""]
    if unit := unit_of(name):
        lines.append(f"Unit: {unit}")
    default = default_text(field)
    lines.append(f"Default: {'none' if default == '—' else default}")
    if allowed := allowed_text(field):
        lines.append(f"Allowed: {allowed}")
    return "\n\n".join(lines)


def schema_text() -> str:
    """The schema as the file stores it: sorted keys, two-space indent, trailing newline."""
    return json.dumps(config_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(path: str | os.PathLike[str]) -> Path:
    """Write the schema file atomically; returns its path."""
    from ..output.files import write_bytes_atomic

    path = Path(path)
    write_bytes_atomic(path, schema_text().encode("utf-8"))
    return path


def header_line(config_path: Path, schema_path: Path) -> str:
    """The `# yaml-language-server: $schema=...` line for a config, with a relative path to the schema."""
    relative = os.path.relpath(schema_path.resolve(), config_path.resolve().parent)
    return SCHEMA_HEADER + Path(relative).as_posix()
