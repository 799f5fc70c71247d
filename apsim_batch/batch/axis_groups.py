"""Axis groups: the configs of one folder that name the same `plot.axis_group` share every axis's limits.

Figures meant to be compared (the same axon at two temperatures) must draw the same value at the same
height. Before rendering, each group's members are found in their folder (all of them, whichever
files the run was given, so rendering one file gives the same figure as rendering the folder), each
member's limits are fitted as it would draw them alone, and every member gets the union per axis:
the voltage axis (`plot.voltage_range_mv`) and each panel (`plot.panel_limits`). The limits are
written into the config itself, so they are in the resolved parameters: the manifest records them,
and a member whose group changed is no longer up to date. The time axis needs nothing: it is fitted
from the duration and the figure size alone, so members that agree on those share it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..config.load import LoadedConfig
from ..config.models import Config
from ..config.paths import Override
from ..config.variants import load_renders
from ..errors import ApsimError, ConfigError

Limits = dict[str, tuple[float, float]]
VOLTAGE = "voltage"  # the voltage axis' key beside the panels' names


def fitted_limits(config: Config) -> Limits:
    """The limits this config's figure draws on its own: the voltage axis and each panel, by name."""
    from ..figure.axes_fit import reversal_levels, voltage_range
    from ..figure.panel_kinds import panel_specs
    from ..trace.models import synthesize

    trace = synthesize(config.waveform)
    limits = {VOLTAGE: voltage_range(config, trace.voltage_mv, reversal_levels(config)).limits}
    return limits | {spec.name: spec.limits for spec in panel_specs(config, trace)}


def union(each: Iterable[Limits]) -> Limits:
    """Per axis, from the lowest lower limit to the highest upper one of the members that have that axis."""
    out: Limits = {}
    for limits in each:
        for name, (low, high) in limits.items():
            was = out.get(name, (low, high))
            out[name] = (min(was[0], float(low)), max(was[1], float(high)))
    return out


def with_limits(config: Config, own: Limits, shared: Limits) -> Config:
    """The config with the group's `shared` limits for the axes it draws (`own`: its fitted ones)."""
    panels = {name: shared[name] for name in own if name != VOLTAGE}
    plot = config.plot.model_copy(update={"voltage_range_mv": shared[VOLTAGE], "panel_limits": panels})
    return config.model_copy(update={"plot": plot})


def _folder_members(folder: str, group: str, overrides: Sequence[Override], student: bool) -> list[LoadedConfig]:
    """Every render of the configs directly in `folder` that name `group` (a config that fails to load is
    not a member: it fails on its own when it is rendered)."""
    from .plan import CONFIG_SUFFIXES

    members = []
    for path in sorted(Path(folder).iterdir()):
        if path.suffix.lower() not in CONFIG_SUFFIXES or not path.is_file():
            continue
        try:
            renders = load_renders(path, overrides, student=student)
        except (ConfigError, OSError):
            continue
        members += [item for item in renders if item.config.plot.axis_group == group]
    return members


def _fitted(members: list[LoadedConfig]) -> dict[tuple[str | None, str], Limits]:
    """Each member's own limits, by (file, render name); one that cannot be drawn is left out (its render says why)."""
    found = {}
    for member in members:
        try:
            found[(member.source_real, member.name)] = fitted_limits(member.config)
        except ApsimError:
            continue
    return found


def with_axis_groups(
    loaded: list[LoadedConfig], overrides: Sequence[Override] = (), *, student: bool = False
) -> list[LoadedConfig]:
    """The loaded configs, each member of an axis group with its group's shared limits written in."""
    groups: dict[tuple[str, str], tuple[dict[tuple[str | None, str], Limits], Limits]] = {}
    out = []
    for item in loaded:
        group = item.config.plot.axis_group
        if group is None or item.source_real is None:  # a config given as data has no folder, so no group
            out.append(item)
            continue
        key = (os.path.dirname(item.source_real), group)
        if key not in groups:
            fitted = _fitted(_folder_members(key[0], group, overrides, student))
            groups[key] = fitted, union(fitted.values())
        fitted, shared = groups[key]
        own = fitted.get((item.source_real, item.name))
        out.append(item if own is None else item.model_copy(update={"config": with_limits(item.config, own, shared)}))
    return out
