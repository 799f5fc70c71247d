"""pydantic's errors for a value that may take several types, as one error in the reader's words.

For `values: [..]` (true/false, number or text) or `min: 1` (whole number or number), pydantic
reports one error per member, each under a location ending in the member's internal name
(`values[0].constrained-str`, `min.int`), plus "at least 1 item after validation" for the list
that lost its item. A reader wants one line at the field they wrote: the member's own complaint
when the value had that member's type (text too long), else "must be true or false, a number or text".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# pydantic's error types that mean "the value is not of this member's type" (as opposed to "it is,
# but breaks a limit"), and how a reader names that type.
_TYPE_WORDS = {
    "bool_type": "true or false",
    "int_type": "a number",
    "int_from_float": "a number",
    "float_type": "a number",
    "string_type": "text",
    "model_type": "a mapping of settings",
    "model_attributes_type": "a mapping of settings",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a mapping",
}


# The names pydantic gives the members of a plain union in an error location. No config field is
# called so, and a mapping key (a variant's field path) never reaches here as a bare member name.
_MEMBER = re.compile(r"(bool|int|float|str|none|constrained-(str|int|float)|[a-z-]+\[.*\])")


def _data_loc(loc: Sequence[Any]) -> tuple[tuple[Any, ...], bool]:
    """The location without union member names, and whether any were dropped."""
    clean = tuple(part for part in loc if not (isinstance(part, str) and _MEMBER.fullmatch(part)))
    return clean, len(clean) != len(loc)


def merge_union_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pydantic's error list with each union's member errors merged into one error at the field."""
    out: list[dict[str, Any]] = []
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for err in errors:
        loc, dropped = _data_loc(err["loc"])
        if not dropped:
            out.append(err)
            continue
        if loc not in groups:
            groups[loc] = []
            out.append({"_union": loc})
        groups[loc].append({**err, "loc": loc})
    merged: list[dict[str, Any]] = []
    for err in out:
        if "_union" not in err:
            merged.append(err)
            continue
        members = groups[err["_union"]]
        specific = [m for m in members if m["type"] not in _TYPE_WORDS]
        if specific:  # the value had that member's type and broke one of its limits
            merged.append(specific[0])
            continue
        words = list(dict.fromkeys(_TYPE_WORDS[m["type"]] for m in members))
        expected = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
        merged.append({**members[0], "type": "union_type", "ctx": {"expected": expected}})
    # "should have at least 1 item after validation, not 0" only echoes an item's own error.
    return [
        err
        for err in merged
        if not (
            err["type"] == "too_short"
            and (err.get("ctx") or {}).get("actual_length") == 0
            and any(
                len(o["loc"]) > len(err["loc"]) and tuple(o["loc"][: len(err["loc"])]) == tuple(err["loc"])
                for o in merged
            )
        )
    ]
