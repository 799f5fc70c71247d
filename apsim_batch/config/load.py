"""Loading a config: read the file strictly, parse it, validate it into a Config with located problems."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import ConfigError, Problem
from ..names import check_output_name
from .messages import kind_of, problems_from
from .models import Config
from .yamlsafe import parse_yaml, read_config_text


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
    exercise: str | None = None  # the text for the handout page (not recorded in manifests)
    ask: tuple[str, ...] | None = None  # the measurements the exercise asks for (None: every one with a tolerance)


class LoadedConfig(BaseModel):
    """A validated config with where it came from."""

    model_config = ConfigDict(frozen=True)

    config: Config
    name: str
    source: str
    source_sha256: str
    # The file's absolute path with links resolved, taken when it is read (a Dask worker may run
    # elsewhere): what the manifest's stable config identity is computed from. None for a dict.
    source_real: str | None = None
    overrides: dict[str, Any] = {}  # --set path -> value, applied after the file
    variant: VariantInfo | None = None

    def manifest_extras(self) -> dict[str, Any]:
        """What a render's manifest records beyond the resolved parameters: overrides and variant."""
        extras: dict[str, Any] = {}
        if self.overrides:
            extras["overrides"] = dict(self.overrides)
        if self.variant is not None:
            extras["variant"] = self.variant.model_dump(mode="json", exclude={"exercise", "ask"})
        return extras


def load_config(path: str | Path) -> LoadedConfig:
    """Read, parse and validate one YAML config file; raise ConfigError with every problem found."""
    return read_config(path)[0]


def read_config(path: str | Path) -> tuple[LoadedConfig, Mapping[tuple, int]]:
    """Like load_config, also returning the line of every value (for errors located later)."""
    path = Path(path)
    source = str(path)
    text = read_config_text(path)
    data, lines = parse_yaml(text, source)
    if data is None:
        raise ConfigError([Problem(source, "file is empty; expected a mapping of settings such as 'waveform:'", 1)])
    if not isinstance(data, dict):
        raise ConfigError([Problem(source, f"top level must be a mapping of settings, not a {kind_of(data)}", 1)])
    config = validate_config(data, source, lines, config_dir=path.parent)
    name = config.name or path.stem
    if config.name is None and (why := check_output_name(name)):
        raise ConfigError([Problem(source, f"the file name {name!r} {why}; rename the file or set it", 1, ("name",))])
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    real = os.path.realpath(path)
    return LoadedConfig(config=config, name=name, source=source, source_sha256=sha, source_real=real), lines


def validate_config(
    data: Mapping[str, Any], source: str, lines: Mapping[tuple, int] | None = None, config_dir: Path | None = None
) -> Config:
    """Validate plain data as a Config; errors are located by `lines` (path -> line) when given, and files
    it names (a recording) are found relative to `config_dir`."""
    try:
        return Config.model_validate(data, context={"written_by_user": True, "config_dir": config_dir})
    except ValidationError as exc:
        raise ConfigError(problems_from(exc, data, source, lines or {})) from None
