"""What a variant set leaves beside its renders: the teacher's answer key and the student handouts.

Layout, inside the outputs folder (each variant is also an ordinary render in `<set>-vNN/`):

    <set>/teacher/answer_key.csv    id, name, each varied field, each measurement
    <set>/teacher/answer_key.json   the same, with the set's mode, seed and source config
    <set>/handouts/                 only for student sets: <set>-vNN.gif/.mp4/.png and a
                                    manifest.json naming the set, the variant ids and the files

The handout folder is meant to be shared as it is: file names, titles and its manifest carry
only the set name and variant ids. trace.csv is left out of it, because the trace is the answer.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..config.load import LoadedConfig
from ..errors import ApsimError, UnsafePathError
from ..names import MANIFEST, PARTIAL_MARK
from ..trace.measure import Measurements
from .files import atomic_path, file_matches, set_folder, write_bytes_atomic, write_json
from .nofollow import inside_file, unlink_entry

TEACHER, HANDOUTS = "teacher", "handouts"
ANSWER_CSV, ANSWER_JSON = "answer_key.csv", "answer_key.json"
HANDOUT_FORMATS = ("gif", "mp4", "png")  # never csv: the trace gives the answers away


@dataclass(frozen=True)
class SetResult:
    """What finishing one set did: the files written, or why its answer key was not written."""

    name: str
    source: str
    variants: int
    files: tuple[str, ...] = ()
    error: str | None = None
    handouts: bool = False


def finish_sets(out_dir: Path, loaded: Iterable[LoadedConfig], manifests: dict[str, dict[str, Any]]) -> list[SetResult]:
    """Write each set's answer key (and handouts) from its variants' render manifests.

    `manifests` maps render name -> manifest for every render this run produced or found up to
    date. A set with a failed variant gets no answer key, and a stale one is removed, so a key
    never describes renders other than those on disk.
    """
    sets: dict[str, list[LoadedConfig]] = {}
    for item in loaded:
        if item.variant is not None:
            sets.setdefault(item.variant.set_name, []).append(item)
    return [_finish_safely(out_dir, name, members, manifests) for name, members in sets.items()]


def _finish_safely(
    out_dir: Path, name: str, members: list[LoadedConfig], manifests: dict[str, dict[str, Any]]
) -> SetResult:
    """One set's answer key; a planted link, a read-only folder or a full disk fails this set alone."""
    try:
        return _finish(out_dir, name, members, manifests)
    except ApsimError as exc:
        error = f"{members[0].source}: {name}: no answer key: {exc}"
    except OSError as exc:
        error = f"{members[0].source}: {name}: no answer key: {exc.filename or out_dir}: {exc.strerror or exc}"
    return SetResult(name, members[0].source, len(members), error=error)


def _finish(out_dir: Path, name: str, members: list[LoadedConfig], manifests: dict[str, dict[str, Any]]) -> SetResult:
    source = members[0].source
    teacher = out_dir / name / TEACHER
    missing = [m.variant.id for m in members if m.name not in manifests]
    if missing:
        with contextlib.suppress(FileNotFoundError):  # no teacher folder: no stale key to remove
            set_folder(out_dir, name, TEACHER, create=False)
            for stale in (teacher / ANSWER_CSV, teacher / ANSWER_JSON):
                unlink_entry(stale)
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        return SetResult(
            name, source, len(members), error=f"{source}: {name}: no answer key, because variants failed: {shown}"
        )
    set_folder(out_dir, name, TEACHER)
    _remove_partials(teacher)
    rows = [_row(m, manifests[m.name]) for m in members]
    key = answer_key(members, rows)
    write_json(teacher / ANSWER_JSON, key)
    write_bytes_atomic(teacher / ANSWER_CSV, answer_csv(key).encode("utf-8"))
    files = [teacher / ANSWER_JSON, teacher / ANSWER_CSV]
    student = members[0].variant.student
    if student:
        files += write_handouts(out_dir, name, [(m.variant.id, manifests[m.name]) for m in members])
    else:
        remove_handouts(out_dir, name)
    return SetResult(
        name, source, len(members), tuple(f.relative_to(out_dir).as_posix() for f in files), handouts=student
    )


def _row(member: LoadedConfig, manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": member.variant.id,
        "name": member.name,
        "values": dict(member.variant.values),
        "measurements": manifest.get("measurements", {}),
    }


def answer_key(members: Sequence[LoadedConfig], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer key as JSON data: the set, how it was made, and every variant's values and measurements."""
    first = members[0]
    info = first.variant
    return {
        "set": info.set_name,
        "config": Path(first.source).as_posix(),
        "config_sha256": first.source_sha256,
        "mode": info.mode,
        "seed": info.seed,
        "student": info.student,
        "fields": list(info.values),
        "overrides": dict(first.overrides),
        "measurement_definitions": "see the Measurements docstring in apsim_batch/measure.py and the README",
        "apsim_batch_version": __version__,
        "variants": rows,
    }


def answer_csv(key: dict[str, Any]) -> str:
    """One row per variant: id, name, each varied field (as written in the set), each measurement."""
    fields = key["fields"]
    # Measurements in their definition order whether they came from a fresh render or a stored manifest.
    known = [f.name for f in dataclasses.fields(Measurements)]
    found = {m for row in key["variants"] for m in row["measurements"]}
    measures = [m for m in known if m in found] + sorted(found - set(known))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "name", *fields, *measures])
    for row in key["variants"]:
        values = [_cell(row["values"].get(f)) for f in fields]
        writer.writerow([row["id"], row["name"], *values, *(_cell(row["measurements"].get(m)) for m in measures)])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def write_handouts(out_dir: Path, name: str, variants: list[tuple[str, dict[str, Any]]]) -> list[Path]:
    """Copy each variant's pictures into the handout folder under names that reveal nothing."""
    folder = set_folder(out_dir, name, HANDOUTS)
    _remove_partials(folder)
    records, written = [], []
    for vid, manifest in variants:
        for record in manifest.get("files", []):
            if record.get("format") not in HANDOUT_FORMATS:
                continue
            target = folder / f"{name}-{vid}.{record['format']}"
            if not file_matches(out_dir, {**record, "path": target.relative_to(out_dir).as_posix()}):
                source = inside_file(out_dir, record.get("path"))
                if source is None:
                    raise UnsafePathError(out_dir / str(record.get("path")), "is not a regular file inside the folder")
                with atomic_path(target) as temp:
                    shutil.copyfile(source, temp)
            records.append({"path": target.name, "variant": vid, "sha256": record["sha256"]})
            written.append(target)
    keep = {target.name for target in written}
    for path in _handout_files(folder, name):
        if path.name not in keep:
            unlink_entry(path)
    write_json(folder / MANIFEST, {"set": name, "variants": [vid for vid, _ in variants], "files": records})
    return [*written, folder / MANIFEST]


def remove_handouts(out_dir: Path, name: str) -> None:
    """Remove handouts this tool wrote for a set that is no longer a student set (other files stay).

    Every folder on the way is checked first, so a set folder that is a planted link deletes nothing.
    """
    try:
        folder = set_folder(out_dir, name, HANDOUTS, create=False)
    except FileNotFoundError:
        return
    for path in [*_handout_files(folder, name), folder / MANIFEST]:
        unlink_entry(path)
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when empty


def _handout_files(folder: Path, name: str) -> list[Path]:
    pattern = re.compile(rf"{re.escape(name)}-v\d+\.(?:{'|'.join(HANDOUT_FORMATS)})")
    return [p for p in folder.iterdir() if pattern.fullmatch(p.name) and not p.is_dir()]


def _remove_partials(folder: Path) -> None:
    for path in folder.glob(f".*{PARTIAL_MARK}*"):
        with contextlib.suppress(OSError):
            path.unlink()
