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
from .gallery_assets import CSS, JS
from .gallery_cards import card, e, files_by_format, href, key_parameters, media, number, scalar_measurements, shown
from .gallery_cards import variant_of as _variant
from .manifest import read_manifest
from .nofollow import inside_file

__all__ = ["INDEX", "TEACHER_INDEX", "build_gallery", "group_renders", "key_parameters", "write_gallery"]
_SET_FILES = (
    ("answer key (CSV)", "teacher/answer_key.csv"),
    ("answer key (JSON)", "teacher/answer_key.json"),
    ("student page (handouts)", f"handouts/{INDEX}"),
)
_MAX_VTT_BYTES = 256 * 1024  # captions are read from the outputs folder, which is untrusted input


def page(title: str, heading: str, summary: str, body: Sequence[str], *, filter_box: bool = True) -> str:
    """A whole page: head, header with the pause-all button (and a filter box), main, script."""
    search = (
        '<label class="vh" for="filter">Filter renders by name or title</label>'
        '<input id="filter" type="search" placeholder="Filter by name or title">'
        if filter_box
        else ""
    )
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<link rel="icon" href="data:,">',
            f"<title>{e(title)}</title>",
            f"<style>{CSS}</style></head><body>",
            '<a class="skip" href="#main">Skip to the renders</a>',
            f"<header><h1>{heading}</h1>",
            f'<p class="summary">{e(summary)}</p>',
            '<button type="button" id="pause-all" hidden>Pause all animations</button>',
            f"{search}</header>",
            '<main id="main" tabindex="-1">',
            *body,
            '</main><p class="none-match" hidden>No render matches the filter.</p>',
            f"<script>{JS}</script>",
            "</body></html>\n",
        ]
    )


def _answer_key(members: Sequence[Mapping[str, Any]]) -> str:
    """A table: variant id, the values that make it, and its measurements."""
    paths = list(dict.fromkeys(k for m in members for k in (_variant(m) or {}).get("values", {}) or {}))
    measures = list(dict.fromkeys(shown(k, v)[0] for m in members for k, v in scalar_measurements(m).items()))
    head = "".join(f'<th scope="col">{e(p)}</th>' for p in ["variant", *paths, *measures])
    rows = []
    for m in members:
        variant = _variant(m) or {}
        values = variant.get("values") if isinstance(variant.get("values"), Mapping) else {}
        measured = dict(shown(k, v) for k, v in scalar_measurements(m).items())
        cells = [variant.get("id", m.get("name", "?")), *(number(values.get(p, "")) for p in paths)]
        cells += [measured.get(k, "") for k in measures]
        rows.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    return (
        '<details class="answers"><summary>Answer key</summary><div class="scroll" tabindex="0"'
        ' role="region" aria-label="Answer key table"><table>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></details>"
    )


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
    uids = iter(range(1, count + 1))
    cards = lambda group: "".join(card(m, teacher, f"d{next(uids)}", captions or {}) for m in group)  # noqa: E731
    parts = []
    if failures:
        items = "".join(
            f"<li><pre>{e(error if error.startswith(source) else f'{source}: {error}')}</pre></li>"
            for source, error in failures
        )
        parts.append(f'<section class="failures"><h2>Failed in the last run ({len(failures)})</h2><ul>{items}</ul>')
        parts.append("</section>")
    if singles:
        heading = "<h2>Renders</h2>" if sets or failures else '<h2 class="vh">Renders</h2>'
        parts.append(f'<section>{heading}<div class="grid">{cards(singles)}</div></section>')
    for set_name, members in sets.items():
        parts.append(f'<section class="set"><h2>Variant set <code>{e(set_name)}</code> · {len(members)} variants</h2>')
        if teacher:
            links = [f'<a href="{href(path)}">{e(label)}</a>' for label, path in (set_files or {}).get(set_name, ())]
            if links:
                parts.append('<p class="links">' + " ".join(links) + "</p>")
            parts.append(_answer_key(members))
        parts.append(f'<div class="grid">{cards(members)}</div></section>')
    if not count and not failures:
        parts.append('<p class="empty">No renders yet: run <code>apsim-batch run configs/</code>.</p>')
    heading = e(title) + (" <small>teacher view</small>" if teacher else "")
    return page(title + (" (teacher)" if teacher else ""), heading, summary, parts)


def build_handout_page(set_name: str, variants: Sequence[tuple[str, Mapping[str, Any]]], exercise: str | None) -> str:
    """The student page of one set's handout folder: the exercise text and each variant's media.

    `variants` are (variant id, {format: record with a path relative to the handout folder}).
    Only the set name, the variant ids and the teacher's exercise text appear: nothing else.
    """
    parts = []
    if exercise:
        paragraphs = "".join(f"<p>{e(' '.join(p.split()))}</p>" for p in exercise.split("\n\n") if p.strip())
        parts.append(f'<section class="exercise"><h2>Exercise</h2>{paragraphs}</section>')
    cards = []
    for uid, (vid, files) in enumerate(variants, start=1):
        title = f"{set_name} · {vid}"
        links = [
            f'<a href="{href(files[fmt]["path"])}">{label}<span class="vh">: {e(title)}</span></a>'
            for fmt, label in ((name, FORMATS[name].label) for name in ("gif", "mp4", "png"))
            if fmt in files
        ]
        describe = "A membrane voltage trace, drawn from left to right over time; measure it from the figure."
        captions = {r["path"]: r["text"] for r in files.values() if "text" in r}
        cards.append(
            f'<article class="card" data-search="{e(title.lower())}">{media(files, title, f"d{uid}", captions)}'
            f'<div class="body"><h3>{e(title)}</h3><p class="desc" id="d{uid}">{e(describe)}</p>'
            f'<p class="links">{" ".join(links)}</p></div></article>'
        )
    parts.append(f'<section><h2>Handouts</h2><div class="grid">{"".join(cards)}</div></section>')
    summary = f"{len(variants)} variant{'s' * (len(variants) != 1)}: each student gets one"
    return page(f"{set_name}: handouts", e(set_name), summary, parts, filter_box=len(variants) > 12)


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
    """The teacher's links for a set: its answer key (see answers.py) and student page, when present."""
    paths = [(label, f"{set_name}/{name}") for label, name in _SET_FILES]
    return [(label, path) for label, path in paths if _on_disk(out_dir, path)]


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
