"""The outputs folder on disk: atomic writes, the lock, render folders, leftovers, file checks, pruning.

Every file apsim-batch writes goes through `atomic_path`, so a reader (or a killed run) never sees
half a file under its final name; names come from `names.py`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import LockedError, RenderError
from ..names import LOCK_FILE, MANIFEST, PARTIAL_MARK


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final`; move it into place only if the block succeeds.

    The temporary name keeps the suffix, because imageio picks its writer from it. A crash or
    kill leaves at most a `.NAME.partial-PID.EXT` file, which the next run removes.
    """
    temp = final.with_name(f".{final.stem}{PARTIAL_MARK}{os.getpid()}{final.suffix}")
    try:
        yield temp
        os.replace(temp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_path(path) as temp, open(temp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_json(path: Path, data: Any) -> None:
    """Deterministic JSON (sorted keys, fixed indentation), written atomically."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_matches(path: Path, record: Any, *, hash_it: bool = True) -> bool:
    """True when `path` is a file with the size (and, with `hash_it`, the sha256) that `record` lists.

    The one check of a file against its manifest record; a malformed record simply does not match.
    """
    try:
        if path.stat().st_size != record["bytes"]:
            return False
        return not hash_it or sha256_file(path) == record["sha256"]
    except (OSError, KeyError, TypeError):
        return False


def output_folder(out_dir: Path, name: str) -> Path:
    """The render's folder inside `out_dir`, refusing anything that would escape it."""
    folder = out_dir / name
    if folder.is_symlink():
        raise RenderError(f"{folder} is a symbolic link; refusing to write through it")
    if folder.resolve().parent != out_dir.resolve():
        raise RenderError(f"output name {name!r} would leave the outputs folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """An OS lock on the outputs folder, released when the process ends however it ends.

    A second run refuses at once (it does not wait), naming the process that holds the lock.
    """
    import fcntl

    with open(out_dir / LOCK_FILE, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read(20).strip()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise LockedError(
                f"{out_dir}: another apsim-batch run{who} is writing here; wait for it to finish or use another --out"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield


def render_folders(out_dir: Path) -> Iterator[Path]:
    """Real sub-folders of the outputs folder; symbolic links are never followed."""
    with contextlib.suppress(OSError):
        for entry in sorted(out_dir.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                yield entry


def remove_partial_files(out_dir: Path) -> int:
    """Delete temporary files left by an interrupted run; they are never listed in a manifest.

    Walks the whole outputs folder (answer keys live two levels down) without following links.
    """
    removed = 0
    for folder, dirs, names in os.walk(out_dir, followlinks=False):
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink()]
        for name in names:
            if name.startswith(".") and PARTIAL_MARK in name:
                with contextlib.suppress(OSError):
                    (Path(folder) / name).unlink()
                    removed += 1
    return removed


def remove_render_folders(out_dir: Path, names: Iterable[str]) -> list[str]:
    """Remove the named render folders (each must be a real folder holding a manifest.json)."""
    removed = []
    for name in names:
        folder = out_dir / name
        if folder.is_symlink() or not (folder / MANIFEST).is_file() or folder.parent != out_dir:
            continue
        shutil.rmtree(folder)
        removed.append(name)
    return removed
