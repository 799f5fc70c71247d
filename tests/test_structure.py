"""The house rules: no import circles, no borrowed private names, one registry per kind of thing, one analysis."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import numpy as np
import pytest

from apsim_batch.config.models import OUTPUT_FORMATS, WAVEFORM_MODELS
from apsim_batch.config.plot import PANEL_NAMES
from apsim_batch.figure.panel_kinds import PANELS, PanelKind
from apsim_batch.output.formats import FORMATS
from apsim_batch.trace.models import MODELS

from .conftest import CONFIGS, ROOT, write

PACKAGE = ROOT / "apsim_batch"
# trace/measure.py <-> trace/phases.py: fixed on the physiology branch (remove this line after merging it)
KNOWN_CIRCLES: list[set[str]] = []


def _circles(graph) -> list[set[str]]:
    """Strongly connected groups of more than one module (Tarjan), i.e. every import circle."""
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in imports[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(group)

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return found


def test_no_import_circles_inside_the_package():
    """Counting every import (type-checking ones and imports inside functions too), as lint-imports does."""
    import grimp

    circles = _circles(grimp.build_graph("apsim_batch", cache_dir=None))
    assert [c for c in circles if c not in KNOWN_CIRCLES] == []


def test_the_circle_check_finds_a_circle():
    class Graph:  # a -> b -> c -> a, and d alone
        modules = {"a", "b", "c", "d"}
        edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

        def find_modules_directly_imported_by(self, module):
            return self.edges[module]

    assert _circles(Graph()) == [{"a", "b", "c"}]


def _private_imports(path: Path) -> list[str]:
    """`line: name` of each underscore name a module imports from inside the package (dunders are public)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("apsim_batch")):
            found += [
                f"{node.lineno}: {alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return found


def test_no_module_imports_another_modules_private_names(tmp_path):
    found = [
        f"{path.relative_to(ROOT)}:{hit}" for path in sorted(PACKAGE.rglob("*.py")) for hit in _private_imports(path)
    ]
    assert found == []
    probe = "import numpy as _np\nfrom .marks import _index, draw_labels\nfrom ..version import __version__\n"
    assert _private_imports(write(tmp_path / "probe.py", probe)) == ["2: _index"]


def test_registries_agree_with_the_config_vocabulary():
    """Every name a config may use has an implementation, and nothing is registered that no config can ask for."""
    assert set(PANEL_NAMES) <= set(PANELS)
    assert set(PANELS) - set(PANEL_NAMES) == {"stimulus"}  # the strip: plot.stimulus_panel, not plot.panels
    assert {name for name, fmt in FORMATS.items() if fmt.companion_of is None} == set(OUTPUT_FORMATS)
    tags = {get_args(cls.model_fields["model"].annotation)[0]: cls for cls in WAVEFORM_MODELS}  # model: <tag>
    assert {name: model.config for name, model in MODELS.items()} == tags
    for model in MODELS.values():
        assert set(model.panels) <= set(PANELS) and set(model.default_panels) <= set(model.panels)


@pytest.mark.parametrize("name", ["classic", "hh_classic", "voltage_clamp", "axon_squid"])
def test_each_model_offers_what_its_analysis_measures(name):
    from apsim_batch.config.load import load_config
    from apsim_batch.trace.models import analyze, model_of

    config = load_config(CONFIGS / f"{name}.yaml").config
    model, found = model_of(config.waveform), analyze(config).measurements.as_dict()
    assert set(model.measurements) <= set(found)
    single_spike = ("firing_rate_hz", "isi_ms")  # need two spikes
    assert all(found[key] is not None for key in model.measurements if key not in single_spike)
    assert ("threshold_mv" in model.measurements) == model.threshold


def test_an_unknown_panel_name_is_a_located_error(tmp_path):
    from apsim_batch.config.load import load_config
    from apsim_batch.errors import ConfigError

    path = write(tmp_path / "bad.yaml", "waveform:\n  model: hodgkin_huxley\nplot:\n  panels: [gates, gatez]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert "bad.yaml:4" in text and "plot.panels[1]" in text and "gatez" in text
    assert all(name in text for name in PANEL_NAMES)


def test_an_unregistered_panel_is_refused_never_drawn_as_another(monkeypatch):
    from apsim_batch.config.load import load_config
    from apsim_batch.figure.panel_kinds import panel_specs
    from apsim_batch.trace.models import synthesize

    config = load_config(CONFIGS / "hh_repetitive.yaml").config
    monkeypatch.delitem(PANELS, "currents")
    with pytest.raises(KeyError, match="no panel named 'currents'"):
        panel_specs(config, synthesize(config.waveform))


def worked_example() -> dict:
    """The worked example's module as CONTRIBUTING.md shows it (the block after "# figure/slope.py"), run."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    block = text.split("# figure/slope.py\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(block.replace("from .panels import", "from apsim_batch.figure.panels import"), namespace)
    return namespace


def test_worked_example_a_new_panel_is_one_function_and_one_registry_line(monkeypatch, tmp_path):
    from PIL import Image

    from apsim_batch.api import render
    from apsim_batch.config.load import load_config
    from apsim_batch.figure.layout import draw_layers
    from apsim_batch.trace.models import analyze

    slope_panel = worked_example()["slope_panel"]  # one function ...
    monkeypatch.setitem(PANELS, "slope", PanelKind("slope", (), slope_panel))  # ... and one registry line
    config = load_config(CONFIGS / "hh_threshold.yaml").config
    # a config names it once "slope" joins PANEL_NAMES (config/plot.py); here the loaded config is amended
    config = config.model_copy(update={"name": "toy", "plot": config.plot.model_copy(update={"panels": ("slope",)})})
    layers = draw_layers(config, analyze(config))
    assert [panel.name for panel in layers.panels] == ["voltage", "slope", "stimulus"]
    x0, y0, x1, y1 = layers.panel("slope").box
    pink = np.all(np.abs(layers.full[y0:y1, x0:x1].astype(int) - (0xCC, 0x79, 0xA7)) < 40, axis=2)
    assert pink.sum() > 200, "the slope curve is drawn in its colour, inside its own axes"
    result = render(config, tmp_path, ["png", "gif"])  # end to end: real files, decoded
    with Image.open(result.files["png"]) as png, Image.open(result.files["gif"]) as gif:
        assert png.size == gif.size == layers.size and gif.n_frames > 1
        assert np.array_equal(np.asarray(png.convert("RGB")), layers.full)


SPIKELESS_SET = """\
name: quiet
title: Sub-threshold bumps
waveform:
  duration_ms: 6
  samples: 120
  components:
    - label: bump
      center_ms: 2
      width_ms: 0.5
      amplitude_mv: 8
animation:
  fps: 30
  samples_per_frame: 12
outputs: [gif, png, csv]
variants:
  mode: grid
  student: true
  fields:
    waveform.components[bump].amplitude_mv: [6, 12]
"""


def test_a_spikeless_analysis_is_first_class(tmp_path):
    """No spike anywhere: the figure, pacing, manifest, answer key, handouts and gallery still come out whole."""
    import json

    from .conftest import run_entry_point

    write(tmp_path / "configs" / "quiet.yaml", SPIKELESS_SET)
    done = run_entry_point("run", "configs", "--out", "out", "--jobs", "1", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    key = json.loads((out / "quiet" / "teacher" / "answer_key.json").read_text(encoding="utf-8"))
    assert [row["measurements"]["spike_count"] for row in key["variants"]] == [0, 0]
    assert all(row["measurements"]["peak_mv"] is None for row in key["variants"])
    assert (out / "quiet" / "teacher" / "answer_key.csv").read_text(encoding="utf-8").count("\n") == 4  # + tolerances
    for vid in ("v01", "v02"):
        manifest = json.loads((out / f"quiet-{vid}" / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["measurements"]["spikes"] == [] and manifest["refractory"] is None
        assert {p["phase"] for p in manifest["phases"]} <= {"rest", "subthreshold"}
    assert "quiet" in (out / "index-teacher.html").read_text(encoding="utf-8")
    assert len(list((out / "quiet" / "handouts").glob("quiet-v*.gif"))) == 2


def test_a_spikeless_hodgkin_huxley_analysis_has_no_spike_pieces():
    from apsim_batch.config.models import Config
    from apsim_batch.figure.layout import draw_layers
    from apsim_batch.figure.pacing import schedule
    from apsim_batch.trace.models import analyze

    weak = {
        "model": "hodgkin_huxley",
        "duration_ms": 15,
        "stimulus": {"pulses": [{"onset_ms": 2, "duration_ms": 1, "amplitude_ua_per_cm2": 2}]},
    }
    config = Config.model_validate(
        {"waveform": weak, "plot": {"refractory": True, "threshold_markers": True}, "animation": {"spike_slowdown": 4}}
    )
    analysis = analyze(config)
    assert analysis.spikes == () and analysis.refractory is None
    assert schedule(config, analysis).windows_ms == ()
    layers = draw_layers(config, analysis)
    assert [panel.name for panel in layers.panels] == ["voltage", "stimulus"]
