"""Manifests: what each render was made from and of, with hashes; and its cache key."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .. import __version__
from ..names import MANIFEST
from .files import file_matches, sha256_file, write_json


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

    import imageio_ffmpeg

    found = {"apsim-batch": __version__}
    for package in ("numpy", "scipy", "matplotlib", "pillow", "imageio", "imageio-ffmpeg", "pydantic"):
        found[package] = version(package)
    found["ffmpeg"] = imageio_ffmpeg.get_ffmpeg_version()
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


def cache_key(parameters: dict[str, Any], formats: list[str]) -> str:
    """Hash of everything a render depends on: resolved parameters, formats and our version."""
    payload = json.dumps(
        {"parameters": parameters, "formats": sorted(formats), "version": __version__},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def files_intact(entry: dict[str, Any], out_dir: Path) -> bool:
    """True when every file a manifest entry lists exists with its recorded size and hash."""
    records = entry.get("files")
    if not isinstance(records, list) or not records:
        return False
    return all(isinstance(r, dict) and file_matches(out_dir / str(r.get("path")), r) for r in records)


def read_manifest(path: Path) -> dict[str, Any] | None:
    """A manifest's content, or None when it is missing or unreadable (it is then rebuilt)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
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
    entries = {
        entry["name"]: entry
        for entry in existing.get("renders", [])
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"] not in gone
        if isinstance(entry.get("files"), list)
        and all(
            file_matches(out_dir / str(r.get("path")), r, hash_it=hash_kept)
            for r in entry["files"]
            if isinstance(r, dict)
        )
    }
    entries.update(renders)
    summaries = [
        {
            key: entry[key]
            for key in ("name", "config", "config_sha256", "cache_key", "parameters", "measurements", "files")
            if key in entry
        }
        for _, entry in sorted(entries.items())
    ]
    write_json(out_dir / MANIFEST, {"apsim_batch_version": __version__, "renders": summaries})
