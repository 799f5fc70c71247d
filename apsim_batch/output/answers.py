"""What a variant set leaves beside its renders: the teacher's answer key and the student handouts.

Layout, inside the outputs folder (each variant is also an ordinary render in `<set>-vNN/`):

    <set>/teacher/answer_key.csv    id, name, each varied field, each measurement (first row: tolerances)
    <set>/teacher/answer_key.json   the same, with the set's mode, seed and source config
    <set>/teacher/<set>-vNN-calipers.png   each variant's figure with its measurements drawn as calipers
    <set>/handouts/                 only for student sets: index.html (the student page),
                                    <set>-vNN.gif/.mp4/.png/.vtt and a manifest.json naming the
                                    set, the variant ids and the files

The handout folder is meant to be shared as it is (pack.py zips it): file names, titles, captions,
its page and its manifest carry only the set name, the variant ids and the set's exercise text.
trace.csv is left out of it, because the trace is the answer; so are the phase captions of the
render's own MP4 (naming the phases answers "does it fire?"): handout captions say only what is drawn.
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config.load import LoadedConfig
from ..config.variants import variant_ids
from ..errors import ApsimError, UnsafePathError
from ..names import INDEX, MANIFEST, PARTIAL_MARK
from ..trace.measure import SPIKE_KEYS
from ..trace.models import model_of
from ..version import __version__
from .captions import describing_cue, vtt_text
from .files import atomic_path, file_matches, set_folder, sha256_file, write_bytes_atomic, write_json
from .formats import FORMATS
from .gallery import build_handout_page
from .manifest import CONFIG_FROM_OUTPUTS, config_from_outputs, config_of, file_record, read_manifest
from .nofollow import inside_file, unlink_entry
from .ownership import delete_recorded, remove_empty_folders
from .posters import TEACHER, write_calipers

HANDOUTS = "handouts"  # TEACHER, the teacher folder, is posters.py's
ANSWER_CSV, ANSWER_JSON = "answer_key.csv", "answer_key.json"
STUDENT_ZIP, TEACHER_ZIP = "{set}-students.zip", "{set}-teacher.zip"  # written by pack.py
PACKED = "packed.json"  # pack.py's record of the zips it wrote into the set's folder (so prune may remove them)
HANDOUT_FORMATS = tuple(name for name, fmt in FORMATS.items() if fmt.handout)  # never csv: it gives answers away
# The answer key's first row after the header: the marking tolerance of each measured column.
TOLERANCE_ID, TOLERANCE_NAME = "tolerance", "± what the figure lets a student read (in each column's unit)"
TOLERANCE_RULE = (
    "An answer within the tolerance of the measured value is right. A value read off the figure is right to half"
    " a minor grid step of the axes it is read on (the rest-zoom panel near rest, else the voltage axes) plus half"
    " the drawn line's width; a difference of two readings (amplitude, AHP depth) adds both; a time where the"
    " trace crosses a level (half-width's ends, recovery) adds the level's uncertainty divided by the trace's slope"
    " there; the time of a peak or trough adds half the stretch the trace stays within a reading of it; a duration"
    " adds both ends. The set's tolerance is the largest of its variants'. Counts must be exact; a rate is computed,"
    " not read, and has none."
)


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
    # Every variant the set defines, not only those that loaded: one refused by a name clash counts too.
    rendered = {m.variant.id for m in members if m.name in manifests}
    missing = [vid for vid in variant_ids(members[0].variant.size) if vid not in rendered]
    if missing:
        with contextlib.suppress(FileNotFoundError):  # no teacher folder: no stale key to remove
            set_folder(out_dir, name, TEACHER, create=False)
            owned = key_records(out_dir, name)
            unlink_entry(teacher / ANSWER_JSON)  # the set's record goes first, then what it recorded
            stale = [r for r in owned if r["path"] == f"{name}/{TEACHER}/{ANSWER_CSV}" or r.get("format") == "calipers"]
            delete_recorded(out_dir, stale)
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        return SetResult(
            name, source, len(members), error=f"{source}: {name}: no answer key, because variants failed: {shown}"
        )
    set_folder(out_dir, name, TEACHER)
    _remove_partials(teacher)
    owned = key_records(out_dir, name)  # what the previous key recorded: all this set may replace or delete
    unlink_entry(teacher / ANSWER_JSON)  # gone while the set's files change; written again last
    rows = [_row(m, manifests[m.name]) for m in members]
    key = answer_key(members, rows, [manifests[m.name] for m in members])
    if members[0].source_real is not None:  # the stable identity stale detection uses (see manifest.py)
        key[CONFIG_FROM_OUTPUTS] = config_from_outputs(members[0].source_real, out_dir)
    write_bytes_atomic(teacher / ANSWER_CSV, answer_csv(key).encode("utf-8"))
    files = [teacher / ANSWER_CSV]
    posters = write_calipers(out_dir, name, [(m, manifests[m.name]) for m in members], owned)
    student = members[0].variant.student
    if student:
        variants = [(m.variant.id, manifests[m.name]) for m in members]
        info = members[0].variant
        files += write_handouts(out_dir, name, variants, info.exercise, owned, info.ask)
    else:
        remove_handouts(out_dir, name, owned)
    key["files"] = [file_record(f, out_dir) for f in files] + posters  # the set's record of what it owns
    write_json(teacher / ANSWER_JSON, key)
    return SetResult(
        name,
        source,
        len(members),
        tuple(f.relative_to(out_dir).as_posix() for f in [teacher / ANSWER_JSON, *files])
        + tuple(p["path"] for p in posters),
        handouts=student,
    )


def _row(member: LoadedConfig, manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": member.variant.id,
        "name": member.name,
        "values": dict(member.variant.values),
        "measurements": _key_measurements(member, manifest.get("measurements") or {}),
    }


# The answer key's columns, in this order: whole trace, then the first spike (every spike is in the JSON).
KEY_COLUMNS = ("resting_mv", "spike_count", "firing_rate_hz", *SPIKE_KEYS)
_THRESHOLD_KEYS = ("threshold_mv", "threshold_time_ms")
NO_THRESHOLD_NOTE = "threshold: a Gaussian waveform is a drawn shape with no threshold, so this key has none"


def _key_measurements(member: LoadedConfig, found: dict[str, Any]) -> dict[str, Any]:
    """The render's measurements; a threshold the model never measures (a Gaussian's) left out, not shown blank."""
    if model_of(member.config.waveform).threshold:
        return found
    spikes = [{k: v for k, v in s.items() if k not in _THRESHOLD_KEYS} for s in found.get("spikes") or []]
    return {**{k: v for k, v in found.items() if k not in _THRESHOLD_KEYS}, "spikes": spikes}


def _spikes_without_threshold(member: LoadedConfig) -> bool:
    """A model that measures spikes but no threshold (a Gaussian's drawn shape): its key says why none is
    given. An experiment (the clamp, the axon) measures no spikes at all, so it needs no such note."""
    model = model_of(member.config.waveform)
    return not model.threshold and "spike_count" in model.measurements


def answer_key(
    members: Sequence[LoadedConfig], rows: list[dict[str, Any]], manifests: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """The answer key as JSON data: the set, how it was made, what it asks, each variant's values and measurements."""
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
        "ask": list(info.ask) if info.ask else None,
        "overrides": dict(first.overrides),
        "tolerances": tolerances(rows, manifests),
        "tolerance_rule": TOLERANCE_RULE,
        "measurement_definitions": "see the README's measurement table and apsim_batch/trace/measure.py",
        "measurement_notes": [NO_THRESHOLD_NOTE] if _spikes_without_threshold(first) else [],
        "apsim_batch_version": __version__,
        "variants": rows,
    }


def tolerances(rows: list[dict[str, Any]], manifests: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """Per measured column, the set's marking tolerance: the largest of its variants' (figure/readings.py).

    Each variant's tolerances are what its own figure lets a student read (`tolerances` in its render's
    manifest). A manifest written before those were recorded has its grid instead: one minor step.
    """
    # the CSV's columns: scalar measurements (per-spike lists and the stimulus live in the JSON only)
    columns = {
        m for row in rows for m, v in row["measurements"].items() if not isinstance(v, dict | list) and m != "stimulus"
    }
    found: dict[str, float | None] = dict.fromkeys(columns)
    for manifest in manifests or [{}]:
        readable = manifest.get("tolerances")
        grid = manifest.get("grid") if isinstance(manifest.get("grid"), dict) else {}
        for column in columns:
            value = readable.get(column) if isinstance(readable, dict) else tolerance(column, grid)
            if isinstance(value, int | float) and not isinstance(value, bool):
                found[column] = value if found[column] is None else max(found[column], value)
    return dict(sorted(found.items()))


def tolerance(column: str, grid: Mapping[str, Any]) -> float | None:
    """An older render's tolerance of a measured column (its manifest has a grid but no tolerances):
    what one minor grid step represents; a count exact; a rate (computed, not read) none."""
    if column.endswith("_count"):
        return 0
    step = grid.get("voltage_minor_mv") if column.endswith("_mv") else grid.get("time_minor_ms")
    return float(step) if column.endswith(("_mv", "_ms")) and isinstance(step, int | float) else None


def answer_csv(key: dict[str, Any]) -> str:
    """One row per variant: id, name, each varied field (as written in the set), each measurement."""
    fields = key["fields"]
    # Measurements in their definition order whether they came from a fresh render or a stored manifest.
    found = {
        m
        for row in key["variants"]
        for m, v in row["measurements"].items()
        if not isinstance(v, (dict, list)) and m != "stimulus"  # every spike and the stimulus: JSON only
    }
    measures = [m for m in KEY_COLUMNS if m in found] + sorted(found - set(KEY_COLUMNS))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([text_cell(str(f)) for f in ("id", "name", *fields, *measures)])
    # first, how far an answer may be off and still be right (one minor grid step), per column
    limits = key.get("tolerances", {})
    writer.writerow([TOLERANCE_ID, TOLERANCE_NAME, *[""] * len(fields), *(_cell(limits.get(m)) for m in measures)])
    for row in key["variants"]:
        values = [_cell(row["values"].get(f)) for f in fields]
        writer.writerow(
            [_cell(row["id"]), _cell(row["name"]), *values, *(_cell(row["measurements"].get(m)) for m in measures)]
        )
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)  # a number stays a number, sign and all
    return text_cell(value if isinstance(value, str) else str(value))


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...), @SUM(...), +cmd|...).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """A text cell that a spreadsheet shows as text and never runs: OWASP's CSV-injection advice, a
    leading single quote before a formula character. Numbers never pass through here."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_handouts(
    out_dir: Path,
    name: str,
    variants: list[tuple[str, dict[str, Any]]],
    exercise: str | None = None,
    owned: Sequence[dict[str, Any]] = (),
    ask: Sequence[str] | None = None,
) -> list[Path]:
    """Copy each variant's pictures into the handout folder under names that reveal nothing, with
    captions that name nothing, the student page (index.html) and the folder's manifest.

    `owned` are the set's records from its previous answer key: handouts recorded there that this
    set no longer has (fewer variants) are deleted if unchanged; nothing else in the folder is touched.
    """
    folder = set_folder(out_dir, name, HANDOUTS)
    _remove_partials(folder)
    unlink_entry(folder / MANIFEST)  # gone while the media change; written again after them
    records: list[dict[str, Any]] = []
    shown = []
    for vid, manifest in variants:
        shown.append((vid, _handout_variant(out_dir, folder, name, vid, manifest, records)))
    written = [folder / record["path"] for record in records]
    write_bytes_atomic(folder / INDEX, build_handout_page(name, shown, exercise, ask).encode("utf-8"))
    write_json(folder / MANIFEST, {"set": name, "variants": [vid for vid, _ in variants], "files": records})
    written += [folder / INDEX, folder / MANIFEST]
    keep = {path.relative_to(out_dir).as_posix() for path in written}
    delete_recorded(out_dir, [r for r in _under(owned, name, HANDOUTS) if r["path"] not in keep])
    return written


def _handout_variant(
    out_dir: Path, folder: Path, name: str, vid: str, manifest: dict[str, Any], records: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """One variant's handout files (copied media, generated captions); appends their records."""
    files: dict[str, dict[str, Any]] = {}
    for record in manifest.get("files", []):
        fmt = record.get("format")
        if fmt not in HANDOUT_FORMATS:
            continue
        target = folder / f"{name}-{vid}.{fmt}"
        if not file_matches(out_dir, {**record, "path": target.relative_to(out_dir).as_posix()}):
            source = inside_file(out_dir, record.get("path"))  # a manifest read back names anything
            if source is None:
                raise UnsafePathError(out_dir / str(record.get("path")), "is not a regular file inside the folder")
            with atomic_path(target) as temp:
                shutil.copyfile(source, temp)
        records.append({"path": target.name, "variant": vid, "format": fmt, "sha256": record["sha256"]})
        files[fmt] = {"path": target.name}
        if fmt == "mp4":
            text = _handout_captions(name, vid, record)
            captions = target.with_suffix(".vtt")
            write_bytes_atomic(captions, text.encode("utf-8"))
            records.append({"path": captions.name, "variant": vid, "format": "vtt", "sha256": sha256_file(captions)})
            files["vtt"] = {"path": captions.name, "text": text}
    return files


def _handout_captions(name: str, vid: str, mp4: dict[str, Any]) -> str:
    """One cue over the whole video saying what is drawn, and nothing that answers the exercise."""
    duration = mp4.get("duration_s")
    seconds = float(duration) if isinstance(duration, (int, float)) and duration > 0 else 3600.0
    text = f"[No sound] The membrane voltage trace of {name} · {vid} is drawn from left to right, then held."
    return vtt_text(describing_cue(seconds, text))


def remove_handouts(out_dir: Path, name: str, owned: Sequence[dict[str, Any]]) -> None:
    """Remove the handouts the set's previous answer key recorded (unchanged ones; other files stay)."""
    try:
        folder = set_folder(out_dir, name, HANDOUTS, create=False)
    except FileNotFoundError:
        return
    records = _under(owned, name, HANDOUTS)
    manifests = [r for r in records if r["path"].endswith(f"/{MANIFEST}")]
    delete_recorded(out_dir, [*manifests, *(r for r in records if r not in manifests)])  # the record first
    remove_empty_folders(out_dir, [folder.relative_to(out_dir).as_posix()])


def key_records(out_dir: Path, name: str) -> list[dict[str, Any]]:
    """The files a set's answer key records (its CSV and handouts) and the zips pack recorded, the
    records themselves first (their sha256 as read now: they are the set's manifests); [] without a key."""
    path = out_dir / name / TEACHER / ANSWER_JSON
    if set_source(out_dir, name) is None or inside_file(out_dir, f"{name}/{TEACHER}/{ANSWER_JSON}") is None:
        return []
    records = [{"path": f"{name}/{TEACHER}/{ANSWER_JSON}", "sha256": sha256_file(path)}]
    packed = inside_file(out_dir, f"{name}/{PACKED}")
    if packed is not None:
        records.append({"path": f"{name}/{PACKED}", "sha256": sha256_file(packed)})
    for manifest in (path, packed):
        listed = (read_manifest(manifest) or {}).get("files") if manifest is not None else None
        records += [r for r in listed or [] if isinstance(r, dict) and isinstance(r.get("path"), str)]
    return records


def _under(records: Iterable[dict[str, Any]], *parts: str) -> list[dict[str, Any]]:
    prefix = "/".join(parts) + "/"
    return [r for r in records if r["path"].startswith(prefix)]


def set_source(out_dir: Path, name: str) -> str | None:
    """The config a set folder was made from, as its answer key records it (None: not a set folder)."""
    folder = out_dir / name
    if folder.is_symlink() or (folder / TEACHER).is_symlink() or not folder.is_dir():
        return None
    key = read_manifest(folder / TEACHER / ANSWER_JSON)
    return key["config"] if key and isinstance(key.get("config"), str) and key.get("set") == name else None


def set_config(out_dir: Path, name: str) -> Path | None:
    """The config a set folder was made from, by its stable path from the outputs folder (None: not a
    set folder, or an answer key written before that path was recorded)."""
    if set_source(out_dir, name) is None:
        return None
    key = read_manifest(out_dir / name / TEACHER / ANSWER_JSON)
    return config_of(key, out_dir) if key else None


def _remove_partials(folder: Path) -> None:
    for path in folder.glob(f".*{PARTIAL_MARK}*"):
        with contextlib.suppress(OSError):
            path.unlink()
