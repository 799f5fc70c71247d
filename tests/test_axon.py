"""Propagation along an axon: HH 1952's velocity, the scaling laws, convergence, and the measurements' rules."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from apsim_batch.config.axon import AxonExperiment
from apsim_batch.trace.axon import build_cable, length_constant_um, simulate_axon

HH_1952_VELOCITY_M_PER_S = 18.8  # Hodgkin & Huxley (1952), computed for a = 238 µm, R_i = 35.4 Ω·cm, 18.5 °C


def axon(**fields) -> AxonExperiment:
    return AxonExperiment.model_validate({"model": "axon", **fields})


def pulse(amplitude_na: float) -> dict:
    return {"pulses": [{"onset_ms": 0.1, "duration_ms": 0.2, "amplitude_na": amplitude_na}]}


def velocity(**fields) -> float:
    found = simulate_axon(axon(**fields)).propagation.velocity_m_per_s
    assert found is not None, fields
    return found


def check_rules(result) -> None:
    """What holds for every run that conducts: arrivals in order, measurements consistent with each other."""
    p = result.propagation
    arrived = [s for s in result.sites if s.arrival_ms is not None]
    distances = [abs(s.recorded_mm - result.sites[0].recorded_mm) for s in arrived]
    assert [s.arrival_ms for s in arrived] == sorted(s.arrival_ms for s in arrived) or distances != sorted(distances)
    for site in arrived:
        assert site.peak_mv > result.detection_mv and site.peak_ms >= site.arrival_ms
        assert np.isclose(site.voltage_mv.max(), site.peak_mv, atol=5)  # snapshots are coarser than the solver
    assert p.wavelength_mm == pytest.approx(p.velocity_m_per_s * p.spike_duration_ms)
    assert result.voltage_mv.shape == (len(result.time_ms), len(result.position_mm))
    assert np.all(np.diff(result.position_mm) > 0)


def test_hh_1952_squid_axon_conducts_at_18_8_m_per_s():
    result = simulate_axon(axon())  # the defaults are the HH 1952 case
    p = result.propagation
    assert p.velocity_m_per_s == pytest.approx(HH_1952_VELOCITY_M_PER_S, rel=0.02)
    for between in p.site_velocities_m_per_s:
        assert between == pytest.approx(p.velocity_m_per_s, rel=0.01)
    # the space step is a small fraction of the length constant (about 7 mm at rest here)
    assert result.length_constant_mm == pytest.approx(7.04, abs=0.01)
    assert result.space_step_um < result.length_constant_mm * 1000 / 90
    assert [s.peak_mv for s in result.sites] == pytest.approx([25.6] * 4, abs=0.3)
    assert p.spike_duration_ms == pytest.approx(0.50, abs=0.02) and p.wavelength_mm == pytest.approx(9.3, abs=0.3)
    assert p.internodal_time_ms is None and result.node_mm.size == 0
    check_rules(result)


@pytest.mark.slow
def test_halving_the_space_and_time_steps_moves_the_velocity_by_less_than_a_tenth_of_a_percent():
    base = {"length_mm": 30, "recording_sites_mm": [10, 20], "duration_ms": 2.5}
    step_um = build_cable(axon(**base)).length_um[0]
    reference = velocity(**base)
    assert velocity(**base, space_step_um=step_um / 2) == pytest.approx(reference, rel=1e-3)
    assert velocity(**base, time_step_us=2.5) == pytest.approx(reference, rel=1e-3)


def test_bare_axon_velocity_grows_as_the_square_root_of_diameter():
    diameters = np.array([60.0, 120, 240, 476])
    found = [velocity(diameter_um=d, length_mm=20, recording_sites_mm=[8, 12], duration_ms=4) for d in diameters]
    exponent = np.polyfit(np.log(diameters), np.log(found), 1)[0]
    assert exponent == pytest.approx(0.5, abs=0.01)


def myelinated(diameter_um: float, **fields) -> dict:
    return {
        "diameter_um": diameter_um,
        "length_mm": 20,
        "recording_sites_mm": [5, 15],
        "duration_ms": 3,
        "myelin": fields,
        "stimulus": pulse(10),
    }


def test_myelinated_velocity_grows_about_linearly_with_diameter_and_beats_a_bare_axon():
    diameters = np.array([2.0, 4, 8, 16])
    results = [simulate_axon(axon(**myelinated(d))) for d in diameters]
    found = np.array([r.propagation.velocity_m_per_s for r in results])
    exponent = np.polyfit(np.log(diameters), np.log(found), 1)[0]
    assert exponent == pytest.approx(1.0, abs=0.05)
    for result in results:
        check_rules(result)
        p = result.propagation
        period_mm = np.diff(result.node_mm).mean()
        # the internodal time is the time one node-to-node jump takes
        assert p.internodal_time_ms == pytest.approx(period_mm / p.velocity_m_per_s, rel=0.01)
    bare = velocity(diameter_um=8, length_mm=10, recording_sites_mm=[3, 7], duration_ms=5, space_step_um=30)
    assert found[2] > 5 * bare


def test_more_internode_segments_leave_the_myelinated_velocity_alone():
    coarse = velocity(**myelinated(8))
    assert velocity(**myelinated(8, internode_segments=20)) == pytest.approx(coarse, rel=2e-3)


def test_a_weak_stimulus_sends_no_impulse():
    result = simulate_axon(axon(length_mm=20, recording_sites_mm=[5, 15], duration_ms=3, stimulus=pulse(100)))
    assert result.propagation.velocity_m_per_s is None
    assert all(s.arrival_ms is None for s in result.sites)
    assert result.propagation.site_velocities_m_per_s == (None,)


def test_stimulating_mid_axon_sends_impulses_both_ways():
    result = simulate_axon(axon(length_mm=40, stimulus={**pulse(50_000), "site_mm": 20}, recording_sites_mm=[5, 35]))
    left, right = result.sites
    v = result.propagation.velocity_m_per_s
    assert v == pytest.approx(18.7, rel=0.01)
    # equal distances, equal delays: what differs is where the nearest compartments lie
    farther_mm = abs(right.recorded_mm - result.stimulus_mm) - abs(left.recorded_mm - result.stimulus_mm)
    assert right.arrival_ms - left.arrival_ms == pytest.approx(farther_mm / v, abs=2e-4)


def test_length_constant_is_the_resting_cables():
    # sqrt(d R_m / 4 R_i) with every resting conductance: 0.3 leak plus the resting Na and K (0.677 mS/cm² in all)
    assert length_constant_um(axon()) == pytest.approx(np.sqrt(0.0476 * (1000 / 0.6774) / (4 * 35.4)) * 1e4, rel=1e-3)


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"recording_sites_mm": [10, 60]}, ("recording_sites_mm", 1)),
        ({"stimulus": {"site_mm": 51}}, ("stimulus", "site_mm")),
        ({"time_step_us": 0.001}, ("time_step_us",)),
        ({"space_step_um": 0.1}, ("space_step_um",)),
        ({"diameter_um": 10, "length_mm": 2, "myelin": {}}, ("length_mm",)),
        ({"myelin": {"g_ratio": 1}}, ("myelin", "g_ratio")),
        ({"diameter": 10}, ("diameter",)),
    ],
)
def test_bad_axons_are_refused_at_the_field(fields, where):
    with pytest.raises(ValidationError) as caught:
        axon(**fields)
    error = caught.value.errors()[0]
    assert tuple(error["loc"])[: len(where)] == where or where[0] in str(error)
