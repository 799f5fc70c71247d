"""Field paths and --set overrides: address any field of a config the way error messages print it.

A path is dotted keys, list items by index or, for lists of labelled components, by label —
`waveform.components[hyperpolarization].peak_mv`, `waveform.components[0].width_ms`,
`plot.voltage_range_mv[1]`. Paths are resolved against the config with every default filled in,
so the classic components can be varied without listing them.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ConfigError, FieldPath, Problem, field_path
from .messages import problems_from
from .models import Config
from .yamlsafe import parse_yaml

Step = str | int | tuple[str]  # a key, a list index, or (label,) for a labelled list item
# Setting one of these replaces the other: a component has exactly one height, an animation one speed.
_EXCLUSIVE = {
    "amplitude_mv": "peak_mv",
    "peak_mv": "amplitude_mv",
    "samples_per_frame": "trace_ms_per_s",
    "trace_ms_per_s": "samples_per_frame",
}
_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\[\]]+\])*)")


def parse_path(text: str) -> tuple[Step, ...]:
    """'waveform.components[ahp].peak_mv' -> ('waveform', 'components', ('ahp',), 'peak_mv')."""
    steps: list[Step] = []
    for part in _split_dots(text):
        match = _SEGMENT.fullmatch(part)
        if not match:
            raise ValueError(f"{text!r} is not a field path like waveform.components[0].width_ms")
        steps.append(match.group(1))
        for selector in re.findall(r"\[([^\[\]]+)\]", match.group(2)):
            selector = selector.strip()
            steps.append(int(selector) if selector.isdigit() else (selector,))
    return tuple(steps)


def _split_dots(text: str) -> list[str]:
    """Split at dots outside brackets (labels may contain dots and spaces)."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "["
        depth -= char == "]"
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def resolve(data: Any, steps: Sequence[Step], text: str) -> tuple[Any, ...]:
    """The concrete location (keys and indices) that `steps` addresses in `data`; ValueError if none."""
    node, loc = data, ()
    for step in steps:
        where = field_path(loc) or "the config"
        if isinstance(step, str):
            if not isinstance(node, dict):
                raise ValueError(f"{where} is not a mapping, so it has no field {step!r}")
            if step not in node:
                hint = difflib.get_close_matches(step, list(node), n=1, cutoff=0.6)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                raise ValueError(f"{where} has no field {step!r}{suggestion} (fields: {', '.join(sorted(node))})")
            node, loc = node[step], (*loc, step)
            continue
        if not isinstance(node, list):
            raise ValueError(f"{where} is not a list, so [{step if isinstance(step, int) else step[0]}] means nothing")
        if isinstance(step, int):
            if step >= len(node):
                raise ValueError(f"index {step} is out of range: {where} has {len(node)} item(s), 0 to {len(node) - 1}")
            node, loc = node[step], (*loc, step)
            continue
        label = step[0]
        labels = [item.get("label") if isinstance(item, dict) else None for item in node]
        found = [i for i, item_label in enumerate(labels) if item_label == label]
        if not found:
            known = ", ".join(repr(x) for x in labels if x is not None) or "none"
            raise ValueError(f"{where} has no item labelled {label!r} (labels: {known})")
        if len(found) > 1:
            raise ValueError(f"{where} has {len(found)} items labelled {label!r}; address one by index")
        node, loc = node[found[0]], (*loc, found[0])
    return loc


def assign(data: Any, loc: Sequence[Any], value: Any, full: Any) -> None:
    """Set the value at a location resolved in `full` (the config with its defaults) in `data` (the
    config as written), in place. A section `data` leaves out is added holding only what is set, and a
    list is taken whole from `full`: a default must not become a value the user seems to have given
    (`animation.samples_per_frame` given with `trace_ms_per_s` is an error, its default is not)."""
    parent = data
    for part in loc[:-1]:
        full = full[part]
        if isinstance(parent, dict) and part not in parent:
            parent[part] = copy.deepcopy(full) if isinstance(full, list) else {}
        parent = parent[part]
    parent[loc[-1]] = copy.deepcopy(value)
    other = _EXCLUSIVE.get(loc[-1]) if isinstance(loc[-1], str) else None
    if other and isinstance(parent, dict) and value is not None:
        parent.pop(other, None)  # back to its default (None, or the speed the other one left unset)


@dataclass(frozen=True)
class Override:
    """One `--set path=value` from the command line."""

    text: str
    path: str
    steps: tuple[Step, ...]
    value: Any


def parse_override(text: str) -> Override:
    """Parse 'path=value'; the value is read as YAML with the config loader's strict rules."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ValueError(f"expected PATH=VALUE, e.g. waveform.resting_mv=-65 (got {text!r})")
    steps = parse_path(path)
    try:
        value, _ = parse_yaml(raw, f"--set {text}")
    except ConfigError as exc:
        raise ValueError(f"{path}: the value is not valid YAML ({exc.problems[0].message})") from None
    return Override(text=text, path=path, steps=steps, value=value)


def apply_overrides(config: Config, overrides: Sequence[Override], source: str) -> Config:
    """The config with each override applied in order, validated like the file."""
    if not overrides:
        return config
    full, data = plain(config), as_written(config)
    if config.variants is not None:
        full["variants"] = data["variants"] = config.variants.model_dump(mode="json")
    locs = []
    for override in overrides:
        if override.steps[0] == "variants" and config.variants is None:
            message = "this config has no variants block; run variant-set overrides on the set's file alone"
            raise ConfigError([Problem(source, message, context=f"--set {override.text}")])
        try:
            loc = resolve(full, override.steps, override.path)
        except ValueError as exc:
            raise ConfigError([Problem(source, str(exc), context=f"--set {override.text}")]) from None
        assign(data, loc, override.value, full)
        locs.append((loc, override))
    try:
        return Config.model_validate(data, context={"config_dir": Path(source).parent})
    except ValidationError as exc:
        problems = []
        for problem in problems_from(exc, data, source, {}):
            named = [o for loc, o in locs if related(loc, problem.path)] or [o for _, o in locs]
            label = "--set " + ", --set ".join(o.text for o in named)
            problems.append(Problem(source, problem.message, None, problem.path, context=label))
        raise ConfigError(problems) from None


def related(varied: FieldPath, failed: FieldPath) -> bool:
    """True when a failing field is the varied one, inside it, or contains it."""
    shorter = min(len(varied), len(failed))
    return varied[:shorter] == failed[:shorter]


def plain(config: Config) -> dict[str, Any]:
    """The config as plain data with every default filled in (the variants block left out): what paths resolve in."""
    return config.model_dump(mode="json", exclude={"variants"})


def as_written(config: Config) -> dict[str, Any]:
    """The config as plain data with only the values it was given (the variants block left out):
    what overrides and variants change, so validating it again treats every default as a default."""
    return config.model_dump(mode="json", exclude_unset=True, exclude={"variants"})
