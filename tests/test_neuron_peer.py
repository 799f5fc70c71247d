"""NEURON (the `neuron` package) as a numerical peer: the same cable and the same clamp, solved by its own code."""

from __future__ import annotations

import numpy as np
import pytest

from apsim_batch.config.axon import AxonExperiment
from apsim_batch.config.clamp import VoltageClampExperiment
from apsim_batch.trace.axon import build_cable, node_membrane, simulate_axon
from apsim_batch.trace.clamp import simulate_clamp
from apsim_batch.trace.hodgkin_huxley import resting_potential

neuron = pytest.importorskip("neuron")


@pytest.fixture(autouse=True)
def _fresh_neuron():
    """NEURON's sections are global: a section a test leaves behind would be simulated by the next one."""
    from neuron import h

    yield h
    for section in list(h.allsec()):
        h.delete_section(sec=section)


def _hh_section(h, membrane, **geometry):
    section = h.Section(name="peer")
    for key, value in geometry.items():
        setattr(section, key, value)
    section.insert("hh")
    section.cm = membrane.capacitance_uf_per_cm2
    for seg in section:
        seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl = (
            membrane.g_na_ms_per_cm2 / 1000,
            membrane.g_k_ms_per_cm2 / 1000,
            membrane.g_leak_ms_per_cm2 / 1000,
        )
        seg.hh.el, seg.ena, seg.ek = membrane.e_leak_mv, membrane.e_na_mv, membrane.e_k_mv
    h.usetable_hh = 0  # NEURON's rate tables hold 1 mV steps; the formulas themselves are the peer
    return section


def _upward_crossing(t: np.ndarray, v: np.ndarray, level: float) -> float:
    i = int(np.flatnonzero((v[:-1] < level) & (v[1:] >= level))[0])
    return float(t[i] + (level - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i]))


@pytest.mark.slow
def test_neuron_conducts_the_hh_1952_axon_at_our_velocity_and_peak():
    """Same cable (nseg = our compartments), same pulse, same dt, Crank–Nicolson in NEURON (secondorder = 2)."""
    from neuron import h

    h.load_file("stdrun.hoc")
    experiment = AxonExperiment(model="axon", length_mm=30, recording_sites_mm=(10, 20), duration_ms=2.5)
    ours = simulate_axon(experiment)
    compartments = len(build_cable(experiment).center_um)
    section = _hh_section(
        h, experiment.membrane, L=experiment.length_mm * 1000, diam=experiment.diameter_um, nseg=compartments
    )
    section.Ra = experiment.axial_resistivity_ohm_cm
    h.celsius = experiment.temperature_c
    pulse = experiment.stimulus.pulses[0]
    electrode = h.IClamp(section(0.5 / compartments))
    electrode.delay, electrode.dur, electrode.amp = pulse.onset_ms, pulse.duration_ms, pulse.amplitude_na
    time = h.Vector().record(h._ref_t)
    traces = [h.Vector().record(section(s.recorded_mm / experiment.length_mm)._ref_v) for s in ours.sites]
    h.dt, h.secondorder = experiment.time_step_us / 1000, 2
    h.finitialize(resting_potential(experiment.membrane))
    h.continuerun(experiment.duration_ms)
    t = np.array(time)
    arrivals = [_upward_crossing(t, np.array(v), ours.detection_mv) for v in traces]
    theirs = (ours.sites[1].recorded_mm - ours.sites[0].recorded_mm) / (arrivals[1] - arrivals[0])
    assert ours.propagation.site_velocities_m_per_s[0] == pytest.approx(theirs, rel=1e-3)  # measured: 4e-5
    for site, v in zip(ours.sites, traces, strict=True):
        assert site.peak_mv == pytest.approx(np.array(v).max(), abs=0.05)  # measured: 0.001 mV


def _neuron_fibre(h, experiment: AxonExperiment, at_nodes, rest_mv: float) -> list:
    """Nodes (one `hh` segment each) and internodes (`pas`, the sheath's capacitance and leak), end to end."""
    myelin = experiment.myelin
    layers = myelin.membranes_in_sheath(experiment.diameter_um)
    nodes = (
        int(
            (experiment.length_mm * 1000 - myelin.node_length_um)
            // (myelin.node_length_um + myelin.internode_um(experiment.diameter_um))
        )
        + 1
    )
    sections = []
    for i in range(2 * nodes - 1):
        if i % 2 == 0:
            section = _hh_section(h, at_nodes, L=myelin.node_length_um, diam=experiment.diameter_um, nseg=1)
        else:
            section = h.Section(name="internode")
            section.L, section.diam = myelin.internode_um(experiment.diameter_um), experiment.diameter_um
            section.nseg = myelin.internode_segments
            section.insert("pas")
            section.cm = experiment.membrane.capacitance_uf_per_cm2 / layers
            for seg in section:
                seg.pas.g, seg.pas.e = experiment.membrane.g_leak_ms_per_cm2 / layers / 1000, rest_mv
        section.Ra = experiment.axial_resistivity_ohm_cm
        if sections:
            section.connect(sections[-1](1))
        sections.append(section)
    return sections


@pytest.mark.slow
def test_neuron_conducts_a_myelinated_fibre_like_ours():
    """The same nodes and internodes as NEURON sections: arrivals at the nodes and their peaks agree."""
    from neuron import h

    h.load_file("stdrun.hoc")
    experiment = AxonExperiment(
        model="axon",
        diameter_um=10,
        length_mm=10,
        myelin={},
        recording_sites_mm=(3, 7),
        duration_ms=1,
        stimulus={"pulses": [{"onset_ms": 0.1, "duration_ms": 0.2, "amplitude_na": 10}]},
    )
    ours = simulate_axon(experiment)
    rest = resting_potential(experiment.membrane)
    sections = _neuron_fibre(h, experiment, node_membrane(experiment), rest)
    pulse = experiment.stimulus.pulses[0]
    electrode = h.IClamp(sections[0](0.5))
    electrode.delay, electrode.dur, electrode.amp = pulse.onset_ms, pulse.duration_ms, pulse.amplitude_na
    period_mm = ours.node_mm[1] - ours.node_mm[0]
    time = h.Vector().record(h._ref_t)
    traces = [h.Vector().record(sections[2 * round(s.recorded_mm / period_mm)](0.5)._ref_v) for s in ours.sites]
    h.celsius, h.dt, h.secondorder = experiment.temperature_c, experiment.time_step_us / 1000, 2
    h.finitialize(rest)
    h.continuerun(experiment.duration_ms)
    t = np.array(time)
    for site, v in zip(ours.sites, traces, strict=True):
        assert site.arrival_ms == pytest.approx(
            _upward_crossing(t, np.array(v), ours.detection_mv), abs=1e-4
        )  # measured: 7e-6 ms
        assert site.peak_mv == pytest.approx(np.array(v).max(), abs=0.05)  # measured: 0.012 mV


@pytest.mark.slow
@pytest.mark.parametrize("blocker", [{}, {"ttx_block_fraction": 1.0}, {"tea_block_fraction": 1.0}])
def test_neuron_seclamp_current_matches_the_closed_form(blocker):
    """SEClamp on an hh section: its electrode current is the membrane's ionic current once the edge has passed."""
    from neuron import h

    h.load_file("stdrun.hoc")
    experiment = VoltageClampExperiment(
        model="voltage_clamp", steps_mv=(-40.0, 0.0, 40.0), samples=1301, step_duration_ms=10, **blocker
    )
    ours = simulate_clamp(experiment)
    membrane = experiment.membrane.model_copy(
        update={
            "g_na_ms_per_cm2": experiment.membrane.g_na_ms_per_cm2 * (1 - experiment.ttx_block_fraction),
            "g_k_ms_per_cm2": experiment.membrane.g_k_ms_per_cm2 * (1 - experiment.tea_block_fraction),
        }
    )
    section = _hh_section(h, membrane, L=20, diam=20, nseg=1)
    area_cm2 = h.area(0.5, sec=section) * 1e-8
    h.celsius, h.dt, h.secondorder = experiment.temperature_c, 0.0005, 0
    edge = (ours.time_ms >= 1.1) & (ours.time_ms < 11) | (ours.time_ms >= 11.1)  # past each capacitive transient
    for row, step in enumerate(experiment.step_potentials_mv):
        clamp = h.SEClamp(section(0.5))
        clamp.rs = 1e-4  # MΩ: the membrane then sits within microvolts of the command
        clamp.dur1, clamp.amp1 = experiment.pre_step_ms, experiment.holding_mv
        clamp.dur2, clamp.amp2 = experiment.step_duration_ms, step
        clamp.dur3, clamp.amp3 = experiment.post_step_ms, experiment.holding_mv
        time, current = h.Vector().record(h._ref_t), h.Vector().record(clamp._ref_i)
        h.finitialize(experiment.holding_mv)
        h.continuerun(experiment.duration_ms)
        # the electrode supplies what the channels pass (nA -> µA/cm²)
        theirs = np.interp(ours.time_ms, np.array(time), np.array(current)) * 1e-3 / area_cm2
        expected = ours.i_total_ua_per_cm2[row]
        scale = np.abs(expected[edge]).max()
        assert np.abs(theirs[edge] - expected[edge]).max() <= 0.005 * scale, step  # measured: <= 0.27%
        del clamp
