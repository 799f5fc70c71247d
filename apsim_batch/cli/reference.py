"""The reference pages' generated parts: the config table from the models, the commands from the typer app.

`python -m apsim_batch.cli.reference docs/reference/config.md` rewrites the table between its markers
(a test fails when it is out of date); the docs build (`docs/hooks.py`) regenerates both.
"""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ..config.models import Config, models_in

START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"


def _type_name(annotation: object) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        names = []
        for arg in typing.get_args(annotation):
            if arg is not type(None) and _type_name(arg) not in names:
                names.append(_type_name(arg))
        return " or ".join(names)
    if origin is dict:  # variants.fields: field path -> how it varies
        return f"mapping of field path to {_type_name(typing.get_args(annotation)[1])}"
    if origin is tuple:
        args = typing.get_args(annotation)
        inner = _type_name(args[0])
        return f"list of {inner}" if len(args) == 2 and args[1] is Ellipsis else f"[{', '.join(map(_type_name, args))}]"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "mapping"
        return {"float": "number", "int": "integer", "str": "text", "bool": "true/false"}.get(
            annotation.__name__, annotation.__name__
        )
    return str(annotation)


def default_text(field: FieldInfo) -> str:
    """The default column: a value in backticks, `required`, or `—` (none)."""
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(see below)"
        if isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
            items = [
                ", ".join(
                    f"{k}: {v:g}" if isinstance(v, float) else f"{k}: {v}"
                    for k, v in item.model_dump().items()
                    if v is not None
                )
                for item in value
            ]
            flow = "[" + ", ".join("{" + item + "}" for item in items) + "]"
            return f"`{flow}`" if len(flow) <= 80 else "the classic two" if len(value) == 2 else "(see configs)"
    else:
        value = field.default
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        value = list(value)
    if value == "":
        return '`""` (none)'
    return f"`{value}`"


def _flat(metadata: typing.Iterable[object]) -> list[object]:
    """Constraint objects, including those inside a nested `Field(...)` of an `Annotated` alias like `Mv`."""
    out: list[object] = []
    for item in metadata:
        out += _flat(item.metadata) if isinstance(item, FieldInfo) else [item]
    return out


def _bounds(metadata: typing.Iterable[object]) -> list[str]:
    parts = []
    for item in _flat(metadata):
        for attr, symbol in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            if getattr(item, attr, None) is not None:
                parts.append(f"{symbol} {_number(getattr(item, attr))}")
    return parts


def _number(value: float) -> str:
    """Limits as a reader types them: 100000, not 1e+05."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _lengths(metadata: typing.Iterable[object], unit: str) -> list[str]:
    flat = _flat(metadata)
    low = next((m.min_length for m in flat if getattr(m, "min_length", None) is not None), None)
    high = next((m.max_length for m in flat if getattr(m, "max_length", None) is not None), None)
    if low is not None and high is not None:
        return [f"{low} to {high} {unit}"]
    if high is not None:
        return [f"at most {high} {unit}"]
    if low is not None:
        return [f"at least {low} {unit.removesuffix('s') if low == 1 else unit}"]
    return []


def _without_none(annotation: object) -> object:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _limits(annotation: object, metadata: typing.Iterable[object] = ()) -> list[str]:
    """Value limits and text lengths of one value: its own metadata, or inside `Annotated`/unions."""
    annotation = _without_none(annotation)
    metadata = list(metadata)
    while typing.get_origin(annotation) is typing.Annotated:
        metadata += list(annotation.__metadata__)
        annotation = typing.get_args(annotation)[0]
    parts = _bounds(metadata) + _lengths(metadata, "characters")
    if not parts and typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if found := _limits(arg):
                text = typing.get_origin(arg) is typing.Annotated and typing.get_args(arg)[0] is str
                parts += [f"text {found[0]}"] if text else found
    return parts


def allowed_text(field: FieldInfo) -> str:
    """The allowed column: value limits, text lengths, list sizes, and the limits of each item."""
    annotation = _without_none(field.annotation)
    origin = typing.get_origin(annotation)
    if origin in (tuple, dict):
        parts = _lengths(field.metadata, "items")
        item = typing.get_args(annotation)[-1 if origin is dict else 0]
        if item_limits := _limits(item):
            parts.append("each " + ", ".join(item_limits))
    else:
        parts = _limits(annotation, field.metadata)
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    parts += [text for key, text in _EXTRA_WORDS.items() if key in extra]
    return ", ".join(parts)


# Rules kept in json_schema_extra (checked by validators, stated for editors), in words for the table.
_EXTRA_WORDS = {"multipleOf": "even"}


def rows(model: type[BaseModel] = Config, prefix: str = "") -> list[str]:
    out = []
    nested = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        out.append(
            f"| `{path}` | {_type_name(field.annotation)} | {default_text(field)} | {allowed_text(field)} | "
            f"{field.description or ''} |"
        )
        members = models_in(field.annotation)
        tagged = isinstance(field.discriminator, str) and len(members) > 1
        origin = typing.get_origin(field.annotation)
        # Where this field's own fields are documented: list items as `[]`, mapping values as `<path>`.
        sub_prefix = f"{path}[]." if origin is tuple else f"{path}.<path>." if origin is dict else f"{path}."
        for sub in members:
            header = None
            if tagged:  # a tagged union: one block of rows per member, headed by its tag
                tag = typing.get_args(sub.model_fields[field.discriminator].annotation)[0]
                doc = (sub.__doc__ or "").strip().splitlines()[0]
                header = f"| `{path}` with `{field.discriminator}: {tag}` | mapping | | | {doc} |"
            nested.append((sub, sub_prefix, header))
    for sub, sub_prefix, header in nested:
        out += ([header] if header else []) + rows(sub, sub_prefix)
    return out


def reference_markdown() -> str:
    header = ["| field | type | default | allowed | meaning |", "| --- | --- | --- | --- | --- |"]
    return "\n".join(header + rows()) + "\n"


def update(path: Path) -> bool:
    """Rewrite the table between the markers in `path`; return True when it changed."""
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    new = f"{head}{START}\n{reference_markdown()}{END}{tail}"
    path.write_text(new, encoding="utf-8")
    return new != text


def table_cell(text: str) -> str:
    """Help text as a Markdown table cell: rich's escapes undone, HTML and pipes escaped."""
    return " ".join(text.replace("\\[", "[").replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").split())


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"{arg}: {'updated' if update(Path(arg)) else 'up to date'}")
