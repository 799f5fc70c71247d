"""`apsim-batch export`: Moodle XML, Canvas QTI and PDF worksheets that match the key and give no answer away."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .conftest import run_entry_point, write
from .test_pack import LECTURE, QUIZ, answer_names
from .test_variants_render import find_secrets, read_key, secret_strings

pytestmark = pytest.mark.slow

pypdf = pytest.importorskip("pypdf")

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
CANVAS = "{http://canvas.instructure.com/xsd/cccv1p0}"
UNITS = {"mv": "mV", "ms": "ms", "hz": "Hz", "count": ""}
# Moodle's Cloze NUMERICAL blank, {weight:NUMERICAL:=answer:tolerance}, with the number pattern of Moodle's own
# parser (NUMBER_REGEX in question/type/multianswer/questiontype.php): no "+", no inf or nan
MOODLE_NUMBER = r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?"
CLOZE_NUMERICAL = re.compile(rf"\{{([0-9]*):(?:NUMERICAL|NM):=({MOODLE_NUMBER}):({MOODLE_NUMBER})\}}")


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A rendered student set (quiz: 3 variants) exported to each target with the real entry point."""
    work = tmp_path_factory.mktemp("export")
    write(work / "configs" / "quiz.yaml", QUIZ)
    write(work / "configs" / "lecture.yaml", LECTURE)
    proc = run_entry_point("run", "configs", "--jobs", "1", "--out", "out", cwd=work)
    assert proc.returncode == 0, proc.stderr
    for target in ("moodle", "qti", "pdf"):
        proc = run_entry_point("export", "quiz", "--to", target, "--out", "out", cwd=work)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[-1].startswith("3 variants of quiz; asked: resting_mv, spike_count, peak_mv")
    return work


def key_columns(key: dict) -> list[str]:
    """The columns asked by default (the set names none): a marking tolerance and a value in every variant,
    leaving out the measurements asked only by name."""
    from apsim_batch.output.answers import KEY_COLUMNS
    from apsim_batch.output.quantities import NAMED_ONLY

    limits = key["tolerances"]
    return [
        c
        for c in KEY_COLUMNS
        if limits.get(c) is not None
        and all(v["measurements"].get(c) is not None for v in key["variants"])
        and c not in NAMED_ONLY
    ]


def unit_of(column: str) -> str:
    return UNITS[column.rsplit("_", 1)[1]]


def handout_png(work: Path, vid: str) -> bytes:
    return (work / "out" / "quiz" / "handouts" / f"quiz-{vid}.png").read_bytes()


def png_metadata(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as im:
        return " ".join(str(v) for v in im.info.values() if isinstance(v, str | bytes))


def leaks(text: str, key: dict) -> list[str]:
    return sorted(find_secrets(text, secret_strings(key)) + [n for n in answer_names(key) if n in text])


# --- Moodle -------------------------------------------------------------------------------------


def test_moodle_questions_match_the_key(exported):
    key, _ = read_key(exported / "out", "quiz")
    columns = key_columns(key)
    assert "resting_mv" in columns and "peak_mv" in columns and "firing_rate_hz" not in columns
    quiz = ET.parse(exported / "out" / "quiz" / "quiz-moodle.xml").getroot()
    assert quiz.tag == "quiz"
    category, *questions = quiz.findall("question")
    assert category.get("type") == "category" and category.findtext("category/text") == "$course$/top/quiz"
    assert [q.get("type") for q in questions] == ["cloze"] * len(key["variants"])
    for question, variant in zip(questions, key["variants"], strict=True):
        vid = variant["id"]
        assert question.findtext("name/text") == f"quiz {vid}"
        text_node = question.find("questiontext")
        assert text_node.get("format") == "html"
        text = text_node.findtext("text")
        assert "Each of you has one trace. Measure it from the figure and write your numbers in mV." in text
        blanks = CLOZE_NUMERICAL.findall(text)
        assert len(blanks) == len(columns) and text.count("{") == len(columns)  # nothing else reads as a blank
        for (weight, value, tolerance), column in zip(blanks, columns, strict=True):
            assert weight == "1"
            assert float(value) == variant["measurements"][column]
            assert float(tolerance) == key["tolerances"][column]
        for column, line in zip(columns, re.findall(r"<p>[^<]*\{1:NUMERICAL[^}]*\}[^<]*</p>", text), strict=True):
            assert line.endswith(f"}} {unit_of(column)}</p>" if unit_of(column) else "}</p>")
        name = f"quiz-{vid}.png"
        assert f'<img src="@@PLUGINFILE@@/{name}"' in text
        (picture,) = text_node.findall("file")
        assert picture.attrib == {"name": name, "path": "/", "encoding": "base64"}
        assert base64.b64decode(picture.text) == handout_png(exported, vid)


def test_moodle_students_see_no_answer(exported):
    """Everything in the XML but the blanks' answers is shown to students: no key value or key name in it."""
    key, _ = read_key(exported / "out", "quiz")
    xml_text = (exported / "out" / "quiz" / "quiz-moodle.xml").read_text(encoding="utf-8")
    quiz = ET.fromstring(xml_text)
    images = [png_metadata(base64.b64decode(f.text)) for f in quiz.iter("file")]
    visible = CLOZE_NUMERICAL.sub("{blank}", re.sub(r">[A-Za-z0-9+/=\s]{200,}<", "><", xml_text))
    assert leaks(visible + " ".join(images), key) == []
    assert leaks(xml_text, key)  # the search can fail: the blanks hold the answers


# --- Canvas QTI ---------------------------------------------------------------------------------


def test_qti_package_matches_the_key(exported):
    key, _ = read_key(exported / "out", "quiz")
    columns = key_columns(key)
    with zipfile.ZipFile(exported / "out" / "quiz" / "quiz-qti.zip") as package:
        names = set(package.namelist())
        manifest = ET.fromstring(package.read("imsmanifest.xml"))
        resources = manifest.findall(f"{CP}resources/{CP}resource")
        (quiz,) = [r for r in resources if r.get("type") == "imsqti_xmlv1p2"]
        images = {r.get("href") for r in resources if r.get("type") == "webcontent"}
        assert {f.get("href") for r in resources for f in r.findall(f"{CP}file")} <= names
        assessment = ET.fromstring(package.read(quiz.find(f"{CP}file").get("href")))
        (settings,) = [r for r in resources if r.get("identifier") == quiz.find(f"{CP}dependency").get("identifierref")]
        canvas = ET.fromstring(package.read(settings.get("href")))  # Canvas's quiz settings
        files = {name: package.read(name) for name in images}
    assert images == {f"images/quiz-{v['id']}.png" for v in key["variants"]}
    assert canvas.findtext(f"{CANVAS}show_correct_answers") == "false"  # students compare notes
    assert canvas.findtext(f"{CANVAS}points_possible") == f"{len(columns):.1f}"
    for variant in key["variants"]:
        assert files[f"images/quiz-{variant['id']}.png"] == handout_png(exported, variant["id"])
    groups = assessment.findall(f"{QTI}assessment/{QTI}section/{QTI}section")
    assert len(groups) == len(columns)
    for group, column in zip(groups, columns, strict=True):
        assert group.findtext(f"{QTI}selection_ordering/{QTI}selection/{QTI}selection_number") == "1"
        items = group.findall(f"{QTI}item")
        assert len(items) == len(key["variants"])
        for item, variant in zip(items, key["variants"], strict=True):
            check_item(item, variant, column, key["tolerances"][column])


def check_item(item: ET.Element, variant: dict, column: str, tolerance: float) -> None:
    fields = {
        f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry") for f in item.iter(f"{QTI}qtimetadatafield")
    }
    assert fields["question_type"] == "numerical_question"
    value = variant["measurements"][column]
    condition = item.find(f"{QTI}resprocessing/{QTI}respcondition/{QTI}conditionvar/{QTI}or")
    exact = condition.find(f"{QTI}varequal")
    assert float(exact.text) == value and exact.get("margintype") == "absolute"
    assert float(exact.get("margin")) == tolerance
    assert float(condition.findtext(f"{QTI}and/{QTI}vargte")) == pytest.approx(value - tolerance, abs=1e-9)
    assert float(condition.findtext(f"{QTI}and/{QTI}varlte")) == pytest.approx(value + tolerance, abs=1e-9)
    html = item.findtext(f"{QTI}presentation/{QTI}material/{QTI}mattext")
    assert f'<img src="$IMS-CC-FILEBASE$/images/quiz-{variant["id"]}.png"' in html
    assert html.endswith(f", in {unit_of(column)}:</p>" if unit_of(column) else ":</p>")


def test_qti_students_see_no_answer(exported):
    """Everything in the package but the grading conditions is student-visible (names, text, images)."""
    key, _ = read_key(exported / "out", "quiz")
    grading = re.compile(r"<(varequal|vargte|varlte)\b[^>]*>[^<]*</\1>")
    visible, raw = [], []
    with zipfile.ZipFile(exported / "out" / "quiz" / "quiz-qti.zip") as package:
        for name in package.namelist():
            data = package.read(name)
            visible.append(name)
            if name.endswith(".xml"):
                raw.append(data.decode("utf-8"))
                visible.append(grading.sub("", raw[-1]))
            else:
                visible.append(png_metadata(data))
    assert leaks("\n".join(visible), key) == []
    assert leaks("\n".join(raw), key)  # the search can fail: the conditions hold the answers


# --- PDF worksheets -----------------------------------------------------------------------------


def embedded_fonts(reader) -> list[tuple[str, bool]]:
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described["/FontDescriptor"].get_object()
            found.append((str(font["/BaseFont"]), any(k in descriptor for k in ("/FontFile", "/FontFile2"))))
    return found


def test_worksheets_one_page_per_variant_no_answer_fonts_embedded(exported):
    key, _ = read_key(exported / "out", "quiz")
    students = pypdf.PdfReader(exported / "out" / "quiz" / "quiz-worksheets.pdf")
    assert len(students.pages) == len(key["variants"])
    fonts = embedded_fonts(students)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    metadata = " ".join(str(v) for v in (students.metadata or {}).values())
    for page, variant in zip(students.pages, key["variants"], strict=True):
        text = page.extract_text()
        assert f"quiz · {variant['id']}" in text and "Resting level" in text and "mV" in text
        assert leaks(text + metadata, key) == []
        (drawn,) = re.findall(rb"/(I\d+) Do", page.get_contents().get_data())  # one image on the page
        picture = page.images[f"/{drawn.decode()}"].image.convert("RGB")
        picture = picture.transpose(Image.Transpose.FLIP_TOP_BOTTOM)  # matplotlib stores rows bottom-up
        with Image.open(io.BytesIO(handout_png(exported, variant["id"]))) as handout:
            assert picture.tobytes() == handout.convert("RGB").tobytes()  # the handout's own pixels, not resampled
    teacher = pypdf.PdfReader(exported / "out" / "quiz" / "quiz-key.pdf")
    text = "\n".join(page.extract_text() for page in teacher.pages)
    assert all(embedded for _, embedded in embedded_fonts(teacher))
    for variant in key["variants"]:
        for column in key_columns(key):
            value = variant["measurements"][column]
            assert (str(value) if isinstance(value, int) else f"{value:.3f}") in text
    # then the calipers: each variant's trace with its values drawn where they are read (6 to a page)
    assert len(teacher.pages) == 1 + 1
    calipers = teacher.pages[1].extract_text()
    for variant in key["variants"]:
        measured = variant["measurements"]
        assert f"peak {measured['peak_mv']:.1f} mV" in calipers
        assert f"AHP depth {measured['ahp_depth_mv']:.1f}" in calipers


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_a_worksheet_prints_its_figure_160_mm_wide(exported, tmp_path):
    """Rendered at 100 dpi, the A4 page is 827 px wide and the handout's 640 px span 160 mm (630 px):
    what is dark in the handout spans 630/640 as many columns on the page."""
    pdf = exported / "out" / "quiz" / "quiz-worksheets.pdf"
    subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", pdf, tmp_path / "page"], check=True)
    with Image.open(next(tmp_path.glob("page*.png"))) as page:
        printed = np.asarray(page.convert("L"))
    with Image.open(io.BytesIO(handout_png(exported, "v01"))) as handout:
        drawn = np.asarray(handout.convert("L"))
    assert printed.shape == (1169, 827)

    def dark_span(pixels: np.ndarray) -> int:
        columns = np.flatnonzero((pixels < 100).any(axis=0))
        return int(columns[-1] - columns[0])

    figure_rows = printed[200:620]  # below the exercise text, above the answer boxes (quiz: 2 paragraphs)
    assert dark_span(figure_rows) == pytest.approx(dark_span(drawn) * (160 / 25.4 * 100) / 640, abs=3)


# --- all targets --------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["moodle", "qti", "pdf"])
def test_exports_are_deterministic(exported, target, tmp_path):
    proc = run_entry_point("export", "quiz", "--to", target, "--out", "out", "--dest", tmp_path, cwd=exported)
    assert proc.returncode == 0, proc.stderr
    written = sorted(tmp_path.iterdir())
    assert written
    for path in written:
        assert path.read_bytes() == (exported / "out" / "quiz" / path.name).read_bytes(), path.name


def test_ask_chooses_the_quantities(exported, tmp_path):
    proc = run_entry_point(
        "export", "quiz", "--to", "moodle", "--ask", "ahp_depth_mv", "--ask", "half_width_ms",
        "--out", "out", "--dest", tmp_path, cwd=exported,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    key, _ = read_key(exported / "out", "quiz")
    text = (tmp_path / "quiz-moodle.xml").read_text(encoding="utf-8")
    blanks = CLOZE_NUMERICAL.findall(text)
    asked = ["ahp_depth_mv", "half_width_ms"]
    expected = [(v["measurements"][c], key["tolerances"][c]) for v in key["variants"] for c in asked]
    assert [(float(v), float(t)) for _, v, t in blanks] == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["quiz", "--to", "word"], "--to word: no such export target (allowed: moodle, qti, pdf)"),
        (["nope", "--to", "pdf"], "out: no variant set named 'nope' (sets here: lecture, quiz)"),
        (
            ["lecture", "--to", "moodle"],
            "out/lecture/handouts: lecture has no handouts (set 'student: true' or run with --student, then export)",
        ),
        (["quiz", "--to", "qti", "--ask", "firing_rate_hz"], "--ask firing_rate_hz: not a measured column"),
    ],
)
def test_bad_requests_are_one_line_and_write_nothing(exported, cli, args, message):
    before = sorted(p.relative_to(exported) for p in exported.rglob("*"))
    code, stdout, stderr = cli("export", *args, "--out", "out", cwd=exported)
    assert code == 1 and stdout == ""
    assert stderr.startswith(f"Error: {message}") and stderr.count("\n") == 1, stderr
    assert sorted(p.relative_to(exported) for p in exported.rglob("*")) == before


def test_changed_or_planted_figures_are_refused(exported, tmp_path):
    """The handout folder is untrusted: a changed PNG or a link in its place stops the export."""
    out = tmp_path / "out"
    shutil.copytree(exported / "out", out, symlinks=True)
    figure = out / "quiz" / "handouts" / "quiz-v02.png"
    figure.write_bytes(figure.read_bytes() + b"x")
    proc = run_entry_point("export", "quiz", "--to", "pdf", "--out", out, "--dest", tmp_path / "d", cwd=tmp_path)
    assert proc.returncode == 1 and "quiz-v02.png: does not match its manifest" in proc.stderr
    figure.unlink()
    secret = tmp_path / "elsewhere.png"
    secret.write_bytes(b"not yours")
    figure.symlink_to(secret)
    proc = run_entry_point("export", "quiz", "--to", "moodle", "--out", out, "--dest", tmp_path / "d", cwd=tmp_path)
    assert proc.returncode == 1 and "quiz-v02.png: not a regular file inside the outputs folder" in proc.stderr
    assert not (tmp_path / "d").exists()


def test_a_changed_trace_stops_the_teacher_key(exported, tmp_path):
    """The calipers draw trace.csv, checked against its render manifest; questions do not read it."""
    out = tmp_path / "out"
    shutil.copytree(exported / "out", out, symlinks=True)
    with (out / "quiz-v03" / "trace.csv").open("a", encoding="utf-8") as trace:
        trace.write("99,99\n")
    proc = run_entry_point("export", "quiz", "--to", "pdf", "--out", out, "--dest", tmp_path / "d", cwd=tmp_path)
    assert proc.returncode == 1 and "quiz-v03/trace.csv: does not match its manifest" in proc.stderr
    proc = run_entry_point("export", "quiz", "--to", "moodle", "--out", out, "--dest", tmp_path / "d", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
