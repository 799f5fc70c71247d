"""The library API: lazy top-level imports, render() from a path, Config or dict, and the notebook."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys

import pytest

import apsim_batch
from apsim_batch import Config, ConfigError, load_config, render, run_batch
from apsim_batch.errors import ApsimError

from .conftest import ASSETS, CONFIGS, ROOT, copy_config


def test_public_names():
    for name in apsim_batch.__all__:
        assert getattr(apsim_batch, name) is not None
    assert callable(render) and callable(load_config) and callable(run_batch)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        apsim_batch.nope  # noqa: B018


def test_import_is_light_and_render_stays_the_function():
    """`import apsim_batch` loads no heavy library; importing the render engine keeps render() public."""
    code = (
        "import sys, apsim_batch\n"
        "heavy = [m for m in ('numpy', 'pydantic', 'matplotlib', 'scipy', 'imageio') if m in sys.modules]\n"
        "import apsim_batch.batch.run, apsim_batch.output.render\n"
        "from apsim_batch import render\n"
        "from apsim_batch.output.render import RenderResult\n"
        "print(heavy, callable(render) and render.__module__, RenderResult.__name__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[] apsim_batch.api RenderResult"


@pytest.mark.slow
def test_render_a_path(tmp_path):
    result = render(CONFIGS / "subthreshold.yaml", out=tmp_path, formats=["gif", "png"])
    assert result.name == "subthreshold" and result.folder == tmp_path / "subthreshold"
    assert set(result.files) == {"gif", "png"} and result.gif.is_file() and result.mp4 is None
    assert result.measurements["spike_count"] == 0  # it never fires, so there is no spike to measure
    assert result.measurements["peak_mv"] is None and result.measurements["threshold_mv"] is None
    shown = result._repr_html_()
    embedded = shown.split('src="data:image/gif;base64,', 1)[1].split('"', 1)[0]
    assert base64.b64decode(embedded) == result.gif.read_bytes()


def test_render_a_config_or_dict(tmp_path):
    named = render(Config(name="mine", outputs=("png",)), out=tmp_path)
    assert named.files == {"png": tmp_path / "mine" / "mine.png"}
    assert "data:image/png;base64," in named._repr_html_()  # the poster when there is no GIF
    untitled = render({"title": "<b>x</b>", "outputs": ["csv"]}, out=tmp_path)
    assert untitled.name == "untitled" and untitled.csv.is_file()
    assert "&lt;b&gt;x&lt;/b&gt;" in untitled._repr_html_() and "<b>x" not in untitled._repr_html_()
    assert json.loads((tmp_path / "untitled" / "manifest.json").read_text())["config"] == "<dict>"


def test_render_reports_bad_input(tmp_path):
    with pytest.raises(ConfigError, match="negative_width.yaml:"):
        render(ASSETS / "negative_width.yaml", out=tmp_path)
    with pytest.raises(ConfigError, match=r"<dict>: waveform.samples: must be at least 2"):
        render({"waveform": {"samples": 1}}, out=tmp_path)
    with pytest.raises(TypeError):
        render(42, out=tmp_path)
    assert issubclass(ConfigError, ApsimError)


@pytest.mark.slow
def test_quickstart_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    work = tmp_path / "repo"
    (work / "examples").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "quickstart.ipynb", work / "examples")
    for name in ("classic.yaml", "subthreshold.yaml"):
        copy_config(name, work / "configs")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the kernel imports apsim_batch from this checkout
    notebook = nbformat.read(work / "examples" / "quickstart.ipynb", as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # stored clean
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work / "examples")}}
    )
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    html = [out["data"]["text/html"] for out in outputs if "text/html" in out.get("data", {})]
    assert len(html) == 2 and all("data:image/gif;base64," in h for h in html)  # both animations inline
    assert (work / "examples" / "outputs" / "index.html").is_file()
    assert (work / "examples" / "outputs" / "broad_from_notebook" / "broad_from_notebook.gif").is_file()
