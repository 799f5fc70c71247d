"""Ownership by record: run, prune and merge delete only what a manifest recorded, whatever interrupts them.

The cases of issue 21 first (each reproduced before the fix), then faults by generation: every
file-changing step of a prune, run or merge is made the last one the process takes (as a SIGKILL
there would), the folder is checked, and a rerun must converge to an uninterrupted run's bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apsim_batch.batch.merge import merge_outputs
from apsim_batch.batch.run import run_batch
from apsim_batch.errors import MergeError, Terminated, UsageError
from apsim_batch.names import LOCK_FILE, PRUNE_JOURNAL

from .conftest import ROOT, write

TINY = "title: {title}\nwaveform: {{samples: 60}}\nanimation: {{samples_per_frame: 10}}\noutputs: [png, csv]\n"
QUIZ = """\
name: quiz
waveform: {samples: 60}
animation: {samples_per_frame: 10}
outputs: [png, csv]
variants:
  mode: grid
  student: true
  fields:
    waveform.resting_mv: [-70, -65]
"""
# A teacher's own files in the outputs folder, some inside folders apsim-batch made (path -> bytes).
TEACHER_FILES = {
    "notes/lesson-plan.txt": b"my plan",
    "notes/photos/board.jpg": b"\xff\xd8 a photo",
    "b/notes.txt": b"written beside b's render",
    "quiz/teacher/marking.txt": b"how I mark",
    "quiz-v01/extra/more.txt": b"more",
}


def run(configs: Path, out: Path, **options) -> object:
    """A run from the folder above `out`, with relative paths, so manifests do not name the temporary folder."""
    with contextlib.chdir(out.parent):
        return run_batch([os.path.relpath(configs)], out.name, jobs=1, timeout_s=None, **options)


def snapshot(out: Path) -> dict[str, str]:
    """Every file (and link) under `out` -> its sha256 (a link: its target), the lock left out."""
    found = {}
    for current, dirs, files in os.walk(out):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(current, d))]:
            path = Path(current, name)
            relative = path.relative_to(out).as_posix()
            if relative == LOCK_FILE:
                continue
            found[relative] = os.readlink(path) if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def listed(out: Path) -> list[dict]:
    """Every file record any manifest in `out` holds, with its path from `out`."""
    records = []
    top = out / "manifest.json"
    if top.is_file():
        records += [r for entry in json.loads(top.read_text())["renders"] for r in entry["files"]]
    for manifest in out.glob("*/manifest.json"):
        records += json.loads(manifest.read_text())["files"]
    for key in out.glob("*/teacher/answer_key.json"):
        records += json.loads(key.read_text()).get("files", [])
    for handouts in out.glob("*/handouts/manifest.json"):
        set_name = handouts.parent.parent.name
        records += [
            {**r, "path": f"{set_name}/handouts/{r['path']}"} for r in json.loads(handouts.read_text())["files"]
        ]
    return records


def check_invariants(out: Path, planted: dict[str, bytes]) -> None:
    """Every listed file is there with its sha256; every file of the teacher's is there, unchanged."""
    for record in listed(out):
        path = out / record["path"]
        assert path.is_file(), f"{record['path']} is listed but gone"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == record["sha256"], f"{record['path']} does not match"
    for relative, data in planted.items():
        assert (out / relative).read_bytes() == data, f"the teacher's {relative} was deleted or changed"


def plant(out: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_bytes(data)


class Killed(BaseException):
    """The process 'died' here: nothing after this file operation happens."""


@contextlib.contextmanager
def die_at(step: int | None, signal_once: type[BaseException] | None = None):
    """Count file-changing calls; from the `step`-th on, each raises Killed (None: never). Yields the counter.

    With `signal_once` (Terminated, KeyboardInterrupt), the `step`-th call raises that once and the
    process goes on, as after SIGTERM or Ctrl-C: the run's own clean-up then runs.
    """
    counter = {"n": 0, "signalled": False}
    real = {name: getattr(os, name) for name in ("replace", "rename", "unlink", "rmdir", "mkdir")}

    def wrap(name):
        def operation(*args, **kwargs):
            if step is not None and counter["n"] >= step and not counter["signalled"]:
                if signal_once is None:
                    raise Killed(f"{name} {args[0]}")
                counter["signalled"] = True
                raise signal_once()
            counter["n"] += 1
            return real[name](*args, **kwargs)

        return operation

    for name in real:
        setattr(os, name, wrap(name))
    try:
        yield counter
    finally:
        for name, function in real.items():
            setattr(os, name, function)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """configs a, b and a two-variant student set, rendered once (png and csv only)."""
    work = tmp_path_factory.mktemp("owned")
    for name in ("a", "b"):
        write(work / "configs" / f"{name}.yaml", TINY.format(title=name.upper()))
    write(work / "configs" / "quiz.yaml", QUIZ)
    result = run(work / "configs", work / "out")
    assert result.ok, result.failures
    return work


def fresh(rendered: Path, tmp_path: Path, planted: dict[str, bytes] = TEACHER_FILES) -> Path:
    """A copy of the rendered folder and its configs, with the teacher's files planted in the outputs."""
    shutil.copytree(rendered / "configs", tmp_path / "configs")
    shutil.copytree(rendered / "out", tmp_path / "out", symlinks=True)
    plant(tmp_path / "out", planted)
    return tmp_path


# --- the cases of issue 21 ------------------------------------------------------------------


def test_prune_deletes_only_what_was_recorded_and_says_what_it_kept(rendered, tmp_path):
    work = fresh(rendered, tmp_path)
    (work / "out" / "b" / "b.png").write_bytes(b"edited by the teacher")  # recorded, but no longer ours
    (work / "configs" / "b.yaml").unlink()
    (work / "configs" / "quiz.yaml").unlink()
    result = run(work / "configs", work / "out", prune_stale=True)
    assert sorted(result.pruned) == ["b", "quiz", "quiz-v01", "quiz-v02"]
    out = work / "out"
    check_invariants(out, {**TEACHER_FILES, "b/b.png": b"edited by the teacher"})
    assert not (out / "b" / "trace.csv").exists() and not (out / "b" / "manifest.json").exists()
    assert not (out / "quiz-v02").exists() and not (out / "quiz" / "handouts").exists()
    kept = dict(result.kept)
    assert kept["b/b.png"] == "changed since apsim-batch wrote it"
    assert kept["notes/lesson-plan.txt" if "notes/lesson-plan.txt" in kept else "b/notes.txt"].startswith("not written")
    assert {"b/notes.txt", "quiz/teacher/marking.txt", "quiz-v01/extra/more.txt"} <= set(kept)
    names = [entry["name"] for entry in json.loads((out / "manifest.json").read_text())["renders"]]
    assert names == ["a"]


def test_prune_with_out_in_the_project_keeps_the_configs(tmp_path):
    """`run configs --out .`, then the config named `configs` is renamed: prune must leave configs/ alone."""
    write(tmp_path / "configs" / "configs.yaml", TINY.format(title="C"))
    write(tmp_path / "configs" / "lesson1.yaml", TINY.format(title="L1"))
    assert run(tmp_path / "configs", tmp_path).ok
    write(tmp_path / "configs" / "configs.yaml", "name: overview\n" + TINY.format(title="C"))
    result = run(tmp_path / "configs", tmp_path, prune_stale=True)
    assert result.pruned == ("configs",)
    assert sorted(p.name for p in (tmp_path / "configs").iterdir()) == ["configs.yaml", "lesson1.yaml"]


def test_merge_refuses_a_source_inside_containing_or_equal_to_its_destination(rendered, tmp_path):
    work = fresh(rendered, tmp_path, {})
    with pytest.raises(UsageError, match="lies inside the --out folder"):
        merge_outputs([work / "out"], work)
    shutil.copytree(work / "out", work / "out" / "s")
    with pytest.raises(UsageError, match="lies inside the --out folder"):
        merge_outputs([work / "out" / "s"], work / "out")
    with pytest.raises(UsageError, match="contains the --out folder"):
        merge_outputs([work / "out"], work / "out" / "s" / "merged")
    with pytest.raises(UsageError, match="is also the --out folder"):
        merge_outputs([work / "out"], work / "out" / "s" / "..")
    assert json.loads((work / "out" / "s" / "manifest.json").read_text())["renders"]  # untouched


@pytest.mark.parametrize("name", [".a.partial-1-deadbeef.csv", LOCK_FILE, PRUNE_JOURNAL, "shard.json"])
def test_merge_refuses_a_record_with_a_reserved_name(rendered, tmp_path, name):
    work = fresh(rendered, tmp_path, {})
    source, record = work / "out", {"path": f"a/{name}", "bytes": 3, "sha256": hashlib.sha256(b"abc").hexdigest()}
    (source / "a" / name).write_bytes(b"abc")
    for manifest in (source / "manifest.json", source / "a" / "manifest.json"):
        data = json.loads(manifest.read_text())
        entry = next(e for e in data["renders"] if e["name"] == "a") if "renders" in data else data
        entry["files"].append(record)
        manifest.write_text(json.dumps(data))
    with pytest.raises(MergeError, match="a name apsim-batch keeps for its own files"):
        merge_outputs([source], work / "merged")
    assert not (work / "merged").exists()


# --- faults by generation -------------------------------------------------------------------


def _prune_scenario(work: Path) -> None:
    (work / "configs" / "b.yaml").unlink(missing_ok=True)
    (work / "configs" / "quiz.yaml").unlink(missing_ok=True)


def _run_scenario(work: Path) -> None:
    _prune_scenario(work)
    write(work / "configs" / "a.yaml", TINY.format(title="A, again"))


def _interrupted(rendered: Path, tmp_path: Path, change, step: int | None) -> tuple[Path, int]:
    work = fresh(rendered, tmp_path)
    change(work)
    with die_at(step) as counter, contextlib.suppress(Killed):
        run(work / "configs", work / "out", prune_stale=True)
    return work, counter["n"]


@pytest.mark.parametrize(
    ("change", "budget"),
    [
        (_prune_scenario, 6),  # the fast tier: a few seeded points
        pytest.param(_prune_scenario, None, marks=pytest.mark.slow),  # every file operation of the prune
        pytest.param(_run_scenario, 12, marks=pytest.mark.slow),  # re-rendering and pruning
    ],
    ids=["prune-sample", "prune-every-step", "run-and-prune"],
)
def test_a_run_killed_at_any_file_operation_leaves_true_manifests_and_converges(rendered, tmp_path, change, budget):
    reference, steps = _interrupted(rendered, tmp_path / "reference", change, None)
    expected = snapshot(reference / "out")
    assert steps > 10
    chosen = range(steps) if budget is None else sorted(random.Random(21).sample(range(steps), min(steps, budget)))
    journals = 0
    for step in chosen:
        work, _ = _interrupted(rendered, tmp_path / f"k{step}", change, step)
        check_invariants(work / "out", TEACHER_FILES)
        journals += (work / "out" / PRUNE_JOURNAL).exists()
        run(work / "configs", work / "out", prune_stale=True)  # the rerun finishes what was interrupted
        assert snapshot(work / "out") == expected, f"killed at file operation {step} of {steps}"
    assert budget is not None or journals > 3  # so the rerun did finish interrupted prunes from their journal


@pytest.mark.parametrize("stop", [Terminated, KeyboardInterrupt], ids=["SIGTERM", "SIGINT"])
def test_a_prune_stopped_by_a_signal_cleans_up_true_and_the_rerun_converges(rendered, tmp_path, stop):
    reference, steps = _interrupted(rendered, tmp_path / "reference", _prune_scenario, None)
    expected = snapshot(reference / "out")
    for step in sorted(random.Random(15).sample(range(steps), 5)):
        work = fresh(rendered, tmp_path / f"k{step}")
        _prune_scenario(work)
        with die_at(step, stop), contextlib.suppress(stop):  # before the run's own handler, it escapes (exit 143/130)
            run(work / "configs", work / "out", prune_stale=True)
        check_invariants(work / "out", TEACHER_FILES)
        run(work / "configs", work / "out", prune_stale=True)
        assert snapshot(work / "out") == expected, f"stopped at file operation {step} of {steps}"


@pytest.fixture(scope="module")
def sources(rendered, tmp_path_factory):
    """Two outputs folders to merge: one with a and b, one with the set."""
    work = tmp_path_factory.mktemp("sources")
    shutil.copytree(rendered / "configs", work / "configs")
    (work / "configs" / "quiz.yaml").rename(work / "quiz.yaml")
    assert run(work / "configs", work / "s1").ok
    assert run(work / "quiz.yaml", work / "s2").ok
    return work


def _merge(sources: Path, out: Path, step: int | None) -> int:
    with die_at(step) as counter, contextlib.suppress(Killed):
        merge_outputs([sources / "s1", sources / "s2"], out)
    return counter["n"]


@pytest.mark.parametrize("budget", [5, pytest.param(None, marks=pytest.mark.slow)], ids=["sample", "every-step"])
def test_a_merge_killed_at_any_file_operation_leaves_true_manifests_and_converges(sources, tmp_path, budget):
    plant(tmp_path / "reference", TEACHER_FILES)
    steps = _merge(sources, tmp_path / "reference", None)
    expected = snapshot(tmp_path / "reference")
    for step in range(steps) if budget is None else sorted(random.Random(9).sample(range(steps), budget)):
        out = tmp_path / f"k{step}"
        plant(out, TEACHER_FILES)
        _merge(sources, out, step)
        check_invariants(out, TEACHER_FILES)
        _merge(sources, out, None)
        assert snapshot(out) == expected, f"killed at file operation {step} of {steps}"


@pytest.mark.slow
def test_sigkill_during_prune_then_rerun_converges(rendered, tmp_path):
    """Real SIGKILLs at seeded random moments of a prune run as a subprocess."""
    reference = fresh(rendered, tmp_path / "reference")
    _prune_scenario(reference)
    assert run(reference / "configs", reference / "out", prune_stale=True).ok
    expected = snapshot(reference / "out")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(143)
    for attempt in range(4):
        work = fresh(rendered, tmp_path / f"kill{attempt}")
        _prune_scenario(work)
        command = [sys.executable, "-m", "apsim_batch", "run", "configs", "--out", "out", "--prune", "--jobs", "1"]
        proc = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.5))  # start-up takes most of it: some land before, some during, some after
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check_invariants(work / "out", TEACHER_FILES)
        run(work / "configs", work / "out", prune_stale=True)
        assert snapshot(work / "out") == expected


# --- the property: no command removes a file no manifest recorded -----------------------------

_SEGMENT = st.text(alphabet="abcxyz019._-", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..") and ".partial-" not in s  # temporaries are apsim-batch's by name
)
_FOLDER = st.sampled_from(["", "a/", "b/", "quiz/", "quiz/teacher/", "quiz/handouts/", "quiz-v02/", "new/deep/"])
_PLANTED = st.dictionaries(
    st.tuples(_FOLDER, _SEGMENT).map("".join), st.binary(min_size=0, max_size=20), min_size=1, max_size=6
)


@pytest.mark.slow  # about 1.5 s an example
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(planted=_PLANTED, link=st.booleans())
@example(planted={"b/b.png": b"the teacher's own picture", "quiz/teacher/answer_key.csv": b"mine"}, link=True)
def test_no_command_removes_a_file_no_manifest_recorded(rendered, planted, link):
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        shutil.copytree(rendered / "configs", work / "configs")
        shutil.copytree(rendered / "out", work / "out")
        out = work / "out"
        recorded = {r["path"] for r in listed(out)} | {"manifest.json", "index.html", "index-teacher.html"}
        planted = {path: data for path, data in planted.items() if path not in recorded and not _is_folder(out, path)}
        plant(out, planted)
        if link:
            (out / "b" / "link-to-a").symlink_to(out / "a")
        for config in (work / "configs").iterdir():
            config.unlink()
        write(work / "configs" / "other.yaml", TINY.format(title="Other"))
        run(work / "configs", out, prune_stale=True)
        merge_outputs([rendered / "out"], out)
        check_invariants(out, planted)
        assert not link or (out / "b" / "link-to-a").is_symlink()


def _is_folder(out: Path, relative: str) -> bool:
    """True when planting `relative` would need a file where a folder is (or the other way round)."""
    parts = Path(relative).parts
    return any((out / Path(*parts[: i + 1])).is_dir() for i in range(len(parts))) or any(
        (out / Path(*parts[:i])).is_file() for i in range(1, len(parts))
    )


# --- the rule itself ----------------------------------------------------------------------------


def _record(out: Path, relative: str) -> dict:
    data = (out / relative).read_bytes()
    return {"path": relative, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def test_why_kept_names_the_reason_for_every_file_that_is_not_ours(tmp_path):
    from apsim_batch.output.ownership import CHANGED, delete_recorded, why_kept

    out = tmp_path / "out"
    plant(out, {"r/a.csv": b"1,2\n", "r/b.png": b"png", "elsewhere/x.txt": b"x"})
    ours, edited = _record(out, "r/a.csv"), _record(out, "r/b.png")
    (out / "r" / "b.png").write_bytes(b"the teacher's edit")
    (out / "via").symlink_to(out / "elsewhere")
    linked = {**_record(out, "elsewhere/x.txt"), "path": "via/x.txt"}
    assert why_kept(out, ours) is None
    assert why_kept(out, edited) == CHANGED
    assert why_kept(out, linked) == "not a regular file, or reached through a link"
    assert why_kept(out, {**ours, "path": "../out/r/a.csv"}).startswith("its record is not a path inside")
    assert why_kept(out, {"path": "r/a.csv"}).startswith("its record is not a path inside")
    kept = delete_recorded(out, [ours, edited, linked, {**ours, "path": "r/gone.csv"}])
    assert not (out / "r" / "a.csv").exists()
    assert [(k.path, k.why) for k in kept] == [("r/b.png", CHANGED), ("via/x.txt", why_kept(out, linked))]
    assert (out / "elsewhere" / "x.txt").read_bytes() == b"x" and (out / "r" / "b.png").exists()


def test_only_empty_real_folders_are_removed(tmp_path):
    from apsim_batch.output.ownership import remove_empty_folders

    out = tmp_path / "out"
    plant(out, {"full/keep.txt": b"k"})
    (out / "empty" / "deeper").mkdir(parents=True)
    (tmp_path / "outside" / "inner").mkdir(parents=True)  # empty, but reached only through a link
    (out / "link").symlink_to(tmp_path / "outside")
    remove_empty_folders(out, ["empty/deeper", "empty", "full", "link", "link/inner", "../out/full"])
    assert not (out / "empty").exists()
    assert (out / "full" / "keep.txt").exists() and (out / "link").is_symlink()
    assert (tmp_path / "outside" / "inner").is_dir()


def test_the_next_run_finishes_an_interrupted_prune_and_says_so(rendered, tmp_path):
    for step in range(1, 60):
        work, _ = _interrupted(rendered, tmp_path / f"k{step}", _prune_scenario, step)
        if (work / "out" / PRUNE_JOURNAL).exists():
            break
    else:
        pytest.fail("no kill point left a journal")
    result = run(work / "configs", work / "out")  # no --prune: the journal is finished all the same
    assert sorted(result.pruned) == ["b", "quiz", "quiz-v01", "quiz-v02"]
    assert not (work / "out" / PRUNE_JOURNAL).exists() and not (work / "out" / "b" / "b.png").exists()
    assert "b/notes.txt" in dict(result.kept)
