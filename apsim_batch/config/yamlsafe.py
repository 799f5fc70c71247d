"""Strict, bounded YAML reading: plain data only, with the line of every value.

The loader follows YAML 1.2's core schema rather than PyYAML's YAML 1.1 defaults, so
`on`, `NO`, `1:30` and `010` stay strings (and then fail validation where a number is
expected) instead of silently becoming booleans, sexagesimal or octal numbers.
Tags (even `!!str`), anchors and aliases are refused outright: a config never needs them and
they are the door to code execution and expansion bombs. Control characters are refused too,
raw or escaped: text from a config is echoed to terminals and drawn into figures.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 50_000
MAX_INT_DIGITS = 100  # far beyond any field's range, far below Python's 4,300-digit conversion limit

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
        # An explicit tag, even a harmless-looking !!str, is refused: the README promises plain values.
        if getattr(event, "tag", None) is not None:
            raise _Refused(event.start_mark, f"YAML tag {event.tag!r} is not allowed; use plain values")
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


# Replace YAML 1.1 implicit typing with YAML 1.2 core schema rules: only null is kept from
# PyYAML's list, so `=` (1.1's "value"), `<<` (merge) and timestamps stay plain text.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag == _CORE + "null"]
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


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    """Decimal only (YAML 1.1 would read "010" as 8), and short enough to convert at all."""
    text = loader.construct_scalar(node)
    digits = len(text.lstrip("+-"))
    if digits > MAX_INT_DIGITS:
        raise _Refused(node.start_mark, f"a whole number of {digits:,} digits; at most {MAX_INT_DIGITS} are read")
    return int(text)


_Loader.add_constructor(_CORE + "int", _construct_int)


def read_config_text(path: Path) -> str:
    """Read a config file as UTF-8 text, refusing huge, unreadable, non-regular or non-UTF-8 files."""
    name = str(path)
    try:
        raw = _read_regular(path, name)
    except OSError as exc:
        raise ConfigError([Problem(name, f"cannot read file ({exc.strerror or exc})")]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError([Problem(name, f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", line)]) from None


def _read_regular(path: Path, name: str) -> bytes:
    """The bytes of a regular file; a FIFO or device would block or never end, so it is refused."""
    # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever before fstat can refuse it.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError([Problem(name, "not a regular file")])
        if info.st_size > MAX_FILE_BYTES:
            raise ConfigError([Problem(name, f"file is {info.st_size:,} bytes; configs are limited to 1 MiB")])
        raw = fh.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:  # it grew after fstat
        raise ConfigError([Problem(name, "file is over 1 MiB; configs are limited to 1 MiB")])
    return raw


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text into plain data and a map from each value's path to its 1-based line."""
    try:
        loader = _Loader(text)  # the reader refuses raw control characters here, so inside the try
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise ConfigError([Problem(source, _control_message(chr(exc.character)), line)]) from None
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
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:
        # Whatever a scalar's conversion raises belongs to this file, never to the batch.
        raise ConfigError([Problem(source, f"cannot read a value ({type(exc).__name__})")]) from None
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
            if not isinstance(key, str) or any(unicodedata.category(c) == "Cc" for c in key):
                raise ConfigError([Problem(source, f"keys must be names, not {key!r}", key_line)])
            if key in out:
                first = lines[(*path, key)]
                raise ConfigError([Problem(source, f"duplicate key {key!r} (first at line {first})", key_line)])
            out[key] = _build(loader, value_node, (*path, key), lines, source, key_line)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), lines, source) for i, item in enumerate(node.value)]
    try:
        value = loader.construct_object(node, deep=True)
    except _Refused as exc:
        raise ConfigError([Problem(source, exc.message, line, path)]) from None
    if isinstance(value, str) and (bad := _control_char(value)):
        raise ConfigError([Problem(source, _control_message(bad), line, path)])
    return value


def _control_char(text: str) -> str | None:
    """The first control character other than tab and newline, or None."""
    if text.isprintable():  # fast path: no control, format or separator characters at all
        return None
    return next((c for c in text if c not in "\t\n" and unicodedata.category(c) == "Cc"), None)


def _control_message(char: str) -> str:
    return f"control character U+{ord(char):04X} is not allowed in a config"
