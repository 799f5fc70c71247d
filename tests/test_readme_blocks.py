"""Every shell and Python block of the README and the docs pages, run as a reader runs it, in a copy of the repository.

The copy holds the repository's tracked files only (a fresh clone). The Quick start block creates
its own virtual environment there and renders every shipped config; the other blocks run in the
same copy afterwards, in a fresh shell without the environment active, in the order a reader meets
them (the README, then the site's pages in its navigation order), so they find what that reader would have.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

README = ROOT / "README.md"
QUICK_START = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/apsim-batch run configs/"
TEST_COMMAND = 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest -n auto'
FAST_COMMAND = '.venv/bin/python -m pytest -m "not slow" -n auto'
DASK_ADDRESS, DASK_SHARED = "tcp://10.0.0.5:8786", "/shared/outputs"
DASK_INSTALL = '.venv/bin/pip install -e ".[dask]"'
BENCHMARK = ".venv/bin/python benchmarks/run.py"


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int
    page: Path = README

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def _nav_pages(nav: list) -> list[str]:
    pages = []
    for item in nav:
        for value in item.values() if isinstance(item, dict) else [item]:
            pages += _nav_pages(value) if isinstance(value, list) else [value]
    return pages


def pages() -> list[Path]:
    """The README, then every docs page in the site's navigation order (a page left out of it last)."""
    nav = _nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"])
    listed = [ROOT / "docs" / page for page in nav]
    return [README, *listed, *sorted(set((ROOT / "docs").rglob("*.md")) - set(listed))]


def blocks(languages: tuple[str, ...]) -> list[Block]:
    found = []
    for page in pages():
        lines, i = page.read_text(encoding="utf-8").splitlines(), 0
        while i < len(lines):
            if match := re.fullmatch(r"```(\w+)", lines[i]):
                end = lines.index("```", i + 1)
                if match.group(1) in languages:
                    found.append(Block(match.group(1), "\n".join(lines[i + 1 : end]) + "\n", i + 2, page))
                i = end
            i += 1
    return found


SHELL = blocks(("bash", "sh", "shell", "console"))
PYTHON = blocks(("python",))


def special(block: Block) -> bool:
    """Blocks with a test of their own: the Quick start (the clone), the test commands, Dask, the benchmark."""
    code = block.code.strip()
    return code in (QUICK_START, TEST_COMMAND, FAST_COMMAND) or "--executor dask" in code or BENCHMARK in code


def test_every_command_is_written_for_a_fresh_shell():
    """Every shell line names the environment's own programs (.venv/bin/...) or makes it: no bare apsim-batch."""
    for block in SHELL:
        for command in filter(None, (line.split("  #")[0].strip() for line in block.code.splitlines())):
            assert command.startswith((".venv/bin/", "python3 -m venv .venv")), f"{block.where}: {command!r}"
    assert [block.code.splitlines()[0] for block in PYTHON] == [
        "from apsim_batch import load_config, render, run_batch"
    ]
    assert any(special(block) for block in SHELL) and not all(special(block) for block in SHELL)


def tracked_files() -> list[str]:
    proc = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode == 0 and proc.stdout:
        return [name for name in proc.stdout.split("\0") if name and (ROOT / name).is_file()]
    skip = {".venv", ".git", "outputs", "__pycache__", ".pytest_cache", ".ruff_cache"}
    return [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*")
        if path.is_file() and not skip.intersection(path.relative_to(ROOT).parts)
    ]


def bash(command: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900):
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command],
        cwd=cwd,
        env=env or reader_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def reader_env(**extra: str) -> dict[str, str]:
    """A shell as a reader has it: no PYTHONPATH to this checkout, no virtual environment active."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A fresh copy of the repository, after the Quick start block ran in it (once for the module)."""
    work = tmp_path_factory.mktemp("readme") / "apsim-batch"
    for name in tracked_files():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, work / name)
    proc = bash(QUICK_START, work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (work / "quickstart.log").write_text(proc.stdout, encoding="utf-8")
    return work


@pytest.mark.slow
def test_quick_start_installs_and_renders_every_config(clone):
    assert QUICK_START in README.read_text(encoding="utf-8")
    log = (clone / "quickstart.log").read_text(encoding="utf-8")
    assert re.search(r"^\d+ rendered, 0 up to date, 0 failed \(outputs in outputs/\)$", log, re.M), log[-2000:]
    assert (clone / "outputs" / "index.html").is_file()  # "Then open outputs/index.html"
    for config in sorted((clone / "configs").glob("*.yaml")):
        name = config.stem
        assert (clone / "outputs" / name / f"{name}.gif").is_file(), name


def test_the_test_command_is_what_ci_runs():
    """The README's test command is run, as written, by CI (.ci/run); running pytest here would recurse."""
    assert any(block.code.strip() == TEST_COMMAND for block in SHELL)
    assert TEST_COMMAND in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_fast_tier_command_is_documented_and_its_plugin_installed():
    """The fast tier (running it here would recurse): in the README and CONTRIBUTING.md alike; `-n` needs xdist."""
    assert any(block.code.strip() == FAST_COMMAND for block in SHELL)
    assert f"```bash\n{FAST_COMMAND}\n```" in (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert '"pytest-xdist' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # in the test extra
    assert importlib.util.find_spec("xdist") is not None


def python_block() -> str:
    (block,) = PYTHON
    return block.code


@pytest.mark.slow
def test_python_block_runs_as_a_saved_script(clone):
    """Saved as it is (no main guard) and run with the Quick start's environment."""
    script = clone / "example.py"
    script.write_text(python_block(), encoding="utf-8")
    proc = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "example.py"],
        cwd=clone,
        env=reader_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert (clone / "outputs" / "broad" / "broad.gif").is_file()
    assert (clone / "outputs" / "classic" / "classic.mp4").is_file()


def cells(code: str) -> list[tuple[str, str | None]]:
    """The block as notebook cells, one per statement, with the value its comment promises (if any)."""
    lines = code.splitlines()
    out = []
    for node in ast.parse(code).body:
        source = "\n".join(lines[node.lineno - 1 : node.end_lineno])
        comment = source.split("  #", 1)[1].strip() if "  #" in source else None
        out.append((source, comment))
    return out


@pytest.mark.slow
def test_python_block_runs_in_a_notebook_and_shows_what_its_comments_say(clone, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the test's kernel imports this checkout
    pairs = cells(python_block())
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source, _ in pairs])
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(clone)}}
    )
    client.execute()
    for cell, (source, comment) in zip(notebook.cells, pairs, strict=True):
        assert not [out for out in cell.outputs if out.output_type == "error"], source
        shown = [out["data"] for out in cell.outputs if out.output_type == "execute_result"]
        if comment == "in Jupyter, this shows the animation inline":
            assert "data:image/gif;base64," in shown[0]["text/html"], source
        elif comment and (value := re.match(r"(\[\]|True|False|\d[\d.]*|PosixPath\('[^']*'\))", comment)):
            text = shown[0]["text/plain"]
            expected = value.group(1).rstrip(".")
            assert text.startswith(expected), f"{source}: README says {comment!r}, the notebook shows {text!r}"


@pytest.mark.slow
def test_dask_block_runs(clone, tmp_path):
    """Both lines of the Scaling out block; the second against a scheduler of our own on loopback.

    The README's address (tcp://10.0.0.5:8786) and shared folder stand for the reader's own cluster:
    here they are a local scheduler and a folder under tmp_path, the rest of the line as written.
    """
    distributed = pytest.importorskip("distributed")
    (block,) = [b for b in SHELL if "--executor dask" in b.code]
    install, first, second = [line.split("  #")[0].strip() for line in block.code.splitlines()]
    assert install == DASK_INSTALL
    proc = bash(install, clone)
    assert proc.returncode == 0, proc.stderr[-3000:]
    env = reader_env()
    proc = bash(first, clone, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"^0 rendered, \d+ up to date, 0 failed", proc.stdout, re.M), proc.stdout[-2000:]
    shared = tmp_path / "shared" / "outputs"
    shutil.copytree(clone / "outputs", shared)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        command = second.replace(DASK_ADDRESS, cluster.scheduler_address).replace(DASK_SHARED, str(shared))
        assert command != second
        proc = bash(command, clone, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (shared / "manifest.json").is_file() and (shared / "index.html").is_file()


@pytest.mark.slow
def test_benchmark_block_quick_check_runs_and_leaves_results_alone(clone):
    """The block's command with the `--quick` its comment offers: every measurement once, on small workloads."""
    (block,) = [b for b in SHELL if BENCHMARK in b.code]
    command = block.code.split("  #")[0].strip()
    assert "--quick" in block.code and command == BENCHMARK
    results = clone / "benchmarks" / "RESULTS.md"
    before = results.read_bytes()
    proc = bash(f"{command} --quick", clone, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert results.read_bytes() == before
    for row in ("| GIF, classic.yaml", "| MP4 (H.264", "| `configs/classic.yaml` |", "| `apsim-batch --help` |"):
        assert row in proc.stdout, row  # ours against matplotlib, the cost model, start-up: each measured
    assert "`--jobs 1` and `--jobs 2`: identical." in proc.stdout


def test_benchmark_results_writer_replaces_only_its_own_section(tmp_path, monkeypatch):
    """What a full run does to RESULTS.md (the quick check above never writes it): its section, nothing else."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # run.py imports its neighbour targets.py
    spec = importlib.util.spec_from_file_location("benchmarks_run", ROOT / "benchmarks" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = tmp_path / "RESULTS.md"
    monkeypatch.setattr(bench, "RESULTS", results)
    bench.write_results("first")
    assert results.read_text(encoding="utf-8") == f"# Benchmark results\n\n{bench.BEGIN}\nfirst\n{bench.END}\n"
    kept = "\n## Incremental reruns\nkept\n"
    results.write_text(results.read_text(encoding="utf-8") + kept, encoding="utf-8")
    bench.write_results("second")
    text = results.read_text(encoding="utf-8")
    assert f"{bench.BEGIN}\nsecond\n{bench.END}" in text and "first" not in text and text.endswith(kept)


@pytest.mark.slow
def test_every_other_shell_block_runs_as_written(clone):
    """The tutorials' and guides' blocks, each as one script in a fresh shell, in reading order; each must succeed."""
    ran = []
    for block in SHELL:
        if special(block):
            continue
        proc = bash(block.code, clone)
        assert proc.returncode == 0, f"{block.where}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        ran.append(block.where)
    assert ran, "no tutorial block ran"
    # What the tutorials promise: the starter config rendered, the exercise set zipped for students and teacher.
    assert (clone / "outputs" / "lesson1" / "lesson1.gif").is_file()
    assert (clone / "outputs" / "quiz" / "quiz-students.zip").is_file()
    assert (clone / "outputs" / "quiz" / "teacher" / "answer_key.csv").is_file()


# --- the library from a plain script: workers never re-run the caller's script ------------------------


def script_folder(tmp_path: Path, *names: str) -> Path:
    for name in names:
        (tmp_path / "configs").mkdir(exist_ok=True)
        shutil.copy(ROOT / "configs" / name, tmp_path / "configs" / name)
    return tmp_path


def run_script(folder: Path, text: str) -> subprocess.CompletedProcess:
    (folder / "script.py").write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "script.py"],
        cwd=folder,
        env=reader_env(PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_python_block_without_a_guard_renders_in_worker_processes(tmp_path):
    """The block as a script in a folder where run_batch has renders to do (spawned workers used to re-run it)."""
    folder = script_folder(tmp_path, "classic.yaml", "no_ahp.yaml", "subthreshold.yaml", "broad_spike.yaml")
    proc = run_script(folder, python_block())
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-3000:]
    manifest = (folder / "outputs" / "manifest.json").read_text(encoding="utf-8")
    for name in ("classic", "no_ahp", "subthreshold", "broad_spike"):
        assert f'"name": "{name}"' in manifest
        assert (folder / "outputs" / name / f"{name}.mp4").is_file()


@pytest.mark.slow
def test_workers_never_run_the_callers_script(tmp_path):
    """A script with a side effect at module level runs it once, however many workers render."""
    folder = script_folder(tmp_path, "no_ahp.yaml", "subthreshold.yaml", "broad_spike.yaml")
    script = (
        "import os\n"
        "from apsim_batch import run_batch\n"
        "with open('ran.txt', 'a') as fh:\n"
        "    fh.write(f'{os.getpid()}\\n')\n"
        "batch = run_batch(['configs'], 'outputs', jobs=2)\n"
        "print(sorted(o.status for o in batch.outcomes), batch.ok)\n"
    )
    proc = run_script(folder, script)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "['rendered', 'rendered', 'rendered'] True"
    assert len((folder / "ran.txt").read_text().splitlines()) == 1


@pytest.mark.slow
def test_a_batch_whose_worker_crashed_is_not_ok(tmp_path):
    """A render that kills its worker fails the batch: `ok` is False and the CLI would exit 1."""
    folder = script_folder(tmp_path, "no_ahp.yaml", "subthreshold.yaml")
    # A module beside the script, as a user's own helper would be: workers import it from the script's path.
    (folder / "crasher.py").write_text(
        "import os, signal\n\ndef crash(job):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    script = (
        "from apsim_batch.batch import run\n"
        "from crasher import crash\n"
        "run.render_job = crash  # stands in for an encoder that takes its worker down\n"
        "batch = run.run_batch(['configs'], 'outputs', jobs=2)\n"
        "print([o.status for o in batch.outcomes], batch.ok)\n"
        "raise SystemExit(0 if batch.ok else 1)\n"
    )
    proc = run_script(folder, script)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.strip() == "['failed', 'failed'] False"
