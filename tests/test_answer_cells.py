"""Answer keys are data: a CSV text cell never runs as a formula, and a set missing a variant writes no key."""

from __future__ import annotations

import csv
import io
import json
import math

from hypothesis import example, given
from hypothesis import strategies as st

from apsim_batch.output.answers import FORMULA_STARTS, _cell, answer_csv, text_cell

from .conftest import run_entry_point, write

# Configs refuse control characters, so a tab or CR reaches a key only from a library caller's dict.
PAYLOADS = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3", "\tTab", "plain"]


@given(st.text(max_size=30))
@example("=1+1")
@example("\rCR")
@example("")
def test_a_text_cell_never_starts_with_a_formula_character_and_keeps_its_text(text):
    cell = text_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell == text or cell == "'" + text  # nothing lost, only a quote in front


@given(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_numbers_stay_numbers(value):
    cell = _cell(value)
    assert float(cell) == value or (math.isclose(float(cell), value))


def _key(values: list[str]) -> dict:
    rows = [
        {"id": f"v{i:02d}", "name": f"s-v{i:02d}", "values": {"plot.x_label": v}, "measurements": {"resting_mv": -70.0}}
        for i, v in enumerate(values, 1)
    ]
    return {"fields": ["plot.x_label"], "tolerances": {"resting_mv": 1.0}, "variants": rows}


def test_the_answer_csv_neutralises_every_payload_and_keeps_negative_numbers():
    text = answer_csv(_key(PAYLOADS))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    labels = [row[2] for row in rows[2:]]
    assert labels == [text_cell(p) for p in PAYLOADS]
    assert all(not cell.startswith(FORMULA_STARTS) for row in rows for cell in row if not _is_number(cell))
    assert [row[3] for row in rows[2:]] == ["-70.0"] * len(PAYLOADS)  # a number, sign and all


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


SET = """\
name: s
waveform: {{samples: 60}}
animation: {{samples_per_frame: 10}}
outputs: [png, csv]
variants:
  mode: grid
  fields:
    plot.x_label: {labels}
"""


def test_a_rendered_key_writes_formula_text_as_data(tmp_path):
    write(tmp_path / "configs" / "s.yaml", SET.format(labels=json.dumps(PAYLOADS[:3])))
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "out" / "s" / "teacher" / "answer_key.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert [row[2] for row in rows[2:]] == ["'" + p for p in PAYLOADS[:3]]
    key = json.loads((tmp_path / "out" / "s" / "teacher" / "answer_key.json").read_text(encoding="utf-8"))
    assert [v["values"]["plot.x_label"] for v in key["variants"]] == PAYLOADS[:3]  # the JSON keeps the text


def test_a_set_whose_variant_clashes_by_name_writes_no_key(tmp_path):
    """v02 clashes with another config's name: it is refused, so the set is incomplete and has no key."""
    write(tmp_path / "configs" / "s.yaml", SET.format(labels='["a", "b", "c"]'))
    write(tmp_path / "configs" / "other.yaml", "name: s-v02\nwaveform: {samples: 60}\noutputs: [png]\n")
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 1
    assert "s: no answer key, because variants failed: v02" in proc.stderr
    assert not (tmp_path / "out" / "s" / "teacher" / "answer_key.json").exists()
    assert not (tmp_path / "out" / "s" / "teacher" / "answer_key.csv").exists()
