"""The `export` command: one variant set as a Moodle question bank, a Canvas QTI package or PDF worksheets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from . import term

if TYPE_CHECKING:
    from ..output.export import Exported


def export(
    set_name: Annotated[str, typer.Argument(metavar="SET", help="The variant set's name, e.g. ahp-class.")],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="TARGET",
            help="What to make: moodle (Moodle XML), qti (a Canvas QTI package) or pdf (worksheets and the key).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The outputs folder of the set.")] = Path("outputs"),
    dest: Annotated[
        Optional[Path],  # noqa: UP045 - typer needs Optional here
        typer.Option(help="Folder to write into. Default: the set's folder, <out>/<SET>/."),
    ] = None,
    ask: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            metavar="COLUMN",
            help="An answer-key column to ask, e.g. --ask peak_mv (repeatable). Default: every column with a"
            " marking tolerance and a value in every variant.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Export a student set to the course: questions graded against the answer key, or printable worksheets.

    The students' files (questions, images, worksheets) hold no answer outside the grading fields.
    Example: apsim-batch export ahp-class --to moodle
    """
    from ..output.export import export_set
    from .guard import user_errors  # the one place errors become messages and exit codes

    with user_errors(interrupts=False):
        exported = export_set(out, set_name, to, dest, ask)
    for line in format_export(exported):
        term.echo(line)


def format_export(exported: Exported) -> list[str]:
    """The lines that report `export`: each file written, then what it holds."""
    asked = ", ".join(exported.asked)
    lines = [f"{term.OK} {exported.target}: {path}" for path in exported.files]
    return [*lines, f"{exported.variants} variants of {exported.set_name}; asked: {asked}"]
