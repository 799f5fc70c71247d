"""The example experiments in examples/experiments/ and docs/experiments.md validate, run and say what they claim."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apsim_batch.config.axon import AxonExperiment
from apsim_batch.config.clamp import VoltageClampExperiment
from apsim_batch.config.models import Config
from apsim_batch.config.yamlsafe import parse_yaml
from apsim_batch.trace.axon import simulate_axon
from apsim_batch.trace.clamp import simulate_clamp

from .conftest import ROOT

EXAMPLES = sorted((ROOT / "examples" / "experiments").glob("*.yaml"))
DOC = ROOT / "docs" / "experiments.md"
MODELS = {"axon": AxonExperiment, "voltage_clamp": VoltageClampExperiment}


def experiment_in(data: dict):
    """The experiment a config file describes, validated by its model (the rest are ordinary Config fields)."""
    assert set(data) - {"waveform"} <= set(Config.model_fields), sorted(data)
    waveform = data["waveform"]
    return MODELS[waveform["model"]].model_validate(waveform)


def load(path: Path):
    data, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    assert data["name"] == path.stem
    return experiment_in(data)


def test_there_is_an_example_of_each_experiment():
    assert {load(p).model for p in EXAMPLES} == set(MODELS)


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "clamp" in p.name], ids=lambda p: p.stem)
def test_clamp_examples_run(path):
    experiment = load(path)
    result = simulate_clamp(experiment)
    if experiment.ttx_block_fraction == 1:
        assert not result.i_na_ua_per_cm2.any() and result.i_k_ua_per_cm2.any()
    elif experiment.tea_block_fraction == 1:
        assert not result.i_k_ua_per_cm2.any() and result.i_na_ua_per_cm2.any()
    else:
        assert result.steps.na_reversal_mv == pytest.approx(experiment.membrane.e_na_mv, abs=0.05)


@pytest.mark.slow
def test_axon_examples_conduct_and_myelin_is_faster():
    found = {p.stem: simulate_axon(load(p)).propagation for p in EXAMPLES if p.name.startswith("axon")}
    assert found["axon_squid"].velocity_m_per_s == pytest.approx(18.8, rel=0.02)
    assert found["axon_myelinated"].internodal_time_ms is not None
    assert found["axon_myelinated"].velocity_m_per_s > 10 * found["axon_bare_10um"].velocity_m_per_s


def test_every_yaml_block_of_the_experiments_doc_validates():
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 2
    for block in blocks:
        data, _ = parse_yaml(block, str(DOC))
        experiment_in(data)


def test_the_doc_names_every_field_of_the_experiments():
    from apsim_batch.config.axon import AxonStimulus, Myelin, PointPulse
    from apsim_batch.config.clamp import StepRange

    text = DOC.read_text(encoding="utf-8")
    models = (AxonExperiment, Myelin, AxonStimulus, PointPulse, VoltageClampExperiment, StepRange)
    missing = [f"{m.__name__}.{name}" for m in models for name in m.model_fields if name not in text]
    assert not missing


@pytest.mark.parametrize("model", list(MODELS.values()), ids=lambda m: m.__name__)
def test_experiments_describe_every_field_and_travel_to_worker_processes(model):
    import pickle

    schema = model.model_json_schema()
    for name, definition in [(model.__name__, schema), *schema.get("$defs", {}).items()]:
        for field, spec in definition["properties"].items():
            assert spec.get("description"), f"{name}.{field}"
    example = next(load(p) for p in EXAMPLES if load(p).__class__ is model)
    assert pickle.loads(pickle.dumps(example)) == example
