"""Manifests: what each render was made from and of, with hashes; and its cache key."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..config.models import Config
from ..errors import ApsimError
from ..names import MANIFEST, check_output_name
from ..version import __version__
from .files import file_matches, sha256_file, write_json
from .nofollow import is_inside_path, load_json_untrusted

# Where a render's config is, relative to the outputs folder (both with links resolved). A working
# directory changes with every shell and CI step; the path from the outputs folder does not, so
# stale detection and --prune give the same answer wherever a run starts.
CONFIG_FROM_OUTPUTS = "config_from_outputs"


def config_from_outputs(source: str | os.PathLike[str], out_dir: Path) -> str:
    """The config's path relative to the outputs folder, e.g. '../configs/classic.yaml'."""
    real = os.path.realpath(source)
    try:
        return Path(os.path.relpath(real, os.path.realpath(out_dir))).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return Path(real).as_posix()


def config_of(manifest: dict[str, Any] | RenderManifest, out_dir: Path) -> Path | None:
    """The config a render's manifest (or a set's answer key) names, as an absolute path; None without
    the stable field (written by an older version), which is then never called stale."""
    value = manifest.config_from_outputs if isinstance(manifest, RenderManifest) else manifest.get(CONFIG_FROM_OUTPUTS)
    if not isinstance(value, str) or not value or "\0" in value:
        return None
    return Path(os.path.normpath(os.path.join(os.path.realpath(out_dir), value)))


def file_record(path: Path, out_dir: Path, **details: Any) -> dict[str, Any]:
    """Path (relative to the outputs folder, with /), size and sha256 of one written file."""
    return {
        "path": path.relative_to(out_dir).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        **details,
    }


@functools.cache
def versions() -> dict[str, str]:
    """Versions of everything that shapes the output bytes."""
    from importlib.metadata import version

    from .ffmpeg import ffmpeg_version

    found = {"apsim-batch": __version__}
    for package in ("numpy", "scipy", "matplotlib", "pillow", "imageio", "imageio-ffmpeg", "pydantic"):
        found[package] = version(package)
    found["ffmpeg"] = ffmpeg_version()  # bounded; "unavailable (...)" when a render without MP4 needs none
    return found


def versions_soon() -> Callable[[], dict[str, str]]:
    """Start `versions()` in a thread and return a function that waits for it.

    It runs `ffmpeg -version` and reads package metadata (about 50-100 ms), so a render starts it
    first and collects it for the manifest at the end, instead of waiting for it.
    """
    found: dict[str, dict[str, str]] = {}

    def find() -> None:
        # A failure is not reported here: wait() calls versions() again so it reaches the caller.
        with contextlib.suppress(Exception):
            found["versions"] = versions()

    thread = threading.Thread(target=find, daemon=True)
    thread.start()

    def wait() -> dict[str, str]:
        thread.join()
        return found["versions"] if "versions" in found else versions()

    return wait


def resolved_parameters(config: Config, name: str) -> dict[str, Any]:
    """The config with every default filled in and the output name resolved, as plain JSON data."""
    return {**config.model_dump(mode="json"), "name": name}


def selected_formats(config: Config, only: Sequence[str] | None) -> list[str]:
    return [fmt for fmt in config.outputs if only is None or fmt in only]


def cache_key(parameters: dict[str, Any], formats: list[str]) -> str:
    """Hash of everything a render depends on: resolved parameters, formats and our version."""
    payload = json.dumps(
        {"parameters": parameters, "formats": sorted(formats), "version": __version__},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# Files written with a format rather than for it: the MP4's captions come and go with the MP4.
COMPANIONS = {"mp4": ("vtt",)}
MADE_WITH = {companion: fmt for fmt, companions in COMPANIONS.items() for companion in companions}


def file_key(parameters: dict[str, Any], fmt: str) -> str:
    """Hash of what one output file is made from: the resolved parameters, its format and our version.

    Each file record carries it, so a run limited to some formats keeps the other formats' files
    while they still match the config, and a later full run renders only what is missing or stale.
    """
    payload = json.dumps(
        {"parameters": parameters, "format": fmt, "version": __version__}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def valid_records(
    manifest: dict[str, Any] | None, parameters: dict[str, Any], formats: list[str], out_dir: Path
) -> dict[str, dict[str, Any]]:
    """The manifest's file records, by format, that are still right for `parameters` and on disk.

    Only formats in `formats` (and their companions) count; a record without a per-file key
    (an older manifest) never does.
    """
    wanted = {*formats, *(c for fmt in formats for c in COMPANIONS.get(fmt, ()))}
    records = manifest.get("files") if isinstance(manifest, dict) else None
    found = {}
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict) or record.get("format") not in wanted or not _inside(record.get("path")):
            continue
        if record.get("key") == file_key(parameters, record["format"]) and files_intact({"files": [record]}, out_dir):
            found[record["format"]] = record
    return {fmt: r for fmt, r in found.items() if MADE_WITH.get(fmt, fmt) in found}  # no captions without the MP4


def _inside(path: Any) -> bool:
    """A manifest path that stays inside the outputs folder (manifests on disk are untrusted)."""
    return isinstance(path, str) and not path.startswith(("/", "\\")) and ".." not in path.split("/")


def missing_formats(
    manifest: dict[str, Any] | None, parameters: dict[str, Any], formats: list[str], out_dir: Path
) -> list[str]:
    """Which of `formats` need rendering: no valid file of their own or of a companion on disk."""
    valid = valid_records(manifest, parameters, formats, out_dir)
    return [fmt for fmt in formats if any(f not in valid for f in (fmt, *COMPANIONS.get(fmt, ())))]


def files_intact(entry: dict[str, Any], out_dir: Path) -> bool:
    """True when every file a manifest entry lists exists with its recorded size and hash."""
    records = entry.get("files")
    if not isinstance(records, list) or not records:
        return False
    return all(isinstance(r, dict) and file_matches(out_dir, r) for r in records)


class FileRecord(BaseModel):
    """One file a manifest lists: its path from the outputs folder, size and sha256, and what it is.

    Format details (frames, fps, codec, rows, ...) are kept as written, as extra fields.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    path: str
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    bytes: Annotated[int, Field(ge=0)]
    format: str | None = None
    key: str | None = None  # see file_key

    @field_validator("path")
    @classmethod
    def _inside(cls, path: str) -> str:
        if not is_inside_path(path):
            raise ValueError("must be a path inside the outputs folder (no '..', no absolute path, no link)")
        return path

    def data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class RenderManifest(BaseModel):
    """A render's own manifest.json: what it was made from (config, parameters, versions) and of (files)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str
    files: Annotated[list[FileRecord], Field(min_length=1)]
    config: str | None = None
    config_sha256: str | None = None
    cache_key: str | None = None
    formats: list[str] = []
    parameters: dict[str, Any] = {}
    measurements: dict[str, Any] | None = None
    grid: dict[str, Any] | None = None
    tolerances: dict[str, Any] | None = None  # what a student can read off the figure (figure/readings.py)
    variant: dict[str, Any] | None = None
    config_from_outputs: str | None = None

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        why = check_output_name(name)
        if why is not None:
            raise ValueError(f"{name!r:.60} {why}")
        return name

    def data(self) -> dict[str, Any]:
        """The manifest as JSON data, exactly the keys it was read or made with."""
        return self.model_dump(mode="json", exclude_unset=True)


# Fields this version writes into a render's manifest; any other is reported (a newer version's, or an edit).
RENDER_FIELDS = frozenset(RenderManifest.model_fields) | {"phases", "refractory", "versions", "notes", "overrides"}
# What the top-level manifest keeps of each render's manifest (its summary entry).
SUMMARY_FIELDS = ("name", "config", "config_sha256", "cache_key", "parameters", "measurements", "files")


@dataclass(frozen=True)
class ManifestRead:
    """A manifest found in the outputs folder: the typed manifest (None when missing or unusable) and
    one line per problem (malformed or unknown fields), for the user."""

    manifest: RenderManifest | None
    problems: tuple[str, ...] = ()


def load_render_manifest(path: Path) -> ManifestRead:
    """A render's manifest.json, validated; malformed fields make it unusable (the render is redone) and
    unknown ones are kept; both are reported, never raised."""
    data = read_manifest(path)
    if data is None:
        return ManifestRead(None, () if not os.path.lexists(path) else (f"{path}: not a readable manifest; ignored",))
    try:
        manifest = RenderManifest.model_validate(data)
    except ValidationError as exc:
        return ManifestRead(None, (f"{path}: {first_problem(exc)}; ignored, the render is redone",))
    unknown = sorted(set(data) - RENDER_FIELDS)
    shown = ", ".join(repr(key)[:40] for key in unknown[:5])
    return ManifestRead(manifest, (f"{path}: unknown field {shown}; kept as it is",) if unknown else ())


def first_problem(exc: ValidationError) -> str:
    """The first problem pydantic found in a manifest, as `field.path: what is wrong` (one line)."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"{where}: {first['msg']}"


def read_manifest(path: Path) -> dict[str, Any] | None:
    """A manifest's content, or None when it is missing, unreadable, a link, a FIFO, huge or too deep
    (it is then rebuilt): a manifest found in the outputs folder is untrusted input."""
    try:
        data = load_json_untrusted(path)
    except (OSError, ValueError, ApsimError):
        return None
    return data if isinstance(data, dict) else None


def update_batch_manifest(
    out_dir: Path, renders: dict[str, dict[str, Any]], dropped: Iterable[str] = (), *, hash_kept: bool = False
) -> None:
    """Merge renders into the top-level manifest: the one place it is updated (run and merge alike).

    Entries of other renders stay while their files are still there (size checked; sha256 too with
    `hash_kept`); entries named in `dropped` (being redone, or pruned) go unless `renders` has them.
    """
    gone = set(dropped)
    existing = read_manifest(out_dir / MANIFEST) or {}
    kept = existing.get("renders")
    entries = {}
    for entry in kept if isinstance(kept, list) else []:
        summary = _summary(entry)  # an entry read back is untrusted: a valid name and records, files still there
        if summary is not None and summary.name not in gone and _files_there(summary, out_dir, hash_kept):
            entries[summary.name] = summary.data()
    entries.update(renders)
    summaries = [{key: entry[key] for key in SUMMARY_FIELDS if key in entry} for _, entry in sorted(entries.items())]
    write_json(out_dir / MANIFEST, {"apsim_batch_version": __version__, "renders": summaries})


def _summary(entry: Any) -> RenderManifest | None:
    try:
        return RenderManifest.model_validate(entry)
    except ValidationError:
        return None


def _files_there(manifest: RenderManifest, out_dir: Path, hash_it: bool) -> bool:
    return all(file_matches(out_dir, record.data(), hash_it=hash_it) for record in manifest.files)
