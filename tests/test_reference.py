"""The config reference (docs/reference/config.md), used as a reader uses it: every row at its documented path, every limit.

A config is built from each row (the documented path, a valid value) and validated by the CLI; a value
just past each documented limit is refused by the CLI naming that path and that limit; and the table's
defaults and limits are exactly the JSON Schema's (which editors show), in both directions.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from apsim_batch.cli.reference import END, START
from apsim_batch.config.yamlsafe import parse_yaml

from .conftest import ROOT, run_entry_point, write

README = ROOT / "docs" / "reference" / "config.md"  # the reference page; the docs build regenerates its table
SCHEMA = json.loads((ROOT / "apsim-batch.schema.json").read_text(encoding="utf-8"))
VARIED = "animation.samples_per_frame"  # the field a variant set varies in the configs built here

# Complete, valid configs a row's value is set into: the Gaussian model, the Hodgkin–Huxley model
# (rows under "`waveform` with `model: hodgkin_huxley`"), the experiments, and a variant set (rows under `variants`).
GAUSSIAN = {"waveform": {"components": [{"label": "spike", "center_ms": 2.5, "width_ms": 0.1, "amplitude_mv": 110}]}}
HODGKIN_HUXLEY = {
    "waveform": {
        "model": "hodgkin_huxley",
        "stimulus": {
            "pulses": [{"onset_ms": 1, "duration_ms": 1, "amplitude_ua_per_cm2": 10}],
            "step": {"onset_ms": 5, "amplitude_ua_per_cm2": 2},
        },
    }
}
RECORDED = {"waveform": {"model": "recorded", "file": "cell.csv", "duration_ms": 1.0}}  # the tests write cell.csv
RECORDING = "time_ms,voltage_mv\n" + "".join(f"{k / 10},-65\n" for k in range(20))
# the experiments: a 10 µm axon, so that its myelinated form holds many nodes
EXPERIMENTS = {
    "voltage_clamp": {
        "waveform": {"model": "voltage_clamp", "step_range": {"start_mv": -90, "stop_mv": 60, "step_mv": 10}}
    },
    "axon": {
        "waveform": {
            "model": "axon",
            "diameter_um": 10,
            "space_step_um": 10,
            "stimulus": {"pulses": [{"onset_ms": 0.1, "duration_ms": 0.2, "amplitude_na": 500}]},
        }
    },
}
VARIANTS = {"variants": {"mode": "random", "count": 2, "seed": 1, "fields": {VARIED: {"min": 1, "max": 4, "step": 1}}}}
# The README says a component has exactly one height, a varied field a list or a range, a clamp one family.
EXCLUSIVE = {
    "peak_mv": ("amplitude_mv",),
    "amplitude_mv": ("peak_mv",),
    "values": ("min", "max", "step"),
    "steps_mv": ("step_range",),  # a clamp's steps are a list or a range
}


@dataclass(frozen=True)
class Row:
    path: str  # as documented: `waveform.components[].width_ms`, `variants.fields.<path>.min`
    type: str
    default: str
    allowed: str
    model: str  # the waveform model the row belongs to


def readme_rows() -> list[Row]:
    table = README.read_text(encoding="utf-8").split(START, 1)[1].split(END, 1)[0]
    rows, model = [], "gaussian"
    for line in table.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        header = re.fullmatch(r"`waveform` with `model: (\w+)`", cells[0])
        if header:
            model = header.group(1)
            continue
        path = cells[0].strip("`")
        rows.append(Row(path, cells[1], cells[2], cells[3], model if path.startswith("waveform.") else "gaussian"))
    return rows


ROWS = readme_rows()
LIMITED = [row for row in ROWS if row.allowed]


def keys(path: str) -> list[Any]:
    """A documented path as keys into a config: `[]` is the first item, `<path>` the varied field."""
    out: list[Any] = []
    for part in path.replace("[]", ".[]").split("."):
        out.append(0 if part == "[]" else VARIED if part == "<path>" else part)
    return out


def concrete(path: str) -> str:
    return path.replace("[]", "[0]").replace("<path>", VARIED)


def base(row: Row) -> dict[str, Any]:
    bases = {"hodgkin_huxley": HODGKIN_HUXLEY, "recorded": RECORDED, **EXPERIMENTS}
    config = copy.deepcopy(bases.get(row.model, GAUSSIAN))
    if row.path.startswith("waveform.myelin."):  # short, one compartment per internode: even 1 µm ones stay few
        config["waveform"].update(myelin={"internode_segments": 1}, length_mm=5, recording_sites_mm=[2])
    if row.path.startswith("variants"):
        config.update(copy.deepcopy(VARIANTS))
    return config


def lookup(config: Any, path: list[Any]) -> Any:
    for key in path:
        try:
            config = config[key]
        except (KeyError, IndexError, TypeError):
            return None
    return config


def assign(config: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    node: Any = config
    for key, following in zip(path, path[1:], strict=False):
        if isinstance(node, dict) and key not in node:
            node[key] = [] if following == 0 else {}
        if isinstance(node, list) and not node:
            node.append({})
        node = node[key]
    for other in EXCLUSIVE.get(path[-1], ()):
        node.pop(other, None)
    node[path[-1]] = value
    return config


def documented_default(row: Row) -> Any:
    """The default column as a value, or None when it names none (`—`, `required`, `(see below)`)."""
    if not (row.default.startswith("`") and row.default.endswith("`")):
        return None
    return parse_yaml(row.default.strip("`"), "README")[0]


def valid_value(row: Row) -> Any:
    """What a reader would write for this row: the documented default, the base's value, or a plain one."""
    if (value := documented_default(row)) is not None:
        return value
    if (value := lookup(base(row), keys(row.path))) is not None:
        return value
    if row.type == "text":
        return "black" if row.path.endswith("_color") else "row-value"
    if row.type == "number":
        return 1.0  # inside every documented range that has no default
    if row.type.startswith("list of `"):  # a list of documented choices: the first two
        return re.findall(r"`([^`]+)`", row.type)[:2]
    if row.type.startswith("list of"):
        return [1, 2]
    if row.type == "mapping":
        return {}  # every field of it takes its default
    if row.type == "[number, number]":
        return [-90.0, 50.0]
    if row.type == "true/false":
        return False  # valid for either model (a few plot switches exist only for Hodgkin–Huxley)
    if row.type.startswith("`"):
        return re.findall(r"`([^`]+)`", row.type)[0]  # one of the choices, without a default
    raise AssertionError(f"no plain value for {row.path} ({row.type})")


def limit_parts(allowed: str) -> list[tuple[bool, str]]:
    """The allowed column split into limits, each marked True when it is about each item ("each ≥ a, ≤ b")."""
    out, each = [], False
    for part in re.split(r", (?=each |at |even|[≥>≤<]|\d+ to )", allowed) if allowed else []:
        each = part.startswith("each ") or (each and part[0] in "≥>≤<")
        out.append((each, part.removeprefix("each ").removeprefix("text ")))
    return out


def refusals(row: Row) -> list[tuple[Any, str, str]]:
    """(a value just past a documented limit, the field path the error must name, words it must say)."""
    out = []
    path = concrete(row.path)
    value = valid_value(row)
    for each, part in limit_parts(row.allowed):
        if match := re.fullmatch(r"([≥>≤<]) (-?[\d.]+)", part):
            symbol, limit = match.groups()
            number = float(limit)
            bad = {"≥": number - 1, ">": number, "≤": number + 1, "<": number}[symbol]
            words = {"≥": "must be at least", ">": "must be greater than", "≤": "must be at most", "<": "must be less"}
            expected = f"{words[symbol]} {limit}"
            if each and row.type.startswith("["):  # a fixed pair: past the limit at each position
                out += [([bad if i == j else v for j, v in enumerate(value)], f"{path}[{i}]", expected) for i in (0, 1)]
            elif each:
                out.append(([bad], f"{path}[0]", expected))
            else:
                out.append((int(bad) if row.type == "integer" else bad, path, expected))
        elif match := re.fullmatch(r"(?:at most|(\d+) to) (\d+) (characters|items)", part):
            low, high, unit = match.groups()
            if unit == "characters":
                bad = "a" * (int(high) + 1)
                out.append(([bad] if each else bad, f"{path}[0]" if each else path, "is too long"))
            else:
                out.append((many(row, int(high) + 1), path, "is too long"))
            if low and int(low) > 0:
                out.append((many(row, int(low) - 1), path, "is too short"))
        elif match := re.fullmatch(r"at least (\d+) items?", part):
            out.append((many(row, int(match.group(1)) - 1), path, "is too short"))
        elif part == "even":
            out.append((value + 1, path, "must be even"))
        else:
            raise AssertionError(f"{row.path}: the test cannot read the limit {part!r}")
    return out


def many(row: Row, count: int) -> Any:
    """`count` valid items for a list or mapping row (list sizes are checked before item contents)."""
    if row.type.startswith("mapping of field path"):
        return {f"waveform.components[{i}].width_ms": [0.1] for i in range(count)}
    item = lookup(base(row), [*keys(row.path), 0]) or (valid_value(row) or ["gates"])[0]
    return [copy.deepcopy(item) for _ in range(count)]


def validate_folder(folder: Path) -> tuple[int, str, str]:
    proc = run_entry_point("validate", folder, cwd=folder.parent)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.slow
def test_every_row_builds_a_valid_config_at_its_documented_path(tmp_path):
    folder = tmp_path / "configs"
    write(folder / "cell.csv", RECORDING)
    for i, row in enumerate(ROWS):
        config = assign(base(row), keys(row.path), valid_value(row))
        write(folder / f"row{i:02d}.yaml", json.dumps(config, ensure_ascii=False) + "\n")
    code, out, err = validate_folder(folder)
    assert err == "" and code == 0, err
    assert f"{len(ROWS)} valid, 0 invalid" in out


@pytest.mark.slow
def test_a_value_past_every_documented_limit_is_refused_there(tmp_path):
    folder = tmp_path / "configs"
    write(folder / "cell.csv", RECORDING)
    expected = {}
    for row in LIMITED:
        for value, path, words in refusals(row):
            name = f"limit{len(expected):03d}"
            write(folder / f"{name}.yaml", json.dumps(assign(base(row), keys(row.path), value)) + "\n")
            expected[name] = (row.path, path, words)
    assert len(expected) >= 60
    code, _, err = validate_folder(folder)
    assert code == 1
    for name, (documented, path, words) in expected.items():
        lines = [line for line in err.splitlines() if f"{name}.yaml:" in line]
        assert any(f": {path}: {words}" in line for line in lines), (
            f"{documented}: expected '{path}: {words}' in {lines}"
        )


# --- the table against the JSON Schema (what editors show) ----------------------------------------


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = {**SCHEMA["$defs"][node["$ref"].split("/")[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def member(node: dict[str, Any], model: str) -> dict[str, Any]:
    """The object schema inside `node`: a discriminated union's member for `model`, or the non-null branch."""
    node = resolve(node)
    if "discriminator" in node:
        return resolve({"$ref": node["discriminator"]["mapping"][model]})
    for branch in node.get("anyOf", []):
        if resolve(branch).get("type") in ("object", "array"):
            return resolve(branch)
    return node


def schema_of(row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the row's property schema, the schema of the object holding it)."""
    parent, prop = SCHEMA, SCHEMA
    for key in keys(row.path):
        node = member(prop, row.model)
        if key == 0:
            prop = node["items"]
        elif key == VARIED:
            prop = node["additionalProperties"]
        else:
            parent, prop = node, node["properties"][key]
    return prop, parent


def limits_in(prop: dict[str, Any]) -> dict[str, Any]:
    """Every limit keyword of a property, its items' limits under 'each'."""
    found: dict[str, Any] = {}
    for node in [prop, *prop.get("anyOf", [])]:
        if "$ref" in node or "properties" in node:
            continue  # a nested model: its own rows document its limits
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
            if key in node:
                found[key] = node[key]
        for key in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
            if key in node and "prefixItems" not in node:  # a fixed pair's size is its type: [number, number]
                found[key] = node[key]
        items = node.get("prefixItems", [None])[0] or node.get("items")
        if isinstance(items, dict):
            for branch in [items, *items.get("anyOf", [])]:
                for key, value in limits_in(branch).items():
                    found[f"each.{key}"] = value
    return found


def limits_documented(row: Row) -> dict[str, Any]:
    found: dict[str, Any] = {}
    keywords = {"≥": "minimum", "≤": "maximum", ">": "exclusiveMinimum", "<": "exclusiveMaximum"}
    mapping = row.type.startswith("mapping")
    for each, part in limit_parts(row.allowed):
        prefix = "each." if each else ""
        if match := re.fullmatch(r"([≥>≤<]) (-?[\d.]+)", part):
            found[prefix + keywords[match.group(1)]] = float(match.group(2))
        elif match := re.fullmatch(r"(?:at most|(\d+) to) (\d+) (characters|items)", part):
            kind = "Length" if match.group(3) == "characters" else "Properties" if mapping else "Items"
            found[f"{prefix}max{kind}"] = int(match.group(2))
            if match.group(1):
                found[f"{prefix}min{kind}"] = int(match.group(1))
        elif match := re.fullmatch(r"at least (\d+) items?", part):
            found[prefix + "minItems"] = int(match.group(1))
        elif part == "even":
            found["multipleOf"] = 2
    return found


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.model}:{row.path}")
def test_row_default_and_limits_are_the_schemas(row):
    prop, parent = schema_of(row)
    schema_limits = {k: float(v) if "imum" in k else v for k, v in limits_in(prop).items()}
    assert limits_documented(row) == schema_limits
    name = keys(row.path)[-1]
    if row.default == "required":
        assert name in parent.get("required", []) and "default" not in prop
    elif row.default == "—":
        assert prop.get("default") is None
    elif (value := documented_default(row)) is not None:
        assert json.loads(json.dumps(value)) == prop["default"]
    assert prop["markdownDescription"].startswith(prop["description"])


@pytest.mark.slow
def test_a_wrong_type_at_every_row_is_refused_in_words(tmp_path):
    """No internal names (GaussianWaveform, constrained-str, ...) in what a reader is told."""
    from apsim_batch.config import models

    internal = [name for name, value in vars(models).items() if isinstance(value, type) and name[0].isupper()]
    folder = tmp_path / "configs"
    count = 0
    for row in ROWS:
        for wrong in ({"x": 1}, [{"x": 1}], "text", 3):
            config = assign(base(row), keys(row.path), wrong)
            write(folder / f"wrong{count:03d}.yaml", json.dumps(config) + "\n")
            count += 1
    _, _, err = validate_folder(folder)
    lines = [line for line in err.splitlines() if line.startswith("✗")]
    assert len(lines) >= len(ROWS)
    for line in lines:
        assert not [name for name in internal if name in line], line
        assert "Input should" not in line, line  # pydantic's own wording: every kind of error has ours
        assert not re.search(r"\.(bool|int|float|str|constrained-str|function-[a-z]+)\b", line), line
