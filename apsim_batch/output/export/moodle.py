"""Moodle XML of a variant set: a category, then one Embedded answers (Cloze) question per variant."""

from __future__ import annotations

import base64
import html
import xml.etree.ElementTree as ET

from .reader import ExportSet, Quantity, Variant, figure_alt, number_text

PENALTY = "0.3333333"  # Moodle's default penalty for each wrong try


def moodle_files(exported: ExportSet) -> list[tuple[str, bytes]]:
    """`<set>-moodle.xml`: import it into a question bank; a quiz's random question from the category
    then gives each student one variant, graded against the key's values and tolerances."""
    quiz = ET.Element("quiz")
    category = ET.SubElement(ET.SubElement(quiz, "question", type="category"), "category")
    _text(category, f"$course$/top/{exported.name}")
    info = ET.SubElement(quiz[0], "info", format="html")
    _text(info, f"<p>{html.escape(exported.name)}: one question per variant, drawn at random for each student.</p>")
    for variant in exported.variants:
        quiz.append(_question(exported, variant))
    ET.indent(quiz)
    return [(f"{exported.name}-moodle.xml", ET.tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n")]


def cloze_blank(value: float, quantity: Quantity) -> str:
    """A NUMERICAL sub-question worth one mark: right within the tolerance (Moodle's `=value:tolerance`)."""
    return f"{{1:NUMERICAL:={number_text(value)}:{number_text(quantity.tolerance)}}}"


def _question(exported: ExportSet, variant: Variant) -> ET.Element:
    question = ET.Element("question", type="cloze")
    _text(ET.SubElement(question, "name"), f"{exported.name} {variant.id}")
    text = ET.SubElement(question, "questiontext", format="html")
    paragraphs = [f"<p>{_escape(p)}</p>" for p in exported.exercise]
    image = html.escape(variant.figure_name, quote=True)
    paragraphs.append(
        f'<p><img src="@@PLUGINFILE@@/{image}" alt="{html.escape(figure_alt(exported.name, variant.id))}"></p>'
    )
    for quantity, value in zip(exported.quantities, variant.answers, strict=True):
        unit = f" {html.escape(quantity.unit)}" if quantity.unit else ""
        paragraphs.append(f"<p>{html.escape(quantity.label)}: {cloze_blank(value, quantity)}{unit}</p>")
    _text(text, "\n".join(paragraphs))
    picture = ET.SubElement(text, "file", name=variant.figure_name, path="/", encoding="base64")
    picture.text = base64.b64encode(variant.figure_png).decode("ascii")
    _text(ET.SubElement(question, "generalfeedback", format="html"), "")
    ET.SubElement(question, "penalty").text = PENALTY
    ET.SubElement(question, "hidden").text = "0"
    ET.SubElement(question, "idnumber").text = f"{exported.name}-{variant.id}"
    return question


def _text(parent: ET.Element, value: str) -> None:
    ET.SubElement(parent, "text").text = value


def _escape(text: str) -> str:
    """Teacher text as HTML that Moodle cannot read as a Cloze blank (no literal braces)."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")
