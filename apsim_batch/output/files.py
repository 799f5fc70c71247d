"""The outputs folder on disk: atomic writes, the lock, render folders, leftovers, file checks.

Every file apsim-batch writes goes through `atomic_path`, so a reader (or a killed run) never sees
half a file under its final name; names come from `names.py`. Nothing is written, replaced or
deleted through a link apsim-batch did not make (see `nofollow.py`): temporaries are created
exclusively under unguessable names, final names that are links are refused, and every folder
below the outputs folder is checked before it is entered.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import LockedError, OutputsFolderError, PlatformError, RenderError, UnsafePathError
from ..names import LOCK_FILE, PARTIAL_MARK
from .nofollow import (
    LINK_MESSAGE,
    O_CLOEXEC,
    O_NOFOLLOW,
    O_NONBLOCK,
    check_target,
    checked_folder,
    create_exclusive,
    inside_file,
    open_lock,
    temporary_name,
)


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final`; move it into place only if the block succeeds.

    The temporary name keeps the suffix, because imageio picks its writer from it. A crash or
    kill leaves at most a `.NAME.partial-PID-RANDOM.EXT` file, which the next run removes. The
    temporary is created here, exclusively (O_EXCL | O_NOFOLLOW), so the writer that opens it
    next opens our own new file; a link or special file at `final` is refused, never replaced.
    """
    check_target(final)
    temp = temporary_name(final, PARTIAL_MARK)
    try:  # created inside the try, so an interrupt right after creation still removes it
        try:
            os.close(create_exclusive(temp))
        except OSError as exc:  # name the file the user knows, not our temporary (read-only folder, full disk)
            raise OSError(exc.errno, exc.strerror, str(final)) from None
        yield temp
        check_target(final)
        os.replace(temp, final)  # rename replaces the entry itself; it never follows a link
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
    """The sha256 of a regular file, opened without following a link or blocking on a FIFO."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_matches(out_dir: Path, record: Any, *, hash_it: bool = True) -> bool:
    """True when the file `record` lists is a regular file inside `out_dir` with its size (and, with
    `hash_it`, its sha256).

    The one check of a file against its manifest record. A malformed record, a path that leaves
    the folder or passes through a link, and a FIFO or device all simply do not match.
    """
    if not isinstance(record, dict):
        return False
    path = inside_file(out_dir, record.get("path"))
    try:
        if path is None or path.stat().st_size != record["bytes"]:
            return False
        return not hash_it or sha256_file(path) == record["sha256"]
    except (OSError, KeyError, TypeError):
        return False


def output_folder(out_dir: Path, name: str) -> Path:
    """The render's folder inside `out_dir`, refusing a name that would escape it or a planted link."""
    folder = out_dir / name
    if len(folder.relative_to(out_dir).parts) != 1 or name in (".", ".."):
        raise RenderError(f"output name {name!r} would leave the outputs folder")
    return checked_folder(out_dir, folder)


def prepare_out_dir(out_dir: Path) -> Path:
    """Create the outputs folder if needed; one clear error when --out names a file or a dangling link."""
    if os.path.islink(out_dir) and not os.path.exists(out_dir):
        raise OutputsFolderError(f"{out_dir}: --out is a link to {os.readlink(out_dir)}, which does not exist")
    if os.path.lexists(out_dir) and not os.path.isdir(out_dir):
        raise OutputsFolderError(f"{out_dir}: --out names a file, not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputsFolderError(
            f"{exc.filename or out_dir}: cannot create the outputs folder ({exc.strerror or exc})"
        ) from None
    return out_dir


def check_render_folder(out_dir: Path, name: str) -> None:
    """Refuse a render or set folder that is a link or a file (a missing one is fine; it is made later)."""
    path = out_dir / name
    if os.path.islink(path):
        raise UnsafePathError(path, LINK_MESSAGE)
    if os.path.lexists(path) and not os.path.isdir(path):
        raise UnsafePathError(path, "is not a folder")


def set_folder(out_dir: Path, *parts: str, create: bool = True) -> Path:
    """A folder of a variant set (`<set>/teacher`, `<set>/handouts`), every component checked."""
    return checked_folder(out_dir, out_dir.joinpath(*parts), create=create)


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """An OS lock on the outputs folder, released when the process ends however it ends.

    A second run refuses at once (it does not wait), naming the process that holds the lock.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no POSIX locks, and no no-follow opens to keep planted links out
        raise PlatformError(
            "apsim-batch runs on Linux and macOS: this system has no fcntl, which the outputs folder's lock"
            " needs (on Windows, run it under WSL)"
        ) from None

    fd = open_lock(out_dir / LOCK_FILE)  # no-follow: a planted link here fails the run, untouched
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 20, 0).decode("ascii", "replace").strip()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise LockedError(
                f"{out_dir}: another apsim-batch run{who} is writing here; wait for it to finish or use another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)


def render_folders(out_dir: Path) -> Iterator[Path]:
    """Real sub-folders of the outputs folder; symbolic links are never followed."""
    with contextlib.suppress(OSError):
        for entry in sorted(out_dir.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                yield entry


PARTIAL_DEPTH = 3  # apsim-batch writes at most three levels down: <set>/teacher/<file>


def remove_partial_files(out_dir: Path) -> int:
    """Delete temporary files left by an interrupted run; they are never listed in a manifest.

    Looks only where apsim-batch writes (at most three folder levels, answer keys being the deepest),
    without following links, so a 1,100-deep folder someone left in the outputs folder costs nothing.
    """
    removed = 0
    folders = [(out_dir, 0)]
    while folders:
        folder, depth = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if depth + 1 < PARTIAL_DEPTH:
                    folders.append((Path(entry.path), depth + 1))
            elif entry.name.startswith(".") and PARTIAL_MARK in entry.name:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)  # unlink removes a link itself, never its target
                    removed += 1
    return removed
