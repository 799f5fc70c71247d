"""Exports of one variant set to a course: a registry of targets (Moodle XML, Canvas QTI, PDF worksheets)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...errors import ExportError
from ..files import set_folder, write_bytes_atomic
from ..pack import find_sets
from .moodle import moodle_files
from .qti import qti_files
from .reader import ExportSet, read_set
from .worksheet import worksheet_files

__all__ = ["EXPORTERS", "Exported", "Exporter", "export_set"]


@dataclass(frozen=True)
class Exporter:
    """One export target: what it writes, the function making its files, whether it reads the traces."""

    description: str
    make: Callable[[ExportSet], list[tuple[str, bytes]]]
    reads_traces: bool = False  # the teacher's calipers draw each variant's trace.csv


# Adding a target is a module plus a line here.
EXPORTERS: dict[str, Exporter] = {
    "moodle": Exporter("Moodle XML: one Cloze question per variant, for a question bank", moodle_files),
    "qti": Exporter("a QTI 1.2 package for Canvas: a question group per asked quantity", qti_files),
    "pdf": Exporter("printable worksheets, one page per variant, and the teacher's key", worksheet_files, True),
}


@dataclass(frozen=True)
class Exported:
    """What `export_set` wrote: the files, the number of variants and the asked quantities' key columns."""

    set_name: str
    target: str
    files: tuple[Path, ...]
    variants: int
    asked: tuple[str, ...]


def export_set(
    out_dir: str | os.PathLike[str],
    set_name: str,
    to: str,
    dest: str | os.PathLike[str] | None = None,
    ask: Sequence[str] | None = None,
) -> Exported:
    """Export a student set (its answer key and handout figures) to `to` (a key of EXPORTERS) into `dest`
    (default: the set's folder, `<out>/<set>/`). Everything is read and made before anything is written."""
    if to not in EXPORTERS:
        raise ExportError(f"--to {to}: no such export target (allowed: {', '.join(EXPORTERS)})")
    out = Path(out_dir)
    if not out.is_dir():
        raise ExportError(f"{out}: no such outputs folder")
    known = find_sets(out)
    if set_name not in known:
        shown = ", ".join(known) if known else "none yet: run a config with a variants block first"
        raise ExportError(f"{out}: no variant set named {set_name!r} (sets here: {shown})")
    exporter = EXPORTERS[to]
    exported = read_set(out, set_name, ask, with_traces=exporter.reads_traces)
    made = exporter.make(exported)
    if dest is not None:
        target = Path(dest)
        target.mkdir(parents=True, exist_ok=True)
    else:  # inside the outputs folder: checked, so a planted link at the set folder is refused
        target = set_folder(out, set_name)
    for name, data in made:
        write_bytes_atomic(target / name, data)
    asked = tuple(q.column for q in exported.quantities)
    return Exported(set_name, to, tuple(target / name for name, _ in made), len(exported.variants), asked)
