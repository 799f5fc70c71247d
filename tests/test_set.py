"""--set on every shipped config: every field, by every kind of path, changes that field and nothing else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from apsim_batch.config.load import load_config
from apsim_batch.config.paths import apply_overrides, parse_override, plain, resolve
from apsim_batch.errors import ConfigError

from .conftest import CONFIGS

SHIPPED = sorted(p for p in CONFIGS.rglob("*.yaml"))


def leaves(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path as a user writes it, value) of every field and list item; labelled items by label, others by index."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{path}.{key}" if path else key)
        return
    if isinstance(node, list) and any(isinstance(item, dict) for item in node):
        labels = [item.get("label") for item in node]
        for index, item in enumerate(node):
            label = labels[index]
            unique = isinstance(label, str) and labels.count(label) == 1 and "]" not in label
            yield from leaves(item, f"{path}[{label if unique else index}]")
        return
    if isinstance(node, list):
        yield from ((f"{path}[{index}]", item) for index, item in enumerate(node))
    yield path, node


def set_to(config, path: str, value: Any):
    return apply_overrides(config, [parse_override(f"{path}={json.dumps(value)}")], "test.yaml")


def changed(before: Any, after: Any, path: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            p for key in before.keys() | after.keys() for p in changed(before.get(key), after.get(key), f"{path}.{key}")
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [p for i, (b, a) in enumerate(zip(before, after, strict=True)) for p in changed(b, a, f"{path}[{i}]")]
    return [] if before == after else [path]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_setting_any_field_to_its_value_changes_nothing(path) -> None:
    """The rule, over every field of every shipped config: `--set field=<its value>` is the config itself.

    Before the fix every config paced by trace_ms_per_s failed on any --set (the defaults, materialised,
    said samples_per_frame was given too): `hh_classic --set plot.width_px=800` is the shrunk case below.
    """
    config = load_config(path).config
    for field, value in leaves(plain(config)):
        if field == "animation.samples_per_frame" and config.animation.trace_ms_per_s is not None:
            continue  # setting one speed replaces the other (tested below)
        assert plain(set_to(config, field, value)) == plain(config), field


KINDS = {
    "int": ("plot.width_px", 800),
    "float": ("animation.fps", 30.0),
    "str": ("title", "Changed"),
    "list": ("plot.voltage_range_mv", [-110.0, 80.0]),
    "bool": ("plot.zero_line", False),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_kind_of_field_changes_alone(path, kind) -> None:
    config = load_config(path).config
    field, value = KINDS[kind]
    after = plain(set_to(config, field, value))
    steps = parse_override(f"{field}=0").steps
    loc = resolve(after, steps, field)
    node = after
    for part in loc:
        node = node[part]
    assert node == value
    assert all(p.startswith("." + field.split("[")[0]) for p in changed(plain(config), after))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_component_by_label(path) -> None:
    """The first labelled item of the waveform (a Gaussian component or a stimulus pulse), addressed by label."""
    config = load_config(path).config
    data = plain(config)
    items = data["waveform"].get("components") or (data["waveform"].get("stimulus") or {}).get("pulses")
    label = items[0].get("label") if items else None
    if not label:
        pytest.skip("no labelled item")
    section = "components" if "components" in data["waveform"] else "stimulus.pulses"
    field = "width_ms" if section == "components" else "duration_ms"
    new = items[0][field] * 1.5
    after = plain(set_to(config, f"waveform.{section}[{label}].{field}", new))
    changed_items = after["waveform"].get("components") or after["waveform"]["stimulus"]["pulses"]
    assert changed_items[0][field] == new
    assert changed(plain(config), after) == [f".waveform.{section}[0].{field}"]


def test_hh_classic_width_the_shrunk_case() -> None:
    config = load_config(CONFIGS / "hh_classic.yaml").config
    assert config.animation.trace_ms_per_s is not None
    after = set_to(config, "plot.width_px", 800)
    assert after.plot.width_px == 800 and after.animation == config.animation


def test_setting_one_speed_replaces_the_other(tmp_path) -> None:
    """Like amplitude_mv and peak_mv; a file that gives both speeds is still refused."""
    config = load_config(CONFIGS / "hh_classic.yaml").config
    paced = set_to(config, "animation.samples_per_frame", 3).animation
    assert (paced.samples_per_frame, paced.trace_ms_per_s) == (3, None)
    back = set_to(set_to(config, "animation.samples_per_frame", 3), "animation.trace_ms_per_s", 2.0).animation
    assert (back.samples_per_frame, back.trace_ms_per_s) == (2, 2.0)
    both = tmp_path / "both.yaml"
    both.write_text("animation: {samples_per_frame: 3, trace_ms_per_s: 2.0}\n")
    with pytest.raises(ConfigError, match="not both"):
        load_config(both)


def test_a_variant_set_on_a_config_paced_in_ms_per_second(tmp_path):
    """Variants share the cause: they too changed the config with its defaults materialised."""
    from apsim_batch.batch.plan import load_all

    path = tmp_path / "hhset.yaml"
    path.write_text(
        "waveform: {model: hodgkin_huxley}\nanimation: {trace_ms_per_s: 4}\n"
        "variants:\n  mode: grid\n  fields:\n    plot.width_px: [640, 720]\n"
    )
    loaded, failed = load_all([path])
    assert not failed
    assert [(item.config.plot.width_px, item.config.animation.trace_ms_per_s) for item in loaded] == [
        (640, 4.0),
        (720, 4.0),
    ]
