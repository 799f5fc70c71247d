"""The gallery: a self-contained static HTML page of every render in an outputs folder.

The page has no network assets (inline CSS, a few lines of inline script for filtering, relative
links), so it works opened straight from disk and inside a downloaded CI artifact. Two pages are
written: `index.html`, safe to hand to students (renders of a student variant set show no
parameters, measurements or varied values, because those are the answers; no answer key is linked),
and `index-teacher.html`, which shows everything, including each set's answer key. Building the
HTML is a pure function of the manifests; only `write_gallery` touches the disk.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..names import INDEX, MANIFEST, TEACHER_INDEX, check_output_name
from .files import write_bytes_atomic
from .manifest import read_manifest
from .nofollow import inside_file

# Unit suffixes of field names, shown after values ("resting_mv" -> "-70 mV").
_UNITS = (
    ("_ua_per_cm2", "µA/cm²"),
    ("_ms_per_cm2", "mS/cm²"),
    ("_uf_per_cm2", "µF/cm²"),
    ("_mv", "mV"),
    ("_ms", "ms"),
    ("_s", "s"),
    ("_px", "px"),
    ("_pt", "pt"),
    ("_c", "°C"),
)
_SET_FILES = (("answer key (CSV)", "answer_key.csv"), ("answer key (JSON)", "answer_key.json"))
_LINKS = (("mp4", "MP4"), ("png", "PNG"), ("csv", "CSV"))
_HIDDEN_PARAMETERS = {"label", "samples", "smoothing"}
_FIRST_PARAMETERS = ("model", "resting_mv", "duration_ms")
_KEY_PARAMETERS = {"model", "resting", "duration", "temperature"}
# The measurements a card shows; the rest (times of events) fold away under "more".
_KEY_MEASUREMENTS = ("peak_mv", "amplitude_mv", "threshold_mv", "half_width_ms", "ahp_min_mv", "return_to_rest_ms")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _split_unit(key: str) -> tuple[str, str]:
    for suffix, unit in _UNITS:
        if key.endswith(suffix):
            return key[: -len(suffix)], unit
    return key, ""


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _shown(key: str, value: Any) -> tuple[str, str]:
    """('resting', '-70 mV') for ('resting_mv', -70)."""
    label, unit = _split_unit(key)
    if value is None:
        return label.replace("_", " "), "—"
    text = _number(value)
    return label.replace("_", " "), f"{text} {unit}".strip()


def _dl(pairs: Iterable[tuple[str, str]], css: str) -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in pairs)
    return f'<dl class="{css}">{items}</dl>' if items else ""


def key_parameters(parameters: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the parameters worth a glance, the rest): the waveform's main scalars, each component or pulse, fps."""
    key: list[tuple[str, str]] = []
    more: list[tuple[str, str]] = []
    waveform = parameters.get("waveform")
    if isinstance(waveform, Mapping):
        for label, text, is_item in _flatten(waveform, ""):
            (key if is_item or label in _KEY_PARAMETERS else more).append((label, text))
    animation = parameters.get("animation")
    if isinstance(animation, Mapping) and "fps" in animation:
        key.append(_shown("fps", animation["fps"]))
    return key, more


def _flatten(block: Mapping[str, Any], prefix: str) -> list[tuple[str, str, bool]]:
    """(label, value with unit, is a list item): scalars, one line per list item, nested blocks prefixed."""
    first = [k for k in _FIRST_PARAMETERS if k in block]
    found: list[tuple[str, str, bool]] = []
    for key in [*first, *(k for k in block if k not in _FIRST_PARAMETERS)]:
        value = block[key]
        if key in _HIDDEN_PARAMETERS or value is None:
            continue
        if isinstance(value, Mapping):
            found += _flatten(value, f"{prefix}{key} ")
        elif isinstance(value, list):
            singular = key[:-1] if key.endswith("s") else key
            items = [item for item in value if isinstance(item, Mapping)]
            found += [(*_component(f"{singular} {i + 1}", item), True) for i, item in enumerate(items)]
        else:
            label, text = _shown(key, value)
            found.append((prefix + label, text, False))
    return found


def _component(fallback: str, item: Mapping[str, Any]) -> tuple[str, str]:
    name = str(item.get("label") or fallback)
    parts = [f"{_shown(k, v)[0]} {_shown(k, v)[1]}" for k, v in item.items() if k != "label" and v is not None]
    return name, ", ".join(parts)


def _measurements(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = manifest.get("measurements")
    if not isinstance(found, Mapping):
        return []
    return [_shown(k, v) for k, v in found.items() if not isinstance(v, (Mapping, list))]


def _measurement_block(manifest: Mapping[str, Any]) -> str:
    found = manifest.get("measurements")
    if not isinstance(found, Mapping):
        return ""
    scalars = {k: v for k, v in found.items() if not isinstance(v, (Mapping, list))}
    key = [_shown(k, scalars[k]) for k in _KEY_MEASUREMENTS if k in scalars]
    more = [_shown(k, v) for k, v in scalars.items() if k not in _KEY_MEASUREMENTS]
    if not key:
        key, more = more, []
    block = _dl(key, "measures")
    if more:
        block += f'<details class="more"><summary>more measurements</summary>{_dl(more, "measures")}</details>'
    return block


def _files(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    records = manifest.get("files")
    if not isinstance(records, list):
        return {}
    return {r["format"]: r for r in records if isinstance(r, Mapping) and "format" in r and "path" in r}


def _variant(manifest: Mapping[str, Any]) -> Mapping[str, Any] | None:
    variant = manifest.get("variant")
    return variant if isinstance(variant, Mapping) and variant.get("set_name") else None


def _href(path: str) -> str:
    """A relative URL for a path inside the outputs folder (each segment escaped)."""
    from urllib.parse import quote

    return _e(quote(path, safe="/"))


def _card(manifest: Mapping[str, Any], teacher: bool) -> str:
    name = str(manifest.get("name", "?"))
    parameters = manifest.get("parameters") if isinstance(manifest.get("parameters"), Mapping) else {}
    title = str(parameters.get("title") or name)
    files = _files(manifest)
    variant = _variant(manifest)
    # A student set's parameters and measurements are its answers; other sets are lecture figures.
    answers_hidden = variant is not None and variant.get("student", True) is not False and not teacher
    image = files.get("gif") or files.get("png")
    if image:
        width, height = image.get("width"), image.get("height")
        size = (
            f' width="{int(width)}" height="{int(height)}"'
            if isinstance(width, int) and isinstance(height, int)
            else ""
        )
        media = (
            f'<a class="media" href="{_href(image["path"])}"><img src="{_href(image["path"])}" loading="lazy"'
            f' decoding="async"{size} alt="{_e("Animation: " + title if image is files.get("gif") else title)}"></a>'
        )
    else:
        media = '<div class="media none">no GIF or PNG in this render</div>'
    # The trace of a student set's variant is an answer too (handouts leave it out, see answers.py).
    shown = [(fmt, label) for fmt, label in _LINKS if fmt in files and not (answers_hidden and fmt == "csv")]
    links = [f'<a href="{_href(files[fmt]["path"])}">{label}</a>' for fmt, label in shown]
    if not answers_hidden:
        links.append(f'<a href="{_href(f"{name}/{MANIFEST}")}">manifest</a>')
    body = [f"<h3>{_e(title)}</h3>", f'<p class="name"><code>{_e(name)}</code>']
    if not answers_hidden and manifest.get("config"):
        body[-1] += f" from <code>{_e(manifest['config'])}</code>"
    body[-1] += "</p>"
    if variant is not None and teacher and isinstance(variant.get("values"), Mapping):
        body.append(_dl(((k, _number(v)) for k, v in variant["values"].items()), "varied"))
    if not answers_hidden:
        key, more = key_parameters(parameters)
        body.append(_dl(key, "params"))
        if more:
            body.append(f'<details class="more"><summary>more parameters</summary>{_dl(more, "params")}</details>')
        body.append(_measurement_block(manifest))
        notes = manifest.get("notes")
        if isinstance(notes, list) and notes:
            body.append('<p class="notes">' + "<br>".join(_e(n) for n in notes) + "</p>")
    body.append('<p class="links">' + " ".join(links) + "</p>")
    search = _e(f"{name} {title}".lower())
    return f'<article class="card" data-search="{search}">{media}<div class="body">{"".join(body)}</div></article>'


def _answer_key(members: Sequence[Mapping[str, Any]]) -> str:
    """A table: variant id, the values that make it, and its measurements."""
    paths = list(dict.fromkeys(k for m in members for k in (_variant(m) or {}).get("values", {}) or {}))
    measures = list(dict.fromkeys(k for m in members for k, _ in _measurements(m)))
    head = "".join(f"<th>{_e(p)}</th>" for p in ["variant", *paths, *measures])
    rows = []
    for m in members:
        variant = _variant(m) or {}
        values = variant.get("values") if isinstance(variant.get("values"), Mapping) else {}
        measured = dict(_measurements(m))
        cells = [variant.get("id", m.get("name", "?")), *(_number(values.get(p, "")) for p in paths)]
        cells += [measured.get(k, "") for k in measures]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    return (
        '<details class="answers"><summary>Answer key</summary><div class="scroll"><table>'
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
) -> str:
    """The gallery page as a string, from render manifests and this run's failures (source, error).

    `set_files` maps a variant set's name to (label, path) links shown only in the teacher view,
    such as its answer key files.
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
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{_e(title)}{' (teacher)' if teacher else ''}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(title)}{' <small>teacher view</small>' if teacher else ''}</h1>",
        f'<p class="summary">{_e(summary)}</p>',
        '<input id="filter" type="search" placeholder="Filter by name or title" aria-label="Filter renders">',
        "</header><main>",
    ]
    if failures:
        items = "".join(
            f"<li><pre>{_e(error if error.startswith(source) else f'{source}: {error}')}</pre></li>"
            for source, error in failures
        )
        parts.append(f'<section class="failures"><h2>Failed in the last run ({len(failures)})</h2><ul>{items}</ul>')
        parts.append("</section>")
    if singles:
        heading = "<h2>Renders</h2>" if sets else ""
        parts.append(f'<section>{heading}<div class="grid">' + "".join(_card(m, teacher) for m in singles))
        parts.append("</div></section>")
    for set_name, members in sets.items():
        parts.append(f'<section class="set"><h2>Variant set <code>{_e(set_name)}</code> · {len(members)} variants</h2>')
        if teacher:
            links = [f'<a href="{_href(path)}">{_e(label)}</a>' for label, path in (set_files or {}).get(set_name, ())]
            if links:
                parts.append('<p class="links">' + " ".join(links) + "</p>")
            parts.append(_answer_key(members))
        parts.append('<div class="grid">' + "".join(_card(m, teacher) for m in members) + "</div></section>")
    if not count and not failures:
        parts.append('<p class="empty">No renders yet: run <code>apsim-batch run configs/</code>.</p>')
    parts.append(f'</main><p class="none-match" hidden>No render matches the filter.</p><script>{_JS}</script>')
    parts.append("</body></html>\n")
    return "\n".join(parts)


def collect(out_dir: Path) -> list[dict[str, Any]]:
    """Each render's own manifest (for every render the top-level manifest lists), keeping only files on disk."""
    top = read_manifest(out_dir / MANIFEST) or {}
    names = [e.get("name") for e in top.get("renders", []) if isinstance(e, dict)]
    found = []
    for name in names:
        if not isinstance(name, str) or check_output_name(name) is not None:
            continue
        manifest = read_manifest(out_dir / name / MANIFEST)
        if manifest is None or manifest.get("name") != name:
            continue  # the folder was deleted or replaced by hand: nothing to show or link
        files = manifest.get("files") if isinstance(manifest.get("files"), list) else []
        manifest["files"] = [
            r
            for r in files
            if isinstance(r, dict) and inside_file(out_dir, r.get("path")) is not None  # never a path outside
        ]
        found.append(manifest)
    return found


def _on_disk(out_dir: Path, path: Any) -> bool:
    return inside_file(out_dir, path) is not None


def _set_files(out_dir: Path, set_name: str) -> list[tuple[str, str]]:
    """The answer key files a variant set left in `<set>/teacher/` (see answers.py), when present."""
    found = []
    for label, name in _SET_FILES:
        path = f"{set_name}/teacher/{name}"
        if _on_disk(out_dir, path):
            found.append((label, path))
    return found


def write_gallery(out_dir: str | os.PathLike[str], failures: Sequence[tuple[str, str]] = ()) -> list[Path]:
    """Write index.html (and index-teacher.html when there are variant sets); returns the paths written.

    `failures` are this run's (config source, error message) pairs, listed at the top of the page.
    """
    out_dir = Path(out_dir)
    manifests = collect(out_dir)
    written = [out_dir / INDEX]
    write_bytes_atomic(written[0], build_gallery(manifests, failures).encode("utf-8"))
    teacher_page = out_dir / TEACHER_INDEX
    if any(_variant(m) for m in manifests):
        set_files = {name: _set_files(out_dir, name) for name in group_renders(manifests)[1]}
        page = build_gallery(manifests, failures, teacher=True, set_files=set_files)
        write_bytes_atomic(teacher_page, page.encode("utf-8"))
        written.append(teacher_page)
    elif teacher_page.exists():
        teacher_page.unlink()  # no sets any more: a stale teacher page would show old answers
    return written


_CSS = """
:root{color-scheme:light dark;--fg:#1d2330;--muted:#5b6474;--bg:#f5f6f8;--card:#fff;--line:#dde1e8;--accent:#1f5fbf;
--bad:#b3261e;--badbg:#fdecea}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#a3abb9;--bg:#14171c;--card:#1d2128;--line:#323844;
--accent:#7fb0ff;--bad:#ffb4ab;--badbg:#3b1d1b}}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;
padding:.7rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}
h1{font-size:1.2rem;margin:0}h1 small{font-weight:normal;color:var(--muted);font-size:.85rem}
.summary{margin:0;color:var(--muted);flex:1 1 14rem}
#filter{font:inherit;padding:.35rem .6rem;border:1px solid var(--line);border-radius:6px;min-width:0;
flex:0 1 16rem;background:var(--bg);color:var(--fg)}
main{padding:1rem;max-width:1600px;margin:0 auto}
h2{font-size:1.05rem;margin:1.2rem 0 .6rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,300px),1fr));gap:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden;display:flex;
flex-direction:column}
.media{display:block;background:#fff;border-bottom:1px solid var(--line)}
.media img{display:block;width:100%;height:auto}
.media.none{padding:2rem 1rem;color:var(--muted);text-align:center}
.body{padding:.6rem .8rem .8rem}
h3{font-size:1rem;margin:0 0 .2rem;overflow-wrap:anywhere}
.name{margin:0 0 .5rem;color:var(--muted);font-size:.85rem;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:auto 1fr;gap:.05rem .7rem;margin:.4rem 0;font-size:.85rem}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere;font-variant-numeric:tabular-nums}
dl.measures{border-top:1px dashed var(--line);padding-top:.4rem}
dl.varied{grid-template-columns:1fr}dl.varied dd{font-weight:600;margin-bottom:.2rem}
dt{overflow-wrap:anywhere}
.notes{font-size:.8rem;color:var(--muted)}
.links{margin:.5rem 0 0;display:flex;flex-wrap:wrap;gap:.4rem}
.links a{padding:.15rem .55rem;border:1px solid var(--line);border-radius:999px;text-decoration:none;
color:var(--accent);font-size:.85rem}
.more{font-size:.8rem;color:var(--muted)}.more summary{cursor:pointer}
.failures{margin-bottom:1rem;background:var(--badbg);border:1px solid var(--bad);border-radius:8px;
padding:.2rem 1rem .6rem}
.failures h2{color:var(--bad)}.failures ul{padding-left:1.1rem;margin:0}
.failures pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.2rem 0 .6rem;font-size:.8rem}
.answers{margin:0 0 1rem}.answers summary{cursor:pointer;font-weight:600}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.82rem;margin-top:.4rem}
th,td{border:1px solid var(--line);padding:.2rem .5rem;text-align:left;white-space:nowrap}
.empty,.none-match{color:var(--muted);padding:0 1rem}
code{font-size:.9em}
"""

# Filtering is a convenience: without scripts every card still shows.
_JS = """
(function(){var box=document.getElementById("filter"),cards=document.querySelectorAll(".card"),
none=document.querySelector(".none-match");
box.addEventListener("input",function(){var q=box.value.trim().toLowerCase(),shown=0;
cards.forEach(function(c){var hit=!q||c.dataset.search.indexOf(q)>=0;c.hidden=!hit;if(hit)shown++;});
document.querySelectorAll("section").forEach(function(s){if(s.querySelector(".card"))
s.hidden=!s.querySelector(".card:not([hidden])");});none.hidden=shown>0||!q;});})();
"""
