"""Starter configs: copy a commented template into the configs folder, ready to edit and render."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ApsimError
from ..names import check_output_name


def templates() -> list[str]:
    """Names of the shipped templates (files in apsim_batch/templates/)."""
    folder = resources.files("apsim_batch") / "templates"
    return sorted(item.name.removesuffix(".yaml") for item in folder.iterdir() if item.name.endswith(".yaml"))


def template_text(template: str) -> str:
    if template not in templates():
        raise ApsimError(f"no template {template!r}; choose one of: {', '.join(templates())}")
    return (resources.files("apsim_batch") / "templates" / f"{template}.yaml").read_text(encoding="utf-8")


DEFAULT = "<default>"  # in a template: the model's default for this line's field, filled in by `starter_text`
COMMENT_COLUMN = 32
_KEY = re.compile(r"^(?P<indent> *)(?P<dash>- )?(?P<key>[A-Za-z_][A-Za-z0-9_]*):")
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def key_paths(lines: list[str]) -> Iterator[tuple[int, tuple[str | int, ...]]]:
    """(line number, field path) of every `key:` line of a block-style YAML template."""
    stack: list[tuple[int, str | int]] = []  # (indent, key or list index)
    items: dict[tuple[str | int, ...], int] = {}
    for number, line in enumerate(lines):
        match = _KEY.match(line)
        if not match:
            continue
        indent = len(match["indent"])
        if match["dash"]:
            stack = [entry for entry in stack if entry[0] < indent]
            parent = tuple(step for _, step in stack)
            items[parent] = items.get(parent, -1) + 1
            stack.append((indent, items[parent]))
            indent += 2
        stack = [entry for entry in stack if entry[0] < indent]
        stack.append((indent, match["key"]))
        yield number, tuple(step for _, step in stack)


def flow(value: Any) -> str:
    """A value as one line of YAML: whole floats without '.0', plain words unquoted, the rest as JSON."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    if (
        isinstance(value, str)
        and _PLAIN.fullmatch(value)
        and value.lower() not in ("true", "false", "null", "yes", "no", "on", "off")
    ):
        return value
    return json.dumps(value, ensure_ascii=False)


def starter_text(template_text: str) -> str:
    """The template with each `<default>` value replaced by its field's default, from the pydantic models.

    Defaults are those of the config the template's own values make (a Hodgkin–Huxley template gets
    that model's defaults), so the file shows what a missing key really takes, never a hand-copied number.
    """
    from ..config.load import validate_config
    from ..config.paths import plain
    from ..config.yamlsafe import parse_yaml

    written = parse_yaml(template_text, "template")[0] or {}
    defaults = plain(validate_config(_chosen(written), "template"))
    lines = template_text.splitlines(keepends=True)
    for number, path in key_paths(lines):
        head, hash_, comment = lines[number].rstrip("\n").partition("#")
        if DEFAULT not in head:
            continue
        value: Any = defaults
        for step in path:
            value = value[step]
        head = head.replace(DEFAULT, flow(value)).rstrip()
        lines[number] = (f"{head:<{COMMENT_COLUMN - 1}} #{comment}" if hash_ else head) + "\n"
    return "".join(lines)


def _chosen(node: Any) -> Any:
    """The values a template gives itself: `<default>` entries left out, and sections left empty by that."""
    if isinstance(node, dict):
        kept = {key: _chosen(value) for key, value in node.items() if value != DEFAULT}
        return {key: value for key, value in kept.items() if value not in ({}, [])}
    if isinstance(node, list):
        return [item for item in (_chosen(value) for value in node if value != DEFAULT) if item not in ({}, [])]
    return node


def _check_folder(folder: Path) -> None:
    """ApsimError saying what stands where `folder` (or the nearest of its parents that exists) should be."""
    import stat

    for place in (folder, *folder.parents):
        if place.is_symlink() and not place.exists():
            raise ApsimError(
                f"{place}: is a link to {os.readlink(place)!r}, which does not exist; choose another --dir"
            )
        if not place.exists():
            continue
        mode = place.stat().st_mode
        if not stat.S_ISDIR(mode):
            kind = "a file" if stat.S_ISREG(mode) else "a device or other special file"
            raise ApsimError(f"{place}: is {kind}, not a folder; choose another --dir")
        return


def new_config(
    name: str, template: str = "classic", folder: str | os.PathLike[str] = "configs", schema_dir: str | None = None
) -> tuple[Path, Path | None]:
    """Write `folder/NAME.yaml` from a template; never overwrites. Returns (config, schema written or None).

    The config's first line points editors at the JSON Schema in `schema_dir` (default: the current
    folder, the project root); the schema file is written there when it is missing.
    """
    from ..config.load import validate_config
    from ..config.yamlsafe import parse_yaml
    from .schema import SCHEMA_FILE, SCHEMA_HEADER, header_line, write_schema

    stem = name.removesuffix(".yaml").removesuffix(".yml")
    if why := check_output_name(stem):
        raise ApsimError(f"name {name!r} {why}")
    folder = Path(folder)
    path = folder / f"{stem}.yaml"
    if path.exists():
        raise ApsimError(f"{path} already exists; choose another name or edit that file")
    schema_path = Path(schema_dir or ".") / SCHEMA_FILE
    lines = starter_text(template_text(template)).splitlines(keepends=True)
    if lines and lines[0].startswith(SCHEMA_HEADER):
        lines = lines[1:]
    # Comments say `<name>` where the new file's name belongs (e.g. the set's outputs folder).
    text = header_line(path, schema_path) + "\n" + "".join(lines).replace("<name>", stem)
    data, where = parse_yaml(text, str(path))
    validate_config(data or {}, str(path), where)  # a template that does not validate is our bug; fail loudly
    _check_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as fh:  # "x": refuse to replace a file created meanwhile
            fh.write(text)
    except FileExistsError:
        raise ApsimError(f"{path} already exists; choose another name or edit that file") from None
    wrote_schema = None
    if not schema_path.exists():
        wrote_schema = write_schema(schema_path)
    return path, wrote_schema
