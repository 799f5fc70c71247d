"""The export formats on seeded random sets: every grading field reads back as the key's value and tolerance."""

from __future__ import annotations

import io
import random
import re
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pytest
from PIL import Image

from apsim_batch.errors import ExportError
from apsim_batch.output.export.moodle import moodle_files
from apsim_batch.output.export.qti import qti_files
from apsim_batch.output.export.reader import ExportSet, Quantity, Variant
from apsim_batch.output.export.worksheet import worksheet_files
from apsim_batch.output.quantities import LABELS, label_of, unit_of

from .test_export import CLOZE_NUMERICAL, QTI

SEEDS = range(12)


def tiny_png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def random_set(seed: int, exercise: tuple[str, ...] = ("Measure {1:NUMERICAL:=5:1} your trace & <b>note</b>.",)):
    """A set of 1-5 variants asking 1-6 random columns; values of any sign and size, counts as ints."""
    rng = random.Random(seed)
    columns = rng.sample(sorted(LABELS), rng.randint(1, 6))
    quantities = tuple(
        Quantity(c, label_of(c), unit_of(c), 0.0 if c.endswith("_count") else rng.choice([5.0, 0.2, 0.05, 2.5]))
        for c in columns
    )
    variants = []
    for index in range(rng.randint(1, 5)):
        answers = tuple(
            rng.randint(0, 9) if c.endswith("_count") else rng.choice([-1, 1]) * rng.uniform(1e-4, 1e4) for c in columns
        )
        variants.append(Variant(f"v{index + 1:02d}", f"s{seed}-v{index + 1:02d}.png", tiny_png(seed + index), answers))
    return ExportSet(f"s{seed}", exercise, quantities, tuple(variants))


@pytest.mark.parametrize("seed", SEEDS)
def test_every_moodle_blank_is_the_key(seed):
    exported = random_set(seed)
    ((name, data),) = moodle_files(exported)
    questions = ET.fromstring(data).findall("question")[1:]
    assert name == f"s{seed}-moodle.xml" and len(questions) == len(exported.variants)
    for question, variant in zip(questions, exported.variants, strict=True):
        text = question.findtext("questiontext/text")
        blanks = CLOZE_NUMERICAL.findall(text)
        assert text.count("{") == len(blanks)  # the teacher's braces are escaped: no extra blank
        assert "&amp;" in text and "&lt;b&gt;" in text  # the exercise is text, not markup
        got = [(float(value), float(tolerance)) for _, value, tolerance in blanks]
        assert got == [(a, q.tolerance) for a, q in zip(variant.answers, exported.quantities, strict=True)]


def test_numbers_in_any_notation_are_moodle_numbers():
    """repr() writes 1e-05 and 1.5e+16; Moodle's parser reads both (and never a '+' before the number)."""
    exported = random_set(1)
    values = (1e-05, 1.5e16, -0.0, 7, -123.456)
    quantity = Quantity("peak_mv", "Peak", "mV", 2.5e-07)
    variants = tuple(Variant(f"v{i}", f"v{i}.png", b"", (v,)) for i, v in enumerate(values))
    ((_, data),) = moodle_files(ExportSet(exported.name, (), (quantity,), variants))
    blanks = CLOZE_NUMERICAL.findall(data.decode("utf-8"))
    assert [(float(v), float(t)) for _, v, t in blanks] == [(v, 2.5e-07) for v in values]


@pytest.mark.parametrize("seed", SEEDS)
def test_every_qti_condition_is_the_key(seed):
    exported = random_set(seed)
    ((name, data),) = qti_files(exported)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = package.namelist()
        (xml_name,) = [
            n
            for n in names
            if n.endswith(".xml") and n.split("/")[-1] not in ("imsmanifest.xml", "assessment_meta.xml")
        ]
        assessment = ET.fromstring(package.read(xml_name))
        for variant in exported.variants:
            assert package.read(f"images/{variant.figure_name}") == variant.figure_png
    groups = assessment.findall(f"{QTI}assessment/{QTI}section/{QTI}section")
    assert [g.get("title") for g in groups] == [q.label for q in exported.quantities]
    for group, quantity in zip(groups, exported.quantities, strict=True):
        for item, variant in zip(group.findall(f"{QTI}item"), exported.variants, strict=True):
            value = variant.answers[exported.quantities.index(quantity)]
            condition = item.find(f"{QTI}resprocessing/{QTI}respcondition/{QTI}conditionvar/{QTI}or")
            assert float(condition.findtext(f"{QTI}varequal")) == value
            low, high = (float(condition.findtext(f"{QTI}and/{QTI}{k}")) for k in ("vargte", "varlte"))
            assert low == value - quantity.tolerance and high == value + quantity.tolerance
    kinds = ("assessment", "section", "item")  # response idents are local to an item, as in Canvas's own exports
    idents = [e.get("ident") for e in assessment.iter() if e.tag.removeprefix(QTI) in kinds]
    assert len(idents) == len(set(idents)) == 2 + len(groups) * (1 + len(exported.variants))


def with_quantities(exported: ExportSet, columns: list[str]) -> ExportSet:
    quantities = tuple(Quantity(c, label_of(c), unit_of(c), 1.0) for c in columns)
    variants = tuple(Variant(v.id, v.figure_name, v.figure_png, (1.0,) * len(columns)) for v in exported.variants)
    return ExportSet(exported.name, exported.exercise, quantities, variants)


def test_a_worksheet_that_cannot_fit_says_so():
    """The longest exercise (4000 characters) prints beside a few boxes; with every box it cannot, and says so."""
    long_exercise = (" ".join(["Measure the trace carefully and write each value in its box."] * 64),)
    exported = random_set(3, long_exercise)
    with pytest.raises(ExportError, match=r"^s3: the exercise text and 14 answer boxes leave less than 100 mm"):
        worksheet_files(with_quantities(exported, sorted(LABELS)))
    (_, student), (_, key) = worksheet_files(with_quantities(exported, ["peak_mv", "half_width_ms"]))
    assert student.startswith(b"%PDF") and key.startswith(b"%PDF")


def test_worksheet_text_is_printed_as_written():
    """A teacher's "$" or "_" is text, not mathtext (which would fail or change the words)."""
    pypdf = pytest.importorskip("pypdf")
    exported = random_set(5, ("Costs $5 and $6_x^2 {1:NUMERICAL:=5:1} & <b>",))
    (_, student), _ = worksheet_files(exported)
    text = pypdf.PdfReader(io.BytesIO(student)).pages[0].extract_text()
    assert "Costs $5 and $6_x^2 {1:NUMERICAL:=5:1} & <b>" in text


def test_labels_never_spell_a_key_column():
    for column in LABELS:
        assert column not in label_of(column) and "_" not in label_of(column)
    assert label_of("rise_time_ms") == "Rise time" and unit_of("rise_time_ms") == "ms"
    assert re.fullmatch(r"[A-Z][a-z' -]+", label_of("ahp_depth_mv"))
