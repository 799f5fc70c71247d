"""Sharding and merging: N shard runs merged give the bytes of one run; bad merges are refused."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apsim_batch.batch.shard import Shard, shard_of
from apsim_batch.cli.commands import app
from apsim_batch.names import LOCK_FILE

from .conftest import copy_config, run_entry_point, write

# Render names of the test batch and the shard (of 3) each hashes to; checked by test_batch_spans_every_shard.
BATCH_SHARDS = {"classic": 2, "delta": 1, "alpha": 2, "epsilon": 3, "theta": 3}
# A variant set is sharded by its set name: "quiz" hashes to shard 3, and all three variants go there
# (the names quiz-v01 ... quiz-v03 on their own would all hash to shard 1).
QUIZ = ["quiz-v01", "quiz-v02", "quiz-v03"]
RENDER_SHARDS = {**BATCH_SHARDS, **{name: 3 for name in QUIZ}}


def small_config(title: str, amplitude_mv: float) -> str:
    """A quick config: a small figure and few frames, GIF, PNG and CSV only."""
    return f"""\
title: {title}
waveform:
  samples: 120
  components:
    - center_ms: 3
      width_ms: 0.3
      amplitude_mv: {amplitude_mv}
plot:
  width_px: 320
  height_px: 240
animation:
  fps: 20
  samples_per_frame: 12
outputs: [gif, png, csv]
"""


def write_batch(folder: Path) -> Path:
    """configs/ with the full classic config (every format, MP4 included), four quick ones and a
    quick variant set of three with student handouts."""
    configs = folder / "configs"
    copy_config("classic.yaml", configs)
    for i, name in enumerate(n for n in BATCH_SHARDS if n != "classic"):
        write(configs / f"{name}.yaml", small_config(f"Test {name}", 60 + 10 * i))
    quiz = small_config("Quiz", 70) + QUIZ_VARIANTS
    write(configs / "quiz.yaml", quiz)
    return configs


QUIZ_VARIANTS = """\
name: quiz
variants:
  mode: grid
  student: true
  fields:
    waveform.components[0].amplitude_mv: [60, 75, 90]
"""


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too, but not the lock file, which names the process) by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != LOCK_FILE
    }


def assert_same_tree(expected: Path, actual: Path) -> None:
    want, got = tree(expected), tree(actual)
    assert sorted(got) == sorted(want)
    different = [path for path in want if want[path] != got[path]]
    assert not different, f"files differ: {different}"


# --- the shard assignment ----------------------------------------------------------------------


def test_parse_shard():
    assert Shard.parse("2/3") == Shard(2, 3)
    assert Shard.parse(" 1 / 1 ") == Shard(1, 1)
    assert str(Shard(3, 4)) == "3/4"
    for bad in ["0/3", "4/3", "3", "1/0", "a/b", "-1/3", "1/3/5", ""]:
        with pytest.raises(ValueError, match=r"use K/N with 1 <= K <= N"):
            Shard.parse(bad)


def test_assignment_is_pinned():
    """sha256 of the name mod N: the same on every machine, Python and release (CI caches rely on it)."""
    assert {name: shard_of(name, 3) for name in BATCH_SHARDS} == BATCH_SHARDS
    assert shard_of("quiz", 3) == 3 and [shard_of(name, 3) for name in QUIZ] == [1, 1, 1]
    assert [shard_of("classic", n) for n in (1, 2, 7)] == [1, 2, 2]
    assert shard_of("é", 7) == 7  # names are hashed as UTF-8


def test_adding_renders_moves_no_other_render():
    names = [f"student-{i:03d}" for i in range(300)]
    before = {name: shard_of(name, 4) for name in names}
    after = {name: shard_of(name, 4) for name in [*names, "new-config", "another-one"]}
    assert all(after[name] == before[name] for name in names)
    # and the split is even enough to be worth it
    sizes = [list(before.values()).count(k) for k in range(1, 5)]
    assert min(sizes) > 50, sizes


def test_bad_shard_option_is_a_usage_error(cli, tmp_path):
    write_batch(tmp_path)
    code, _, err = cli("run", "configs", "--shard", "4/3", cwd=tmp_path)
    assert code == 2
    assert "Invalid value for '--shard': use K/N with 1 <= K <= N, e.g. 2/3 (got 4/3)" in err
    assert not (tmp_path / "outputs").exists()


# --- shard runs and merges, end to end -------------------------------------------------------


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """The test batch rendered in one run (outputs/, by the real entry point) and as three shards
    (shard-1/ .. shard-3/, in-process to save start-up time)."""
    work = tmp_path_factory.mktemp("sharded")
    write_batch(work)
    whole = run_entry_point("run", "configs", "--jobs", "1", cwd=work)
    assert whole.returncode == 0, whole.stderr
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        for k in (1, 2, 3):
            result = CliRunner().invoke(app, ["run", "configs", "--shard", f"{k}/3", "--out", f"shard-{k}", "-j", "1"])
            assert result.exit_code == 0, result.stderr
            assert f"{list(RENDER_SHARDS.values()).count(k)} rendered, 0 up to date, 0 failed" in result.stdout
    return work


def merge(work: Path, *args: str):
    """`apsim-batch merge` as a real subprocess."""
    return run_entry_point("merge", *args, cwd=work)


@pytest.mark.slow
def test_shards_merge_to_the_unsharded_run_byte_for_byte(sharded):
    work = sharded
    for k in (1, 2, 3):
        record = json.loads((work / f"shard-{k}" / "shard.json").read_text())
        assert record["shard"] == {"index": k, "count": 3}
        assert record["renders"] == sorted(name for name, shard in RENDER_SHARDS.items() if shard == k)
        assert sorted(record["sets"]) == (["quiz"] if k == 3 else [])
    proc = merge(work, "shard-1", "shard-2", "shard-3", "--out", "merged")
    assert proc.returncode == 0, proc.stderr
    # 17 files of 5 renders (the MP4's captions too), 9 of the quiz's variants, 2 + 6 + 2 of its answer
    # key and handouts (their manifest and page), 3 teacher posters with calipers
    assert proc.stdout.startswith("✓ merged 8 renders (39 files, each checked against its sha256) from the 3 shards in")
    assert_same_tree(work / "outputs", work / "merged")
    assert "classic/classic.mp4" in tree(work / "merged")  # the full-format render took part

    # merging again changes nothing; identical duplicates are fine; sources are untouched
    again = merge(work, "shard-3", "shard-1", "shard-2", "shard-1", "--out", "merged")
    assert again.returncode == 0, again.stderr
    assert_same_tree(work / "outputs", work / "merged")
    assert (work / "shard-1" / "shard.json").exists()


@pytest.mark.slow
def test_merge_refuses_an_incomplete_set_of_shards(sharded, cli):
    code, _, err = cli("merge", "shard-1", "shard-3", "--out", "partial", cwd=sharded)
    assert code == 1
    assert err == "Error: missing the outputs of shard 2/3; merge the outputs of all 3 shards\n"
    assert not (sharded / "partial").exists()


@pytest.mark.slow
def test_merge_refuses_a_damaged_file_and_writes_nothing(sharded, tmp_path, cli):
    damaged = tmp_path / "shard-2"
    shutil.copytree(sharded / "shard-2", damaged)
    gif = damaged / "alpha" / "alpha.gif"
    data = bytearray(gif.read_bytes())
    data[100] ^= 0xFF
    gif.write_bytes(bytes(data))
    code, _, err = cli("merge", "shard-1", damaged, "shard-3", "--out", tmp_path / "merged", cwd=sharded)
    assert code == 1
    assert err == (
        f"Error: {gif}: does not match the size and sha256 recorded in {damaged / 'alpha' / 'manifest.json'}; "
        "it is damaged\n"
    )
    assert not (tmp_path / "merged").exists()


@pytest.mark.slow
def test_merge_refuses_shards_of_different_batches(sharded, tmp_path, cli):
    work = tmp_path
    write_batch(work)
    write(work / "configs" / "delta.yaml", small_config("A different delta", 95))
    code, _, err = cli("run", "configs", "--shard", "1/3", "--out", "other-1", "--jobs", "1", cwd=work)
    assert code == 0, err
    code, _, err = cli("merge", "other-1", sharded / "shard-2", sharded / "shard-3", "--out", "merged")
    assert code == 1
    assert err.startswith(f"Error: {sharded / 'shard-2'} (shard 2/3) and other-1 (shard 1/3) were planned from")
    assert not (work / "merged").exists()


@pytest.mark.slow
def test_merge_refuses_conflicting_renders(tmp_path, cli):
    """Two outputs folders with a render of one name but different content: refused, naming both."""
    write(tmp_path / "a" / "delta.yaml", small_config("Delta", 70))
    write(tmp_path / "b" / "delta.yaml", small_config("Delta, changed", 70))
    for folder in ("a", "b"):
        code, _, err = cli("run", folder, "--out", f"out-{folder}", "--jobs", "1", cwd=tmp_path)
        assert code == 0, err
    shutil.copytree(tmp_path / "out-a", tmp_path / "out-a-copy")
    code, _, err = cli("merge", "out-a", "out-a-copy", "out-b", "--out", "merged")
    assert code == 1
    assert err == (
        "Error: render 'delta' differs between out-a and out-b (cache_key, config, config_from_outputs, config_sha256, files, "
        "parameters); merge outputs of one batch, rendered with the same options\n"
    )
    assert not (tmp_path / "merged").exists()
    # identical copies merge fine, and plain (unsharded) outputs folders can be merged too
    code, _, err = cli("merge", "out-a", "out-a-copy", "--out", "merged")
    assert code == 0, err
    assert_same_tree(tmp_path / "out-a", tmp_path / "merged")


def test_merge_usage_errors(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = cli("merge", "nowhere", "--out", "merged", cwd=tmp_path)
    assert (code, err) == (2, "Error: nowhere: no such folder\n")
    code, _, err = cli("merge", "empty", "--out", "merged", cwd=tmp_path)
    assert (code, err) == (2, "Error: empty: no manifest.json; not an apsim-batch outputs folder\n")
    write(tmp_path / "empty" / "manifest.json", '{"renders": []}')
    code, _, err = cli("merge", "empty", "--out", "empty", cwd=tmp_path)
    assert (code, err) == (2, "Error: empty: is also the --out folder; merge into a different folder\n")


@pytest.mark.slow
def test_every_shard_reports_an_invalid_config_and_a_failed_render_is_missing_from_the_merge(tmp_path, cli):
    """A broken config has no trustworthy name to hash, so every shard fails on it and CI notices."""
    work = tmp_path
    for name in ("delta", "epsilon"):
        write(work / "configs" / f"{name}.yaml", small_config(name, 70))
    write(work / "configs" / "broken.yaml", "waveform:\n  samples: 1\n")
    (work / "shard-3").mkdir()
    os.symlink(work, work / "shard-3" / "epsilon")  # makes the render of epsilon (shard 3) fail
    results = {}
    for k in (1, 2, 3):
        code, out, err = cli("run", "configs", "--shard", f"{k}/3", "--out", f"shard-{k}", "--jobs", "1", cwd=work)
        results[k] = out + err
        assert code == 1
        assert "✗ configs/broken.yaml:2: waveform.samples: " in err
    assert "✓ delta: rendered" in results[1]
    assert "0 rendered, 0 up to date, 2 failed" in results[3]
    assert "epsilon" not in results[2]  # not its shard

    code, out, err = cli("merge", "shard-1", "shard-2", "shard-3", "--out", "merged")
    assert code == 1  # as the unsharded run would exit
    assert out.startswith("✓ merged 1 renders")
    assert err.splitlines() == [  # each failure once, though the broken config failed every shard
        "✗ configs/broken.yaml:2: waveform.samples: must be at least 2 (got 1)",
        "✗ configs/epsilon.yaml: shard-3/epsilon: is a link apsim-batch did not make; nothing is written through it"
        " (remove it and run again)",
    ]
    assert json.loads((work / "merged" / "manifest.json").read_text())["renders"][0]["name"] == "delta"
    gallery = (work / "merged" / "index.html").read_text()
    assert "Failed in the last run (2)" in gallery and "shard-3/epsilon: is a link apsim-batch did not make" in gallery


@pytest.mark.slow
def test_a_new_config_keeps_every_other_render_in_its_shard(sharded, tmp_path, cli):
    work = tmp_path
    write_batch(work)
    write(work / "configs" / "fresh.yaml", small_config("Fresh", 80))
    for k in (1, 2, 3):
        code, _, err = cli(
            "run", "configs", "--shard", f"{k}/3", "--out", f"shard-{k}", "-f", "csv", "-j", "1", cwd=work
        )
        assert code == 0, err
        before = json.loads((sharded / f"shard-{k}" / "shard.json").read_text())["renders"]
        after = json.loads((work / f"shard-{k}" / "shard.json").read_text())["renders"]
        assert [name for name in after if name != "fresh"] == before
    assert "fresh" in json.loads((work / "shard-3" / "shard.json").read_text())["renders"]


def test_unsharded_run_removes_a_stale_shard_record(cli, tmp_path):
    write(tmp_path / "configs" / "delta.yaml", small_config("Delta", 70))
    code, _, err = cli("run", "configs", "--shard", "1/3", "--format", "csv", "--jobs", "1", cwd=tmp_path)
    assert code == 0, err
    assert (tmp_path / "outputs" / "shard.json").exists()
    code, _, err = cli("run", "configs", "--format", "csv", "--jobs", "1", cwd=tmp_path)
    assert code == 0, err
    assert not (tmp_path / "outputs" / "shard.json").exists()
