"""The CI recipe (examples/ci/render.yml), run step by step as Actions would, in a folder holding only configs/.

apsim-batch is installed by the recipe's own install step, as written, from a wheel built here (pip's
--no-index/--find-links given through its environment variables), into a fresh virtual environment
standing in for actions/setup-python. `uses:` steps are GitHub's own actions and are checked, not run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import apsim_batch
from apsim_batch.config.yamlsafe import parse_yaml

from .conftest import ROOT, copy_config, write
from .test_readme_blocks import reader_env, tracked_files

RECIPE = ROOT / "examples" / "ci" / "render.yml"


def workflow() -> dict:
    data, _ = parse_yaml(RECIPE.read_text(encoding="utf-8"), str(RECIPE))  # strict YAML 1.2: `on` stays a key
    return data


def steps() -> list[dict]:
    return workflow()["jobs"]["render"]["steps"]


def test_recipe_pins_this_version_and_shares_mains_cache_read_only():
    data = workflow()
    assert set(data["on"]) == {"push", "pull_request", "workflow_dispatch"}
    assert data["env"]["APSIM_BATCH"] == f"apsim-batch=={apsim_batch.__version__}"  # bump with each release
    text = RECIPE.read_text(encoding="utf-8")
    assert "apsim-batch @ git+https://" in text  # the git-reference form is documented beside the pin
    by_use = {step["uses"].split("@")[0]: step for step in steps() if "uses" in step}
    assert list(by_use) == [
        "actions/checkout",
        "actions/setup-python",
        "actions/cache/restore",
        "actions/cache/save",
        "actions/upload-artifact",
    ]
    key = "apsim-outputs-${{ steps.version.outputs.version }}-${{ hashFiles('configs/**') }}"
    restore, save = by_use["actions/cache/restore"]["with"], by_use["actions/cache/save"]["with"]
    assert restore["key"] == key and save["key"] == key
    assert "github.ref" not in restore["restore-keys"] and "ref_name" not in restore["restore-keys"]
    assert by_use["actions/cache/save"]["if"] == "${{ !cancelled() && github.ref == 'refs/heads/main' }}"
    assert "actions/cache@" not in text  # the combined action would save from pull requests too
    upload = by_use["actions/upload-artifact"]
    assert upload["with"]["path"].split() == ["outputs/", "run.json"] and upload["if"] == "${{ !cancelled() }}"


# --- running the steps ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    """apsim-batch and its dependencies as wheels, built from a copy of this checkout's tracked files."""
    base = tmp_path_factory.mktemp("wheel")
    source, out = base / "source", base / "wheels"
    for name in tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", ".", "-w", str(out)], cwd=source, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert list(out.glob(f"apsim_batch-{apsim_batch.__version__}-*.whl"))
    return out


@pytest.fixture(scope="module")
def python_env(tmp_path_factory, wheels) -> dict[str, str]:
    """What setup-python leaves: a `python` on PATH with nothing installed; pip finds only our wheels."""
    venv = tmp_path_factory.mktemp("setup-python") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return reader_env(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )


class Job:
    """Runs `run:` steps as Actions does: bash -eo pipefail, the workflow's env, step outputs, `if:`."""

    def __init__(self, repo: Path, env: dict[str, str]):
        self.repo, self.env = repo, env
        self.summary = repo.parent / "summary.md"
        self.outputs: dict[str, dict[str, str]] = {}
        self.results: dict[str, subprocess.CompletedProcess] = {}
        self.failed = False

    def expand(self, text: str) -> str:
        def value(match: re.Match) -> str:
            step, name = match.groups()
            return self.outputs.get(step, {}).get(name, "")

        text = re.sub(r"\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}", value, text)
        assert "${{" not in text, f"the test cannot evaluate: {text}"
        return text

    def should_run(self, step: dict) -> bool:
        condition = step.get("if")
        if condition is None:
            return not self.failed
        assert condition == "${{ !cancelled() }}", f"the test cannot evaluate: {condition}"
        return True

    def run(self, step: dict, skip_install: bool = False) -> None:
        name = step.get("name", step["run"])
        if not self.should_run(step) or (skip_install and "pip install" in step["run"]):
            return
        out_file = self.repo.parent / f"output-{len(self.results)}"
        out_file.write_text("")
        env = {
            **self.env,
            **workflow().get("env", {}),
            **{k: self.expand(str(v)) for k, v in step.get("env", {}).items()},
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(out_file),
            "CI": "true",
        }
        script = self.repo.parent / "step.sh"
        script.write_text(self.expand(step["run"]), encoding="utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.results[name] = proc
        if "id" in step:
            pairs = [line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line]
            self.outputs[step["id"]] = dict(pairs)
        self.failed = self.failed or proc.returncode != 0

    def run_all(self, skip_install: bool = False) -> Job:
        for step in steps():
            if "run" in step:
                self.run(step, skip_install)
        return self


def configs_only(tmp_path: Path, *names: str) -> Path:
    repo = tmp_path / "repo"
    for name in names:
        copy_config(name, repo / "configs")
    return repo


@pytest.fixture(scope="module")
def installed(tmp_path_factory, python_env) -> Job:
    """The whole recipe, install step included, in a repository holding only two configs."""
    repo = configs_only(tmp_path_factory.mktemp("ci"), "classic.yaml", "subthreshold.yaml")
    assert sorted(p.name for p in repo.iterdir()) == ["configs"]
    return Job(repo, python_env).run_all()


@pytest.mark.slow
def test_every_step_passes_in_a_configs_only_repository(installed):
    job = installed
    assert list(job.results) == ["Install apsim-batch", "Version", "Validate configs", "Render", "Summary"]
    assert all(proc.returncode == 0 for proc in job.results.values()), {
        name: proc.stderr[-2000:] for name, proc in job.results.items()
    }
    assert job.outputs["version"] == {"version": apsim_batch.__version__}
    run = json.loads((job.repo / "run.json").read_text(encoding="utf-8"))
    assert run["ok"] is True and run["counts"]["rendered"] == 2
    assert (job.repo / "outputs" / "index.html").is_file()
    assert (job.repo / "outputs" / "classic" / "classic.gif").is_file()
    summary = job.summary.read_text(encoding="utf-8").splitlines()
    assert summary[:4] == [f"### apsim-batch {apsim_batch.__version__}", "", "- rendered: 2", "- skipped: 0"]
    assert "Failed" not in "\n".join(summary) and "Invalid" not in "\n".join(summary)


@pytest.mark.slow
def test_invalid_configs_fail_the_job_and_reach_the_summary(installed, tmp_path):
    repo = configs_only(tmp_path, "classic.yaml")
    write(repo / "configs" / "bad.yaml", "title: <b>x</b>\nwaveform:\n  samples: 1\n  widht_ms: 2\n")
    job = Job(repo, installed.env).run_all(skip_install=True)
    assert list(job.results) == ["Version", "Validate configs", "Summary"]  # Render is skipped after a failure
    assert job.results["Validate configs"].returncode == 1
    assert "configs/bad.yaml:3: waveform.samples: must be at least 2 (got 1)" in job.results["Validate configs"].stdout
    summary = job.summary.read_text(encoding="utf-8")
    assert "**Invalid configs: 2**" in summary
    assert "- <code>configs/bad.yaml:3: waveform.samples: must be at least 2 (got 1)</code>" in summary
    assert "configs/bad.yaml:4: waveform.widht&#95;ms: unknown key (allowed: components, duration&#95;ms" in summary
    assert "Nothing rendered" in summary


@pytest.mark.slow
def test_failed_renders_reach_the_summary_one_escaped_item_per_line(installed, tmp_path):
    """A render that fails (its folder is a symbolic link); and a multi-line error with markup in it."""
    repo = configs_only(tmp_path, "classic.yaml", "subthreshold.yaml")
    (tmp_path / "elsewhere").mkdir()
    (repo / "outputs").mkdir()
    (repo / "outputs" / "subthreshold").symlink_to(tmp_path / "elsewhere")
    job = Job(repo, installed.env).run_all(skip_install=True)
    assert job.results["Render"].returncode == 1 and job.results["Summary"].returncode == 0
    summary = job.summary.read_text(encoding="utf-8")
    assert "- rendered: 1" in summary and "**Failed: 1**" in summary
    assert re.search(r"^- <code>configs/subthreshold\.yaml: .+</code>$", summary, re.M), summary
    # The summary step alone, on a run.json whose error spans lines and carries Markdown and HTML.
    error = "configs/a.yaml:2: title: <script>x</script>\nconfigs/a.yaml:5: plot.x_label: | *bold* |"
    run = {"counts": {"rendered": 0, "failed": 1}, "renders": [{"status": "failed", "error": error}]}
    (repo / "run.json").write_text(json.dumps(run), encoding="utf-8")
    (repo / "validate.txt").unlink()
    job.summary.write_text("")
    job.run(next(step for step in steps() if step.get("name") == "Summary"))
    lines = job.summary.read_text(encoding="utf-8").splitlines()
    assert lines[-2:] == [
        "- <code>configs/a.yaml:2: title: &lt;script&gt;x&lt;/script&gt;</code>",
        "- <code>configs/a.yaml:5: plot.x&#95;label: &#124; &#42;bold&#42; &#124;</code>",
    ]
