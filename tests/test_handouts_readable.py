"""Measurable handouts: what an exercise asks, tolerances a figure supports, keys that tell variants apart, calipers.

The recovery time is checked against a closed form; tolerances against their rule; each shipped set
against the contrast it teaches; the teacher's calipers against the key, and the handouts against them.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from apsim_batch.config.load import load_config
from apsim_batch.config.models import MEASURED_NAMES, Config
from apsim_batch.config.variants import load_renders
from apsim_batch.figure.calipers import CALIPER_GID, calipers_poster, draw_calipers
from apsim_batch.figure.canvas import new_figure
from apsim_batch.figure.layout import build, draw_parts, panel_geometry
from apsim_batch.figure.readings import Readable, Scale, tolerances, tolerances_of
from apsim_batch.output.answers import KEY_COLUMNS
from apsim_batch.trace.features import RECOVERY_MV
from apsim_batch.trace.models import analyze

from .conftest import CONFIGS, write


def gaussian(rest: float, depth: float, sigma: float, center: float = 5.0, samples: int = 2000) -> Config:
    """A spike at 2 ms and an AHP of `depth` mV below rest, Gaussian of `sigma` ms at `center`, unsmoothed."""
    return Config.model_validate(
        {
            "waveform": {
                "resting_mv": rest,
                "duration_ms": 12,
                "samples": samples,
                "smoothing": "none",
                "components": [
                    {"label": "depolarization", "center_ms": 2, "width_ms": 0.1, "amplitude_mv": 100},
                    {"label": "hyperpolarization", "center_ms": center, "width_ms": sigma, "amplitude_mv": -depth},
                ],
            }
        }
    )


# --- the recovery time ---------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    rest=st.floats(-80, -55),
    depth=st.floats(1.5, 30),
    sigma=st.floats(0.2, 0.9),
)
def test_recovery_time_is_where_a_gaussian_ahp_is_back_within_1_mv(rest, depth, sigma):
    """Independently: d·exp(-(t - c)²/2σ²) = 1 mV after the trough at c gives t = c + σ·sqrt(2 ln d)."""
    measured = analyze(gaussian(rest, depth, sigma)).measurements.as_dict()
    expected = 5.0 + sigma * math.sqrt(2 * math.log(depth / RECOVERY_MV))
    dt = 12 / 1999
    assert measured["recovery_time_ms"] == pytest.approx(expected, abs=dt)
    assert measured["recovery_time_ms"] > measured["ahp_time_ms"]


def test_no_recovery_time_without_an_ahp_deeper_than_1_mv_or_before_the_end():
    assert analyze(gaussian(-70, 0.8, 0.4)).measurements.as_dict()["recovery_time_ms"] is None
    late = analyze(gaussian(-70, 20, 0.9, center=11.0)).measurements.as_dict()  # still below at 12 ms
    assert late["recovery_time_ms"] is None


def test_the_askable_names_are_the_key_columns():
    assert MEASURED_NAMES == KEY_COLUMNS


def test_an_unknown_asked_measurement_is_a_located_error(cli, tmp_path):
    path = write(
        tmp_path / "s.yaml",
        "variants:\n  mode: grid\n  ask: [peak_mv, recovery_ms]\n  fields:\n    waveform.resting_mv: [-70, -65]\n",
    )
    code, _, err = cli("validate", path)
    assert code == 1
    assert f"{path}:3: variants.ask[1]: must be one of 'resting_mv'" in err and "(got 'recovery_ms')" in err
    assert "Traceback" not in err


# --- tolerances ----------------------------------------------------------------------------------


def test_a_reading_is_half_a_minor_step_plus_half_the_line():
    scale = Scale(-100, 50, minor=5.0, px_per_unit=2.0, line_px=3.0)
    assert scale.reading() == 2.5 + 0.75


def test_levels_are_read_on_the_finest_axes_that_show_them_and_differences_add_both_readings():
    time = Scale(0, 10, 0.2, 50.0, 2.0)  # 0.1 + 0.02 ms
    zoom = Scale(-97, -67, 1.0, 10.0, 2.0)  # 0.5 + 0.1 mV
    main = Scale(-100, 50, 5.0, 2.0, 2.0)  # 2.5 + 0.5 mV
    t = np.linspace(0, 10, 2001)
    v = -70 + 100 * np.exp(-((t - 2) ** 2) / 0.02) - 15 * np.exp(-((t - 5) ** 2) / 0.5)
    m = {k: v for k, v in analyze_trace(t, v).items() if not isinstance(v, dict | list)}
    tol = tolerances_of(Readable(time, (zoom, main)), t, v, m)
    assert tol["resting_mv"] == pytest.approx(0.6) and tol["ahp_min_mv"] == pytest.approx(0.6)
    assert tol["peak_mv"] == pytest.approx(3.0)  # above the zoom's window: read on the voltage axes
    assert tol["amplitude_mv"] == pytest.approx(3.6) and tol["ahp_depth_mv"] == pytest.approx(1.2)
    assert tol["spike_count"] == 0 and tol["firing_rate_hz"] is None
    slope = abs(np.interp(m["recovery_time_ms"], t, np.gradient(v, t)))
    assert tol["recovery_time_ms"] == pytest.approx(0.12 + 1.2 / slope, abs=1e-4)
    # each end of the half-width: a time reading plus the half level's uncertainty over the slope there
    assert 2 * 0.12 < tol["half_width_ms"] < 2 * 0.12 + 0.05


def analyze_trace(t: np.ndarray, v: np.ndarray) -> dict:
    from apsim_batch.trace.measure import measure
    from apsim_batch.trace.waveform import Trace

    return measure(Trace(t, v)).as_dict()


def set_tolerances(path: Path) -> tuple[list, dict[str, float]]:
    """Each variant's measurements and the set's tolerances (the largest of its variants'), as a run derives them."""
    rows, found = [], {}
    for loaded in load_renders(path):
        analysis = analyze(loaded.config)
        fig, _ = new_figure(loaded.config)
        parts = build(fig, loaded.config, analysis, decorated=True)
        for column, value in tolerances(loaded.config, analysis, parts.grid, panel_geometry(parts)).items():
            if value is not None:
                found[column] = max(found.get(column, 0), value)
        rows.append((loaded, analysis.measurements.as_dict()))
    return rows, found


# What each shipped set contrasts: the asked quantity, the varied field behind it, and how many of the
# field's steps apart two variants must be for their answers never to be marked right for each other.
CONTRASTS = [
    ("ahp_class.yaml", "ahp_depth_mv", "waveform.components[hyperpolarization].peak_mv", 1.0, 2),
    ("spike_grid.yaml", "half_width_ms", "waveform.components[depolarization].width_ms", None, 1),
    ("spike_grid.yaml", "amplitude_mv", "waveform.components[depolarization].amplitude_mv", None, 1),
]


@pytest.mark.slow
@pytest.mark.parametrize(("config", "column", "field", "step", "steps"), CONTRASTS)
def test_a_shipped_sets_key_tells_apart_the_variants_it_contrasts(config, column, field, step, steps):
    """No variant's accepted interval holds another's value when their varied field differs by `steps` steps
    (a list: by any value). The tolerance is what the figure lets a student read, so this is a figure test."""
    rows, tol = set_tolerances(CONFIGS / "exercises" / config)
    assert column in tol
    for a, ma in rows:
        for b, mb in rows:
            apart = a.variant.values[field] != b.variant.values[field]
            if step is not None:
                apart = abs(a.variant.values[field] - b.variant.values[field]) >= steps * step - 1e-9
            if apart:
                assert abs(ma[column] - mb[column]) > tol[column], (a.variant.id, b.variant.id, tol[column])


@pytest.mark.slow
@pytest.mark.parametrize("config", ["ahp_class.yaml", "spike_grid.yaml"])
def test_every_asked_quantity_is_measured_and_readable_in_every_variant(config):
    path = CONFIGS / "exercises" / config
    asked = load_config(path).config.variants.ask
    assert asked, "a shipped set says what it asks"
    rows, tol = set_tolerances(path)
    for column in asked:
        assert all(m[column] is not None for _, m in rows), column
        assert tol[column] is not None and tol[column] > 0


# --- a rendered set: the key, the teacher's calipers, the handouts -------------------------------

SET = """\
name: cal
title: Calipers check
waveform:
  duration_ms: 10
  samples: 200
  components:
    - {label: depolarization, center_ms: 2.5, width_ms: 0.12, amplitude_mv: 108}
    - {label: hyperpolarization, center_ms: 4.5, width_ms: 0.4, peak_mv: -85}
plot: {height_px: 800, panels: [rest_zoom]}
animation: {fps: 20, samples_per_frame: 50}
outputs: [gif, png, csv]
variants:
  mode: zip
  student: true
  ask: [resting_mv, ahp_depth_mv, recovery_time_ms]
  exercise: Measure the AHP.
  fields:
    waveform.components[hyperpolarization].peak_mv: [-80, -90]
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from apsim_batch.batch.run import run_batch

    root = tmp_path_factory.mktemp("cal")
    config = write(root / "cal.yaml", SET)
    out = root / "out"
    run_batch([config], out, jobs=1)
    return config, out


def test_the_key_records_what_the_set_asks_with_a_column_and_a_tolerance_each(rendered):
    _, out = rendered
    key = json.loads((out / "cal" / "teacher" / "answer_key.json").read_text(encoding="utf-8"))
    assert key["ask"] == ["resting_mv", "ahp_depth_mv", "recovery_time_ms"]
    header, tolerance_row = (out / "cal" / "teacher" / "answer_key.csv").read_text(encoding="utf-8").splitlines()[:2]
    columns = header.split(",")
    for column in key["ask"]:
        assert column in columns and key["tolerances"][column] > 0
        assert tolerance_row.split(",")[columns.index(column)] == repr(key["tolerances"][column])
    render = json.loads((out / "cal-v01" / "manifest.json").read_text(encoding="utf-8"))
    assert key["tolerances"]["ahp_depth_mv"] >= render["tolerances"]["ahp_depth_mv"]
    page = (out / "cal" / "handouts" / "index.html").read_text(encoding="utf-8")
    assert "Depth of the after-hyperpolarization below rest (mV)" in page and "ahp_depth_mv" not in page


def test_teacher_posters_have_calipers_and_handouts_never_do(rendered):
    config, out = rendered
    key = json.loads((out / "cal" / "teacher" / "answer_key.json").read_text(encoding="utf-8"))
    posters = [r for r in key["files"] if r.get("format") == "calipers"]
    assert [r["path"] for r in posters] == ["cal/teacher/cal-v01-calipers.png", "cal/teacher/cal-v02-calipers.png"]
    for loaded in load_renders(config):
        handout = np.asarray(Image.open(out / "cal" / "handouts" / f"{loaded.name}.png").convert("RGB"))
        render = np.asarray(Image.open(out / loaded.name / f"{loaded.name}.png").convert("RGB"))
        poster = np.asarray(Image.open(out / "cal" / "teacher" / f"{loaded.name}-calipers.png").convert("RGB"))
        assert np.array_equal(handout, render)  # the handout is the render, drawn without calipers
        parts, drawn, _ = draw_parts(loaded.config, analyze(loaded.config))
        assert np.array_equal(drawn, render)  # and the render is the figure, not a figure with calipers hidden
        assert not [a for a in parts.fig.findobj() if a.get_gid() == CALIPER_GID]
        changed = np.any(poster != render, axis=2)
        assert changed.sum() > 2000  # brackets, bars and their values
        # the handout GIF (a palette picture, so not byte-equal) ends on the figure, not on the poster
        last = np.asarray(list(_frames(out / "cal" / "handouts" / f"{loaded.name}.gif"))[-1].convert("RGB"))
        off_render = np.abs(last.astype(int) - render)[changed].mean()
        off_poster = np.abs(last.astype(int) - poster)[changed].mean()
        assert off_render < off_poster / 4, (off_render, off_poster)
    listed = " ".join(p.name for p in (out / "cal" / "handouts").iterdir())
    assert "calipers" not in listed


def _frames(path: Path):
    with Image.open(path) as gif:
        for index in range(gif.n_frames):
            gif.seek(index)
            yield gif.copy()


def test_calipers_show_the_keys_values(rendered):
    config, out = rendered
    key = json.loads((out / "cal" / "teacher" / "answer_key.json").read_text(encoding="utf-8"))
    for loaded, row in zip(load_renders(config), key["variants"], strict=True):
        m = row["measurements"]
        parts, _, _ = draw_parts(loaded.config, analyze(loaded.config))
        trace = analyze(loaded.config).trace
        drawn = draw_calipers(parts.voltage, trace.time_ms, trace.voltage_mv, m, 10)
        texts = " | ".join(a.get_text() for a in drawn if hasattr(a, "get_text") and a.get_text())
        for column, digits in (("resting_mv", 1), ("peak_mv", 1), ("amplitude_mv", 1), ("half_width_ms", 2)):
            assert f"{m[column]:.{digits}f}" in texts, (column, texts)
        assert f"AHP depth {m['ahp_depth_mv']:.1f} mV" in texts
        assert f"at {m['recovery_time_ms']:.2f} ms" in texts
        numbers = [float(x) for x in re.findall(r"-?\d+\.\d+", texts)]
        shown = {round(v, 2) for v in m.values() if isinstance(v, float)} | {
            round(v, 1) for v in m.values() if isinstance(v, float)
        }
        assert all(n in shown for n in numbers), numbers  # every value drawn is a value of the key


def test_the_teacher_zip_has_the_posters_and_the_student_zip_does_not(rendered):
    from apsim_batch.output.pack import pack_set

    _, out = rendered
    packed = pack_set(out, "cal")
    with zipfile.ZipFile(packed.teacher_zip) as teacher, zipfile.ZipFile(packed.student_zip) as student:
        assert any(n.endswith("cal-v02-calipers.png") for n in teacher.namelist())
        assert not any("calipers" in n for n in student.namelist())
    gallery = (out / "index-teacher.html").read_text(encoding="utf-8")
    assert "cal/teacher/cal-v01-calipers.png" in gallery
    assert "calipers.png" not in (out / "index.html").read_text(encoding="utf-8")


def test_a_second_run_keeps_the_posters(rendered):
    from apsim_batch.batch.run import run_batch

    config, out = rendered
    poster = out / "cal" / "teacher" / "cal-v01-calipers.png"
    before = poster.stat().st_mtime_ns
    run_batch([config], out, jobs=1)
    assert poster.stat().st_mtime_ns == before


def test_the_poster_function_draws_only_asked_extras():
    config = load_renders(CONFIGS / "exercises" / "spike_grid.yaml")[0].config
    analysis = analyze(config)
    plain = calipers_poster(config, analysis)
    asked = calipers_poster(config, analysis, ["recovery_time_ms"])
    assert not np.array_equal(plain, asked)  # the recovery bar appears only when the set asks for it
