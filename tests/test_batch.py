"""The batch engine: reporting, --json, --fail-fast, watchdog, stale outputs, safe folders, lock."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apsim_batch.batch import executors
from apsim_batch.batch.executors import ProcessExecutor
from apsim_batch.batch.plan import BatchResult, Job, Outcome
from apsim_batch.batch.run import run_batch
from apsim_batch.cli.report import LiveReporter, format_json, format_summary
from apsim_batch.config.load import load_config
from apsim_batch.output.files import output_lock

from .conftest import ROOT, run_entry_point, write

FAST = "animation: {samples_per_frame: 50}\noutputs: [png, csv]\n"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listed_files_match(out: Path) -> None:
    """Every file any manifest lists exists with its recorded size and sha256."""
    manifests = [out / "manifest.json", *out.glob("*/manifest.json")]
    for manifest in manifests:
        data = json.loads(manifest.read_text())
        entries = data.get("renders", [data])
        for entry in entries:
            for record in entry["files"]:
                path = out / record["path"]
                assert path.stat().st_size == record["bytes"], path
                assert sha256(path) == record["sha256"], path


def fast_configs(folder: Path, *names: str) -> None:
    for name in names:
        write(folder / f"{name}.yaml", FAST)


# --- reporting -------------------------------------------------------------------------------


def test_plain_lines_and_summary_list_every_failure(cli, tmp_path):
    fast_configs(tmp_path / "configs", "a", "b")
    write(tmp_path / "configs/bad.yaml", "plot: {width_px: -1}\n")
    code, out, err = cli("run", "configs", "--jobs", "1", cwd=tmp_path)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("✓ a: rendered in ") and lines[0].endswith("(csv, png)")
    assert lines[1].startswith("✓ b: rendered in ")
    assert lines[2] == "2 rendered, 0 up to date, 1 failed (outputs in outputs/)"
    assert lines[3:] == [
        "Failures:",
        "  configs/bad.yaml:1: plot.width_px: must be at least 160 (got -1)",
        "gallery: outputs/index.html (open it in a browser)",
    ]
    assert err.splitlines() == ["✗ configs/bad.yaml:1: plot.width_px: must be at least 160 (got -1)"]


def test_quiet_prints_only_errors(cli, tmp_path):
    fast_configs(tmp_path / "configs", "a")
    code, out, err = cli("run", "configs", "--jobs", "1", "--quiet", cwd=tmp_path)
    assert (code, out, err) == (0, "", "")
    write(tmp_path / "configs/bad.yaml", "title: [\n")
    code, out, err = cli("run", "configs", "--jobs", "1", "-q")
    assert code == 1 and out == "" and err.startswith("✗ configs/bad.yaml:2: invalid YAML")


def test_json_summary_is_all_of_stdout(cli, tmp_path):
    fast_configs(tmp_path / "configs", "a")
    write(tmp_path / "configs/bad.yaml", "plot: {width_px: -1}\n")
    code, out, err = cli("run", "configs", "--jobs", "1", "--json", cwd=tmp_path)
    assert code == 1
    summary = json.loads(out)
    assert summary["ok"] is False and summary["interrupted"] is None
    assert summary["counts"] == {"rendered": 1, "skipped": 0, "failed": 1, "cancelled": 0}
    a, bad = summary["renders"]
    assert a["name"] == "a" and a["source"] == "configs/a.yaml" and a["status"] == "rendered"
    assert a["outputs"] == ["a/trace.csv", "a/a.png"] and a["error"] is None and a["seconds"] > 0
    assert bad["status"] == "failed" and bad["error"].startswith("configs/bad.yaml:1: plot.width_px")
    assert "✗ configs/bad.yaml:1" in err
    code, out, _ = cli("run", "configs", "--jobs", "1", "--json")
    assert json.loads(out)["renders"][0]["status"] == "skipped"


def test_live_reporter_draws_a_bar_and_respects_no_color(tmp_path, monkeypatch):
    from rich.console import Console

    monkeypatch.setenv("NO_COLOR", "1")
    screen, errors = io.StringIO(), io.StringIO()
    reporter = LiveReporter(
        tmp_path,
        console=Console(file=screen, force_terminal=True, width=100),
        errors=Console(file=errors, force_terminal=True, width=100),
    )
    fast_configs(tmp_path / "configs", "a", "b")
    write(tmp_path / "configs/bad.yaml", "plot: {width_px: -1}\n")
    result = run_batch(
        [tmp_path / "configs"],
        tmp_path / "out",
        jobs=1,
        on_outcome=reporter.finish,
        on_plan=reporter.plan,
        on_start=reporter.start,
    )
    reporter.close(None)
    assert "✓ a: rendered" in screen.getvalue() and "✓ b: rendered" in screen.getvalue()
    assert "plot.width_px: must be at least 160" in errors.getvalue()
    assert "\x1b[3" not in screen.getvalue() + errors.getvalue()  # no colour codes under NO_COLOR
    assert result.count("rendered") == 2


def test_format_summary_mentions_stale_interrupt_and_fail_fast(tmp_path):
    outcomes = (
        Outcome("a", "c/a.yaml", "rendered", 1.0, ("a/a.png",)),
        Outcome("b", "c/b.yaml", "failed", error="c/b.yaml: render crashed: boom"),
        Outcome("c", "c/c.yaml", "cancelled"),
    )
    result = BatchResult(outcomes, Path("out"), stale=("old",), interrupted="SIGINT")
    assert format_summary(result) == [
        "1 rendered, 0 up to date, 1 failed, 1 not rendered (outputs in out/)",
        "Interrupted (SIGINT): workers stopped; every file and manifest written is complete,"
        " and the next run renders what is missing.",
        "Failures:",
        "  c/b.yaml: render crashed: boom",
        "Stale (their config is gone; --prune removes them): old",
    ]
    assert format_json(result)["counts"] == {"rendered": 1, "skipped": 0, "failed": 1, "cancelled": 1}


# --- failures: fail-fast, verbose, watchdog ---------------------------------------------------------


def test_fail_fast_on_invalid_config_renders_nothing(cli, tmp_path):
    fast_configs(tmp_path / "configs", "a", "b")
    write(tmp_path / "configs/bad.yaml", "plot: {width_px: -1}\n")
    code, out, _ = cli("run", "configs", "--jobs", "1", "--fail-fast", cwd=tmp_path)
    assert code == 1
    assert "0 rendered, 0 up to date, 1 failed, 2 not rendered" in out
    assert "Stopped at the first failure (--fail-fast)." in out
    assert not (tmp_path / "outputs/a").exists()


def test_fail_fast_stops_after_a_crash_and_verbose_shows_its_traceback(cli, tmp_path, monkeypatch):
    from apsim_batch.trace import models

    real = models.synthesize

    def crash_for_b(model):  # a bug in one render (b's duration is unique among the three)
        if model.duration_ms == 2.0:
            raise ZeroDivisionError("a bug")
        return real(model)

    monkeypatch.setattr(models, "synthesize", crash_for_b)
    fast_configs(tmp_path / "configs", "a", "b", "c")
    write(tmp_path / "configs/b.yaml", (tmp_path / "configs/b.yaml").read_text() + "waveform: {duration_ms: 2.0}\n")
    code, out, err = cli("run", "configs", "--jobs", "1", "--fail-fast", cwd=tmp_path)
    assert code == 1 and "1 rendered, 0 up to date, 1 failed, 1 not rendered" in out
    assert "✗ configs/b.yaml: render crashed: ZeroDivisionError" in err and "Traceback" not in err
    assert not (tmp_path / "outputs/c").exists()
    code, out, err = cli("run", "configs", "--jobs", "1", "--verbose")
    assert code == 1 and "1 rendered, 1 up to date, 1 failed" in out
    assert "Traceback (most recent call last)" in err
    write(tmp_path / "configs/bad.yaml", "plot: {width_px: -1}\n")
    code, _, err = cli("run", "configs/bad.yaml", "--jobs", "1", "--verbose")
    assert code == 1 and "Traceback" not in err  # config mistakes never show a traceback


@pytest.mark.slow
def test_in_process_watchdog_fails_only_the_hung_render(tmp_path, monkeypatch):
    fast_configs(tmp_path / "configs", "a", "hang", "z")
    real_render = executors.render

    def render(loaded, out_dir, formats=None):
        if loaded.name == "hang":
            time.sleep(60)
        return real_render(loaded, out_dir, formats)

    monkeypatch.setattr(executors, "render", render)
    started = time.monotonic()
    result = run_batch([tmp_path / "configs"], tmp_path / "out", jobs=1, timeout_s=4)
    assert time.monotonic() - started < 20
    assert [o.status for o in result.outcomes] == ["rendered", "failed", "rendered"]
    assert "hang.yaml: render timed out after 4 s and was stopped (see --timeout-s)" in result.outcomes[1].error
    listed_files_match(tmp_path / "out")


# Worker functions for the pool tests: module level so spawned workers can import them.
def _misbehave(job: Job) -> Outcome:
    folder = job.out_dir
    if job.name == "hang":  # a hung encoder: a child process that never finishes, and we wait on it
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        (folder / "child.pid").write_text(str(child.pid))
        child.wait()
    if job.name == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    return Outcome(job.name, job.loaded.source, "rendered", files=(str(os.getpid()),))


def _jobs(tmp_path: Path, *names: str) -> list[Job]:
    fast_configs(tmp_path / "configs", *names)
    return [Job(load_config(tmp_path / "configs" / f"{n}.yaml"), tmp_path) for n in names]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


@pytest.mark.slow
def test_pool_kills_a_hung_worker_with_its_children_and_replaces_it(tmp_path):
    jobs = _jobs(tmp_path, "hang", "a", "b", "c")
    started = time.monotonic()
    outcomes = list(ProcessExecutor(2, timeout_s=3).map_unordered(_misbehave, jobs))
    assert time.monotonic() - started < 30
    by_name = {o.name: o for o in outcomes}
    assert {n: o.status for n, o in by_name.items()} == {
        "hang": "failed",
        "a": "rendered",
        "b": "rendered",
        "c": "rendered",
    }
    assert "render timed out after 3 s" in by_name["hang"].error
    child = int((tmp_path / "child.pid").read_text())
    time.sleep(0.2)
    assert not _alive(child), "the hung worker's child process survived"


@pytest.mark.slow
def test_pool_survives_a_worker_that_dies(tmp_path):
    jobs = _jobs(tmp_path, "a", "crash", "b", "c")
    outcomes = {o.name: o for o in ProcessExecutor(2, timeout_s=60).map_unordered(_misbehave, jobs)}
    assert outcomes["crash"].status == "failed"
    assert "render crashed: worker process died (killed by SIGKILL)" in outcomes["crash"].error
    assert all(outcomes[n].status == "rendered" for n in "abc")


@pytest.mark.slow
def test_interrupt_leaves_valid_manifests_and_reports_what_finished(tmp_path):
    fast_configs(tmp_path / "configs", "a", "b", "c")

    def interrupt_after_first(outcome: Outcome) -> None:
        raise KeyboardInterrupt

    result = run_batch([tmp_path / "configs"], tmp_path / "out", jobs=1, on_outcome=interrupt_after_first)
    assert result.interrupted == "SIGINT"
    assert [o.status for o in result.outcomes] == ["rendered", "cancelled", "cancelled"]
    listed_files_match(tmp_path / "out")
    assert [e["name"] for e in json.loads((tmp_path / "out/manifest.json").read_text())["renders"]] == ["a"]
    result = run_batch([tmp_path / "configs"], tmp_path / "out", jobs=1)
    assert [o.status for o in result.outcomes] == ["skipped", "rendered", "rendered"]


# --- stale outputs -----------------------------------------------------------------------------


def test_stale_renders_are_listed_and_pruned(cli, tmp_path):
    fast_configs(tmp_path / "configs", "a", "b", "c")
    assert cli("run", "configs", "--jobs", "1", cwd=tmp_path)[0] == 0
    out = tmp_path / "outputs"
    write(out / "mine/notes.txt", "not made by apsim-batch\n")
    (tmp_path / "elsewhere").mkdir()
    (out / "linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "configs/b.yaml").unlink()
    (tmp_path / "configs/c.yaml").unlink()
    code, stdout, _ = cli("run", "configs/a.yaml", "--jobs", "1")
    assert code == 0 and "Stale" not in stdout  # a run of one file says nothing about the others
    code, stdout, _ = cli("run", "configs", "--jobs", "1")
    assert code == 0 and "Stale (their config is gone; --prune removes them): b, c" in stdout
    assert (out / "b/b.png").exists()
    code, stdout, _ = cli("run", "configs", "--jobs", "1", "--prune", "--json")
    summary = json.loads(stdout)
    assert summary["pruned"] == ["b", "c"] and summary["stale"] == []
    assert sorted(p.name for p in out.iterdir()) == [
        ".apsim-batch.lock",
        "a",
        "index.html",
        "linked",
        "manifest.json",
        "mine",
    ]
    assert [e["name"] for e in json.loads((out / "manifest.json").read_text())["renders"]] == ["a"]
    assert (out / "mine/notes.txt").exists() and (tmp_path / "elsewhere").is_dir()


def test_renamed_config_makes_its_old_render_stale(cli, tmp_path):
    fast_configs(tmp_path / "configs", "a")
    assert cli("run", "configs", "--jobs", "1", cwd=tmp_path)[0] == 0
    write(tmp_path / "configs/a.yaml", "name: alpha\n" + FAST)
    code, out, _ = cli("run", "configs", "--jobs", "1")
    assert "Stale (their config is gone; --prune removes them): a" in out
    write(tmp_path / "configs/a.yaml", "name: alpha\nplot: {width_px: 1}\n")  # invalid now: keep its renders
    code, out, _ = cli("run", "configs", "--jobs", "1", "--prune")
    assert code == 1 and "Pruned" not in out and (tmp_path / "outputs/alpha").is_dir()


# --- safe names and folders --------------------------------------------------------------------


def test_symlinked_render_folder_is_not_followed(cli, tmp_path):
    fast_configs(tmp_path / "configs", "a", "b")
    target = tmp_path / "precious"
    write(target / "manifest.json", '{"keep": true}\n')
    write(target / ".a.partial-1.png", "not ours either\n")
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs/a").symlink_to(target)
    code, out, err = cli("run", "configs", "--jobs", "1", cwd=tmp_path)
    assert code == 1 and "outputs/a: is a link apsim-batch did not make; nothing is written through it" in err
    assert "✓ b: rendered" in out
    assert sorted(p.name for p in target.iterdir()) == [".a.partial-1.png", "manifest.json"]
    assert (target / "manifest.json").read_text() == '{"keep": true}\n'


def test_reserved_and_escaping_names_are_refused(cli, tmp_path):
    write(tmp_path / "configs/m.yaml", "name: Manifest.json\n" + FAST)
    write(tmp_path / "configs/up.yaml", "name: ../up\n" + FAST)
    write(tmp_path / "configs/abs.yaml", "name: /etc/x\n" + FAST)
    code, _, err = cli("validate", "configs", cwd=tmp_path)
    assert code == 1
    assert "configs/m.yaml:1: name: is a name apsim-batch keeps for its own files (" in err
    assert "configs/up.yaml:1: name:" in err and "configs/abs.yaml:1: name:" in err


@pytest.mark.slow
def test_second_run_refuses_the_lock_with_a_clear_message(tmp_path):
    fast_configs(tmp_path / "configs", "a")
    (tmp_path / "outputs").mkdir()
    with output_lock(tmp_path / "outputs"):
        proc = run_entry_point("run", "configs", "--jobs", "1", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"Error: outputs: another apsim-batch run (process {os.getpid()}) is writing here;"
        " wait for it to finish or use another --out"
    )
    assert not (tmp_path / "outputs/a").exists()
    assert run_entry_point("run", "configs", "--jobs", "1", cwd=tmp_path).returncode == 0


# --- hostile and broken input ------------------------------------------------------------------

HOSTILE = {
    "python_tag.yaml": "title: !!python/object/apply:os.system ['touch HACKED']\n",
    "alias_bomb.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("bcdefgh", "cdefghi", strict=True)),
    "deep.yaml": "a: " + "[" * 2000 + "]" * 2000 + "\n",
    "duplicate.yaml": "title: One\ntitle: Two\n",
    "yaml11.yaml": "waveform:\n  resting_mv: on\n  duration_ms: 1:30\n  samples: 1e3\nplot:\n  rest_line: NO\n",
    "empty.yaml": "",
}


@pytest.mark.slow
def test_hostile_and_broken_configs_fail_alone(tmp_path):
    configs = tmp_path / "configs"
    fast_configs(configs, "good")
    for name, text in HOSTILE.items():
        write(configs / name, text)
    (configs / "latin1.yaml").write_bytes("title: caf\xe9\n".encode("latin-1"))
    with open(configs / "huge.yaml", "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    (configs / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    os.mkfifo(configs / "fifo.yaml")
    (tmp_path / "nothing_here").mkdir()
    started = time.monotonic()
    proc = run_entry_point("run", "configs", "nothing_here", "--jobs", "1", cwd=tmp_path)
    assert time.monotonic() - started < 60
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "✓ good: rendered" in proc.stdout
    errors = proc.stderr.splitlines()
    expected = [
        "✗ nothing_here: no .yaml or .yml configs in this folder",
        "✗ configs/alias_bomb.yaml:1: anchors (&name) are not allowed in configs",
        "✗ configs/dangling.yaml: cannot read file (No such file or directory)",
        "✗ configs/deep.yaml:1: nesting deeper than 32 levels",
        "✗ configs/duplicate.yaml:2: duplicate key 'title' (first at line 1)",
        "✗ configs/empty.yaml:1: file is empty; expected a mapping of settings such as 'waveform:'",
        "✗ configs/fifo.yaml: not a regular file",
        "✗ configs/huge.yaml: file is 52,428,800 bytes; configs are limited to 1 MiB",
        "✗ configs/latin1.yaml:1: not UTF-8 text (byte 0xe9)",
        "✗ configs/python_tag.yaml:1: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed;"
        " use plain values",
    ]
    assert errors[: len(expected)] == expected
    yaml11 = errors[len(expected) :]
    assert [line.split(": ")[1] for line in yaml11] == [
        "waveform.resting_mv",
        "waveform.duration_ms",
        "waveform.samples",
        "plot.rest_line",
    ]
    assert all(line.startswith("✗ configs/yaml11.yaml:") for line in yaml11)
    assert "1 rendered, 0 up to date, 11 failed" in proc.stdout
    assert not (tmp_path / "HACKED").exists() and not (ROOT / "HACKED").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads chmod 000 files; the dangling-link case covers unreadable")
def test_unreadable_config_fails_alone(cli, tmp_path):
    fast_configs(tmp_path / "configs", "a", "secret")
    (tmp_path / "configs/secret.yaml").chmod(0)
    code, out, err = cli("run", "configs", "--jobs", "1", cwd=tmp_path)
    assert code == 1 and "✓ a: rendered" in out
    assert "✗ configs/secret.yaml: cannot read file (Permission denied)" in err


@pytest.mark.slow
def test_jobs_2_writes_the_same_bytes_as_jobs_1(tmp_path):
    trees = {}
    for jobs in ("1", "2"):
        work = tmp_path / f"jobs{jobs}"
        write(work / "configs/a.yaml", "animation: {samples_per_frame: 25}\n")
        write(work / "configs/b.yaml", "title: B\nanimation: {samples_per_frame: 20, fps: 30}\n")
        write(work / "configs/c.yaml", "plot: {line_color: red}\nanimation: {samples_per_frame: 50}\n")
        proc = run_entry_point("run", "configs", "--jobs", jobs, cwd=work)
        assert proc.returncode == 0, proc.stderr
        out = work / "outputs"
        trees[jobs] = {
            p.relative_to(out).as_posix(): sha256(p)
            for p in out.rglob("*")
            if p.is_file() and p.name != ".apsim-batch.lock"
        }
    assert {Path(p).suffix for p in trees["1"]} >= {".gif", ".mp4", ".png", ".csv", ".json"}
    assert trees["1"] == trees["2"]


@pytest.mark.parametrize(
    "name", ["shard.json", "index-teacher.html", "INDEX.html", "manifest.json", ".apsim-batch.lock", "a.partial-1"]
)
def test_every_name_the_tool_writes_at_the_top_is_refused(cli, tmp_path, name):
    """The reserved names are defined once (names.py) and refused by name validation, with one located line."""
    write(tmp_path / "configs/x.yaml", f"name: {name!r}\n" + FAST)
    code, out, err = cli("run", "configs", "--out", "out", "--jobs", "1", cwd=tmp_path)
    assert code == 1 and "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith("✗")]
    assert line.startswith("✗ configs/x.yaml:1: name: ")
    assert not (tmp_path / "out" / name).is_dir()


@pytest.mark.parametrize("stem", ["shard.json", "index-teacher.html"])
def test_a_file_named_like_a_reserved_name_is_refused(cli, tmp_path, stem):
    write(tmp_path / "configs" / f"{stem}.yaml", FAST)
    code, _, err = cli("validate", "configs", cwd=tmp_path)
    assert code == 1 and "Traceback" not in err
    assert f"configs/{stem}.yaml:1: name: the file name {stem!r} is a name apsim-batch keeps" in err


def test_longest_renders_start_first(tmp_path):
    """An executor receives the jobs longest first, so no worker finishes a long render alone at the end."""
    write(tmp_path / "configs/a_short.yaml", "animation: {samples_per_frame: 50}\noutputs: [png]\n")
    write(tmp_path / "configs/b_long.yaml", "animation: {samples_per_frame: 1}\noutputs: [gif, mp4]\n")
    write(tmp_path / "configs/c_mid.yaml", "animation: {samples_per_frame: 5}\noutputs: [gif]\n")
    seen = []

    class Recorder:
        def map_unordered(self, fn, jobs):
            seen.extend(job.name for job in jobs)
            return iter([])

    run_batch([tmp_path / "configs"], tmp_path / "out", executor=Recorder())
    assert seen == ["b_long", "c_mid", "a_short"]
