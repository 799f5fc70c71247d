"""The CI recipe (examples/ci/render.yml): it parses, and its commands run as written in a fresh folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from apsim_batch.config.yamlsafe import parse_yaml

from .conftest import ROOT, copy_config, write

RECIPE = ROOT / "examples" / "ci" / "render.yml"


def steps() -> list[dict]:
    data, _ = parse_yaml(RECIPE.read_text(encoding="utf-8"), str(RECIPE))  # strict YAML 1.2: `on` stays a key
    assert set(data["on"]) == {"push", "pull_request", "workflow_dispatch"}
    return data["jobs"]["render"]["steps"]


def test_recipe_installs_validates_renders_and_uploads():
    found = steps()
    uses = [step["uses"].split("@")[0] for step in found if "uses" in step]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/cache", "actions/upload-artifact"]
    commands = [step["run"] for step in found if "run" in step]
    assert commands[:3] == [
        "python -m pip install .",
        "apsim-batch validate configs/",
        "apsim-batch run configs/ --prune --json > run.json",
    ]
    assert "GITHUB_STEP_SUMMARY" in commands[3]
    upload = next(step for step in found if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"].split() == ["outputs/", "run.json"]


def run_steps(clone, tmp_path) -> list[subprocess.CompletedProcess]:
    """Every `run:` step after the install, in order, under bash -eo pipefail as Actions runs them."""
    bin_dir = tmp_path / "bin"
    shim = write(bin_dir / "apsim-batch", f'#!/bin/sh\nexec "{sys.executable}" -m apsim_batch "$@"\n')
    shim.chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = []
    for command in [step["run"] for step in steps() if "run" in step][1:]:
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        done.append(proc)
        if proc.returncode:
            break  # a failed step ends the job
    return done


@pytest.mark.slow
def test_recipe_commands_run_as_written(tmp_path):
    clone = tmp_path / "clone"
    for name in ("classic.yaml", "subthreshold.yaml"):
        copy_config(name, clone / "configs")
    done = run_steps(clone, tmp_path)
    assert [proc.returncode for proc in done] == [0, 0, 0], [proc.stderr for proc in done]
    summary = json.loads((clone / "run.json").read_text(encoding="utf-8"))
    assert summary["ok"] is True and summary["counts"]["rendered"] == 2
    assert (clone / "outputs" / "index.html").is_file()
    assert (clone / "outputs" / "classic" / "classic.gif").is_file()
    assert (tmp_path / "summary.md").read_text(encoding="utf-8").splitlines()[:3] == [
        "### apsim-batch",
        "- rendered: 2",
        "- skipped: 0",
    ]


def test_recipe_fails_the_job_on_a_bad_config(tmp_path):
    clone = tmp_path / "clone"
    write(clone / "configs" / "bad.yaml", "waveform:\n  samples: 1\n")
    done = run_steps(clone, tmp_path)
    assert [proc.returncode for proc in done] == [1]
    assert "configs/bad.yaml:2: waveform.samples: must be at least 2 (got 1)" in done[0].stderr
