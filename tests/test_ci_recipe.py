"""The GitHub Action (action.yml), run step by step as the Actions runner does, in a repository holding only configs/.

The runner runs a composite action's `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}` with
GITHUB_ACTION_PATH (the action's own checkout), RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY
and INPUT_* set; `${{ ... }}` expressions are expanded before the script runs. This test does the same, with
apsim-batch installed by the action's own install step from a copy of this checkout's tracked files.
`uses:` steps are GitHub's own actions and are checked, not run. The example workflow (examples/ci/render.yml)
and the release workflow are checked against the action and run where they run our commands.
"""

from __future__ import annotations

import importlib.util
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

ACTION = ROOT / "action.yml"
EXAMPLE = ROOT / "examples" / "ci" / "render.yml"
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
RUNNER_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # what `shell: bash` means on the runner


def load(path: Path) -> dict:
    data, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))  # strict YAML 1.2: `on` stays a key
    return data


def action_steps() -> list[dict]:
    return load(ACTION)["runs"]["steps"]


def test_every_run_step_is_bash_with_pipefail_and_inputs_are_documented():
    data = load(ACTION)
    assert data["runs"]["using"] == "composite"
    for step in action_steps():
        if "run" in step:
            assert step.get("shell") == "bash", f"{step['name']}: without `shell: bash` a pipe hides failures"
            assert "${{ inputs." not in step["run"], f"{step['name']}: inputs reach scripts through env, not text"
    for name, spec in data["inputs"].items():
        assert spec["description"].strip() and "default" in spec, name
    uses = [step["uses"].split("@")[0] for step in action_steps() if "uses" in step]
    assert uses == [
        "actions/setup-python",
        "actions/cache/restore",
        "actions/cache/save",
        "actions/upload-artifact",
    ]
    by_use = {step["uses"].split("@")[0]: step for step in action_steps() if "uses" in step}
    restore, save = by_use["actions/cache/restore"]["with"], by_use["actions/cache/save"]["with"]
    assert restore["key"] == save["key"] and "github.ref" not in restore["restore-keys"]
    assert "refs/heads/" in by_use["actions/cache/save"]["if"]  # only the default branch writes the cache


def test_the_example_workflow_uses_this_release_of_the_action_with_its_inputs():
    data = load(EXAMPLE)
    assert set(data["on"]) == {"push", "pull_request", "workflow_dispatch"}
    steps = data["jobs"]["render"]["steps"]
    assert steps[0]["uses"] == "actions/checkout@v4"
    assert steps[1]["uses"] == f"OWNER/apsim-batch@v{apsim_batch.__version__}"  # bump with each release
    assert set(steps[1]["with"]) <= set(load(ACTION)["inputs"])
    text = EXAMPLE.read_text(encoding="utf-8")
    for commented in re.findall(r"^\s+# (\w[\w-]*):", text, flags=re.M):
        assert commented in load(ACTION)["inputs"], commented


# --- running the action -----------------------------------------------------------------------------


class Runner:
    """Runs the action's `run:` steps as the Actions runner does: expressions, env, step outputs, `if:`."""

    def __init__(self, repo: Path, action_path: Path, env: dict[str, str], inputs: dict[str, str] | None = None):
        spec = load(ACTION)["inputs"]
        self.inputs = {name: str(value.get("default", "")) for name, value in spec.items()} | (inputs or {})
        self.repo, self.action_path = repo, action_path
        self.temp = repo.parent / "runner-temp"
        self.temp.mkdir(exist_ok=True)
        self.summary = repo.parent / "summary.md"
        self.path_file = repo.parent / "github-path"
        self.env, self.outputs, self.results = env, {}, {}
        self.failed = False

    def expand(self, text: str) -> str:
        def value(match: re.Match) -> str:
            expr = match.group(1).strip()
            if found := re.fullmatch(r"inputs\.([\w-]+)", expr):
                return self.inputs[found.group(1)]
            if found := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
                return self.outputs.get(found.group(1), {}).get(found.group(2), "")
            raise AssertionError(f"the test cannot evaluate: {expr}")

        return re.sub(r"\$\{\{(.*?)\}\}", value, text)

    def should_run(self, step: dict) -> bool:
        condition = step.get("if")
        if condition is None:
            return not self.failed
        assert condition == "${{ !cancelled() }}", f"the test cannot evaluate: {condition}"
        return True

    def base_env(self) -> dict[str, str]:
        extra_path = self.path_file.read_text().split() if self.path_file.exists() else []
        return {
            **self.env,
            **{f"INPUT_{name.upper()}": value for name, value in self.inputs.items()},
            "PATH": os.pathsep.join([*reversed(extra_path), self.env["PATH"]]),
            "GITHUB_ACTION_PATH": str(self.action_path),
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_PATH": str(self.path_file),
            "CI": "true",
        }

    def run(self, step: dict, shell: list[str] = RUNNER_BASH) -> None:
        if not self.should_run(step):
            return
        out_file = self.repo.parent / f"output-{len(self.results)}"
        out_file.write_text("")
        env = {
            **self.base_env(),
            **{k: self.expand(str(v)) for k, v in step.get("env", {}).items()},
            "GITHUB_OUTPUT": str(out_file),
        }
        script = self.repo.parent / "step.sh"
        script.write_text(self.expand(step["run"]), encoding="utf-8")
        proc = subprocess.run(
            [*shell, str(script)], cwd=self.repo, env=env, capture_output=True, text=True, timeout=900
        )
        self.results[step["name"]] = proc
        if "id" in step:
            pairs = [line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line]
            self.outputs[step["id"]] = dict(pairs)
        self.failed = self.failed or proc.returncode != 0

    def run_all(self, skip: tuple[str, ...] = ()) -> Runner:
        for step in action_steps():
            if "run" in step and step["name"] not in skip:
                self.run(step)
        return self


def configs_only(tmp_path: Path, *names: str) -> Path:
    repo = tmp_path / "repo"
    for name in names:
        copy_config(name, repo / "configs")
    return repo


@pytest.fixture(scope="module")
def action_path(tmp_path_factory) -> Path:
    """The action's checkout as the runner unpacks it: this repository's tracked files."""
    path = tmp_path_factory.mktemp("action") / "apsim-batch"
    for name in tracked_files():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, path / name)
    for name in ("action.yml", ".github/scripts/job_summary.py"):  # until committed, tracked_files may miss them
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, path / name)
    return path


@pytest.fixture(scope="module")
def python_env(tmp_path_factory) -> dict[str, str]:
    """What setup-python leaves: a `python` on PATH with nothing installed."""
    venv = tmp_path_factory.mktemp("setup-python") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return reader_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", PIP_DISABLE_PIP_VERSION_CHECK="1")


@pytest.fixture(scope="module")
def installed(tmp_path_factory, python_env, action_path) -> Runner:
    """The whole action, install step included, in a repository holding only two configs."""
    repo = configs_only(tmp_path_factory.mktemp("ci"), "classic.yaml", "subthreshold.yaml")
    assert sorted(p.name for p in repo.iterdir()) == ["configs"]
    return Runner(repo, action_path, python_env).run_all()


def installed_env(runner: Runner) -> dict[str, str]:
    """The environment after the install step: its GITHUB_PATH entries on PATH, as later jobs' steps see it."""
    path = runner.base_env()["PATH"]
    return {**runner.env, "PATH": path}


@pytest.mark.slow
def test_the_action_installs_validates_renders_and_summarizes(installed):
    runner = installed
    assert list(runner.results) == ["Install apsim-batch", "Check inputs", "Validate configs", "Render", "Summary"]
    assert all(proc.returncode == 0 for proc in runner.results.values()), {
        name: proc.stderr[-2000:] for name, proc in runner.results.items()
    }
    assert runner.outputs["install"] == {"version": apsim_batch.__version__}
    run = json.loads(Path(runner.outputs["render"]["run-json"]).read_text(encoding="utf-8"))
    assert run["ok"] is True and run["counts"]["rendered"] == 2
    assert (runner.repo / "outputs" / "index.html").is_file()
    assert (runner.repo / "outputs" / "classic" / "classic.gif").is_file()
    assert sorted(p.name for p in runner.repo.iterdir()) == ["configs", "outputs"]  # nothing else in the repo
    summary = runner.summary.read_text(encoding="utf-8").splitlines()
    assert summary[:4] == [f"### apsim-batch {apsim_batch.__version__}", "", "- rendered: 2", "- skipped: 0"]
    assert "Failed" not in "\n".join(summary) and "Invalid" not in "\n".join(summary)


@pytest.mark.slow
def test_a_bad_config_fails_the_validate_step_not_a_later_one(installed, tmp_path):
    repo = configs_only(tmp_path, "classic.yaml")
    write(repo / "configs" / "bad.yaml", "title: <b>x</b>\nwaveform:\n  samples: 1\n  widht_ms: 2\n")
    runner = Runner(repo, installed.action_path, installed_env(installed)).run_all(skip=("Install apsim-batch",))
    assert list(runner.results) == ["Check inputs", "Validate configs", "Summary"]  # Render is skipped
    validate = runner.results["Validate configs"]
    assert validate.returncode == 1
    assert "configs/bad.yaml:3: waveform.samples: must be at least 2 (got 1)" in validate.stdout
    summary = runner.summary.read_text(encoding="utf-8")
    assert "**Invalid configs: 2**" in summary
    assert "- <code>configs/bad.yaml:3: waveform.samples: must be at least 2 (got 1)</code>" in summary
    assert "configs/bad.yaml:4: waveform.widht&#95;ms: unknown key (allowed: components, duration&#95;ms" in summary
    # Why every step says `shell: bash`: GitHub's default for a bare `run:` is `bash -e {0}`, no pipefail,
    # under which the same step would pass and the job would fail one step later.
    step = next(s for s in action_steps() if s.get("name") == "Validate configs")
    plain = Runner(repo, installed.action_path, installed_env(installed))
    plain.run(step, shell=["bash", "--noprofile", "--norc", "-e"])
    assert plain.results["Validate configs"].returncode == 0


@pytest.mark.slow
def test_inputs_reach_the_run_and_a_wrong_flag_value_is_one_clear_line(installed, tmp_path):
    repo = configs_only(tmp_path, "subthreshold.yaml")
    inputs = {"formats": "png,csv", "prune": "false", "out": "site/media"}
    runner = Runner(repo, installed.action_path, installed_env(installed), inputs)
    runner.run_all(skip=("Install apsim-batch",))
    assert runner.results["Render"].returncode == 0, runner.results["Render"].stderr
    written = sorted(p.name for p in (repo / "site" / "media" / "subthreshold").iterdir())
    assert written == ["manifest.json", "subthreshold.png", "trace.csv"]

    wrong = Runner(repo, installed.action_path, installed_env(installed), {"student": "yes"})
    wrong.run_all(skip=("Install apsim-batch",))
    check = wrong.results["Check inputs"]
    assert check.returncode == 1 and list(wrong.results) == ["Check inputs", "Summary"]
    assert check.stdout.strip() == "::error::apsim-batch action: input 'student' must be 'true' or 'false' (got 'yes')"


def test_the_job_summary_shows_every_message_as_written(tmp_path):
    spec = importlib.util.spec_from_file_location("job_summary", ROOT / ".github" / "scripts" / "job_summary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "apsim-validate.txt").write_text("✓ a.yaml\n✗ configs/x_y.yaml:2: `title`: <b>*</b>\n")
    renders = [{"status": "failed", "error": "line one\n  line [two]"}, {"status": "rendered", "error": None}]
    run = {"counts": {"rendered": 1, "failed": 1}, "renders": renders}
    (tmp_path / "apsim-run.json").write_text(json.dumps(run))
    assert module.summary(tmp_path, "9.9") == [
        "### apsim-batch 9.9",
        "",
        "**Invalid configs: 1**",
        "- <code>configs/x&#95;y.yaml:2: &#96;title&#96;: &lt;b&gt;&#42;&lt;/b&gt;</code>",
        "",
        "- rendered: 1",
        "- failed: 1",
        "",
        "**Failed: 1**",
        "- <code>line one</code>",
        "- <code>line &#91;two&#93;</code>",
    ]
    (tmp_path / "apsim-run.json").unlink()
    assert module.summary(tmp_path, "")[-1] == "Nothing rendered (see the failed step)."


# --- the release workflow ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_release_build_makes_an_sdist_and_a_wheel_that_twine_accepts(action_path, tmp_path):
    steps = load(RELEASE)["jobs"]["build"]["steps"]
    build = next(s for s in steps if s.get("name") == "Build and check")
    tag_check = next(s for s in steps if s.get("name") == "The tag names the package's version")
    assert build["shell"] == tag_check["shell"] == "bash"
    source = tmp_path / "source"
    shutil.copytree(action_path, source)
    # pip install of build/twine is the workflow's own step; here they come from the test extra
    script = build["run"].replace("python -m pip install --quiet build twine\n", "")
    env = reader_env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([*RUNNER_BASH, "-c", script], cwd=source, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "PASSED" in proc.stdout
    built = sorted(p.name for p in (source / "dist").iterdir())
    version = apsim_batch.__version__
    assert built == [f"apsim_batch-{version}-py3-none-any.whl", f"apsim_batch-{version}.tar.gz"]
    for tag, code in ((f"v{version}", 0), ("v99.0.0", 1)):
        proc = subprocess.run(
            [*RUNNER_BASH, "-c", tag_check["run"]], cwd=source, env={**env, "GITHUB_REF_NAME": tag}, capture_output=True
        )
        assert proc.returncode == code, tag
