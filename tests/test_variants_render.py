"""Variant sets rendered end to end: answer keys true to the traces, handouts that reveal nothing."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from apsim_batch.output.answers import NO_THRESHOLD_NOTE
from apsim_batch.trace.measure import measure
from apsim_batch.trace.waveform import Trace

from .conftest import CONFIGS, run_entry_point, write

pytestmark = pytest.mark.slow

QUIZ = """\
name: quiz
title: "Quiz 0.45 ms"          # replaced by the set name and variant id in student sets
waveform:
  duration_ms: 8
  samples: 160
  components:
    - label: depolarization
      center_ms: 2
      width_ms: 0.12
      amplitude_mv: 105
    - label: hyperpolarization
      center_ms: 3.5
      width_ms: 0.4
      peak_mv: -85
animation: {fps: 20, samples_per_frame: 16}
variants:
  mode: random
  count: 4
  seed: 99
  student: true
  fields:
    waveform.components[hyperpolarization].peak_mv: {min: -95, max: -75, step: 0.25}
    waveform.components[hyperpolarization].width_ms: {min: 0.3, max: 0.7, step: 0.01}
    waveform.resting_mv: [-72, -68, -64]
"""


def read_key(out: Path, name: str) -> tuple[dict, list[dict]]:
    key = json.loads((out / name / "teacher" / "answer_key.json").read_text(encoding="utf-8"))
    with open(out / name / "teacher" / "answer_key.csv", newline="", encoding="utf-8") as fh:
        tolerance, *rows = csv.DictReader(fh)
    assert tolerance["id"] == "tolerance"  # the first row says how far an answer may be off, per column
    for column, value in key["tolerances"].items():
        assert tolerance[column] == ("" if value is None else repr(value) if isinstance(value, float) else str(value))
    return key, rows


def trace_of(path: Path) -> tuple[np.ndarray, np.ndarray]:
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data[:, 0], data[:, 1]


def assert_key_matches_renders(out: Path, name: str, size: int) -> dict:
    """Every variant is listed once, in order, with its values and the measurements of its trace."""
    key, rows = read_key(out, name)
    width = max(2, len(str(size)))
    ids = [f"v{i:0{width}d}" for i in range(1, size + 1)]
    assert [v["id"] for v in key["variants"]] == ids
    assert [row["id"] for row in rows] == ids
    for variant, row in zip(key["variants"], rows, strict=True):
        manifest = json.loads((out / variant["name"] / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["variant"]["values"] == variant["values"]
        assert "variants" not in manifest["parameters"]
        for path, value in variant["values"].items():  # the values really are in the rendered parameters
            assert float(row[path]) == value
            assert lookup(manifest["parameters"], path) == value
        recomputed = measure(Trace(*trace_of(out / variant["name"] / "trace.csv"))).as_dict()
        assert len(variant["measurements"]["spikes"]) == recomputed["spike_count"]
        assert "threshold_mv" not in variant["measurements"] and "threshold_mv" not in row  # Gaussian sets
        assert key["measurement_notes"] == [NO_THRESHOLD_NOTE] and "spike_count" in row and "firing_rate_hz" in row
        for feature, value in variant["measurements"].items():
            if isinstance(value, (dict, list)) or feature == "stimulus":
                continue  # JSON only: every spike, and the stimulus (none in a Gaussian set)
            if value is None:
                assert recomputed[feature] is None and row[feature] == ""
            else:
                assert recomputed[feature] == pytest.approx(value, abs=2e-6), (variant["id"], feature)
                assert float(row[feature]) == value
    return key


def lookup(parameters: dict, path: str):
    node = parameters
    for part in re.findall(r"[^.\[\]]+", path):
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() else next(c for c in node if c.get("label") == part)
        else:
            node = node[part]
    return node


# --- the leak check ------------------------------------------------------------------------------


def secret_strings(key: dict) -> set[str]:
    """Every varied value and measurement of the set, in the forms a file might spell it."""
    secrets: set[str] = set()
    for variant in key["variants"]:
        measured = variant["measurements"]
        per_spike = [v for spike in measured.get("spikes", []) for v in spike.values()]
        for value in [*variant["values"].values(), *measured.values(), *per_spike]:
            if isinstance(value, (dict, list)):
                continue  # the spikes, flattened above
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, str):
                secrets.add(value)
                continue
            forms = {
                repr(value),
                str(value),
                f"{value:g}",
                f"{value:.1f}",
                f"{value:.2f}",
                f"{value:.3f}",
                f"{value:.6f}",
            }
            if float(value).is_integer():
                forms.add(str(int(value)))
            for form in forms:
                for spelled in (form, form.lstrip("-")):
                    if len(spelled.replace(".", "").replace("0", "")) >= 2:  # '0.0' or '1' would match anything
                        secrets.add(spelled)
    return secrets


def find_secrets(text: str, secrets: set[str]) -> list[str]:
    """Secrets standing as numbers in text (not inside a longer number, a hash or a word)."""
    text = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", text)  # file hashes are digests, not numbers
    found = []
    for secret in secrets:
        pattern = rf"(?<![0-9A-Za-z.]){re.escape(secret)}(?![0-9])" if secret[-1].isdigit() else re.escape(secret)
        if re.search(pattern, text):
            found.append(secret)
    return found


def mp4_metadata(path: Path) -> str:
    """Printable runs of every MP4 box except the coded frames (mdat)."""
    data = path.read_bytes()
    kept, pos = b"", 0
    while pos + 8 <= len(data):
        size, kind = int.from_bytes(data[pos : pos + 4], "big"), data[pos + 4 : pos + 8]
        if size == 1:
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        size = size or len(data) - pos
        if kind != b"mdat":
            kept += data[pos : pos + size]
        pos += size
    return " ".join(run.decode() for run in re.findall(rb"[ -~]{4,}", kept))


def readable_parts(folder: Path) -> dict[str, str]:
    """What a student could read in a folder: file names, text files, image and video metadata."""
    parts: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        parts[f"name of {rel}"] = rel
        if path.suffix in (".json", ".csv", ".txt", ".html", ".md", ".vtt"):
            parts[rel] = path.read_text(encoding="utf-8")
            if path.suffix == ".html":  # the style sheet's sizes (1.2rem) are not numbers anyone reads
                parts[rel] = re.sub(r"<style>.*?</style>", "", parts[rel], flags=re.S)
        elif path.suffix in (".png", ".gif"):
            with Image.open(path) as im:
                texts = [str(v) for v in im.info.values() if isinstance(v, (str, bytes))]
                texts += [f"{k}={v}" for k, v in getattr(im, "text", {}).items()]
            parts[f"metadata of {rel}"] = " ".join(texts)
        elif path.suffix == ".mp4":
            parts[f"metadata of {rel}"] = mp4_metadata(path)
    return parts


def leaks(folder: Path, secrets: set[str]) -> dict[str, list[str]]:
    return {where: hit for where, text in readable_parts(folder).items() if (hit := find_secrets(text, secrets))}


# --- tests ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quiz_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("quiz")
    write(work / "configs" / "quiz.yaml", QUIZ)
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", cwd=work)
    assert proc.returncode == 0, proc.stderr
    return work, proc


def test_student_set_renders_key_and_handouts(quiz_run):
    work, proc = quiz_run
    out = work / "out"
    assert "4 rendered, 0 up to date, 0 failed" in proc.stdout
    assert "✓ quiz: answer key → out/quiz/teacher/" in proc.stdout
    key = assert_key_matches_renders(out, "quiz", 4)
    assert (key["set"], key["mode"], key["seed"], key["student"]) == ("quiz", "random", 99, True)
    assert key["fields"] == [
        "waveform.components[hyperpolarization].peak_mv",
        "waveform.components[hyperpolarization].width_ms",
        "waveform.resting_mv",
    ]
    handouts = out / "quiz" / "handouts"
    names = sorted(p.name for p in handouts.iterdir())
    expected = sorted(f"quiz-v0{i}.{ext}" for i in range(1, 5) for ext in ("gif", "mp4", "png", "vtt"))
    assert names == sorted([*expected, "index.html", "manifest.json"])  # no trace.csv: it gives the answers away
    manifest = json.loads((handouts / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) == {"set", "variants", "files"} and manifest["variants"] == ["v01", "v02", "v03", "v04"]
    for record in manifest["files"]:
        assert set(record) == {"path", "variant", "format", "sha256"}
        if record["format"] == "vtt":  # the handout's own captions, which name no phase
            continue
        teacher_copy = out / f"quiz-{record['variant']}" / record["path"]
        assert (handouts / record["path"]).read_bytes() == teacher_copy.read_bytes()
    for i in range(1, 5):  # the figure's title is only the set name and the variant id
        parameters = json.loads((out / f"quiz-v0{i}" / "manifest.json").read_text(encoding="utf-8"))["parameters"]
        assert parameters["title"] == f"quiz · v0{i}"


def test_handouts_reveal_no_value_or_measurement(quiz_run):
    work, _ = quiz_run
    out = work / "out"
    key, _ = read_key(out, "quiz")
    secrets = secret_strings(key)
    assert leaks(out / "quiz" / "handouts", secrets) == {}
    # The check can fail: the teacher's folder and the full renders do show the answers.
    assert leaks(out / "quiz" / "teacher", secrets)
    assert leaks(out / "quiz-v01", secrets)


def test_rerun_skips_and_rewrites_identical_keys(quiz_run):
    work, _ = quiz_run
    out = work / "out"
    before = {p: p.read_bytes() for p in (out / "quiz").rglob("*") if p.is_file()}
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "0 rendered, 4 up to date, 0 failed" in proc.stdout
    after = {p: p.read_bytes() for p in (out / "quiz").rglob("*") if p.is_file()}
    assert after == before


def test_parallel_run_gives_identical_keys_and_handouts(quiz_run):
    work, _ = quiz_run
    proc = run_entry_point("run", "configs", "--jobs", "2", "--out", "out2", cwd=work)
    assert proc.returncode == 0, proc.stderr
    for sub in ("teacher/answer_key.csv", "teacher/answer_key.json", "handouts/manifest.json", "handouts/quiz-v03.gif"):
        assert (work / "out2" / "quiz" / sub).read_bytes() == (work / "out" / "quiz" / sub).read_bytes(), sub


def test_count_change_keeps_the_first_variants_and_drops_stale_handouts(tmp_path):
    write(tmp_path / "configs" / "quiz.yaml", QUIZ.replace("count: 4", "count: 3"))
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", "--format", "png,csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    three, _ = read_key(tmp_path / "out", "quiz")
    write(tmp_path / "configs" / "quiz.yaml", QUIZ.replace("count: 4", "count: 2"))
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", "--format", "png,csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "0 rendered, 2 up to date" in proc.stdout
    two, _ = read_key(tmp_path / "out", "quiz")
    assert two["variants"] == three["variants"][:2]
    assert sorted(p.name for p in (tmp_path / "out" / "quiz" / "handouts").iterdir()) == [
        "index.html",
        "manifest.json",
        "quiz-v01.png",
        "quiz-v02.png",
    ]
    # No longer a student set: the handouts it wrote go (a teacher's own files there would stay).
    (tmp_path / "out" / "quiz" / "handouts" / "notes.txt").write_text("mine", encoding="utf-8")
    write(
        tmp_path / "configs" / "quiz.yaml",
        QUIZ.replace("count: 4", "count: 2").replace("student: true", "student: false"),
    )
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", "--format", "png,csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (tmp_path / "out" / "quiz" / "handouts").iterdir()] == ["notes.txt"]
    assert read_key(tmp_path / "out", "quiz")[0]["student"] is False


def test_failed_variant_means_no_answer_key(tmp_path):
    write(tmp_path / "configs" / "quiz.yaml", QUIZ.replace("count: 4", "count: 2"))
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", "--format", "png,csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    key_file = tmp_path / "out" / "quiz" / "teacher" / "answer_key.json"
    assert key_file.exists()
    (tmp_path / "out" / "quiz-v02").mkdir(exist_ok=True)
    blocker = tmp_path / "out" / "quiz-v02" / "quiz-v02.png"
    blocker.unlink()
    blocker.mkdir()  # a folder where the PNG must go: that render fails
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", "--format", "png,csv", cwd=tmp_path)
    assert proc.returncode == 1
    assert "quiz: no answer key, because variants failed: v02" in proc.stderr
    assert not key_file.exists()


def test_overrides_are_recorded_in_the_manifest(tmp_path):
    write(
        tmp_path / "configs" / "one.yaml", "title: One\nwaveform: {samples: 100}\nanimation: {samples_per_frame: 10}\n"
    )
    proc = run_entry_point(
        "run", "configs", "--out", "out", "--format", "png,csv", "--set", "waveform.resting_mv=-65", "--set",
        "plot.line_color=red", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "out" / "one" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["overrides"] == {"waveform.resting_mv": -65, "plot.line_color": "red"}
    assert manifest["parameters"]["waveform"]["resting_mv"] == -65
    assert manifest["measurements"]["resting_mv"] == pytest.approx(-65)
    proc = run_entry_point("run", "configs", "--out", "out", "--set", "animation.fps=500", cwd=tmp_path)
    assert proc.returncode == 1
    assert "configs/one.yaml: --set animation.fps=500: animation.fps: must be at most 120 (got 500)" in proc.stderr
    proc = run_entry_point("run", "configs", "--out", "out", "--set", "animation.fps", cwd=tmp_path)
    assert proc.returncode == 2 and "expected PATH=VALUE" in proc.stderr


def test_shipped_exercises_render_with_true_keys_and_clean_handouts(tmp_path):
    """`apsim-batch run configs/exercises/` as a teacher would, with handouts for both sets."""
    proc = run_entry_point("run", CONFIGS / "exercises", "--out", "out", "--jobs", "2", "--student", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "60 rendered, 0 up to date, 0 failed" in proc.stdout
    for name, size in (("ahp-class", 30), ("spike-grid", 9)):
        key = assert_key_matches_renders(tmp_path / "out", name, size)
        assert leaks(tmp_path / "out" / name / "handouts", secret_strings(key)) == {}
        assert len(list((tmp_path / "out" / name / "handouts").glob("*.mp4"))) == size
    # the clamp's set (its key against its analysis: tests/test_clamp_figures.py), read off its posters
    clamp_key, _ = read_key(tmp_path / "out", "clamp-reversal")
    assert [v["id"] for v in clamp_key["variants"]] == [f"v{i:02d}" for i in range(1, 13)]
    assert leaks(tmp_path / "out" / "clamp-reversal" / "handouts", secret_strings(clamp_key)) == {}
    assert len(list((tmp_path / "out" / "clamp-reversal" / "handouts").glob("*.png"))) == 12
    # the axon's set: nine diameters, its velocity and arrivals in the key, none of them in the handouts
    axon_key, _ = read_key(tmp_path / "out", "axon-velocity")
    assert [v["id"] for v in axon_key["variants"]] == [f"v{i:02d}" for i in range(1, 10)]
    # its answers: the varied diameter, the velocity and the arrivals (not the solver's settings and constants
    # such as the -20 mV detection level, which the page's numbers may equal by chance)
    answers = ("velocity_m_per_s", "site1_arrival_ms", "site2_arrival_ms")
    asked = {**axon_key, "variants": [
        {**v, "measurements": {k: v["measurements"][k] for k in answers}} for v in axon_key["variants"]
    ]}  # fmt: skip
    assert leaks(tmp_path / "out" / "axon-velocity" / "handouts", secret_strings(asked)) == {}
    key, _ = read_key(tmp_path / "out", "spike-grid")
    rows = [tuple(v["values"][field] for field in key["fields"]) for v in key["variants"]]
    assert rows[:4] == [(0.08, 80), (0.08, 100), (0.08, 120), (0.16, 80)]  # the first field varies slowest
    ahp_key = read_key(tmp_path / "out", "ahp-class")[0]
    depths = [v["measurements"]["ahp_depth_mv"] for v in ahp_key["variants"]]
    assert all(4 < d < 26 for d in depths) and len(set(depths)) > 20
    # marking tolerances: the largest of what each variant's figure lets a student read (in its manifest);
    # the AHP is read on the zoom panel's 1 mV grid, the peak on the voltage axes' 5 mV one
    tolerances = ahp_key["tolerances"]
    renders = [tmp_path / "out" / v["name"] / "manifest.json" for v in ahp_key["variants"]]
    readable = [json.loads(path.read_text(encoding="utf-8"))["tolerances"] for path in renders]
    for column in ("resting_mv", "peak_mv", "ahp_depth_mv", "recovery_time_ms", "half_width_ms"):
        assert tolerances[column] == max(r[column] for r in readable)
    assert 1.0 < tolerances["ahp_depth_mv"] < 2.0 < 2.5 < tolerances["peak_mv"] < 5.0
    assert tolerances["spike_count"] == 0 and tolerances["firing_rate_hz"] is None
    # student handouts keep the exercise title with the variant id
    parameters = json.loads((tmp_path / "out" / "ahp-class-v07" / "manifest.json").read_text(encoding="utf-8"))
    assert parameters["parameters"]["title"] == "Action potential exercise · ahp-class · v07"
    assert parameters["parameters"]["plot"]["tip_marker"] is False
