"""Variant sets: deterministic expansion, per-variant validation, and loading a file into its renders.

Fields are addressed by the paths of `paths.py`.

Expansion is pure (config in, variants out). Random draws come from SHA-256 of (seed, variant
index, field path), not from a random-number generator: the same seed gives the same values on
any machine and any numpy version, variant k does not depend on the count (30 -> 40 keeps the
first 30), and adding a field leaves the other fields' values alone.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ConfigError, Problem
from ..names import check_output_name
from .draws import distinct_count, distinct_values, draw, field_size, field_values, identity, is_continuous
from .load import LoadedConfig, VariantInfo, read_config
from .messages import problems_from
from .models import MAX_VARIANTS, Config, PlotConfig, VariantSet
from .paths import Override, apply_overrides, as_written, assign, parse_path, plain, related, resolve

Step = str | int | tuple[str]  # a key, a list index, or (label,) for a labelled list item
MAX_REPORTED = 10  # invalid variants listed one by one before summarizing the rest
MAX_REDRAWS = 1000  # seeded redraws of a repeated random variant before taking the first unused one
# Setting one of these replaces the other: a component has exactly one height.
_EXCLUSIVE = {"amplitude_mv": "peak_mv", "peak_mv": "amplitude_mv"}
_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\[\]]+\])*)")


# --- expansion -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One member of a set: its id, render name, the values varied, and its validated config."""

    id: str
    name: str
    values: dict[str, Any]
    config: Config


def set_size(spec: VariantSet) -> int:
    """How many variants the set makes, computed without expanding it."""
    if spec.mode == "random":
        return spec.count or 0
    sizes = [field_size(field) for field in spec.fields.values()]
    return math.prod(sizes) if spec.mode == "grid" else max(sizes)


def variant_ids(size: int) -> list[str]:
    """v01, v02, ... zero-padded to the size of the set (at least two digits)."""
    width = max(2, len(str(size)))
    return [f"v{i:0{width}d}" for i in range(1, size + 1)]


def expand(
    config: Config,
    set_name: str,
    source: str = "<config>",
    lines: Mapping[tuple, int] | None = None,
    *,
    student: bool | None = None,
) -> list[Variant]:
    """Every variant of a config with a `variants` block, validated; ConfigError names each bad one.

    `student` (None: the set's own setting) makes each title the exercise title with the set name and
    variant id, and makes each plot a student one (`student_plot`: a grid, and no readout, shading or markers).
    """
    spec = config.variants
    if spec is None:
        raise ValueError("this config has no variants block")
    lines = lines or {}
    student = spec.student if student is None else student
    block_line = lines.get(("variants",))
    problems = _check_spec(spec, set_name, source, lines, block_line)
    if problems:
        raise ConfigError(problems)
    base, written = plain(config), as_written(config)
    locs: dict[str, tuple] = {}
    for path in spec.fields:
        try:
            locs[path] = resolve(base, parse_path(path), path)
        except ValueError as exc:
            line = _field_line(lines, path, block_line)
            problems.append(Problem(source, str(exc), line, ("variants", "fields", path)))
    if problems:
        raise ConfigError(problems)

    variants, bad = [], 0
    ids = variant_ids(set_size(spec))
    for index, values in enumerate(_value_rows(spec)):
        vid = ids[index]
        name = f"{set_name}-{vid}"
        data = copy.deepcopy(written)
        data["name"] = name
        if student:
            # the exercise's own title stays ("Action potential exercise · ahp-class · v01"), unless the set
            # varies it or it has a number in it, which could state (or contradict) a variant's value
            keep = "title" not in spec.fields and not re.search(r"\d", config.title)
            data["title"] = f"{config.title} · {set_name} · {vid}" if keep else f"{set_name} · {vid}"
            data["plot"] = student_plot(data.get("plot") or {})  # a grid; no readout, shading or markers
        for path, value in values.items():
            assign(data, locs[path], value, base)
        try:
            variant_config = Config.model_validate(data, context={"config_dir": Path(source).parent})
        except ValidationError as exc:
            bad += 1
            if bad <= MAX_REPORTED:
                problems += _variant_problems(exc, data, source, lines, block_line, locs, f"{set_name} {vid}")
            continue
        variants.append(Variant(id=vid, name=name, values=values, config=variant_config))
    if bad > MAX_REPORTED:
        problems.append(Problem(source, f"and {bad - MAX_REPORTED} more invalid variants", block_line, ("variants",)))
    if problems:
        raise ConfigError(problems)
    return variants


def student_plot(plot: Mapping[str, Any]) -> dict[str, Any]:
    """A student handout's plot section: measurable, and giving no answer away.

    The grid comes on unless the config says otherwise; phase shading (it marks the trough and the
    return to rest exactly), threshold markers and line, refractory bars, the tip readout, the axon
    map's velocity line (its slope is the answer) and the clamp's measured marks (E_Na, the reversal,
    V½) go.
    """
    out = dict(plot)
    if out.get("grid") is None:
        out["grid"] = True
    for shows_an_answer in (
        "phases", "threshold_markers", "refractory", "tip_marker", "velocity_line", "measured_marks"
    ):  # fmt: skip
        if shows_an_answer in out or shows_an_answer in PlotConfig.model_fields:
            out[shows_an_answer] = False
    out.pop("threshold_line_mv", None)
    return out


def _check_spec(
    spec: VariantSet, set_name: str, source: str, lines: Mapping[tuple, int], block_line: int | None
) -> list[Problem]:
    """Set-level problems, found before anything is expanded: size cap, zip lengths, grid steps, names."""
    problems = []
    for path, field in spec.fields.items():
        try:
            parse_path(path)
        except ValueError as exc:
            line = _field_line(lines, path, block_line)
            problems.append(Problem(source, str(exc), line, ("variants", "fields", path)))
        if spec.mode != "random" and is_continuous(field):
            problems.append(
                Problem(
                    source,
                    f"a {spec.mode} set needs a step to turn min/max into values (or give a list of values)",
                    _field_line(lines, path, block_line),
                    ("variants", "fields", path),
                )
            )
    if problems:
        return problems
    if spec.mode == "zip":
        sizes = {path: field_size(field) for path, field in spec.fields.items()}
        if len(set(sizes.values())) > 1:
            listed = ", ".join(f"{path}: {size}" for path, size in sizes.items())
            return [
                Problem(
                    source,
                    f"zip takes lists in step, so they need equal lengths (got {listed})",
                    block_line,
                    ("variants",),
                )
            ]
    size = set_size(spec)
    if spec.mode == "random" and size <= MAX_VARIANTS and (space := _distinct_combinations(spec)) < size:
        line = lines.get(("variants", "count"), block_line)
        return [
            Problem(
                source,
                f"random mode draws distinct variants, and after rounding these fields allow only {space:,}"
                f" (got count {size:,})",
                line,
                ("variants", "count"),
            )
        ]
    if size > MAX_VARIANTS:
        if spec.mode == "grid":
            product = " × ".join(f"{field_size(f):,}" for f in spec.fields.values())
            what = f"a grid of {product} = {size:,} variants"
        else:
            what = f"{size:,} variants"
        line = lines.get(("variants", "count"), block_line) if spec.mode == "random" else block_line
        return [Problem(source, f"{what} is more than the {MAX_VARIANTS:,} a set may have", line, ("variants",))]
    longest = f"{set_name}-{variant_ids(size)[-1]}"
    if why := check_output_name(longest):
        return [Problem(source, f"variant names like {longest!r} {why}; shorten the set's name", block_line, ("name",))]
    return []


def _value_rows(spec: VariantSet) -> Iterator[dict[str, Any]]:
    """The varied values of each variant, in set order (grid: the first field varies slowest)."""
    paths = list(spec.fields)
    if spec.mode == "random":
        yield from _random_rows(spec, paths)
        return
    columns = [field_values(spec.fields[path]) for path in paths]
    rows = itertools.product(*columns) if spec.mode == "grid" else zip(*columns, strict=True)
    for row in rows:
        yield dict(zip(paths, row, strict=True))


def _random_rows(spec: VariantSet, paths: list[str]) -> Iterator[dict[str, Any]]:
    """Distinct seeded draws, so no two students get the same trace.

    A repeat is drawn again, at most MAX_REDRAWS times; after that the first unused combination
    in order is taken, which exists because _check_spec refused a count above the distinct space.
    Variant k depends only on the variants before it, so a larger count keeps the first ones.
    """
    seen: set[tuple] = set()
    count, seed = spec.count or 0, spec.seed or 0
    for index in range(count):
        for attempt in range(MAX_REDRAWS):
            row = {path: draw(spec.fields[path], seed, index, path, attempt) for path in paths}
            if _row_key(row) not in seen:
                break
        else:
            row = _first_unused(spec, paths, seen, count)
        seen.add(_row_key(row))
        yield row


def _row_key(row: dict[str, Any]) -> tuple:
    return tuple(identity(v) for v in row.values())


def _first_unused(spec: VariantSet, paths: list[str], seen: set[tuple], count: int) -> dict[str, Any]:
    """The first combination not drawn yet; at most len(seen) + 1 rows are looked at."""
    columns = [distinct_values(spec.fields[path], count) for path in paths]
    for values in itertools.product(*columns):
        row = dict(zip(paths, values, strict=True))
        if _row_key(row) not in seen:
            return row
    raise AssertionError("a random set larger than its distinct space got past _check_spec")


def _distinct_combinations(spec: VariantSet) -> int:
    """How many different variants random mode can draw after rounding, counted up to `count`."""
    limit = spec.count or 0
    total = 1
    for field in spec.fields.values():
        total = min(total * distinct_count(field, limit), limit)
    return total


def _variant_problems(
    exc: ValidationError,
    data: Any,
    source: str,
    lines: Mapping[tuple, int],
    block_line: int | None,
    locs: Mapping[str, tuple],
    who: str,
) -> list[Problem]:
    """A variant's errors, each at the line of the varied field it comes from when there is one."""
    problems = []
    for problem in problems_from(exc, data, source, {}):
        path = next((p for p, loc in locs.items() if related(loc, problem.path)), None)
        line = _field_line(lines, path, block_line) if path else block_line
        # the varied field is named as the set writes it (e.g. by label), other fields as they are
        shown = (path,) if path and locs[path] == problem.path else problem.path
        problems.append(Problem(source, problem.message, line, shown, context=who))
    return problems


def _field_line(lines: Mapping[tuple, int], path: str, fallback: int | None) -> int | None:
    return lines.get(("variants", "fields", path), fallback)


# --- loading ---------------------------------------------------------------------------------


def load_renders(path: str | Path, overrides: Sequence[Override] = (), *, student: bool = False) -> list[LoadedConfig]:
    """One config file as the renders it asks for: itself, or each variant of its set.

    `student` turns on handouts for every set (as `--student` does); overrides apply to the
    file first, then the variants apply on top.
    """
    loaded, lines = read_config(path)
    recorded = {o.path: o.value for o in overrides}
    config = apply_overrides(loaded.config, overrides, loaded.source)
    name = config.name or loaded.name  # an override may rename it
    if config.variants is None:
        return [loaded.model_copy(update={"config": config, "name": name, "overrides": recorded})]
    spec = config.variants
    is_student = spec.student or student
    variants = expand(config, name, loaded.source, lines, student=is_student)
    size = len(variants)
    return [
        LoadedConfig(
            config=variant.config,
            name=variant.name,
            source=loaded.source,
            source_sha256=loaded.source_sha256,
            source_real=loaded.source_real,
            overrides=recorded,
            variant=VariantInfo(
                set_name=name,
                id=variant.id,
                index=index,
                size=size,
                mode=spec.mode,
                seed=spec.seed,
                student=is_student,
                values=variant.values,
                exercise=spec.exercise,
                ask=spec.ask,
            ),
        )
        for index, variant in enumerate(variants)
    ]
