"""Strict, bounded YAML reading: plain data only, with the line of every value.

The loader follows YAML 1.2's core schema rather than PyYAML's YAML 1.1 defaults, so
`on`, `NO`, `1:30` and `010` stay strings (and then fail validation where a number is
expected) instead of silently becoming booleans, sexagesimal or octal numbers.
Tags, anchors and aliases are refused outright: a config never needs them and they are
the door to code execution and expansion bombs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 50_000

Path_ = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars and limits on depth, size and aliases."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(event.start_mark, "aliases (*name) are not allowed in configs")
        if getattr(event, "anchor", None):
            raise _Refused(event.start_mark, "anchors (&name) are not allowed in configs")
        self._depth += 1
        self._nodes += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(event.start_mark, f"nesting deeper than {MAX_DEPTH} levels")
        if self._nodes > MAX_NODES:
            raise _Refused(event.start_mark, f"more than {MAX_NODES} values in one file")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Refused(Exception):
    def __init__(self, mark: yaml.Mark, message: str):
        self.line = mark.line + 1
        self.message = message


# Replace YAML 1.1 implicit typing with YAML 1.2 core schema rules.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith(("bool", "int", "float", "timestamp"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_CORE + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_CORE + "int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    _CORE + "float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
# Decimal only: YAML 1.1 would read "010" as 8.
_Loader.add_constructor(_CORE + "int", lambda loader, node: int(loader.construct_scalar(node)))


def read_config_text(path: Path) -> str:
    """Read a config file as UTF-8 text, refusing huge, unreadable or non-UTF-8 files."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError([Problem(name, f"file is {size:,} bytes; configs are limited to 1 MiB")])
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([Problem(name, f"cannot read file ({exc.strerror or exc})")]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError([Problem(name, f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", line)]) from None


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text into plain data and a map from each value's path to its 1-based line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[Path_, int] = {}
        return _build(loader, node, (), lines, source), lines
    except _Refused as exc:
        raise ConfigError([Problem(source, exc.message, exc.line)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError([Problem(source, f"invalid YAML: {problem}", line)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(source, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()


def _build(
    loader: _Loader, node: yaml.Node, path: Path_, lines: dict[Path_, int], source: str, line: int | None = None
) -> Any:
    """Construct plain data from a node, checking tags and duplicate keys.

    A mapping value is recorded at its key's line: that is where a reader looks for it.
    """
    line = line or node.start_mark.line + 1
    lines[path] = line
    if node.tag not in _ALLOWED_TAGS:
        raise ConfigError([Problem(source, f"YAML tag {node.tag!r} is not allowed; use plain values", line)])
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            key = _build(loader, key_node, path, {}, source)
            if not isinstance(key, str):
                raise ConfigError([Problem(source, f"keys must be names, not {key!r}", key_line)])
            if key in out:
                first = lines[(*path, key)]
                raise ConfigError([Problem(source, f"duplicate key {key!r} (first at line {first})", key_line)])
            out[key] = _build(loader, value_node, (*path, key), lines, source, key_line)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), lines, source) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
