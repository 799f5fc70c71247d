"""Hostile input and faults: one clean line each, no traceback, nothing changed outside the outputs folder.

Every case runs the real command and checks four things: the exact one-line message, the exit
code, that no traceback was printed, and that a sentinel file next to the work folder (where a
planted link would point) is byte-identical afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apsim_batch.cli.commands import app
from apsim_batch.cli.term import MAX_LINE_CHARS, printable

from .conftest import ASSETS, CONFIGS, ROOT, run_entry_point, write

HOSTILE = ASSETS / "hostile"
SENTINEL_BYTES = b"teacher's notes: do not touch\n"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """stderr's lines, then stdout's (problems go to stderr, the summary to stdout)."""
        return self.err.splitlines() + self.out.splitlines()


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    """Run the CLI in tmp_path/work; afterwards the sentinel outside it must be unchanged."""
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_bytes(SENTINEL_BYTES)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    def invoke(*args: object) -> Ran:
        result = CliRunner().invoke(app, [str(a) for a in args])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        ran = Ran(result.exit_code, result.stdout, result.stderr)
        assert "Traceback" not in ran.out + ran.err
        return ran

    invoke.work = work  # type: ignore[attr-defined]
    invoke.sentinel = sentinel  # type: ignore[attr-defined]
    yield invoke
    assert sentinel.read_bytes() == SENTINEL_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sentinel.txt", "work"]


def asset(name: str, work: Path) -> Path:
    """A copy of a hostile fixture inside the work folder, so messages show a short relative path."""
    target = work / "configs" / name
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(HOSTILE / name, target)
    return Path("configs") / name


# --- config files that must fail alone, located -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nul_byte.yaml", "1: control character U+0000 is not allowed in a config"),
        ("bell.yaml", "2: control character U+0007 is not allowed in a config"),
        ("escape_sequence.yaml", "1: title: control character U+001B is not allowed in a config"),
        ("huge_integer.yaml", "2: animation.fps: a whole number of 5,000 digits; at most 100 are read"),
        ("str_tag.yaml", "1: YAML tag 'tag:yaml.org,2002:str' is not allowed; use plain values"),
        (
            "newline_name.yaml",
            "1: name: may use only letters, digits, '.', '_' and '-' (start with a letter or digit, at most 80)"
            " (got 'evil\\n')",
        ),
        ("forged_key.yaml", "1: keys must be names, not 'x\\n✓ forged: rendered'"),
        (
            "subnormal_width.yaml",
            "3: waveform.components[0].width_ms: must be at least 1e-150: a narrower Gaussian's sigma² is 0 in"
            " floating point, which makes the trace not a number (got 5e-324)",
        ),
        (
            "flat_random.yaml",
            "3: variants.count: random mode draws distinct variants, and after rounding these fields allow only 1"
            " (got count 2)",
        ),
        (
            "rounded_random.yaml",
            "3: variants.count: random mode draws distinct variants, and after rounding these fields allow only 2"
            " (got count 3)",
        ),
    ],
)
def test_hostile_config_is_one_located_line(hostile, name, message):
    path = asset(name, hostile.work)
    started = time.perf_counter()
    ran = hostile("validate", path)
    assert time.perf_counter() - started < 10  # planning is bounded: no spinning on a flat range
    assert ran.code == 1
    assert ran.lines == [f"✗ {path}:{message}", "0 valid, 1 invalid"]


def test_one_bad_config_fails_alone_in_a_run(hostile):
    bad = asset("huge_integer.yaml", hostile.work)
    good = write(
        hostile.work / "configs" / "ok.yaml", "waveform: {samples: 20}\nanimation: {fps: 10}\noutputs: [csv]\n"
    )
    ran = hostile("run", "configs", "--out", "out")
    assert ran.code == 1
    assert f"✗ {bad}:2: animation.fps: a whole number of 5,000 digits; at most 100 are read" in ran.lines
    assert (hostile.work / "out" / "ok" / "trace.csv").is_file()
    assert good.is_file()


def test_fifo_config_is_refused_without_blocking(hostile):
    fifo = hostile.work / "configs" / "pipe.yaml"
    fifo.parent.mkdir()
    import os

    os.mkfifo(fifo)
    ran = hostile("validate", fifo.relative_to(hostile.work))
    assert ran.code == 1
    assert ran.lines == ["✗ configs/pipe.yaml: not a regular file", "0 valid, 1 invalid"]


# --- valid configs that render: text is data -----------------------------------------------------


def test_equals_sign_title_is_text(hostile):
    path = asset("equals_title.yaml", hostile.work)
    ran = hostile("validate", path)
    assert (ran.code, ran.lines) == (0, [f"✓ {path}: valid (equals_title)", "1 valid, 0 invalid"])


def test_dollar_signs_are_drawn_literally(hostile):
    """'$5 and $10' would be mathtext (italic, spaces eaten); one '$' would fail the render."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from apsim_batch.config.load import load_config
    from apsim_batch.figure.decorate import user_text

    path = asset("dollar_title.yaml", hostile.work)
    ran = hostile("run", path, "--out", "out")
    assert ran.code == 0 and (hostile.work / "out" / "dollar_title" / "dollar_title.png").is_file()
    # What matplotlib does with the properties the figure uses: no math for "$5 and $10" ...
    config = load_config(hostile.work / path).config
    fig = Figure()
    text = fig.text(0, 0, config.title, **user_text(config))
    assert text._preprocess_math(text.get_text()) == ("$5 and $10", False)
    # ... and mathtext again when the config asks for it.
    asked = config.model_copy(update={"plot": config.plot.model_copy(update={"math_text": True})})
    text = fig.text(0, 0, "$\\alpha$", **user_text(asked))
    assert text._preprocess_math(text.get_text()) == ("$\\alpha$", True)


# --- terminal hygiene ---------------------------------------------------------------------------


def test_problem_lines_are_capped_per_file(hostile):
    path = write(hostile.work / "many.yaml", "".join(f"k{i}: 1\n" for i in range(5000)))
    ran = hostile("validate", path.name)
    assert ran.code == 1
    allowed = "(allowed: animation, name, outputs, plot, title, variants, waveform)"
    assert ran.lines == [
        *[f"✗ many.yaml:{i + 1}: k{i}: unknown key {allowed}" for i in range(20)],
        "✗ and 4,980 more",
        "0 valid, 1 invalid",
    ]


def test_a_huge_key_gives_a_capped_line(hostile):
    write(hostile.work / "long.yaml", "? " + "k" * 1_000_000 + "\n: 1\n")
    ran = hostile("validate", "long.yaml")
    assert ran.code == 1
    allowed = "(allowed: animation, name, outputs, plot, title, variants, waveform)"
    full = "✗ long.yaml:1: " + "k" * 1_000_000 + f": unknown key {allowed}"
    head = MAX_LINE_CHARS // 4
    cut = f"…({len(full) - MAX_LINE_CHARS:,} characters cut)…"
    capped = full[:head] + cut + full[head - MAX_LINE_CHARS :]
    assert ran.lines == [capped, "0 valid, 1 invalid"]
    assert ran.lines[0].endswith(f": unknown key {allowed}")  # the reason survives the cut


def test_a_long_path_is_cut_not_the_reason(hostile):
    """A 250-character file name used to fill the 400-character line, so the reason never showed."""
    stem = "s" * 250
    write(hostile.work / f"{stem}.yaml", "waveform:\n  " + "x" * 150 + ": 1\n")
    ran = hostile("validate", f"{stem}.yaml")
    assert ran.code == 1
    assert ran.lines[0].startswith("✗ sss") and "characters cut" in ran.lines[0]
    assert ran.lines[0].endswith(
        "unknown key (allowed: components, duration_ms, model, resting_mv, samples, smoothing)"
    )


def test_control_characters_are_escaped_when_printed():
    assert printable("a\x1b]0;x\x07b\u202ec\nd") == "a\\x1b]0;x\\x07b\\u202ec\\x0ad"
    assert printable("plain ✓ text") == "plain ✓ text"


def test_a_file_name_cannot_forge_a_line(hostile):
    folder = hostile.work / "configs"
    write(folder / "x\x1b[32m\n✓ forged.yaml", "waveform: {samples: 1}\n")
    ran = hostile("validate", "configs")
    assert ran.code == 1
    assert ran.lines == [
        "✗ configs/x\\x1b[32m\\x0a✓ forged.yaml:1: waveform.samples: must be at least 2 (got 1)",
        "0 valid, 1 invalid",
    ]


def test_watch_survives_a_save_with_a_nul_byte(hostile):
    from apsim_batch.batch.watch import watch

    quick_configs(hostile.work, "a")
    write(hostile.work / "configs" / "b.yaml", "title: a\x00b\n")
    seen = []
    runs = watch(["configs"], "out", on_outcome=seen.append, echo=lambda line: None, sleep=lambda s: None, max_polls=1)
    assert runs == 1
    assert [(o.name, o.status) for o in seen] == [("b", "failed"), ("a", "rendered")]
    assert seen[0].error == "configs/b.yaml:1: control character U+0000 is not allowed in a config"


def test_shipped_classic_still_validates(hostile):
    ran = hostile("validate", CONFIGS / "classic.yaml")
    assert ran.code == 0


# --- the outputs folder: planted links, planted and lying files -----------------------------------

QUICK = "animation: {samples_per_frame: 50}\noutputs: [png, csv]\n"
LINK = "is a link apsim-batch did not make; nothing is written through it (remove it and run again)"


def quick_configs(work: Path, *names: str) -> None:
    for name in names:
        write(work / "configs" / f"{name}.yaml", QUICK)


def listed_files_match(out: Path) -> None:
    """Every file any manifest lists is a regular file inside `out` with its recorded size and sha256."""
    import hashlib
    import json

    for manifest in [out / "manifest.json", *out.glob("*/manifest.json")]:
        data = json.loads(manifest.read_text())
        for entry in data.get("renders", [data]):
            for record in entry["files"]:
                path = out / record["path"]
                assert not path.is_symlink() and path.resolve().is_relative_to(out.resolve()), path
                assert hashlib.sha256(path.read_bytes()).hexdigest() == record["sha256"], path


def test_planted_lock_link_fails_the_run_and_leaves_its_target(hostile):
    quick_configs(hostile.work, "a")
    assert hostile("run", "configs", "--out", "src").code == 0
    (hostile.work / "out").mkdir()
    (hostile.work / "out" / ".apsim-batch.lock").symlink_to(hostile.sentinel)
    for command in (("run", "configs"), ("merge", "src")):
        ran = hostile(*command, "--out", "out")
        assert ran.code == 1
        assert ran.lines[-1] == f"Error: out/.apsim-batch.lock: {LINK}"
    assert not (hostile.work / "out" / "a").exists()


@pytest.mark.slow
def test_planted_set_folder_link_writes_and_deletes_nothing_there(hostile, tmp_path):
    elsewhere = hostile.work / "elsewhere"
    write(elsewhere / "handouts" / "quiz-v01.png", "a teacher's own picture\n")
    write(elsewhere / "handouts" / "manifest.json", "{}\n")
    before = {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()}
    (hostile.work / "out").mkdir()
    (hostile.work / "out" / "quiz").symlink_to(elsewhere)
    sets = "variants: {mode: zip, student: STUDENT, fields: {waveform.resting_mv: [-70, -65]}}\n"
    for student in ("true", "false"):
        write(hostile.work / "configs" / "quiz.yaml", QUICK + sets.replace("STUDENT", student))
        ran = hostile("run", "configs", "--out", "out")
        assert ran.code == 1
        assert ran.err.splitlines() == [f"✗ configs/quiz.yaml: quiz: no answer key: out/quiz: {LINK}"]
        assert {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()} == before
    assert (hostile.work / "out" / "quiz-v02" / "quiz-v02.png").is_file()  # the variants still render
    listed_files_match(hostile.work / "out")


def test_planted_link_at_an_output_file_fails_that_render_only(hostile):
    quick_configs(hostile.work, "a", "b")
    (hostile.work / "out" / "a").mkdir(parents=True)
    (hostile.work / "out" / "a" / "trace.csv").symlink_to(hostile.sentinel)
    ran = hostile("run", "configs", "--out", "out", "--jobs", "1")
    assert ran.code == 1
    assert ran.err.splitlines() == [f"✗ configs/a.yaml: out/a/trace.csv: {LINK}"]
    assert "✓ b: rendered" in ran.out
    listed_files_match(hostile.work / "out")


@pytest.mark.parametrize(
    "plant",
    [
        pytest.param(lambda p: p.write_text("[" * 100_000 + "]" * 100_000), id="100000-nested-brackets"),
        pytest.param(lambda p: p.write_text('{"renders": ' + "[" * 70 + "]" * 70 + "}"), id="70-nested"),
        pytest.param(lambda p: __import__("os").mkfifo(p), id="fifo"),
        pytest.param(lambda p: p.write_bytes(b"\xff\xfe not json"), id="not-utf8"),
    ],
)
def test_planted_render_manifest_is_replaced_not_trusted(hostile, plant):
    quick_configs(hostile.work, "a")
    assert hostile("run", "configs", "--out", "out").code == 0
    manifest = hostile.work / "out" / "a" / "manifest.json"
    manifest.unlink()
    plant(manifest)
    started = time.perf_counter()
    ran = hostile("run", "configs", "--out", "out")
    assert time.perf_counter() - started < 60  # a FIFO is never opened for reading, so nothing blocks
    assert ran.code == 0 and ran.lines[0].startswith("✓ a: rendered in ")
    listed_files_match(hostile.work / "out")


def test_top_level_manifest_linked_to_dev_zero_fails_in_one_line(hostile):
    quick_configs(hostile.work, "a")
    (hostile.work / "out").mkdir()
    (hostile.work / "out" / "manifest.json").symlink_to("/dev/zero")
    ran = hostile("run", "configs", "--out", "out")
    assert ran.code == 1
    assert ran.lines[-1] == f"Error: out/manifest.json: {LINK}"


def test_absolute_paths_in_a_planted_manifest_reach_neither_manifest_nor_gallery(hostile):
    import json

    quick_configs(hostile.work, "a")
    assert hostile("run", "configs", "--out", "out").code == 0
    out = hostile.work / "out"
    top = json.loads((out / "manifest.json").read_text())
    size = hostile.sentinel.stat().st_size
    planted = {"name": "evil", "files": [{"path": str(hostile.sentinel), "bytes": size, "sha256": "0" * 64}]}
    top["renders"].append(planted)
    (out / "manifest.json").write_text(json.dumps(top))
    write(out / "evil" / "manifest.json", json.dumps({**planted, "files": planted["files"]}))
    ran = hostile("run", "configs", "--out", "out")
    assert ran.code == 0
    names = [entry["name"] for entry in json.loads((out / "manifest.json").read_text())["renders"]]
    assert names == ["a"]
    assert str(hostile.sentinel) not in (out / "index.html").read_text()


def test_merge_refuses_reserved_render_names(hostile):
    import json

    quick_configs(hostile.work, "a")
    assert hostile("run", "configs", "--out", "src").code == 0
    top = json.loads((hostile.work / "src" / "manifest.json").read_text())
    for name in ("index.html", ".apsim-batch.lock", "evil\n"):
        top["renders"][0]["name"] = name
        (hostile.work / "src" / "manifest.json").write_text(json.dumps(top))
        ran = hostile("merge", "src", "--out", "merged")
        assert ran.code == 1
        assert ran.lines[-1].startswith("Error: src/manifest.json: a render entry has no valid name: ")
        assert "\n" not in ran.lines[-1][len("Error: ") :]
    assert not (hostile.work / "merged" / "index.html").exists()


def shard_folders(hostile, count: int = 2) -> None:
    for name in ("alpha", "beta", "gamma", "delta"):
        write(hostile.work / "configs" / f"{name}.yaml", QUICK)
    for k in range(1, count + 1):
        assert hostile("run", "configs", "--shard", f"{k}/{count}", "--out", f"shard-{k}").code == 0


@pytest.mark.slow
def test_shard_record_claiming_a_huge_count_is_refused_quickly(hostile):
    import json

    shard_folders(hostile)
    record = json.loads((hostile.work / "shard-1" / "shard.json").read_text())
    record["shard"] = {"index": 1, "count": 10**15}
    (hostile.work / "shard-1" / "shard.json").write_text(json.dumps(record))
    started = time.perf_counter()
    ran = hostile("merge", "shard-1", "shard-2", "--out", "merged")
    assert time.perf_counter() - started < 10
    assert ran.code == 1
    assert ran.lines == [
        "Error: shard-1/shard.json: not a valid shard record (ValueError: at most 1000 shards (got 1000000000000000))"
    ]
    assert not (hostile.work / "merged").exists()


@pytest.mark.slow
def test_shard_record_claiming_one_shard_of_one_cannot_pass_a_partial_merge(hostile):
    import json

    shard_folders(hostile)
    record = json.loads((hostile.work / "shard-1" / "shard.json").read_text())
    record["shard"] = {"index": 1, "count": 1}
    (hostile.work / "shard-1" / "shard.json").write_text(json.dumps(record))
    ran = hostile("merge", "shard-1", "--out", "merged")
    assert ran.code == 1
    listed, expected = len(record["renders"]), len(record["batch"])
    assert ran.lines == [
        f"Error: shard-1/shard.json: claims shard 1/1, but its renders are not that shard's share of its batch"
        f" ({listed} listed, {expected} expected); the record is damaged"
    ]


# --- stable config identity and scans ------------------------------------------------------------


@pytest.mark.slow
def test_prune_gives_the_same_answer_from_another_working_directory(hostile, monkeypatch):
    quick_configs(hostile.work, "a", "b")
    assert hostile("run", "configs", "--out", "out").code == 0
    monkeypatch.chdir(hostile.work / "configs")  # the same configs, named from inside
    ran = hostile("run", ".", "--out", "../out", "--prune")
    assert ran.code == 0
    assert "0 rendered, 2 up to date, 0 failed (outputs in ../out/)" in ran.out.splitlines()
    assert (hostile.work / "out" / "a" / "a.png").is_file() and (hostile.work / "out" / "b" / "b.png").is_file()
    (hostile.work / "configs" / "b.yaml").unlink()
    ran = hostile("run", ".", "--out", "../out", "--prune")
    assert "Pruned (their config is gone): b" in ran.out
    assert not (hostile.work / "out" / "b").exists() and (hostile.work / "out" / "a").is_dir()


@pytest.mark.slow
def test_an_unreadable_config_folder_fails_the_scan_and_prunes_nothing(hostile, monkeypatch):
    from apsim_batch.batch import plan

    quick_configs(hostile.work, "a")
    write(hostile.work / "configs" / "private" / "b.yaml", QUICK)
    assert hostile("run", "configs", "--out", "out").code == 0
    real = plan.os.scandir

    def refuse(path):
        if Path(path).name == "private":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(plan.os, "scandir", refuse)
    ran = hostile("run", "configs", "--out", "out", "--prune")
    assert ran.code == 1
    assert ran.lines == [
        "Error: configs/private: cannot read this folder (Permission denied); nothing was rendered or pruned"
    ]
    assert (hostile.work / "out" / "b" / "b.png").is_file()


def test_upper_case_suffixes_are_configs_and_one_file_named_twice_is_one(hostile):
    write(hostile.work / "configs" / "a.YAML", QUICK)
    write(hostile.work / "configs" / "b.Yml", QUICK)
    ran = hostile("validate", "configs", hostile.work / "configs" / "a.YAML")
    assert (ran.code, ran.lines) == (
        0,
        ["✓ configs/a.YAML: valid (a)", "✓ configs/b.Yml: valid (b)", "2 valid, 0 invalid"],
    )


# --- the environment: one line, no traceback -------------------------------------------------------


def test_out_naming_a_file_or_a_dangling_link(hostile):
    quick_configs(hostile.work, "a")
    ran = hostile("run", "configs", "--out", "../sentinel.txt")
    assert (ran.code, ran.lines) == (1, ["Error: ../sentinel.txt: --out names a file, not a folder"])
    (hostile.work / "dangling").symlink_to("nowhere")
    ran = hostile("run", "configs", "--out", "dangling")
    assert (ran.code, ran.lines) == (1, ["Error: dangling: --out is a link to nowhere, which does not exist"])


def test_infinite_timeout_is_a_usage_error(hostile):
    quick_configs(hostile.work, "a")
    ran = hostile("run", "configs", "--timeout-s", "inf")
    assert ran.code == 2
    assert ran.err.splitlines()[-1] == (
        "Error: Invalid value for '--timeout-s': must be a finite number of seconds, or 0 for no limit (got inf)"
    )


def test_full_disk_fails_each_render_in_one_line(hostile, monkeypatch):
    import errno

    from apsim_batch.output import files

    quick_configs(hostile.work, "a")
    real = files.create_exclusive

    def full(path, mode=0o644):
        if path.suffix == ".png":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, mode)

    monkeypatch.setattr(files, "create_exclusive", full)
    ran = hostile("run", "configs", "--out", "out", "--force", "--jobs", "1")
    assert ran.code == 1
    assert ran.err.splitlines() == ["✗ configs/a.yaml: cannot write out/a/a.png: No space left on device"]
    listed_files_match(hostile.work / "out")


def test_read_only_outputs_folder_is_one_line(hostile, monkeypatch):
    """What a read-only folder does to every write (simulated: the tests may run as root, who may write anyway)."""
    import errno

    from apsim_batch.output import files

    quick_configs(hostile.work, "a")
    assert hostile("run", "configs", "--out", "out").code == 0
    quick_configs(hostile.work, "b")

    real = files.create_exclusive
    read_only = {"folder": hostile.work / "out" / "b"}

    def refuse(path, mode=0o644):
        if read_only["folder"] == Path(path).resolve().parent:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, mode)

    monkeypatch.setattr(files, "create_exclusive", refuse)
    ran = hostile("run", "configs", "--out", "out", "--jobs", "1", "--force")
    assert ran.code == 1  # the read-only render folder fails that render alone
    assert ran.err.splitlines() == ["✗ configs/b.yaml: cannot write out/b/trace.csv: Permission denied"]
    assert ran.out.startswith("✓ a: rendered in ")
    read_only["folder"] = hostile.work / "out"  # now the outputs folder itself
    ran = hostile("run", "configs", "--out", "out", "--jobs", "1", "--force")
    assert (ran.code, ran.err.splitlines()) == (1, ["Error: out/manifest.json: Permission denied"])
    listed_files_match(hostile.work / "out")


@pytest.mark.slow
def test_deep_folders_in_configs_and_outputs(hostile):
    import os

    deep = hostile.work / "configs"
    deep.mkdir()
    os.chdir(deep)
    for _ in range(1100):
        os.mkdir("d")
        os.chdir("d")
    Path("x.yaml").write_text(QUICK)
    os.chdir(hostile.work)
    junk = hostile.work / "out" / "junk"
    junk.mkdir(parents=True)
    os.chdir(junk)
    for _ in range(1100):
        os.mkdir("d")
        os.chdir("d")
    os.chdir(hostile.work)
    ran = hostile("run", "configs", "--out", "out")
    assert ran.code == 0 and ran.lines[0].startswith("✓ x: rendered in ")
    for top in (deep, junk):  # remove bottom-up without recursion (rmtree would recurse 1,100 deep)
        remove_chain(top)


def remove_chain(top: Path) -> None:
    import os

    os.chdir(top)
    depth = 0
    while Path("d").is_dir():
        os.chdir("d")
        depth += 1
    for name in os.listdir("."):
        os.unlink(name)
    for _ in range(depth):
        os.chdir("..")
        os.rmdir("d")


def test_new_refuses_a_reserved_name(hostile):
    ran = hostile("new", "manifest.json")
    assert ran.code == 1
    assert ran.lines == [
        "Error: name 'manifest.json' is a name apsim-batch keeps for its own files"
        " (.apsim-batch.lock, index-teacher.html, index.html, manifest.json, shard.json)"
    ]
    assert not (hostile.work / "configs").exists()


# --- real processes: terminals, pipes, signals ----------------------------------------------------


def entry_point(*args: str, cwd: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "apsim_batch", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_latin1_terminal_gets_escapes_not_a_traceback(tmp_path):
    write(tmp_path / "ok.yaml", "title: ok\n")
    proc = entry_point("validate", "ok.yaml", cwd=tmp_path, PYTHONIOENCODING="latin-1")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == b""
    assert out.decode("latin-1").splitlines() == ["\\u2713 ok.yaml: valid (ok)", "1 valid, 0 invalid"]


@pytest.mark.slow
def test_ctrl_c_while_starting_is_one_line(tmp_path):
    """A Ctrl-C while the commands are still importing (made certain here by an import hook)."""
    script = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'typer':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "from apsim_batch.cli import main\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 130
    assert proc.stderr == "Interrupted (SIGINT) while starting; nothing was written.\n"


@pytest.mark.slow
def test_a_closed_pipe_ends_quietly(tmp_path):
    for i in range(300):
        write(tmp_path / "configs" / f"c{i:03d}.yaml", "title: ok\n")
    proc = entry_point("validate", "configs", cwd=tmp_path)
    proc.stdout.close()  # like `| head -0`: the reader is gone before the first line
    with proc.stderr:
        err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    assert err == b""


# --- merge, interrupted again and again ------------------------------------------------------------

HEAVY = "title: {title}\nwaveform: {{samples: 400}}\nanimation: {{samples_per_frame: 1, fps: 50}}\n"
QUICK4 = "animation: {samples_per_frame: 25}\n"  # all four formats, twenty frames


@pytest.mark.slow
def test_merge_interrupted_repeatedly_never_leaves_a_lying_manifest(tmp_path):
    """Merge newer renders over older ones, stopped by SIGTERM, Ctrl-C or SIGKILL at many moments."""
    import random

    names = ["h1", *(f"q{i:02d}" for i in range(12))]  # many files, so most signals land mid-copy

    def render(title: str, out: str) -> None:
        for name in names:
            text = HEAVY.format(title=f"{title} {name}") if name.startswith("h") else f"title: {title}\n{QUICK4}"
            write(tmp_path / "configs" / f"{name}.yaml", text)
        proc = run_entry_point("run", "configs", "--out", out, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr

    render("old", "old")
    render("new", "new")
    assert run_entry_point("merge", "old", "--out", "merged", cwd=tmp_path).returncode == 0
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_bytes(SENTINEL_BYTES)
    lock = tmp_path / "merged" / ".apsim-batch.lock"
    chance = random.Random(13)
    for signum in [signal.SIGTERM, signal.SIGINT, signal.SIGKILL] * 4:
        proc = entry_point("merge", "new", "--out", "merged", cwd=tmp_path)
        deadline = time.monotonic() + 60
        while lock.read_text().strip() != str(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(chance.uniform(0, 0.06))  # a whole merge of these folders takes about 0.1 s after the lock
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
        text = err.decode()
        assert "Traceback" not in text
        if proc.returncode == 143:
            assert text.splitlines()[-1] == (
                "Interrupted (SIGTERM) while merging; every manifest lists only complete files: run the same merge again."
            )
        elif proc.returncode == 130:
            assert text.splitlines()[-1].startswith("Interrupted (SIGINT) while merging")
        else:
            # finished before the signal, or killed by it while exiting (no handler is left then)
            assert proc.returncode in (0, -signal.SIGKILL, -signal.SIGINT, -signal.SIGTERM), (proc.returncode, text)
        listed_files_match(tmp_path / "merged")
        assert not list((tmp_path / "merged").glob("*/.*.partial-*")) or signum == signal.SIGKILL
    proc = run_entry_point("merge", "new", "--out", "merged", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed_files_match(tmp_path / "merged")
    for name in names:
        merged = (tmp_path / "merged" / name / f"{name}.gif").read_bytes()
        assert merged == (tmp_path / "new" / name / f"{name}.gif").read_bytes()
    assert not list((tmp_path / "merged").glob("*/.*.partial-*"))
    assert sentinel.read_bytes() == SENTINEL_BYTES


def test_planted_hard_link_or_fifo_as_lock_fails_the_run(hostile):
    import os

    quick_configs(hostile.work, "a")
    (hostile.work / "out").mkdir()
    lock = hostile.work / "out" / ".apsim-batch.lock"
    os.link(hostile.sentinel, lock)
    ran = hostile("run", "configs", "--out", "out")
    assert (ran.code, ran.lines) == (
        1,
        ["Error: out/.apsim-batch.lock: has other hard links; apsim-batch writes its lock only into a file of its own"],
    )
    lock.unlink()
    os.mkfifo(lock)
    ran = hostile("run", "configs", "--out", "out")
    assert (ran.code, ran.lines) == (
        1,
        [
            "Error: out/.apsim-batch.lock: is not a regular file; apsim-batch writes its lock only into a file of its own"
        ],
    )


# --- bounded planning, directly ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "limit", "expected"),
    [
        ({"min": -70.0, "max": -70.0}, 2, 1),  # continuous, one value
        ({"min": -70.0, "max": -69.9999999}, 5, 1),  # rounds to 6 decimals: still one value
        ({"min": -70.0, "max": -69.999}, 10_000, 1001),  # 1,001 values of 1e-6
        ({"min": 0.1, "max": 0.1000001, "step": 1e-9}, 10_000, 100),  # a range of 1e-7 in steps of 1e-9
        ({"min": -1e6, "max": 1e6, "step": 1e-9}, 10_000, 10_000),  # 2e15 steps, counted up to the limit
        ({"values": [1, True, 1.0, 1]}, 10, 3),  # True is not 1, 1.0 is not 1
    ],
)
def test_distinct_values_are_counted_with_bounded_work(spec, limit, expected):
    from apsim_batch.config.draws import distinct_count
    from apsim_batch.config.models import VariantField

    started = time.perf_counter()
    assert distinct_count(VariantField(**spec), limit) == expected
    assert time.perf_counter() - started < 5
