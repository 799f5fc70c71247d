"""The config reference table for the README, generated from the models' field descriptions.

`python -m apsim_batch.reference README.md` rewrites the table between its markers; a test fails
when the README is out of date.
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


def _default(field: FieldInfo) -> str:
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
    return f"`{value}`"


def _range(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        for attr, symbol in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            if getattr(item, attr, None) is not None:
                parts.append(f"{symbol} {getattr(item, attr):g}")
    return ", ".join(parts)


def rows(model: type[BaseModel] = Config, prefix: str = "") -> list[str]:
    out = []
    nested = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        out.append(
            f"| `{path}` | {_type_name(field.annotation)} | {_default(field)} | {_range(field)} | "
            f"{field.description or ''} |"
        )
        members = models_in(field.annotation)
        tagged = isinstance(field.discriminator, str) and len(members) > 1
        for sub in members:
            origin = typing.get_origin(field.annotation)
            header = None
            if tagged:  # a tagged union: one block of rows per member, headed by its tag
                tag = typing.get_args(sub.model_fields[field.discriminator].annotation)[0]
                doc = (sub.__doc__ or "").strip().splitlines()[0]
                header = f"| `{path}` with `{field.discriminator}: {tag}` | mapping | | | {doc} |"
            prefix = f"{path}[]." if origin is tuple else f"{path}.<path>." if origin is dict else f"{path}."
            nested.append((sub, prefix, header))
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


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"{arg}: {'updated' if update(Path(arg)) else 'up to date'}")
