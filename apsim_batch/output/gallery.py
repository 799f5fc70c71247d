"""The gallery: self-contained static HTML pages of the renders in an outputs folder.

The pages have no network assets (inline CSS, a little inline script, relative links), so they work
opened straight from disk, inside a zip and inside a downloaded CI artifact. Three kinds are written:
`index.html`, safe to show students (renders of a student variant set show no parameters,
measurements or varied values, because those are the answers, and their media come from the set's
handout folder, never from the render folders that hold traces and manifests); `index-teacher.html`,
which shows everything, including each set's answer key; and, for each student set,
`<set>/handouts/index.html`, the student page of that folder alone (see answers.py and pack.py).
Building HTML is a pure function of manifests; only `write_gallery` and `write_handout_page` touch
the disk. Accessibility (WCAG 2.1 AA) is tested with axe-core in a real browser: every animation
has a play/pause button and a text alternative, and MP4s play in <video> with a captions track.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..names import INDEX, MANIFEST, TEACHER_INDEX, check_output_name
from .files import write_bytes_atomic
from .formats import FORMATS
from .gallery_cards import card_view, files_by_format, key_parameters, number, scalar_measurements, shown
from .gallery_cards import variant_of as _variant
from .manifest import read_manifest
from .nofollow import inside_file
from .quantities import label_of, unit_of
from .templates import render_page

__all__ = ["INDEX", "TEACHER_INDEX", "build_gallery", "group_renders", "key_parameters", "write_gallery"]
_SET_FILES = (
    ("answer key (CSV)", "teacher/answer_key.csv"),
    ("answer key (JSON)", "teacher/answer_key.json"),
    ("student page (handouts)", f"handouts/{INDEX}"),
)
_MAX_VTT_BYTES = 256 * 1024  # captions are read from the outputs folder, which is untrusted input


def answer_key(members: Sequence[Mapping[str, Any]]) -> dict[str, list]:
    """A table: variant id, the values that make it, and its measurements."""
    paths = list(dict.fromkeys(k for m in members for k in (_variant(m) or {}).get("values", {}) or {}))
    measures = list(dict.fromkeys(shown(k, v)[0] for m in members for k, v in scalar_measurements(m).items()))
    rows = []
    for m in members:
        variant = _variant(m) or {}
        values = variant.get("values") if isinstance(variant.get("values"), Mapping) else {}
        measured = dict(shown(k, v) for k, v in scalar_measurements(m).items())
        cells = [variant.get("id", m.get("name", "?")), *(number(values.get(p, "")) for p in paths)]
        rows.append(cells + [measured.get(k, "") for k in measures])
    return {"head": ["variant", *paths, *measures], "body": rows}


def group_renders(manifests: Iterable[Mapping[str, Any]]) -> tuple[list[Mapping], dict[str, list[Mapping]]]:
    """(single renders sorted by name, variant sets by set name with members in set order)."""
    singles, sets = [], {}
    for manifest in manifests:
        variant = _variant(manifest)
        if variant is None:
            singles.append(manifest)
        else:
            sets.setdefault(str(variant["set_name"]), []).append(manifest)
    singles.sort(key=lambda m: str(m.get("name", "")))
    for members in sets.values():
        members.sort(key=lambda m: (_as_int((_variant(m) or {}).get("index")), str(m.get("name", ""))))
    return singles, dict(sorted(sets.items()))


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def build_gallery(
    manifests: Sequence[Mapping[str, Any]],
    failures: Sequence[tuple[str, str]] = (),
    *,
    teacher: bool = False,
    title: str = "apsim-batch outputs",
    set_files: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    captions: Mapping[str, str] | None = None,
) -> str:
    """The gallery page as a string, from render manifests and this run's failures (source, error).

    `set_files` maps a variant set's name to (label, path) links shown only in the teacher view,
    such as its answer key files; `captions` maps a VTT path to its text (inlined into the page).
    """
    singles, sets = group_renders(manifests)
    count = len(singles) + sum(len(m) for m in sets.values())
    summary = f"{count} render{'s' * (count != 1)}"
    if sets:
        summary += f" ({len(sets)} variant set{'s' * (len(sets) != 1)})"
    if failures:
        summary += f" · {len(failures)} failed in the last run"
    if teacher:
        summary += " · teacher view: parameters, measurements and answer keys of every set"
    uids = (f"d{n}" for n in range(1, count + 1))  # the cards' description ids, unique on the page
    singles_view = [card_view(m, teacher, next(uids)) for m in singles]
    sets_view = [
        {
            "name": set_name,
            "cards": [card_view(m, teacher, next(uids)) for m in members],
            "links": (set_files or {}).get(set_name, ()),
            "answer_key": answer_key(members) if teacher else None,
        }
        for set_name, members in sets.items()
    ]
    return render_page(
        "gallery.html.j2",
        page_title=title + (" (teacher)" if teacher else ""),
        title=title,
        teacher=teacher,
        summary=summary,
        filter_box=True,
        failures=[error if error.startswith(source) else f"{source}: {error}" for source, error in failures],
        singles=singles_view,
        sets=sets_view,
        captions=captions or {},
    )


def build_handout_page(
    set_name: str,
    variants: Sequence[tuple[str, Mapping[str, Any]]],
    exercise: str | None,
    ask: Sequence[str] | None = None,
) -> str:
    """The student page of one set's handout folder: the exercise text, what it asks, each variant's media.

    `variants` are (variant id, {format: record with a path relative to the handout folder}); `ask` the
    key columns the exercise asks for, listed in words with their units. Only the set name, the variant
    ids, the teacher's exercise text and those words appear: nothing else.
    """
    views = []
    for uid, (vid, files) in enumerate(variants, start=1):
        title = f"{set_name} · {vid}"
        links = [
            (files[fmt]["path"], label)
            for fmt, label in ((name, FORMATS[name].label) for name in ("gif", "mp4", "png"))
            if fmt in files
        ]
        captions = {r["path"]: r["text"] for r in files.values() if "text" in r}
        views.append({"uid": f"d{uid}", "title": title, "files": files, "links": links, "captions": captions})
    return render_page(
        "handout.html.j2",
        page_title=f"{set_name}: handouts",
        set_name=set_name,
        summary=f"{len(variants)} variant{'s' * (len(variants) != 1)}: each student gets one",
        filter_box=len(variants) > 12,
        paragraphs=[" ".join(p.split()) for p in (exercise or "").split("\n\n") if p.strip()],
        asked=[f"{label_of(c)} ({unit_of(c)})" if unit_of(c) else label_of(c) for c in ask or ()],
        variants=views,
        describe="A membrane voltage trace, drawn from left to right over time; measure it from the figure.",
    )


def build_waiting_page(out: str) -> str:
    """The page `serve` shows until the first run has written the gallery into `out`."""
    title = "apsim-batch serve"
    summary = "rendering the configs that are out of date"
    return render_page("waiting.html.j2", page_title=title, summary=summary, filter_box=False, out=out)


def collect(out_dir: Path) -> list[dict[str, Any]]:
    """Each render's own manifest (for every render the top-level manifest lists), keeping only files on disk."""
    top = read_manifest(out_dir / MANIFEST) or {}
    names = [entry.get("name") for entry in top.get("renders", []) if isinstance(entry, dict)]
    found = []
    for name in names:
        if not isinstance(name, str) or check_output_name(name) is not None:
            continue
        manifest = read_manifest(out_dir / name / MANIFEST)
        if manifest is None or manifest.get("name") != name:
            continue  # the folder was deleted or replaced by hand: nothing to show or link
        files = manifest.get("files") if isinstance(manifest.get("files"), list) else []
        # only regular files inside the folder: a planted manifest's absolute paths are never linked
        manifest["files"] = [r for r in files if isinstance(r, dict) and _on_disk(out_dir, r.get("path"))]
        found.append(manifest)
    return found


def student_view(manifest: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """For the student page: a student set's render with its media taken from the set's handout folder.

    The render's own folder holds its trace and manifest (the answers), so nothing links there;
    without handouts on disk the card shows no media at all.
    """
    variant = _variant(manifest)
    if variant is None or variant.get("student", True) is False:
        return manifest
    set_name, vid = str(variant["set_name"]), str(variant.get("id", ""))
    records = [{**r, "path": f"{set_name}/handouts/{r['path']}"} for r in handout_records(out_dir, set_name, vid)]
    return {**manifest, "files": records}


def handout_records(out_dir: Path, set_name: str, vid: str) -> list[dict[str, Any]]:
    """One variant's files in `<set>/handouts/` (paths relative to that folder), from its manifest."""
    folder = out_dir / set_name / "handouts"
    listed = (read_manifest(folder / MANIFEST) or {}).get("files")
    found = []
    for record in listed if isinstance(listed, list) else []:
        if not isinstance(record, dict) or record.get("variant") != vid:
            continue
        path = record.get("path")
        if isinstance(path, str) and "/" not in path and "\\" not in path and (folder / path).is_file():
            found.append({"format": str(record.get("format") or Path(path).suffix[1:]), "path": path})
    return found


def _on_disk(out_dir: Path, path: Any) -> bool:
    return inside_file(out_dir, path) is not None


def set_files(out_dir: Path, set_name: str) -> list[tuple[str, str]]:
    """The teacher's links for a set: its answer key (see answers.py), student page and posters with calipers."""
    paths = [(label, f"{set_name}/{name}") for label, name in _SET_FILES]
    paths += [(f"calipers {r.get('variant', '')}".strip(), r["path"]) for r in calipers_records(out_dir, set_name)]
    return [(label, path) for label, path in paths if _on_disk(out_dir, path)]


def calipers_records(out_dir: Path, set_name: str) -> list[dict[str, Any]]:
    """The teacher's posters with calipers that the set's answer key records ([] without a key)."""
    key_path = f"{set_name}/{_SET_FILES[1][1]}"
    key = read_manifest(out_dir / key_path) if _on_disk(out_dir, key_path) else None
    records = key.get("files") if isinstance(key, dict) and isinstance(key.get("files"), list) else []
    return [
        r for r in records if isinstance(r, dict) and r.get("format") == "calipers" and isinstance(r.get("path"), str)
    ]


def read_captions(out_dir: Path, manifests: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The text of every VTT file the manifests list (size-capped), by path."""
    found = {}
    for manifest in manifests:
        vtt = files_by_format(manifest).get("vtt")
        path = out_dir / str(vtt["path"]) if vtt else None
        if path is not None and _on_disk(out_dir, vtt["path"]) and path.stat().st_size <= _MAX_VTT_BYTES:
            found[str(vtt["path"])] = path.read_text(encoding="utf-8", errors="replace")
    return found


def write_gallery(out_dir: str | os.PathLike[str], failures: Sequence[tuple[str, str]] = ()) -> list[Path]:
    """Write index.html (and index-teacher.html when there are variant sets); returns the paths written.

    `failures` are this run's (config source, error message) pairs, listed at the top of the page.
    """
    out_dir = Path(out_dir)
    manifests = collect(out_dir)
    written = [out_dir / INDEX]
    students = [student_view(m, out_dir) for m in manifests]
    page_html = build_gallery(students, failures, captions=read_captions(out_dir, students))
    write_bytes_atomic(written[0], page_html.encode("utf-8"))
    teacher_page = out_dir / TEACHER_INDEX
    if any(_variant(m) for m in manifests):
        links = {name: set_files(out_dir, name) for name in group_renders(manifests)[1]}
        captions = read_captions(out_dir, manifests)
        page_html = build_gallery(manifests, failures, teacher=True, set_files=links, captions=captions)
        write_bytes_atomic(teacher_page, page_html.encode("utf-8"))
        written.append(teacher_page)
    elif teacher_page.exists():
        teacher_page.unlink()  # no sets any more: a stale teacher page would show old answers
    return written
