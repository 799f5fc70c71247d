"""The speed work changes no pixel: layers from one figure build equal separate cold drawings, warm renders equal cold ones."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from apsim_batch.config.load import load_config
from apsim_batch.figure.layout import draw_layers, draw_parts, draw_reveal_map
from apsim_batch.output.render import render
from apsim_batch.trace.waveform import synthesize

from .conftest import ROOT, copy_config


@pytest.mark.parametrize(
    "name",
    [
        "classic.yaml",
        pytest.param("hh_repetitive.yaml", marks=pytest.mark.slow),
        pytest.param("hh_classic.yaml", marks=pytest.mark.slow),
    ],
)
def test_layers_from_one_figure_equal_separate_cold_drawings(name):
    # hh_repetitive has the currents panel, whose captions are in the base layer from the start
    config = load_config(ROOT / "configs" / name).config
    trace = synthesize(config.waveform)
    layers = draw_layers(config, trace)
    _, base, _ = draw_parts(config, trace, 0)
    _, full, timed = draw_parts(config, trace, None)
    assert np.array_equal(layers.base, base)
    assert np.array_equal(layers.full, full)
    reveal = draw_reveal_map(config, trace, timed)  # on a figure of its own, ticks and all
    changed = np.flatnonzero(np.any(base != full, axis=2))
    at = reveal.reshape(-1)[changed]
    order = np.argsort(at, kind="stable")
    assert np.array_equal(layers.change_pos, changed[order])
    assert np.array_equal(layers.change_at, at[order])


def _digests(folder) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.suffix in {".gif", ".png", ".csv"}
    }


@pytest.mark.slow
def test_warm_renders_equal_a_cold_render_byte_for_byte(tmp_path):
    copy_config("hh_classic.yaml", tmp_path / "configs")
    loaded = load_config(tmp_path / "configs" / "hh_classic.yaml")
    formats = ["gif", "png", "csv"]
    render(loaded, tmp_path / "warm1", formats)  # this process may already have drawn other figures
    render(loaded, tmp_path / "warm2", formats)
    cold = subprocess.run(
        [sys.executable, "-m", "apsim_batch", "run", "configs", "--format", "gif,png,csv", "--jobs", "1", "-q"]
        + ["--out", "cold"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cold.returncode == 0, cold.stderr
    expected = _digests(tmp_path / "cold")
    assert len(expected) == 3
    assert _digests(tmp_path / "warm1") == expected
    assert _digests(tmp_path / "warm2") == expected
