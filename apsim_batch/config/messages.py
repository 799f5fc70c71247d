"""pydantic's validation errors turned into located problems: file, line, field path (data, not text)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import FieldError, FieldPath, Problem
from .models import Config, models_in
from .union_errors import merge_union_errors


def problems_from(exc: ValidationError, data: Any, source: str, lines: Mapping[tuple, int]) -> list[Problem]:
    """Turn pydantic's errors into one located Problem each (file, line, field path as a tuple)."""
    problems = []
    for err in merge_union_errors(exc.errors(include_url=False)):
        loc, _ = _walk(tuple(err["loc"]), data)
        path, message = _path_and_message(err, loc, data)
        problems.append(Problem(source, message, _line_of(path, lines), path))
    return problems


def _line_of(loc: tuple, lines: Mapping[tuple, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _path_and_message(err: dict, loc: FieldPath, data: Any) -> tuple[FieldPath, str]:
    kind, ctx, value = err["type"], err.get("ctx", {}), err.get("input")
    got = f" (got {_show(value)})"
    if kind == "union_tag_invalid":
        discriminator = str(ctx.get("discriminator", "")).strip("'")
        tag = value.get(discriminator) if isinstance(value, Mapping) else ctx.get("tag")
        return (*loc, discriminator), f"must be one of {ctx.get('expected_tags')} (got {_show(tag)})"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1], data)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        return loc, f"unknown key{suggestion} (allowed: {', '.join(allowed)})"
    messages = {
        "greater_than": lambda: f"must be greater than {_num(ctx.get('gt'))}{got}",
        "greater_than_equal": lambda: f"must be at least {_num(ctx.get('ge'))}{got}",
        "less_than": lambda: f"must be less than {_num(ctx.get('lt'))}{got}",
        "less_than_equal": lambda: f"must be at most {_num(ctx.get('le'))}{got}",
        "finite_number": lambda: f"must be a finite number{got}",
        "float_type": lambda: f"must be a number{got}",
        "int_type": lambda: f"must be a whole number{got}",
        "bool_type": lambda: f"must be true or false{got}",
        "string_type": lambda: f"must be text{got}",
        "missing": lambda: "is required",
        "union_type": lambda: f"must be {ctx.get('expected')}{got}",
        "literal_error": lambda: f"must be one of {ctx.get('expected')}{got}",
        "too_long": lambda: f"is too long: at most {ctx.get('max_length')} items (got {ctx.get('actual_length')})",
        "string_too_long": lambda: f"is too long: at most {ctx.get('max_length')} characters (got {len(value)})",
        "string_too_short": lambda: f"is too short: at least {ctx.get('min_length')} character(s)",
        "too_short": lambda: f"is too short: at least {ctx.get('min_length')} item(s)",
        "tuple_type": lambda: f"must be a list{got}",
        "list_type": lambda: f"must be a list{got}",
        "dict_type": lambda: f"must be a mapping{got}",
        "model_type": lambda: f"must be a mapping of settings{got}",
        "model_attributes_type": lambda: f"must be a mapping of settings{got}",
    }
    if kind == "string_type" and value is None and loc and str(loc[-1]).endswith("color"):
        # `line_color: #1f77b4` reads as an empty value: YAML takes everything after # as a comment.
        return loc, "must be text (got nothing); quote a hex colour, because # starts a YAML comment: '#1f77b4'"
    if kind in messages:
        return loc, messages[kind]()
    error = ctx.get("error")
    if isinstance(error, FieldError):  # a model-level check names its own field
        return (*loc, *error.path), error.message
    return loc, str(error) if kind == "value_error" and error is not None else err["msg"]


def _num(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def kind_of(value: Any) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "boolean"}.get(type(value), "value")


def _allowed_keys(loc: tuple, data: Any) -> list[str]:
    """Field names of the model found at `loc` (a path without union tags), walking from Config."""
    _, model = _walk(loc, data)
    return sorted(model.model_fields) if model is not None else []


def _walk(loc: tuple, data: Any) -> tuple[tuple, type[BaseModel] | None]:
    """Follow a pydantic error location from Config: (the location as YAML sees it, model at its end).

    pydantic puts the tag of a discriminated union into the location ('waveform', 'hodgkin_huxley',
    'e_na_mv'); the YAML has no such level, so it is dropped here. Where the location has no tag,
    the member is picked from the data's own tag (a mapping without one means the first member).
    """
    model: Any = Config
    node: Any = data
    clean: list = []
    parts = list(loc)
    in_dict = False  # the next part is a mapping key (a variant field path), not a field name
    while parts:
        part = parts.pop(0)
        clean.append(part)
        if in_dict:
            in_dict = False
            node = node.get(part) if isinstance(node, Mapping) else None
            continue
        if isinstance(part, int):
            node = node[part] if isinstance(node, list | tuple) and -len(node) <= part < len(node) else None
            continue
        node = node.get(part) if isinstance(node, Mapping) else None
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            model = None
            continue
        members = models_in(field.annotation)
        if isinstance(field.discriminator, str) and len(members) > 1:
            tags = {m.model_fields[field.discriminator].default: m for m in members}
            for m in members:
                for tag in getattr(m.model_fields[field.discriminator].annotation, "__args__", ()):
                    tags[tag] = m
            if parts and parts[0] in tags:
                model = tags[parts.pop(0)]
            else:
                tag = node.get(field.discriminator) if isinstance(node, Mapping) else None
                model = tags.get(tag, members[0]) if isinstance(tag, str) or tag is None else members[0]
        else:
            model = members[0] if members else None
        in_dict = getattr(field.annotation, "__origin__", None) is dict
    return tuple(clean), model
