"""Printable PDFs of a variant set: one student worksheet per variant, and the teacher's key."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any

from ...errors import ExportError
from .calipers import caliper_pages
from .reader import ExportSet, Quantity, Variant, number_text

A4_IN = (8.27, 11.69)
MARGIN_IN = 0.6
FIGURE_WIDTH_IN = 160 / 25.4  # the handout figure printed 160 mm wide: big enough to read to its minor grid
MIN_FIGURE_WIDTH_IN = 100 / 25.4  # narrower, a minor grid step is too small to read
KEY_ROWS_PER_PAGE = 24
ANSWER_ROW_IN = 0.8  # an answer box with a label of up to two lines above it
# Fonts embedded as TrueType (not Type 3), and no date or producer: the same set gives the same bytes.
# Teacher text is printed as written: a "$" is a dollar sign, not the start of mathtext.
PDF_RC = {"pdf.fonttype": 42, "font.family": "DejaVu Sans", "font.size": 10, "text.parse_math": False}
PDF_METADATA = {"Creator": None, "Producer": None, "CreationDate": None}


def worksheet_files(exported: ExportSet) -> list[tuple[str, bytes]]:
    """`<set>-worksheets.pdf` (one page per variant, no answer on it) and `<set>-key.pdf` (the teacher's:
    the table of values and tolerances, then each trace with its calipers)."""
    with _pdf() as (pages, buffer):
        for variant in exported.variants:
            pages.savefig(_student_page(exported, variant))
    student = buffer.getvalue()
    with _pdf() as (pages, buffer):
        rows = list(exported.variants)
        for start in range(0, len(rows), KEY_ROWS_PER_PAGE):
            pages.savefig(_key_page(exported, rows[start : start + KEY_ROWS_PER_PAGE], start, len(rows)))
        for page in caliper_pages(exported, (A4_IN[1], A4_IN[0])):
            pages.savefig(page)
    return [(f"{exported.name}-worksheets.pdf", student), (f"{exported.name}-key.pdf", buffer.getvalue())]


@contextmanager
def _pdf() -> Iterator[tuple[Any, BytesIO]]:
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = BytesIO()
    with matplotlib.rc_context(PDF_RC), PdfPages(buffer, metadata=PDF_METADATA) as pages:
        yield pages, buffer


def _student_page(exported: ExportSet, variant: Variant) -> Any:
    from matplotlib.figure import Figure

    width_in, height_in = A4_IN
    figure = Figure(figsize=A4_IN)
    top = height_in - MARGIN_IN  # a cursor down the page, in inches
    figure.text(
        MARGIN_IN / width_in, top / height_in, f"{exported.name} · {variant.id}", size=16, weight="bold", va="top"
    )
    figure.text(1 - MARGIN_IN / width_in, top / height_in, "Name: ____________________", size=11, ha="right", va="top")
    top -= 0.5
    size, wrap_chars, line_in = (10, 95, 0.2) if _lines(exported.exercise, 95) <= 12 else (7, 135, 0.14)
    for paragraph in exported.exercise:
        lines = textwrap.wrap(paragraph, wrap_chars)
        figure.text(MARGIN_IN / width_in, top / height_in, "\n".join(lines), va="top", size=size, linespacing=1.4)
        top -= line_in * len(lines) + 0.12
    image = _pixels(variant.figure_png)
    rows_in = ANSWER_ROW_IN * math.ceil(len(exported.quantities) / 2)
    # the figure as wide as the page leaves room for: 160 mm unless the exercise or the boxes need the space
    room_in = top - 0.45 - rows_in - MARGIN_IN
    figure_width_in = min(FIGURE_WIDTH_IN, room_in * image.shape[1] / image.shape[0])
    if figure_width_in < MIN_FIGURE_WIDTH_IN:
        raise ExportError(
            f"{exported.name}: the exercise text and {len(exported.quantities)} answer boxes leave less than 100 mm"
            " for the figure on an A4 page; ask fewer quantities (--ask) or shorten the exercise"
        )
    figure_height_in = figure_width_in * image.shape[0] / image.shape[1]
    top -= 0.1
    left_in = (width_in - figure_width_in) / 2
    box = [left_in / width_in, (top - figure_height_in) / height_in]
    box += [figure_width_in / width_in, figure_height_in / height_in]
    axes = figure.add_axes(box)
    axes.imshow(image, interpolation="none")  # the PNG's own pixels, grid included, not redrawn
    axes.set_axis_off()
    top -= figure_height_in + 0.35
    _answer_boxes(figure, exported.quantities, top)
    return figure


def _answer_boxes(figure: Any, quantities: tuple[Quantity, ...], top_in: float) -> None:
    """Two columns of labelled empty boxes, each with its unit."""
    from matplotlib.patches import Rectangle

    width_in, height_in = A4_IN
    column_in = (width_in - 2 * MARGIN_IN) / 2
    row_in = ANSWER_ROW_IN
    for index, quantity in enumerate(quantities):
        x_in = MARGIN_IN + (index % 2) * column_in
        y_in = top_in - (index // 2) * row_in
        lines = textwrap.wrap(quantity.label, 44)
        figure.text(x_in / width_in, y_in / height_in, "\n".join(lines), va="top", size=9, linespacing=1.2)
        box_top = y_in - 0.16 * len(lines) - 0.08
        figure.add_artist(
            Rectangle(
                (x_in / width_in, (box_top - 0.28) / height_in),
                1.6 / width_in,
                0.28 / height_in,
                transform=figure.transFigure,
                fill=False,
                linewidth=0.8,
            )
        )
        if quantity.unit:
            figure.text((x_in + 1.7) / width_in, (box_top - 0.14) / height_in, quantity.unit, va="center")


def _key_page(exported: ExportSet, rows: list[Variant], start: int, total: int) -> Any:
    from matplotlib.figure import Figure

    width_in, height_in = A4_IN[1], A4_IN[0]  # landscape: the key is a wide table
    figure = Figure(figsize=(width_in, height_in))
    end = start + len(rows)
    title = f"{exported.name}: key for marking (variants {rows[0].id} to {rows[-1].id}, {end} of {total})"
    figure.text(MARGIN_IN / width_in, 1 - MARGIN_IN / height_in, title, size=14, weight="bold", va="top")
    note = "An answer within the tolerance (what the figure lets a student read, see the answer key's rule) is right."
    figure.text(MARGIN_IN / width_in, 1 - (MARGIN_IN + 0.35) / height_in, note, va="top", size=9)
    header = ["variant"] + [_heading(q) for q in exported.quantities]
    cells = [[v.id] + [_shown(a) for a in v.answers] for v in rows]
    axes = figure.add_axes([MARGIN_IN / width_in, MARGIN_IN / height_in, 1 - 2 * MARGIN_IN / width_in, 0.8])
    axes.set_axis_off()
    table = axes.table(cellText=cells, colLabels=header, loc="upper left", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    for (row, _), cell in table.get_celld().items():
        cell.set_height(0.14 if row == 0 else 0.032)
    return figure


def _lines(paragraphs: tuple[str, ...], width: int) -> int:
    return sum(len(textwrap.wrap(p, width)) for p in paragraphs)


def _heading(quantity: Quantity) -> str:
    unit = f" ({quantity.unit})" if quantity.unit else ""
    return (
        "\n".join(textwrap.wrap(quantity.label + unit, 18, break_on_hyphens=False))
        + f"\n± {number_text(quantity.tolerance)}"
    )


def _shown(value: float) -> str:
    """A key value as a teacher reads it: counts whole, others to three decimals (the JSON has them all)."""
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def _pixels(png: bytes) -> Any:
    import numpy as np
    from PIL import Image

    with Image.open(BytesIO(png)) as picture:
        return np.asarray(picture.convert("RGB"))
