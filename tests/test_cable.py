"""The cable's time step: second order on slow modes, and damping (not ringing) on the stiffest ones."""

from __future__ import annotations

import numpy as np
import pytest

from apsim_batch.trace.cable import _TrBdf2, myelinated_cable, uniform_cable


def two_compartments(small_uf: float, dt_ms: float) -> _TrBdf2:
    """Compartments of 1 µF and `small_uf` joined by 1 mS, no membrane: V difference decays at rate G (1/C1 + 1/C2)."""
    axial = np.array([1.0])
    return _TrBdf2(np.array([small_uf, 1.0]), axial, np.array([1.0, 1.0]), dt_ms)


def test_a_slow_mode_converges_at_second_order():
    no_membrane = np.zeros(2)
    errors = []
    for dt in (0.1, 0.05, 0.025):
        stepper = two_compartments(1.0, dt)  # the difference decays as exp(-2 t)
        v = np.array([1.0, -1.0])
        for _ in range(round(1 / dt)):
            v = stepper.step(v, no_membrane, np.zeros(2))
        errors.append(abs((v[0] - v[1]) / 2 - np.exp(-2.0)))
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert ratios == pytest.approx([4, 4], rel=0.05)


def test_the_stiffest_mode_is_damped_in_one_step():
    """A node's nanosecond time constant under a 5 µs step: Crank–Nicolson would keep ~100 % of it, sign flipped."""
    stepper = two_compartments(1e-6, 0.005)
    v = stepper.step(np.array([1.0, 0.0]), np.zeros(2), np.zeros(2))
    assert abs(v[0] - v[1]) < 1e-3
    # charge is conserved: C1 V1 + C2 V2 stays 1e-6
    assert 1e-6 * v[0] + v[1] == pytest.approx(1e-6, rel=1e-9)


def test_cables_have_the_geometry_they_promise():
    bare = uniform_cable(1000, 10, 30)
    assert bare.length_um.sum() == pytest.approx(1000) and bare.length_um.max() <= 30
    fibre = myelinated_cable(5000, 10, 1, 1000, 10, 0.005, 0.0015)
    nodes = fibre.center_um[fibre.active]
    assert np.diff(nodes) == pytest.approx([1001] * 4) and nodes[0] == 0.5
    assert fibre.length_um.sum() == pytest.approx(4 * 1001 + 1)
    # the axial conductance between a node and an internode piece: the halves of each in series
    g = fibre.axial_conductance_ms(100)[0]
    ohm = 100 * (0.5e-4 + 50e-4) / (np.pi * (10e-4) ** 2 / 4)
    assert g == pytest.approx(1000 / ohm)
