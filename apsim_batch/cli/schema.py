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

# Rules the models enforce in validators rather than in field constraints, restated for editors.
# Keyed by model title, then property; each rule is merged into that property's schema.
_EXTRA_RULES: dict[str, dict[str, dict[str, Any]]] = {
    "PlotConfig": {"width_px": {"multipleOf": 2}, "height_px": {"multipleOf": 2}},
}


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
    for model in [schema, *schema.get("$defs", {}).values()]:
        for prop, rule in _EXTRA_RULES.get(model.get("title"), {}).items():
            if prop in model.get("properties", {}):
                model["properties"][prop].update(rule)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "apsim-batch config",
        "description": (
            "One action-potential animation for apsim-batch: a waveform, how to draw and animate it, which files to"
            " write. Generated from apsim_batch/config.py; regenerate with: " + REGENERATE
        ),
    }


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
