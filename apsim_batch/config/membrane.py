"""The Hodgkin–Huxley membrane the experiments share: the waveform model's own fields, defined once."""

from __future__ import annotations

import copy

from pydantic import create_model
from pydantic.fields import FieldInfo

from .base import StrictModel
from .hodgkin_huxley import HodgkinHuxleyWaveform

# The membrane of one patch as the hodgkin_huxley waveform declares it; the axon and the clamp take
# the same names, defaults, ranges and descriptions from there rather than from a copy.
MEMBRANE_FIELDS = (
    "capacitance_uf_per_cm2",
    "g_na_ms_per_cm2",
    "g_k_ms_per_cm2",
    "g_leak_ms_per_cm2",
    "e_na_mv",
    "e_k_mv",
    "e_leak_mv",
)
_WAVEFORM_FIELDS = HodgkinHuxleyWaveform.model_fields

Membrane = create_model(
    "Membrane",
    __base__=StrictModel,
    __doc__="The Hodgkin–Huxley (1952) membrane in the modern convention: capacitance, conductances, reversals.",
    **{name: (_WAVEFORM_FIELDS[name].annotation, _WAVEFORM_FIELDS[name]) for name in MEMBRANE_FIELDS},
)


def temperature_field(default_c: float) -> FieldInfo:
    """The waveform's temperature field (range, description, Q10 rule) with an experiment's own default."""
    field = copy.copy(_WAVEFORM_FIELDS["temperature_c"])
    field.default = default_c
    return field
