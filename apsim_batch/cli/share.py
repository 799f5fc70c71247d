"""The `pack` command: zip one variant set for its students (handouts only) and for its teacher."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import term


def pack(
    set_name: Annotated[str, typer.Argument(metavar="SET", help="The variant set's name, e.g. ahp-class.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The outputs folder of the set.")] = Path("outputs"),
    dest: Annotated[
        Optional[Path],  # noqa: UP045 - typer needs Optional here
        typer.Option(help="Folder to write the zips into. Default: the set's folder, <out>/<SET>/."),
    ] = None,
) -> None:
    """Zip one variant set: <SET>-students.zip (its handout folder, no answers) and <SET>-teacher.zip.

    The student zip holds the handout page, media and captions and nothing that answers the
    exercise; the teacher zip holds a teacher page of the set, every variant's files and the answer
    key. Example: apsim-batch pack ahp-class
    """
    from ..output.pack import pack_set
    from .guard import user_errors  # the one place errors become messages and exit codes
    from .report import format_pack

    with user_errors(interrupts=False):
        packed = pack_set(out, set_name, dest)
    for line in format_pack(packed):
        term.echo(line)
