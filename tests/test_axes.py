"""Honest axes: units on every axis, a linear current axis, and shared limits for figures meant for comparison."""

from __future__ import annotations

import re
import shutil

import imageio.v3 as iio
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apsim_batch.batch.axis_groups import VOLTAGE, fitted_limits, union, with_axis_groups
from apsim_batch.batch.plan import find_configs, load_all
from apsim_batch.batch.run import run_batch
from apsim_batch.config.load import load_config
from apsim_batch.figure.layout import draw_layers, draw_parts
from apsim_batch.figure.palette import CURVE_STYLE
from apsim_batch.trace.models import analyze

from .conftest import CONFIGS

UNIT = re.compile(r"\((?:[^()]*[A-Za-zµ°%][^()]*|0–1)\)$")  # "(mV)", "(µA/cm²)", or the unitless "(0–1)"
PAIR = ("hh_classic", "hh_temperature")


def _shipped() -> list:
    """Every shipped config as it renders (axis groups applied), one variant of each set."""
    loaded, failed = load_all(find_configs([CONFIGS])[0])
    assert not failed
    seen, out = set(), []
    for item in with_axis_groups(loaded):
        key = item.variant.set_name if item.variant else item.name
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("item", _shipped(), ids=lambda item: item.name)
def test_every_axis_of_every_shipped_figure_names_its_unit(item):
    parts, _, _ = draw_parts(item.config, analyze(item.config))
    labels = [ax.get_ylabel() for ax in parts.axes]
    assert all(UNIT.search(label) for label in labels), labels
    assert UNIT.search(parts.axes[-1].get_xlabel()), parts.axes[-1].get_xlabel()


def test_the_stimulus_and_gate_axes_say_their_unit():
    config = load_config(CONFIGS / "hh_classic.yaml").config
    parts, _, _ = draw_parts(config, analyze(config))
    # a label longer than its panel is tall puts its unit on a second line
    labels = dict(zip(parts.names, (ax.get_ylabel().replace("\n", " ") for ax in parts.axes), strict=True))
    assert labels["gates"] == "gate (0–1)" and labels["stimulus"] == "stimulus (µA/cm²)"
    assert labels["conductances"] == "g (mS/cm²)"
    renderer = parts.fig.canvas.get_renderer()
    extents = [ax.yaxis.label.get_window_extent(renderer) for ax in parts.axes]
    for upper, lower in zip(extents, extents[1:], strict=False):  # ... so no label runs into its neighbour's
        assert lower.y1 <= upper.y0, (upper, lower)


def test_the_current_axis_is_linear_with_both_signs_and_zero_labelled():
    """hh_threshold's currents: I_Na near -900 and the leak near +-4 on one honest, linear axis."""
    config = load_config(CONFIGS / "hh_threshold.yaml").config
    analysis = analyze(config)
    parts, image, _ = draw_parts(config, analysis)
    ax = parts.named("currents")
    assert ax.get_yscale() == "linear"
    low, high = ax.get_ylim()
    ticks = [t for t in ax.get_yticks() if low <= t <= high]
    assert 0 in ticks and min(ticks) < 0 < max(ticks)
    steps = set(np.round(np.diff(ticks), 9))
    assert len(steps) == 1  # evenly spaced ...
    step = steps.pop()
    assert step / 10 ** np.floor(np.log10(step)) in (1, 2, 5)  # ... on a 1-2-5 step
    labels = [t.get_text() for t in ax.get_yticklabels() if low <= t.get_position()[1] <= high]
    assert any(label.startswith("\u2212") for label in labels) and "0" in labels
    # the zero line is drawn across the panel
    assert any(line.get_ydata()[0] == 0 for line in ax.get_lines() if len(set(line.get_xdata())) <= 2)
    # at 30 ms I_K and I_L (a few µA/cm²) are drawn within a few pixels of zero, not halfway to a tick
    geometry = {p.name: p for p in draw_layers(config, analysis).panels}["currents"]
    _, zero_row = geometry.to_pixel(0.0, 0.0)
    for name, _, values in geometry.curves:
        if name in ("I_K", "I_L"):
            _, row = geometry.to_pixel(30.0, float(values[-1]))
            assert abs(row - zero_row) < 3, name


@settings(max_examples=30, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from([VOLTAGE, "gates", "currents"]), st.tuples(
    st.floats(-1000, 0), st.floats(0.001, 1000)), min_size=1), min_size=1, max_size=4))  # fmt: skip
def test_the_union_contains_every_members_limits(members):
    shared = union(members)
    for limits in members:
        for name, (low, high) in limits.items():
            assert shared[name][0] <= low and high <= shared[name][1]
    for name, (low, high) in shared.items():  # and is no wider than it must be
        assert low in [m[name][0] for m in members if name in m] and high in [m[name][1] for m in members if name in m]


def test_a_group_shares_its_limits_and_a_config_alone_keeps_its_own():
    loaded = [load_config(CONFIGS / f"{name}.yaml") for name in (*PAIR, "hh_threshold")]
    grouped = with_axis_groups(loaded)
    own = [fitted_limits(item.config) for item in loaded]
    assert own[0]["conductances"] != own[1]["conductances"]  # what the pair would draw alone
    classic, warm, alone = (item.config.plot for item in grouped)
    assert classic.axis_group == warm.axis_group == "temperature-pair"
    assert classic.panel_limits == warm.panel_limits and classic.voltage_range_mv == warm.voltage_range_mv
    assert classic.panel_limits["conductances"] == union(own[:2])["conductances"]
    assert alone == loaded[2].config.plot  # no group: untouched


def test_one_file_of_a_group_gets_the_limits_of_its_whole_folder(tmp_path):
    for name in PAIR:
        shutil.copy(CONFIGS / f"{name}.yaml", tmp_path)
    one = with_axis_groups([load_config(tmp_path / "hh_classic.yaml")])[0]
    both = with_axis_groups([load_config(tmp_path / f"{name}.yaml") for name in PAIR])[0]
    assert one.config == both.config
    other = tmp_path / "other"  # the same group name in another folder is another group
    other.mkdir()
    shutil.copy(CONFIGS / "hh_classic.yaml", other)
    alone = with_axis_groups([load_config(other / "hh_classic.yaml")])[0].config.plot
    assert (
        alone.panel_limits["conductances"]
        == fitted_limits(load_config(CONFIGS / "hh_classic.yaml").config)["conductances"]
    )


def _gk_peak_row(poster: np.ndarray, box: tuple[int, int, int, int]) -> int:
    """The topmost row of the g_K curve (potassium's colour) inside the conductance panel."""
    x0, y0, x1, y1 = box
    rgb = np.array([int(CURVE_STYLE["g_k"][0][i : i + 2], 16) for i in (1, 3, 5)])
    inside = poster[y0:y1, x0 + 3 : x1 - 3].astype(int)
    rows = np.flatnonzero((np.abs(inside - rgb).max(axis=2) < 40).sum(axis=1) >= 2)
    return y0 + int(rows[0])


@pytest.mark.slow
def test_the_temperature_pair_draws_the_same_g_k_at_the_same_height(tmp_path):
    """The pair's posters, rendered for real: equal conductance axes, g_K's peak (about 12 mS/cm² in both) on one row;
    a rerun is up to date, and a change to one member re-renders the other, even when only that one is named."""
    folder = tmp_path / "configs"
    folder.mkdir()
    for name in PAIR:
        shutil.copy(CONFIGS / f"{name}.yaml", folder)
    out = tmp_path / "out"
    result = run_batch([folder], out, formats=["png"], jobs=1)
    assert result.ok
    manifests = {o.name: o.manifest for o in result.outcomes}
    limits = [manifests[name]["parameters"]["plot"]["panel_limits"] for name in PAIR]
    assert limits[0] == limits[1] and "conductances" in limits[0]
    rows, peaks = [], []
    for name in PAIR:
        loaded = with_axis_groups([load_config(folder / f"{name}.yaml")])[0]
        analysis = analyze(loaded.config)
        box = draw_layers(loaded.config, analysis).panel("conductances").box
        poster = iio.imread(out / name / f"{name}.png")[..., :3]
        rows.append(_gk_peak_row(poster, box))
        g_k = loaded.config.waveform.g_k_ms_per_cm2 * analysis.trace.extra["n"] ** 4
        peaks.append(float(g_k.max()))
    assert abs(peaks[0] - peaks[1]) < 1.0  # the same peak conductance ...
    assert abs(rows[0] - rows[1]) <= 2  # ... at the same height
    again = run_batch([folder / "hh_classic.yaml"], out, formats=["png"], jobs=1)
    assert [o.status for o in again.outcomes] == ["skipped"]
    warm = folder / "hh_temperature.yaml"
    warm.write_text(warm.read_text().replace("amplitude_ua_per_cm2: 10", "amplitude_ua_per_cm2: 40"))
    changed = run_batch([folder / "hh_classic.yaml"], out, formats=["png"], jobs=1)
    assert [o.status for o in changed.outcomes] == ["rendered"]  # its group's stimulus axis grew
    assert changed.outcomes[0].manifest["parameters"]["plot"]["panel_limits"]["stimulus"][1] > limits[0]["stimulus"][1]


def test_the_close_up_shows_the_small_currents_on_a_second_linear_axis():
    """`currents_close_up`: an axis as wide as the leak, so I_K and I_L at rest stand off the zero line, while the
    spike's I_Na and I_K run off its edges (the `currents` panel above has their whole size)."""
    config = load_config(CONFIGS / "hh_threshold.yaml").config
    plot = config.plot.model_copy(update={"panels": ("currents", "currents_close_up"), "height_px": 720})
    config = config.model_copy(update={"plot": plot})
    analysis = analyze(config)
    parts, _, _ = draw_parts(config, analysis)
    ax = parts.named("currents_close_up")
    low, high = ax.get_ylim()
    assert (
        ax.get_yscale() == "linear" and low == -high and "close-up" in ax.get_ylabel() and UNIT.search(ax.get_ylabel())
    )
    extra = analysis.trace.extra
    assert np.max(np.abs(extra["i_leak_ua_per_cm2"])) < high < np.max(np.abs(extra["i_na_ua_per_cm2"]))
    geometry = draw_layers(config, analysis).panel("currents_close_up")
    _, zero_row = geometry.to_pixel(0.0, 0.0)
    for name, _, values in geometry.curves:
        if name in ("I_K", "I_L"):
            _, row = geometry.to_pixel(30.0, float(values[-1]))
            assert abs(row - zero_row) >= 3, name  # readable here, unlike on the full axis
