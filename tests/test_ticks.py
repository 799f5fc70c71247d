"""Tick steps from the axis ranges, and the marking tolerances answer keys derive from them."""

from __future__ import annotations

import pytest

from apsim_batch.config.models import Config
from apsim_batch.figure.ticks import figure_ticks, minor_step, nice_step, tolerance


@pytest.mark.parametrize(
    ("span", "step"), [(10, 1), (20, 2), (30, 5), (80, 10), (170, 20), (2000, 200), (0.7, 0.1), (100, 10)]
)
def test_nice_steps_give_at_most_ten_intervals(span, step):
    assert nice_step(span, 10) == step and span / step <= 10


@pytest.mark.parametrize(("major", "minor"), [(1, 0.5), (2, 0.5), (5, 1), (20, 5), (10, 5), (0.2, 0.05), (50, 10)])
def test_minor_steps(major, minor):
    assert minor_step(major) == minor


def test_figure_ticks_and_tolerances():
    ticks = figure_ticks(Config())  # the classic figure: 10 ms with 1 ms ticks, -100..70 mV
    assert (ticks.time_major_ms, ticks.time_minor_ms, ticks.voltage_major_mv, ticks.voltage_minor_mv) == (1, 0.5, 20, 5)
    assert [tolerance(c, ticks) for c in ("peak_mv", "half_width_ms", "spike_count", "firing_rate_hz")] == [
        5,
        0.5,
        0,
        None,
    ]
    hh = Config.model_validate(
        {"waveform": {"model": "hodgkin_huxley", "duration_ms": 35}, "plot": {"voltage_range_mv": [-90, 80]}}
    )
    assert figure_ticks(hh).voltage_minor_mv == 5


def test_the_grid_a_render_records_is_the_layouts_when_it_has_one():
    from types import SimpleNamespace

    from apsim_batch.figure.ticks import figure_grid, ticks_from

    config = Config()
    assert figure_grid(config) == {
        "time_major_ms": 1.0,
        "time_minor_ms": 0.5,
        "voltage_major_mv": 20.0,
        "voltage_minor_mv": 5.0,
    }
    drawn = {"time_major_ms": 2.0, "time_minor_ms": 0.4, "voltage_major_mv": 25.0, "voltage_minor_mv": 5.0}
    layers = SimpleNamespace(grid=SimpleNamespace(as_dict=lambda: drawn))
    assert figure_grid(config, layers) == drawn  # what the layout really drew wins
    assert tolerance("half_width_ms", ticks_from(drawn)) == 0.4
