"""Format-limited runs keep the other formats: per-file keys, and a full run renders only what is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apsim_batch.batch.run import run_batch
from apsim_batch.batch.watch import watch
from apsim_batch.output.manifest import file_key

from .conftest import write

pytestmark = pytest.mark.slow

SMALL = """\
title: {title}
waveform: {{samples: 120}}
animation: {{fps: 20, samples_per_frame: 12}}
"""
ALL = ["csv", "gif", "mp4", "png", "vtt"]


def manifest(out: Path, name: str = "small") -> dict:
    return json.loads((out / name / "manifest.json").read_text(encoding="utf-8"))


def stamps(out: Path) -> dict[str, int]:
    """Each output file's modification time: a file rewritten by a render gets a new one."""
    return {p.name: p.stat().st_mtime_ns for p in (out / "small").iterdir() if p.name != "manifest.json"}


def listed(out: Path) -> list[str]:
    return sorted(record["format"] for record in manifest(out)["files"])


def top_listed(out: Path) -> list[str]:
    top = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return sorted(record["format"] for entry in top["renders"] for record in entry["files"])


def test_watch_format_gif_then_run_renders_nothing(tmp_path):
    configs, out = tmp_path / "configs", tmp_path / "outputs"
    write(configs / "small.yaml", SMALL.format(title="Small"))
    assert run_batch([configs], out, jobs=1).count("rendered") == 1
    first = stamps(out)
    runs = watch([configs], out, formats=["gif"], echo=lambda line: None, sleep=lambda s: None, max_polls=0)
    assert runs == 1
    assert listed(out) == top_listed(out) == ALL and stamps(out) == first  # nothing lost, nothing redone
    result = run_batch([configs], out, jobs=1)
    assert (result.count("rendered"), result.count("skipped")) == (0, 1)
    assert stamps(out) == first and listed(out) == ALL
    page = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'small/small.{ext}"' in page for ext in ("gif", "mp4", "png", "vtt")) and "small/trace.csv" in page


def test_each_file_records_what_it_was_made_from(tmp_path):
    configs, out = tmp_path / "configs", tmp_path / "outputs"
    write(configs / "small.yaml", SMALL.format(title="Small"))
    run_batch([configs], out, jobs=1, formats=["png"])
    entry = manifest(out)
    assert [r["format"] for r in entry["files"]] == ["png"] and entry["formats"] == ["png"]
    assert entry["files"][0]["key"] == file_key(entry["parameters"], "png")


def test_an_edit_during_a_limited_run_leaves_the_rest_to_the_next_full_run(tmp_path):
    configs, out = tmp_path / "configs", tmp_path / "outputs"
    write(configs / "small.yaml", SMALL.format(title="Small"))
    run_batch([configs], out, jobs=1)
    write(configs / "small.yaml", SMALL.format(title="Edited"))
    result = run_batch([configs], out, jobs=1, formats=["gif"])
    assert result.count("rendered") == 1
    assert listed(out) == ["gif"]  # the other files were made from the old title: no longer listed
    after_gif = stamps(out)
    result = run_batch([configs], out, jobs=1)
    assert result.count("rendered") == 1 and listed(out) == ALL
    now = stamps(out)
    assert now["small.gif"] == after_gif["small.gif"]  # the GIF was already right: not rendered again
    assert all(now[name] != after_gif[name] for name in ("small.png", "small.mp4", "small.vtt", "trace.csv"))
    assert run_batch([configs], out, jobs=1).count("skipped") == 1


def test_run_format_png_after_a_full_run_keeps_everything(tmp_path):
    configs, out = tmp_path / "configs", tmp_path / "outputs"
    write(configs / "small.yaml", SMALL.format(title="Small"))
    run_batch([configs], out, jobs=1)
    first = stamps(out)
    result = run_batch([configs], out, jobs=1, formats=["png"])
    assert result.count("skipped") == 1 and stamps(out) == first and listed(out) == ALL
    (out / "small" / "small.png").write_bytes(b"damaged")
    result = run_batch([configs], out, jobs=1, formats=["png"])
    assert result.count("rendered") == 1 and listed(out) == ALL
    assert {name for name, stamp in stamps(out).items() if stamp != first[name]} == {"small.png"}
