"""The teacher's posters of a variant set: each variant's figure with its measurements drawn as calipers.

They live in the set's teacher folder beside the answer key, which records them (format "calipers"):
never in the handout folder, never in the student zip. The drawing is figure/calipers.py's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..config.load import LoadedConfig
from .files import file_matches
from .manifest import file_record
from .ownership import delete_recorded

TEACHER = "teacher"  # a set's teacher folder: answer key and posters (answers.py imports it from here)
CALIPERS = "{name}-calipers.png"  # in the teacher folder: never copied to handouts, never in the student zip


def write_calipers(
    out_dir: Path, name: str, variants: Sequence[tuple[LoadedConfig, Mapping[str, Any]]], owned: Sequence[dict]
) -> list[dict[str, Any]]:
    """Each variant's teacher poster with calipers (figure/calipers.py), in the set's teacher folder; their records.

    A poster the previous key recorded for the same render (its cache key) and still on disk is kept as it
    is; posters of variants the set no longer has are deleted if unchanged.
    """
    from ..figure.calipers import calipers_poster
    from ..trace.models import analyze
    from .encode import write_png

    before = {r["path"]: r for r in owned if r.get("format") == "calipers"}
    records = []
    for member, manifest in variants:
        path = out_dir / name / TEACHER / CALIPERS.format(name=member.name)
        relative = path.relative_to(out_dir).as_posix()
        old = before.get(relative)
        if old is not None and old.get("made_from") == manifest.get("cache_key") and file_matches(out_dir, old):
            records.append(old)
            continue
        write_png(path, calipers_poster(member.config, analyze(member.config), member.variant.ask))
        record = file_record(path, out_dir, format="calipers", variant=member.variant.id)
        records.append({**record, "made_from": manifest.get("cache_key")})
    keep = {r["path"] for r in records}
    delete_recorded(out_dir, [r for r in before.values() if r["path"] not in keep])
    return records
