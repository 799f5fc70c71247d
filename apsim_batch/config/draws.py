"""The values one variant field can take: range sizes, rounding, seeded draws and distinct counts.

Every count here is computed with bounded work, whatever the range: a random set is checked
against the number of distinct values rounding can produce *before* anything is drawn, so a
set such as `{min: -70.0, max: -70.0}` with `count: 2` is refused instead of redrawing forever.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any

from .models import VariantField

CONTINUOUS_DECIMALS = 6  # a continuous draw is rounded to this many decimals
RANGE_DECIMALS = 9  # min + k * step is rounded to this many, so 0.15 + 3 * 0.05 is 0.3
_UNIT_STEPS = 2**53  # a draw's uniform number is m / 2**53 for a whole m in [0, 2**53)


def field_size(field: VariantField) -> int:
    """How many values a list or stepped range lists (before rounding merges any)."""
    if field.values is not None:
        return len(field.values)
    step = field.step if field.step is not None else 1
    return math.floor((field.max - field.min) / step + 1e-9) + 1


def all_int(field: VariantField) -> bool:
    return all(isinstance(x, int) for x in (field.min, field.max) if x is not None)


def is_continuous(field: VariantField) -> bool:
    """A min/max range without a step whose ends are not both whole numbers."""
    return field.values is None and field.step is None and not all_int(field)


def range_value(field: VariantField, k: int) -> int | float:
    """The k-th value of a range, rounded so 0.15 + 3 * 0.05 is 0.3, not 0.30000000000000004."""
    step = field.step if field.step is not None else 1
    value = field.min + k * step
    return value if isinstance(value, int) else round(value, RANGE_DECIMALS)


def field_values(field: VariantField) -> list[Any]:
    """Every value of a list or stepped range, in order (callers bound the size first)."""
    if field.values is not None:
        return list(field.values)
    return [range_value(field, k) for k in range(field_size(field))]


def identity(value: Any) -> tuple[str, Any]:
    """Compare drawn values by type and value (True is not 1)."""
    return (type(value).__name__, value)


def unit(seed: int, index: int, path: str, attempt: int = 0) -> float:
    """A uniform number in [0, 1) from (seed, variant index, field path, attempt), the same everywhere."""
    redraw = f"\0{attempt}" if attempt else ""
    digest = hashlib.sha256(f"apsim-batch variants\0{seed}\0{index}\0{path}{redraw}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / _UNIT_STEPS


def draw(field: VariantField, seed: int, index: int, path: str, attempt: int = 0) -> Any:
    """One seeded value of a field."""
    u = unit(seed, index, path, attempt)
    if field.values is not None:
        return field.values[int(u * len(field.values))]
    if not is_continuous(field):
        return range_value(field, int(u * field_size(field)))
    return _continuous_value(field, u)


def _continuous_value(field: VariantField, u: float) -> float:
    return round(field.min + u * (field.max - field.min), CONTINUOUS_DECIMALS)


def distinct_values(field: VariantField, limit: int) -> list[Any]:
    """The field's first distinct values after rounding, in order, at most `limit` of them.

    Ranges are monotonic in their index, so equal neighbours are skipped by a galloping search:
    the work is about log2(range size) per distinct value, never the size of the range.
    """
    if field.values is not None:
        seen: dict[tuple, Any] = {}
        for value in field.values:
            seen.setdefault(identity(value), value)
            if len(seen) >= limit:
                break
        return list(seen.values())
    if is_continuous(field):
        return _distinct_run(lambda m: _continuous_value(field, m / _UNIT_STEPS), _UNIT_STEPS, limit)
    return _distinct_run(lambda k: range_value(field, k), field_size(field), limit)


def distinct_count(field: VariantField, limit: int) -> int:
    """How many distinct values the field gives after rounding, counted up to `limit`."""
    if field.values is None and _clearly_distinct(field, limit):
        return limit
    return len(distinct_values(field, limit))


def _clearly_distinct(field: VariantField, limit: int) -> bool:
    """True when rounding cannot merge enough values to bring the count under `limit` (fast path)."""
    span = field.max - field.min
    if is_continuous(field):
        # Values are bounded by validation (|x| <= 1e6), where floats resolve far below 1e-6,
        # so every multiple of 1e-6 strictly inside the range is drawn by some m.
        return span * 10**CONTINUOUS_DECIMALS >= limit + 2
    step = field.step if field.step is not None else 1
    # Whole numbers, and steps this coarse, never round two values together (rounding is at 1e-9, float
    # error ~1e-10); the range must still hold `limit` values ({min: -80, max: -60} holds 21, not 22).
    coarse = (all_int(field) and isinstance(step, int)) or step >= 1e-7
    return coarse and field_size(field) >= limit


def _distinct_run(value_at: Callable[[int], Any], size: int, limit: int) -> list[Any]:
    """Distinct values of a non-decreasing sequence value_at(0..size-1), at most `limit` of them."""
    found: list[Any] = []
    k = 0
    while k < size and len(found) < limit:
        current = value_at(k)
        found.append(current)
        k = _next_change(value_at, k, size, current)
    return found


def _next_change(value_at: Callable[[int], Any], k: int, size: int, current: Any) -> int:
    """The first index after k whose value differs from `current` (or `size`): gallop, then bisect."""
    gap = 1
    while k + gap < size and value_at(k + gap) == current:
        gap *= 2
    low, high = k + gap // 2, min(k + gap, size)  # value_at(low) == current; high differs or is the end
    while high - low > 1:
        middle = (low + high) // 2
        if value_at(middle) == current:
            low = middle
        else:
            high = middle
    return high
