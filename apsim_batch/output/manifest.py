"""Manifests: what each render was made from and of, with hashes; and its cache key."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import __version__
from .encode import write_json

MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    for record in entry.get("files", []):
        path = out_dir / record["path"]
        try:
            if path.stat().st_size != record["bytes"] or sha256_file(path) != record["sha256"]:
                return False
        except (OSError, KeyError, TypeError):
            return False
    return bool(entry.get("files"))


def read_manifest(path: Path) -> dict[str, Any] | None:
    """A manifest's content, or None when it is missing or unreadable (it is then rebuilt)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_batch_manifest(out_dir: Path, entries: dict[str, dict[str, Any]]) -> None:
    """The top-level manifest: one summary per render, sorted by name, written atomically."""
    renders = [
        {
            key: entry[key]
            for key in ("name", "config", "config_sha256", "cache_key", "parameters", "measurements", "files")
            if key in entry
        }
        for _, entry in sorted(entries.items())
    ]
    write_json(out_dir / MANIFEST, {"apsim_batch_version": __version__, "renders": renders})
