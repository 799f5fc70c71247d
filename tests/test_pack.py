"""`apsim-batch pack`: a student zip that holds no answer, and a teacher zip that holds everything."""

from __future__ import annotations

import base64
import json
import re
import zipfile
from pathlib import Path

import pytest

from .conftest import run_entry_point, write
from .test_variants_render import find_secrets, read_key, readable_parts, secret_strings

pytestmark = pytest.mark.slow

QUIZ = """\
name: quiz
title: Quiz
waveform:
  duration_ms: 8
  samples: 160
  components:
    - {label: depolarization, center_ms: 2, width_ms: 0.12, amplitude_mv: 105}
    - {label: hyperpolarization, center_ms: 3.5, width_ms: 0.4, peak_mv: -85}
animation: {fps: 20, samples_per_frame: 16}
variants:
  mode: random
  count: 3
  seed: 7
  student: true
  exercise: |
    Each of you has one trace. Measure it from the figure and write your numbers in mV.

    Hand in one sheet.
  fields:
    waveform.components[hyperpolarization].peak_mv: {min: -95, max: -75, step: 0.25}
    waveform.components[hyperpolarization].width_ms: {min: 0.3, max: 0.7, step: 0.01}
    waveform.resting_mv: [-72, -68, -64]
"""

LECTURE = """\
name: lecture
waveform: {samples: 100}
animation: {fps: 20, samples_per_frame: 20}
outputs: [png]
variants:
  mode: grid
  fields:
    waveform.components[0].width_ms: [0.1, 0.2]
"""


@pytest.fixture(scope="module")
def packed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("pack")
    write(work / "configs" / "quiz.yaml", QUIZ)
    write(work / "configs" / "lecture.yaml", LECTURE)
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", cwd=work)
    assert proc.returncode == 0, proc.stderr
    proc = run_entry_point("pack", "quiz", "--out", "out", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "✓ students: out/quiz/quiz-students.zip (14 files: the handout folder only)",
        "✓ teacher: out/quiz/quiz-teacher.zip (38 files, with the answer key)",  # 3 of them posters with calipers
    ]
    return work


def unzip(path: Path, into: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            assert not name.startswith("/") and ".." not in name.split("/")
        archive.extractall(into)
    return into


def student_readable(folder: Path) -> dict[str, str]:
    """Everything a student could read: names, text, media metadata, captions and inline data URLs."""
    parts = readable_parts(folder)
    for path in folder.rglob("*.vtt"):
        parts[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
    for where, text in list(parts.items()):
        for data in re.findall(r"data:[\w/+.-]+;base64,([A-Za-z0-9+/=]+)", text):
            parts[f"{where} (inline data)"] = base64.b64decode(data).decode("utf-8", "replace")
    return parts


def answer_names(key: dict) -> set[str]:
    """The names an answer key uses: its files, its fields and its measurement columns."""
    names = {"answer_key", "answer key", "teacher", "trace.csv", "time_ms", "voltage_mv", "measurements"}
    names |= set(key["fields"])
    names |= {m for variant in key["variants"] for m in variant["measurements"]}
    return names


def leaks(folder: Path, key: dict) -> dict[str, list[str]]:
    secrets, names = secret_strings(key), answer_names(key)
    found = {}
    for where, text in student_readable(folder).items():
        hits = find_secrets(text, secrets) + [name for name in names if name in text]
        if hits:
            found[where] = sorted(hits)
    return found


def test_student_zip_is_the_handout_folder_and_holds_no_answer(packed, tmp_path):
    key, _ = read_key(packed / "out", "quiz")
    students = unzip(packed / "out" / "quiz" / "quiz-students.zip", tmp_path / "students")
    files = sorted(p.relative_to(students).as_posix() for p in students.rglob("*") if p.is_file())
    media = [f"quiz-handouts/quiz-v{i}.{ext}" for i in ("01", "02", "03") for ext in ("gif", "mp4", "png", "vtt")]
    assert files == sorted([*media, "quiz-handouts/index.html", "quiz-handouts/manifest.json"])
    page = (students / "quiz-handouts" / "index.html").read_text(encoding="utf-8")
    assert "<p>Each of you has one trace. Measure it from the figure and write your numbers in mV.</p>" in page
    assert leaks(students, key) == {}
    # The search can fail: the teacher zip spells out the answers in several places.
    teacher = unzip(packed / "out" / "quiz" / "quiz-teacher.zip", tmp_path / "teacher")
    found = leaks(teacher, key)
    assert "quiz-teacher/quiz/teacher/answer_key.csv" in found and "quiz-teacher/index.html" in found


def test_student_page_works_from_the_zip(packed, tmp_path):
    """Every link of the unzipped page resolves inside the unzipped folder, in a real browser too."""
    from .test_gallery import CLEAN, _check_page

    students = unzip(packed / "out" / "quiz" / "quiz-students.zip", tmp_path / "students")
    assert _check_page(students / "quiz-handouts" / "index.html", tmp_path) == CLEAN


def test_teacher_zip_has_its_own_page_with_the_key_and_every_variant(packed, tmp_path):
    from .test_gallery import CLEAN, _check_page

    teacher = unzip(packed / "out" / "quiz" / "quiz-teacher.zip", tmp_path / "teacher") / "quiz-teacher"
    page = (teacher / "index.html").read_text(encoding="utf-8")
    assert "Answer key" in page and page.count('class="card"') == 3
    assert '<a href="quiz/teacher/answer_key.csv">answer key (CSV)</a>' in page
    assert '<a href="quiz/handouts/index.html">student page (handouts)</a>' in page
    for i in ("01", "02", "03"):
        manifest = json.loads((teacher / f"quiz-v{i}" / "manifest.json").read_text(encoding="utf-8"))
        for record in manifest["files"]:
            assert (teacher / record["path"]).stat().st_size == record["bytes"]
    assert _check_page(teacher / "index.html", tmp_path) == CLEAN


def test_packing_again_writes_the_same_bytes(packed):
    zips = [packed / "out" / "quiz" / name for name in ("quiz-students.zip", "quiz-teacher.zip")]
    before = [path.read_bytes() for path in zips]
    proc = run_entry_point("pack", "quiz", "--out", "out", "--dest", "again", cwd=packed)
    assert proc.returncode == 0, proc.stderr
    assert [(packed / "again" / path.name).read_bytes() for path in zips] == before


def test_a_set_without_handouts_packs_for_the_teacher_only(packed):
    proc = run_entry_point("pack", "lecture", "--out", "out", cwd=packed)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == (
        "✗ students: no zip, lecture has no handouts (set 'student: true' or run with --student)"
    )
    assert not (packed / "out" / "lecture" / "lecture-students.zip").exists()
    with zipfile.ZipFile(packed / "out" / "lecture" / "lecture-teacher.zip") as archive:
        assert "lecture-teacher/lecture/teacher/answer_key.csv" in archive.namelist()


def test_unknown_set_is_one_line(packed):
    proc = run_entry_point("pack", "nope", "--out", "out", cwd=packed)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == "Error: out: no variant set named 'nope' (sets here: lecture, quiz)\n"


def test_a_changed_handout_is_refused_not_packed(packed, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(packed / "out", out)
    (out / "quiz" / "handouts" / "quiz-v02.png").write_bytes(b"not the picture")
    proc = run_entry_point("pack", "quiz", "--out", out, "--dest", tmp_path / "zips", cwd=tmp_path)
    assert proc.returncode == 1 and "quiz-v02.png: does not match its manifest" in proc.stderr
    assert not (tmp_path / "zips" / "quiz-students.zip").exists()


def test_prune_of_a_deleted_set_removes_its_key_handouts_and_zips(packed, tmp_path):
    import shutil

    shutil.copytree(packed / "out", tmp_path / "out")
    write(tmp_path / "configs" / "lecture.yaml", LECTURE)  # quiz.yaml is gone
    write(tmp_path / "out" / "lecture" / "notes.txt", "the teacher's own file")
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", "--prune", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    left = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert not [name for name in left if name.startswith("quiz")], left
    assert (tmp_path / "out" / "lecture" / "teacher" / "answer_key.csv").is_file()
    # Without --prune a deleted set is reported, not removed.
    shutil.copytree(packed / "out", tmp_path / "out2")
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out2" / "quiz" / "teacher" / "answer_key.csv").is_file()
