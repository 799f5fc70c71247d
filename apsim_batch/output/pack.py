"""Zips for sharing one variant set: the students' (its handout folder only) and the teacher's (everything)."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import PackError
from ..names import MANIFEST
from .answers import ANSWER_JSON, HANDOUTS, PACKED, STUDENT_ZIP, TEACHER, TEACHER_ZIP
from .files import atomic_path, set_folder, write_json
from .gallery import INDEX, build_gallery, calipers_records, collect, read_captions, set_files
from .gallery_cards import variant_of
from .manifest import file_record, read_manifest

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same outputs pack to the same bytes


@dataclass(frozen=True)
class Packed:
    """What `pack_set` wrote: the student zip (None for a set without handouts) and the teacher zip."""

    set_name: str
    student_zip: Path | None
    teacher_zip: Path
    student_files: int = 0
    teacher_files: int = 0


def find_sets(out_dir: Path) -> list[str]:
    """Names of the variant sets with an answer key or handouts in the outputs folder."""
    found = []
    for folder in sorted(p for p in out_dir.iterdir() if p.is_dir() and not p.is_symlink()):
        if _regular(folder / TEACHER / ANSWER_JSON, out_dir) or _regular(folder / HANDOUTS / MANIFEST, out_dir):
            found.append(folder.name)
    return found


def pack_set(out_dir: str | os.PathLike[str], set_name: str, dest: str | os.PathLike[str] | None = None) -> Packed:
    """Write `<set>-students.zip` (the handout folder: its page, media, captions, manifest) and
    `<set>-teacher.zip` (a teacher page of the set, every variant's files, the answer key and the
    handouts) into `dest` (default: the set's folder, `<out>/<set>/`).

    The student zip is built from the handout folder's own manifest, so it holds exactly the files
    answers.py wrote there for students, however the folder was touched since.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise PackError(f"{out}: no such outputs folder")
    known = find_sets(out)
    if not _SAFE_NAME.fullmatch(set_name) or set_name not in known:
        shown = ", ".join(known) if known else "none yet: run a config with a variants block first"
        raise PackError(f"{out}: no variant set named {set_name!r} (sets here: {shown})")
    members = [m for m in collect(out) if (variant_of(m) or {}).get("set_name") == set_name]
    if not members:
        raise PackError(f"{out}: set {set_name!r} has no rendered variants listed in {MANIFEST}; run it again")
    if dest is not None:
        target = Path(dest)
        target.mkdir(parents=True, exist_ok=True)
    else:  # inside the outputs folder: checked, so a planted link at the set folder is refused
        target = set_folder(out, set_name)
    student = _student_files(out, set_name)
    expected = _recorded_hashes(out / set_name / HANDOUTS, [read_manifest(out / set_name / HANDOUTS / MANIFEST) or {}])
    expected = {f"{set_name}/{HANDOUTS}/{path}": sha for path, sha in expected.items()}
    student_zip = None
    if student:
        student_zip = target / STUDENT_ZIP.format(set=set_name)
        _write_zip(student_zip, [(f"{set_name}-handouts/{p.name}", _read(p, out, expected)) for p in student])
    teacher = _teacher_files(out, set_name, members)
    expected = {**expected, **_recorded_hashes(out, members)}
    page = build_gallery(
        members,
        teacher=True,
        title=set_name,
        set_files={set_name: set_files(out, set_name)},
        captions=read_captions(out, members),
    )
    entries = [(f"{set_name}-teacher/{INDEX}", page.encode("utf-8"))]
    entries += [(f"{set_name}-teacher/{p.relative_to(out).as_posix()}", _read(p, out, expected)) for p in teacher]
    teacher_zip = target / TEACHER_ZIP.format(set=set_name)
    _write_zip(teacher_zip, entries)
    if dest is None:  # inside the outputs folder: recorded, so that prune may remove them with the set
        zips = [path for path in (student_zip, teacher_zip) if path is not None]
        write_json(target / PACKED, {"set": set_name, "files": [file_record(path, out) for path in zips]})
    return Packed(set_name, student_zip, teacher_zip, len(student), len(entries))


def _student_files(out: Path, set_name: str) -> list[Path]:
    folder = out / set_name / HANDOUTS
    listed = (read_manifest(folder / MANIFEST) or {}).get("files")
    names = [r.get("path") for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
    files = [folder / n for n in names if isinstance(n, str) and "/" not in n and "\\" not in n]
    files = [p for p in [folder / INDEX, folder / MANIFEST, *files] if _regular(p, out)]
    return files if any(p.name != MANIFEST for p in files) else []


def _teacher_files(out: Path, set_name: str, members: list[dict]) -> list[Path]:
    paths = [f"{set_name}/{TEACHER}/{name}" for name in ("answer_key.csv", ANSWER_JSON)]
    paths += [r["path"] for r in calipers_records(out, set_name)]  # the teacher's posters with calipers
    for member in members:
        paths += [str(r["path"]) for r in member.get("files", []) if isinstance(r, dict)]
        paths.append(f"{member['name']}/{MANIFEST}")
    found = [out / p for p in dict.fromkeys(paths) if not p.startswith(("/", "..")) and _regular(out / p, out)]
    return sorted({*found, *_student_files(out, set_name)})


def _recorded_hashes(root: Path, manifests: Iterable[dict]) -> dict[str, str]:
    """Path (relative to `root`) -> sha256, as the manifests record them."""
    found = {}
    for manifest in manifests:
        records = manifest.get("files") if isinstance(manifest.get("files"), list) else []
        for record in records:
            if isinstance(record, dict) and isinstance(record.get("path"), str) and record.get("sha256"):
                found[record["path"]] = str(record["sha256"])
    return found


def _read(path: Path, out: Path, expected: dict[str, str]) -> bytes:
    """A file's bytes, checked against its manifest's sha256 (a run may be rewriting the folder)."""
    data = path.read_bytes()
    recorded = expected.get(path.relative_to(out).as_posix())
    if recorded is not None and hashlib.sha256(data).hexdigest() != recorded:
        raise PackError(f"{path}: does not match its manifest (changed or being rewritten); run again, then pack")
    return data


def _regular(path: Path, root: Path) -> bool:
    """A regular file inside `root`, reached through no symbolic link (outputs are untrusted input)."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        return False
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink() or part == "..":
            return False
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _write_zip(path: Path, entries: Iterable[tuple[str, bytes]]) -> None:
    with atomic_path(path) as temp:
        write_zip(temp, entries)


def write_zip(target: Path | BinaryIO, entries: Iterable[tuple[str, bytes]]) -> None:
    """A zip of `entries` (name, bytes) in name order with fixed times and modes: the same entries, the same bytes."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
