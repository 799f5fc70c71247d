"""One variant set as the exports read it from the outputs folder: key values, tolerances, units, figures, exercise."""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ExportError
from ...names import INDEX, MANIFEST
from ..answers import ANSWER_JSON, HANDOUTS, KEY_COLUMNS, TEACHER
from ..nofollow import inside_file, load_json_untrusted, read_untrusted
from ..quantities import NAMED_ONLY, label_of, unit_of

MAX_KEY_BYTES = 64 * 1024 * 1024  # a 10,000-variant key is a few megabytes
MAX_FIGURE_BYTES = 16 * 1024 * 1024  # a handout PNG is tens of kilobytes
MAX_PAGE_BYTES = 16 * 1024 * 1024
MAX_TRACE_BYTES = 256 * 1024 * 1024  # a million-sample trace.csv is about 40 MB


@dataclass(frozen=True)
class Quantity:
    """One asked quantity: the key's column, the words and unit a student sees, the marking tolerance."""

    column: str
    label: str
    unit: str
    tolerance: float


@dataclass(frozen=True)
class Variant:
    """One variant: its id, its handout figure (name and PNG bytes) and the key's value of each asked quantity.

    Teacher-only, for the key's calipers: every numeric measurement of the key, and the rendered trace
    (time ms, voltage mV; None when the render wrote no CSV)."""

    id: str
    figure_name: str
    figure_png: bytes
    answers: tuple[float, ...]
    measured: tuple[tuple[str, float], ...] = ()
    trace: tuple[np.ndarray, np.ndarray] | None = None


@dataclass(frozen=True)
class ExportSet:
    """What every export reads: the set's name, the exercise paragraphs, the asked quantities, the variants."""

    name: str
    exercise: tuple[str, ...]
    quantities: tuple[Quantity, ...]
    variants: tuple[Variant, ...]


def number_text(value: float) -> str:
    """A value as a grading field holds it: exact (repr of a float), a count as an integer."""
    return repr(float(value)) if isinstance(value, float) else str(int(value))


def figure_alt(set_name: str, variant_id: str) -> str:
    """The figure's text alternative: what is drawn, and nothing that answers the exercise."""
    return f"The membrane voltage trace of {set_name} · {variant_id}, with its grid"


def read_set(out_dir: Path, set_name: str, ask: Sequence[str] | None = None, with_traces: bool = False) -> ExportSet:
    """Read a set's answer key, its handout figures (checked against the handout manifest) and exercise text.

    `ask` names the key columns to ask (default: the set's own `variants.ask` as its key records it,
    else every column with a marking tolerance and a value in every variant). `with_traces` also reads
    each variant's trace.csv (the teacher's calipers).
    Files in the outputs folder are untrusted: regular files inside it, size-capped, checked against
    the sha256 their manifest records.
    """
    key = _load(out_dir / set_name / TEACHER / ANSWER_JSON, f"{set_name} has no answer key; run its config first")
    if not isinstance(key, dict) or key.get("set") != set_name or not isinstance(key.get("variants"), list):
        raise ExportError(f"{out_dir / set_name / TEACHER / ANSWER_JSON}: not the answer key of set {set_name!r}")
    handouts = _load(
        out_dir / set_name / HANDOUTS / MANIFEST,
        f"{set_name} has no handouts (set 'student: true' or run with --student, then export)",
    )
    rows = [row for row in key["variants"] if isinstance(row, dict)]
    asked = [str(c) for c in key["ask"]] if isinstance(key.get("ask"), list) and not ask else None
    quantities = _quantities(key, rows, ask or asked, "--ask" if ask else "the set's variants.ask")
    figures = _figures(out_dir, set_name, handouts)
    variants = []
    for row in rows:
        vid = str(row.get("id"))
        if vid not in figures:
            raise ExportError(f"{out_dir / set_name / HANDOUTS}: no handout figure (PNG) for {set_name} {vid}")
        measured = row.get("measurements") if isinstance(row.get("measurements"), dict) else {}
        answers = tuple(_number(measured.get(q.column), f"{set_name} {vid}: {q.column}") for q in quantities)
        numbers = tuple((k, v) for k, v in sorted(measured.items()) if _is_number(v))
        trace = _trace(out_dir, row.get("name")) if with_traces else None
        variants.append(Variant(vid, *figures[vid], answers, numbers, trace))
    if not variants:
        raise ExportError(f"{out_dir / set_name / TEACHER / ANSWER_JSON}: the key lists no variant")
    exercise = _exercise(out_dir / set_name / HANDOUTS / INDEX)
    return ExportSet(set_name, exercise, quantities, tuple(variants))


def _load(path: Path, missing: str) -> Any:
    try:
        return load_json_untrusted(path, MAX_KEY_BYTES)
    except FileNotFoundError:
        raise ExportError(f"{path.parent}: {missing}") from None
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path}: cannot be read ({exc})") from None


def _quantities(
    key: dict[str, Any], rows: list[dict[str, Any]], ask: Sequence[str] | None, asker: str = "--ask"
) -> tuple[Quantity, ...]:
    limits = key.get("tolerances") if isinstance(key.get("tolerances"), dict) else {}
    measured = [row.get("measurements") if isinstance(row.get("measurements"), dict) else {} for row in rows]
    usable = [
        c
        for c in [*KEY_COLUMNS, *sorted(set(limits) - set(KEY_COLUMNS))]
        if _is_number(limits.get(c)) and all(_is_number(m.get(c)) for m in measured)
    ]
    if ask:
        unknown = [c for c in ask if c not in usable]
        if unknown:
            shown = ", ".join(usable) if usable else "none"
            raise ExportError(
                f"{asker} {unknown[0]}: not a measured column with a marking tolerance and a value in every variant"
                f" of {key.get('set')} (allowed: {shown})"
            )
        chosen = list(dict.fromkeys(ask))
    else:  # asked by default: what was asked before a set could say; newer measurements when named
        chosen = [c for c in usable if c not in NAMED_ONLY]
    if not chosen:
        raise ExportError(f"{key.get('set')}: the key has no measured column with a marking tolerance to ask")
    return tuple(Quantity(c, label_of(c), unit_of(c), float(limits[c])) for c in chosen)


def _figures(out_dir: Path, set_name: str, handouts: Any) -> dict[str, tuple[str, bytes]]:
    """Variant id -> (file name, PNG bytes) from the handout manifest, each checked against its sha256."""
    records = handouts.get("files") if isinstance(handouts, dict) else None
    found = {}
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict) or record.get("format") != "png" or not isinstance(record.get("path"), str):
            continue
        relative = f"{set_name}/{HANDOUTS}/{record['path']}"
        path = inside_file(out_dir, relative) if "/" not in record["path"] else None
        if path is None:
            raise ExportError(f"{out_dir / relative}: not a regular file inside the outputs folder (missing or a link)")
        try:
            data = read_untrusted(path, MAX_FIGURE_BYTES)
        except OSError as exc:
            raise ExportError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if hashlib.sha256(data).hexdigest() != record.get("sha256"):
            raise ExportError(
                f"{path}: does not match its manifest (changed or being rewritten); run again, then export"
            )
        found[str(record.get("variant"))] = (path.name, data)
    return found


def _trace(out_dir: Path, name: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """A variant's trace.csv (time ms, voltage mV), checked against its render manifest; None without one."""
    if not isinstance(name, str) or inside_file(out_dir, f"{name}/{MANIFEST}") is None:
        return None
    manifest = _load(out_dir / name / MANIFEST, "no render manifest")
    records = manifest.get("files") if isinstance(manifest, dict) else None
    csv = [r for r in records or [] if isinstance(r, dict) and r.get("format") == "csv"]
    path = inside_file(out_dir, csv[0].get("path")) if csv else None
    if path is None:
        return None
    data = read_untrusted(path, MAX_TRACE_BYTES)
    if hashlib.sha256(data).hexdigest() != csv[0].get("sha256"):
        raise ExportError(f"{path}: does not match its manifest (changed or being rewritten); run again, then export")
    try:
        table = np.loadtxt(io.BytesIO(data), delimiter=",", skiprows=1, usecols=(0, 1), ndmin=2)
    except ValueError as exc:
        raise ExportError(f"{path}: not a trace of time_ms,voltage_mv rows ({exc})") from None
    return table[:, 0], table[:, 1]


def _exercise(page: Path) -> tuple[str, ...]:
    """The exercise paragraphs of the handout page (the only text the teacher wrote for students)."""
    try:
        text = read_untrusted(page, MAX_PAGE_BYTES).decode("utf-8", "replace")
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise ExportError(f"{page}: cannot be read ({exc.strerror or exc})") from None
    parser = _ExerciseParser()
    parser.feed(text)
    return tuple(" ".join(p.split()) for p in parser.paragraphs if p.strip())


class _ExerciseParser(HTMLParser):
    """Collects the <p> texts inside <section class="exercise"> (gallery.build_handout_page writes it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._depth = 0  # sections open inside the exercise section
        self._in_p = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section" and (self._depth or ("class", "exercise") in attrs):
            self._depth += 1
        elif tag == "p" and self._depth:
            self._in_p = True
            self.paragraphs.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._depth:
            self._depth -= 1
        elif tag == "p":
            self._in_p = False

    def handle_data(self, data: str) -> None:
        if self._in_p and self._depth:
            self.paragraphs[-1] += data


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: Any, where: str) -> float:
    """A key value as a number (a count stays an int, so it is written as one)."""
    if not _is_number(value):
        raise ExportError(f"{where}: the key has no number here (got {value!r})")
    return value
