"""Starter configs: copy a commented template into the configs folder, ready to edit and render."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

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
    lines = template_text(template).splitlines(keepends=True)
    if lines and lines[0].startswith(SCHEMA_HEADER):
        lines = lines[1:]
    # Comments say `<name>` where the new file's name belongs (e.g. the set's outputs folder).
    text = header_line(path, schema_path) + "\n" + "".join(lines).replace("<name>", stem)
    data, where = parse_yaml(text, str(path))
    validate_config(data or {}, str(path), where)  # a template that does not validate is our bug; fail loudly
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
