"""Propagation along an axon: HH 1952's velocity, the scaling laws, convergence, and the measurements' rules."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from apsim_batch.config.axon import AxonExperiment
from apsim_batch.errors import RenderError
from apsim_batch.trace.axon import build_cable, length_constant_um, simulate_axon

HH_1952_VELOCITY_M_PER_S = 18.8  # Hodgkin & Huxley (1952), computed for a = 238 µm, R_i = 35.4 Ω·cm, 18.5 °C


def axon(**fields) -> AxonExperiment:
    return AxonExperiment.model_validate({"model": "axon", **fields})


def pulse(amplitude_na: float) -> dict:
    return {"pulses": [{"onset_ms": 0.1, "duration_ms": 0.2, "amplitude_na": amplitude_na}]}


def squid_pulse_for(diameter_um: float) -> dict:
    """The squid's 50 µA scaled as a cable's input conductance, d^1.5: as far above threshold for any bare axon."""
    return pulse(50_000 * (diameter_um / 476) ** 1.5)


def velocity(**fields) -> float:
    found = simulate_axon(axon(**fields)).propagation.velocity_m_per_s
    assert found is not None, fields
    return found


def check_rules(result) -> None:
    """What holds for every run that conducts: on each side of the electrode, later arrival farther away; the
    peak is the largest voltage (snapshots lie between solver steps); the measurements agree with each other."""
    p = result.propagation
    arrived = [s for s in result.sites if s.arrival_ms is not None]
    for side in (-1, 1):
        here = sorted(
            (side * (s.recorded_mm - result.stimulus_mm), s.arrival_ms)
            for s in arrived
            if side * (s.recorded_mm - result.stimulus_mm) > 0
        )
        assert [a for _, a in here] == sorted(a for _, a in here)
    for site in arrived:
        assert result.detection_mv < site.peak_mv < 50 and site.peak_ms >= site.arrival_ms
        assert site.voltage_mv.max() <= site.peak_mv + 1e-9
        assert site.voltage_mv.max() == pytest.approx(site.peak_mv, abs=5)
    assert p.wavelength_mm == pytest.approx(p.velocity_m_per_s * p.spike_duration_ms)
    assert result.voltage_mv.shape == (len(result.time_ms), len(result.position_mm))
    assert np.all(np.diff(result.position_mm) > 0)
    assert np.allclose(result.voltage_mv[0], result.resting_mv)


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
    # the wavelength seen directly: the stretch above the detection level in a snapshot mid-way
    when = np.searchsorted(result.time_ms, result.sites[2].arrival_ms)
    above = result.position_mm[result.voltage_mv[when] >= result.detection_mv]
    assert above.max() - above.min() == pytest.approx(p.wavelength_mm, abs=2 * result.space_step_um / 1000)
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
    found = [
        velocity(diameter_um=d, length_mm=20, recording_sites_mm=[8, 12], duration_ms=4, stimulus=squid_pulse_for(d))
        for d in diameters
    ]
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
    bare = velocity(
        diameter_um=8,
        length_mm=10,
        recording_sites_mm=[3, 7],
        duration_ms=5,
        space_step_um=30,
        stimulus=squid_pulse_for(8),
    )
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


def _random_axons(count: int, seed: int = 1952) -> list[dict]:
    """Bare and myelinated axons over diameters and temperatures, sized so each run stays short."""
    rng = np.random.default_rng(seed)
    found = []
    for i in range(count):
        temperature = float(np.round(rng.uniform(6.3, 25), 2))
        if i % 2 == 0:
            d = float(np.round(np.exp(rng.uniform(np.log(20), np.log(500))), 1))
            length_mm = float(np.round(5 * 7.04 * np.sqrt(d / 476), 2))  # five resting length constants
            fields = {"space_step_um": length_mm * 1000 / 300, "stimulus": squid_pulse_for(d)}
        else:
            d = float(np.round(rng.uniform(2, 20), 1))
            length_mm = float(np.round(d * 1.5, 2))  # about ten internodes
            fields = {"myelin": {}, "stimulus": pulse(d)}
        sites = [round(length_mm * f, 3) for f in (0.3, 0.5, 0.7)]
        found.append(
            {
                "diameter_um": d,
                "temperature_c": temperature,
                "length_mm": length_mm,
                "recording_sites_mm": sites,
                **fields,
            }
        )
    return found


@pytest.mark.parametrize(
    "fields", _random_axons(6), ids=lambda f: f"{'myelin' if 'myelin' in f else 'bare'}{f['diameter_um']:g}um"
)
def test_every_conducting_axon_keeps_the_rules(fields):
    experiment = axon(**fields, duration_ms=3, samples=301)
    result = simulate_axon(experiment)
    assert result.propagation.velocity_m_per_s is not None, fields
    check_rules(result)


def test_runs_too_big_to_keep_are_refused_before_they_start():
    with pytest.raises(
        RenderError, match=r"^space_step_um: the default step, λ/100 = 3.23 µm, makes 30,974 compartments"
    ):
        simulate_axon(axon(diameter_um=1, length_mm=100))
    with pytest.raises(RenderError, match=r"^samples: 20,000 snapshots of 1,250 compartments"):
        simulate_axon(axon(space_step_um=40, samples=20_000))


def test_a_stimulus_no_membrane_could_take_is_refused_in_one_line():
    thin = {"diameter_um": 5, "length_mm": 5, "recording_sites_mm": [2], "duration_ms": 1}
    with pytest.raises(
        RenderError, match=r"^stimulus.pulses: the membrane at 0.0\d+ mm reached [\d,]+ mV at 0.1\d* ms"
    ):
        simulate_axon(axon(**thin))  # the squid's 50 µA into a 5 µm axon
    with pytest.raises(RenderError, match=r"reached -[\d,]+ mV.*lower amplitude_na for this axon$"):
        simulate_axon(axon(**thin, stimulus=pulse(-50_000)))


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
