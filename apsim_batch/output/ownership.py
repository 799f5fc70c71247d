"""Ownership by record: the one rule for what apsim-batch may delete under an outputs folder, and the prune journal.

A file belongs to apsim-batch only while a manifest it wrote lists it (path and sha256) and its
bytes still match that record; a folder only while it is empty. Everything else stays, whatever
its folder: a teacher's notes, a recorded file the teacher has since edited, a link. Nothing is
deleted recursively. A prune spans several manifests, so it first writes a journal of what it
will delete, then drops the manifests' entries, then deletes; a run or merge that finds the
journal (the prune was killed) finishes it, so an interrupted prune ends as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ApsimError
from ..names import PRUNE_JOURNAL, check_output_name
from .files import sha256_file, write_json
from .manifest import update_batch_manifest
from .nofollow import inside_file, is_inside_path, load_json_untrusted, unlink_entry

CHANGED = "changed since apsim-batch wrote it"
UNRECORDED = "not written by apsim-batch (no manifest lists it)"
_GONE = "already gone"


@dataclass(frozen=True)
class Kept:
    """A path under the outputs folder that a prune left in place, and why."""

    path: str  # relative to the outputs folder, with /
    why: str


def why_kept(out_dir: Path, record: Any) -> str | None:
    """None when apsim-batch may delete the file `record` names; otherwise why the file stays.

    The one test: a record with a path inside the outputs folder (through no link) naming a regular
    file whose sha256 (and size, when recorded) still match it.
    """
    relative = record.get("path") if isinstance(record, dict) else None
    if not is_inside_path(relative) or not isinstance(record.get("sha256"), str):
        return "its record is not a path inside the outputs folder with a sha256"
    path = inside_file(out_dir, relative)
    if path is None:
        return _GONE if not os.path.lexists(out_dir / relative) else "not a regular file, or reached through a link"
    try:
        size = record.get("bytes")
        if (isinstance(size, int) and path.stat().st_size != size) or sha256_file(path) != record["sha256"]:
            return CHANGED
    except OSError:
        return "cannot be read"
    return None


def delete_recorded(out_dir: Path, records: Iterable[Any]) -> list[Kept]:
    """Delete each recorded file apsim-batch still owns (see `why_kept`); the others are returned."""
    kept = []
    for record in records:
        why = why_kept(out_dir, record)
        if why is None:
            unlink_entry(out_dir / record["path"])  # a file, checked above: never a folder, never through a link
        elif why != _GONE:
            kept.append(Kept(str(record.get("path") if isinstance(record, dict) else record), why))
    return kept


def remove_empty_folders(out_dir: Path, folders: Iterable[str]) -> None:
    """Remove each folder (relative, deepest first) that is a real folder and empty; rmdir refuses the rest."""
    for relative in sorted(set(folders), key=lambda f: -f.count("/")):
        if not is_inside_path(relative):
            continue
        path = out_dir / relative
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(os.lstat(path).st_mode) and all(
                stat.S_ISDIR(os.lstat(out_dir / part).st_mode) for part in _parents(relative)
            ):
                os.rmdir(path)  # only an empty folder; a link or a folder with anything left in it stays


def _parents(relative: str) -> list[str]:
    parts = relative.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def leftovers(out_dir: Path, folder: str, limit: int = 20) -> list[Kept]:
    """What is still inside `folder` after a prune: files nobody recorded (links are not followed)."""
    found: list[Kept] = []
    root = out_dir / folder
    if os.path.islink(root) or not root.is_dir():
        return found
    for current, dirs, files in os.walk(root):  # os.walk does not follow links to folders
        for name in sorted(files) + sorted(d for d in dirs if os.path.islink(os.path.join(current, d))):
            found.append(Kept(Path(current, name).relative_to(out_dir).as_posix(), UNRECORDED))
            if len(found) >= limit:
                return found
    return found


def prune_by_record(
    out_dir: Path, names: Sequence[str], records: Sequence[dict[str, Any]], folders: Sequence[str]
) -> list[Kept]:
    """Remove what `records` list (manifests first, then their files) and the `folders` left empty.

    Order, so that any interruption leaves true manifests and a resumable prune: the journal; the
    top-level manifest's entries of `names`; the records in the order given; the empty folders;
    the journal. Returns what stayed and why.
    """
    write_json(out_dir / PRUNE_JOURNAL, {"names": list(names), "records": list(records), "folders": list(folders)})
    return _finish(out_dir, list(names), list(records), list(folders))


def _finish(out_dir: Path, names: list[str], records: list[Any], folders: list[str]) -> list[Kept]:
    update_batch_manifest(out_dir, {}, dropped=names)
    kept = delete_recorded(out_dir, records)
    remove_empty_folders(out_dir, folders)
    kept += [item for name in names for item in leftovers(out_dir, name) if item.path not in {k.path for k in kept}]
    unlink_entry(out_dir / PRUNE_JOURNAL)
    return kept


def resume_prune(out_dir: Path) -> tuple[list[str], list[Kept]]:
    """Finish a prune that was interrupted (its journal is still there): (the names it pruned, what it
    kept); ([], []) when there is none.

    The journal is read as untrusted input: only names that are valid render names and records
    that pass `why_kept` act; a malformed journal deletes nothing and is removed.
    """
    try:
        journal = load_json_untrusted(out_dir / PRUNE_JOURNAL)
    except FileNotFoundError:
        return [], []
    except (OSError, ValueError, ApsimError):
        journal = None
    if not isinstance(journal, dict):
        unlink_entry(out_dir / PRUNE_JOURNAL)
        return [], []
    names = [n for n in _list(journal, "names") if isinstance(n, str) and check_output_name(n) is None]
    folders = [f for f in _list(journal, "folders") if is_inside_path(f)]
    return names, _finish(out_dir, names, _list(journal, "records"), folders)


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []
