"""A QTI 1.2 package of a variant set, as Canvas imports it: per asked quantity, a group that picks one variant.

Canvas's numerical questions take one answer each and a question group draws its questions
independently of the others, so each asked quantity is its own group of one numerical question per
variant, each showing that variant's figure: every question is graded against the figure it shows.
"""

from __future__ import annotations

import hashlib
import html
import xml.etree.ElementTree as ET
from io import BytesIO

from ..pack import write_zip
from .reader import ExportSet, Quantity, Variant, figure_alt, number_text

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
IMAGES = "images"
FILEBASE = "$IMS-CC-FILEBASE$"  # Canvas's name for the package's files inside question HTML


def ident(*parts: str) -> str:
    """A stable identifier (the same set gives the same package bytes)."""
    return "i" + hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]


def qti_files(exported: ExportSet) -> list[tuple[str, bytes]]:
    """`<set>-qti.zip`: import it into Canvas (Settings > Import course content > QTI .zip file)."""
    assessment = ident(exported.name, "assessment")
    entries = {
        "imsmanifest.xml": _xml(_manifest(exported, assessment)),
        f"{assessment}/{assessment}.xml": _xml(_assessment(exported, assessment)),
        f"{assessment}/assessment_meta.xml": _xml(_canvas_settings(exported, assessment)),
    }
    for variant in exported.variants:
        entries[f"{IMAGES}/{variant.figure_name}"] = variant.figure_png
    buffer = BytesIO()
    write_zip(buffer, entries.items())  # pack's deterministic zip: the same set gives the same bytes
    return [(f"{exported.name}-qti.zip", buffer.getvalue())]


def _manifest(exported: ExportSet, assessment: str) -> ET.Element:
    root = ET.Element("manifest", identifier=ident(exported.name, "manifest"), xmlns=CP_NS)
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    quiz = ET.SubElement(resources, "resource", identifier=assessment, type="imsqti_xmlv1p2")
    ET.SubElement(quiz, "file", href=f"{assessment}/{assessment}.xml")
    settings = ident(exported.name, "settings")
    ET.SubElement(quiz, "dependency", identifierref=settings)
    meta = f"{assessment}/assessment_meta.xml"
    kind = "associatedcontent/imscc_xmlv1p1/learning-application-resource"
    ET.SubElement(ET.SubElement(resources, "resource", identifier=settings, type=kind, href=meta), "file", href=meta)
    for variant in exported.variants:
        href = f"{IMAGES}/{variant.figure_name}"
        image = ET.SubElement(resources, "resource", identifier=ident(href), type="webcontent", href=href)
        ET.SubElement(image, "file", href=href)
    return root


def _canvas_settings(exported: ExportSet, assessment: str) -> ET.Element:
    """Canvas's quiz settings: one attempt, and correct answers not shown (students compare notes)."""
    quiz = ET.Element("quiz", identifier=assessment, xmlns=CANVAS_NS)
    settings = {
        "title": exported.name,
        "description": "".join(f"<p>{html.escape(p)}</p>" for p in exported.exercise),
        "shuffle_answers": "false",
        "quiz_type": "assignment",
        "points_possible": f"{len(exported.quantities):.1f}",
        "show_correct_answers": "false",
        "allowed_attempts": "1",
        "available": "false",
    }
    for name, value in settings.items():
        ET.SubElement(quiz, name).text = value
    return quiz


def _assessment(exported: ExportSet, assessment: str) -> ET.Element:
    root = ET.Element("questestinterop", xmlns=QTI_NS)
    test = ET.SubElement(root, "assessment", ident=assessment, title=exported.name)
    _metadata(test, {"cc_maxattempts": "1"})
    section = ET.SubElement(test, "section", ident="root_section")
    for quantity in exported.quantities:
        group = ET.SubElement(section, "section", ident=ident(exported.name, quantity.column), title=quantity.label)
        selection = ET.SubElement(ET.SubElement(group, "selection_ordering"), "selection")
        ET.SubElement(selection, "selection_number").text = "1"
        ET.SubElement(ET.SubElement(selection, "selection_extension"), "points_per_item").text = "1"
        for variant in exported.variants:
            group.append(_item(exported, variant, quantity))
    return root


def _item(exported: ExportSet, variant: Variant, quantity: Quantity) -> ET.Element:
    value = variant.answers[exported.quantities.index(quantity)]
    item = ET.Element("item", ident=ident(exported.name, variant.id, quantity.column), title=quantity.label)
    _metadata(ET.SubElement(item, "itemmetadata"), {"question_type": "numerical_question", "points_possible": "1"})
    presentation = ET.SubElement(item, "presentation")
    material = ET.SubElement(ET.SubElement(presentation, "material"), "mattext", texttype="text/html")
    material.text = _question_html(exported, variant, quantity)
    response = ET.SubElement(presentation, "response_str", ident="response1", rcardinality="Single")
    ET.SubElement(ET.SubElement(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    processing = ET.SubElement(item, "resprocessing")
    outcomes = ET.SubElement(processing, "outcomes")
    ET.SubElement(outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    condition = ET.SubElement(processing, "respcondition", attrib={"continue": "No"})
    either = ET.SubElement(ET.SubElement(condition, "conditionvar"), "or")
    margin = {"margintype": "absolute", "margin": number_text(quantity.tolerance)}
    ET.SubElement(either, "varequal", respident="response1", attrib=margin).text = number_text(value)
    within = ET.SubElement(either, "and")  # Canvas's "exact answer with margin"
    ET.SubElement(within, "vargte", respident="response1").text = number_text(value - quantity.tolerance)
    ET.SubElement(within, "varlte", respident="response1").text = number_text(value + quantity.tolerance)
    ET.SubElement(condition, "setvar", action="Set", varname="SCORE").text = "100"
    return item


def _question_html(exported: ExportSet, variant: Variant, quantity: Quantity) -> str:
    parts = [f"<p>{html.escape(p)}</p>" for p in exported.exercise]
    src = html.escape(f"{FILEBASE}/{IMAGES}/{variant.figure_name}", quote=True)
    parts.append(f'<p><img src="{src}" alt="{html.escape(figure_alt(exported.name, variant.id))}"></p>')
    unit = f", in {html.escape(quantity.unit)}" if quantity.unit else ""
    parts.append(f"<p>{html.escape(quantity.label)}{unit}:</p>")
    return "\n".join(parts)


def _metadata(parent: ET.Element, fields: dict[str, str]) -> None:
    metadata = ET.SubElement(parent, "qtimetadata")
    for label, entry in fields.items():
        field = ET.SubElement(metadata, "qtimetadatafield")
        ET.SubElement(field, "fieldlabel").text = label
        ET.SubElement(field, "fieldentry").text = entry


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
