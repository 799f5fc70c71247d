"""The voltage clamp: closed form against a numerical integration of the gates, blockers, I–V measurements."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from apsim_batch.config.clamp import VoltageClampExperiment
from apsim_batch.trace.clamp import blocked_membrane, protocol, simulate_clamp
from apsim_batch.trace.hodgkin_huxley import ionic_currents, rates


def clamp(**fields) -> VoltageClampExperiment:
    return VoltageClampExperiment.model_validate({"model": "voltage_clamp", **fields})


def integrated_currents(experiment: VoltageClampExperiment, step_mv: float, time_ms: np.ndarray) -> np.ndarray:
    """I_Na + I_K + I_leak of one sweep, the gates integrated numerically piece by piece (solve_ivp)."""
    from scipy.integrate import solve_ivp

    def derivative(_t, y, v):
        r = rates(v, experiment.temperature_c)
        return [r[f"alpha_{g}"] * (1 - x) - r[f"beta_{g}"] * x for g, x in zip("mhn", y, strict=True)]

    pieces = protocol(experiment, step_mv)
    r0 = rates(experiment.holding_mv, experiment.temperature_c)
    state = [r0[f"alpha_{g}"] / (r0[f"alpha_{g}"] + r0[f"beta_{g}"]) for g in "mhn"]
    voltage, gates = np.empty(len(time_ms)), np.empty((3, len(time_ms)))
    for number, (start, stop, v) in enumerate(pieces):
        last = number == len(pieces) - 1
        inside = (time_ms >= start) & ((time_ms <= stop) if last else (time_ms < stop))
        t_eval = np.union1d(time_ms[inside], [stop])
        sol = solve_ivp(
            derivative, (start, stop), state, t_eval=t_eval, args=(v,), method="DOP853", rtol=1e-12, atol=1e-14
        )
        gates[:, inside] = sol.y[:, : inside.sum()]
        voltage[inside] = v
        state = sol.y[:, -1]
    return sum(ionic_currents(blocked_membrane(experiment), voltage, *gates))


def _random_protocols(count: int, seed: int = 25) -> list[tuple[float, float, float, float, float]]:
    rng = np.random.default_rng(seed)
    return [
        (
            rng.uniform(-100, -40),
            rng.uniform(-120, 80),
            rng.uniform(0, 30),
            rng.uniform(0.5, 20),
            rng.choice([0, 0.5, 1]),
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    ("holding", "step", "temperature", "duration", "ttx"),
    [(-65.0, -40.0, 6.3, 10.0, 0.0), *_random_protocols(10)],  # the first: alpha_m's removable singularity
)
def test_closed_form_equals_the_integrated_gates(holding, step, temperature, duration, ttx):
    experiment = clamp(
        holding_mv=holding,
        steps_mv=[step],
        step_duration_ms=duration,
        temperature_c=temperature,
        ttx_block_fraction=ttx,
        samples=301,
    )
    result = simulate_clamp(experiment)
    expected = integrated_currents(experiment, step, result.time_ms)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(result.i_total_ua_per_cm2[0], expected, rtol=1e-6, atol=1e-6 * scale)


def test_ttx_and_tea_isolate_the_other_current_exactly():
    control = simulate_clamp(clamp())
    ttx = simulate_clamp(clamp(ttx_block_fraction=1.0))
    tea = simulate_clamp(clamp(tea_block_fraction=1.0))
    assert not ttx.i_na_ua_per_cm2.any() and not tea.i_k_ua_per_cm2.any()
    np.testing.assert_array_equal(ttx.i_k_ua_per_cm2, control.i_k_ua_per_cm2)
    np.testing.assert_array_equal(tea.i_na_ua_per_cm2, control.i_na_ua_per_cm2)
    # what TTX leaves plus what TEA leaves is the control plus one extra leak
    np.testing.assert_allclose(
        ttx.i_total_ua_per_cm2 + tea.i_total_ua_per_cm2, control.i_total_ua_per_cm2 + control.i_leak_ua_per_cm2
    )
    assert ttx.steps.na_reversal_mv is None and ttx.steps.na_half_activation_mv is None


def test_peak_sodium_current_reverses_at_e_na():
    for e_na in (50.0, 45.0, 55.0):
        result = simulate_clamp(
            clamp(membrane={"e_na_mv": e_na}, step_range={"start_mv": -60, "stop_mv": 80, "step_mv": 5})
        )
        assert result.steps.na_reversal_mv == pytest.approx(e_na, abs=0.05)


def test_step_measurements_agree_with_the_sampled_sweeps():
    result = simulate_clamp(clamp(samples=13001))
    steps = result.steps
    during = (result.time_ms >= 1) & (result.time_ms < 11)
    sampled_peak = np.array([row[during][np.argmax(np.abs(row[during]))] for row in result.i_na_ua_per_cm2])
    # the measured peak is the closed form's own maximum: never smaller than any sample, and close to the best
    assert np.all(np.abs(steps.peak_i_na_ua_per_cm2) >= np.abs(sampled_peak) - 1e-9)
    np.testing.assert_allclose(steps.peak_i_na_ua_per_cm2, sampled_peak, rtol=1e-5, atol=1e-9)
    end = np.flatnonzero(during)[-1] + 1  # the first sample back at holding is the step's end value of n
    np.testing.assert_allclose(steps.steady_g_k_ms_per_cm2, 36 * result.n[:, end] ** 4, rtol=1e-12)
    # the sodium current turns inward near -55 mV and peaks sooner for larger steps (HH 1952, Fig. 3)
    inward = steps.step_mv[steps.peak_i_na_ua_per_cm2 < -10]
    assert inward.min() == -50 and inward.max() == 40
    big = steps.step_mv >= -30
    assert np.all(np.diff(steps.peak_i_na_ms[big]) < 0)
    assert -30 < steps.na_half_activation_mv < 0 and -40 < steps.k_half_activation_mv < 0


def test_step_families_are_validated():
    assert clamp(steps_mv=[0, 20]).step_potentials_mv == (0, 20)
    assert clamp(step_range={"start_mv": 10, "stop_mv": -10, "step_mv": 10}).step_potentials_mv == (10, 0, -10)
    for bad in (
        {"steps_mv": [0], "step_range": {"start_mv": 0, "stop_mv": 10, "step_mv": 5}},
        {"step_range": {"start_mv": -100, "stop_mv": 100, "step_mv": 0.1}},
        {"ttx_block_fraction": 1.5},
        {"holding": -65},
    ):
        with pytest.raises(ValidationError):
            clamp(**bad)
