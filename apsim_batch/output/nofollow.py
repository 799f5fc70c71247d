"""No-follow access to the outputs folder: checked folders, exclusive temporaries, the lock, defensive reads.

An outputs folder restored from a CI cache or unzipped from an artifact may hold links and
special files that apsim-batch did not make. The rule: below the outputs folder (the folder
itself may be a link the user chose), nothing is written, replaced or deleted through a link,
and nothing found there is trusted: only regular files are read, with a size cap, without
blocking, and JSON is depth-capped. A folder component is checked with lstat before it is
entered; a planted link makes that render (or, for the lock, the run) fail with one line.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from ..errors import UnsafePathError

O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
MAX_JSON_BYTES = 64 * 1024 * 1024  # a render's manifest is kilobytes; a 10,000-variant top-level one ~50 MB
MAX_JSON_DEPTH = 64  # our manifests nest about 8 deep


LINK_MESSAGE = "is a link apsim-batch did not make; nothing is written through it (remove it and run again)"


def checked_folder(out_dir: Path, folder: Path, *, create: bool = True) -> Path:
    """`folder` (out_dir or inside it), each component below out_dir checked to be a real folder.

    Missing components are created; a link, or a file where a folder belongs, raises
    UnsafePathError. `out_dir` itself is the user's choice and is not checked.
    """
    relative = folder.relative_to(out_dir)
    if create:
        out_dir.mkdir(parents=True, exist_ok=True)  # the user's chosen folder (a library caller may not have made it)
    current = out_dir
    for part in relative.parts:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            if not create:
                raise
            with contextlib.suppress(FileExistsError):  # mkdir never follows a link at `current`
                os.mkdir(current)
            info = os.lstat(current)
        if stat.S_ISLNK(info.st_mode):
            raise UnsafePathError(current, LINK_MESSAGE)
        if not stat.S_ISDIR(info.st_mode):
            raise UnsafePathError(current, "is not a folder")
    return folder


def check_target(path: Path) -> None:
    """Refuse to replace `path` when it is a link or a folder (a missing one is fine).

    A FIFO or device planted under a name we write is replaced by rename, which swaps the directory
    entry and never opens it; a link is refused, so that a planted one is noticed, not silently lost.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePathError(path, LINK_MESSAGE)
    if stat.S_ISDIR(info.st_mode):
        raise UnsafePathError(path, "is a folder where a file belongs")


def create_exclusive(path: Path, mode: int = 0o644) -> int:
    """Open a new file for writing that cannot be a link or an existing file (O_EXCL | O_NOFOLLOW)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)


def temporary_name(final: Path, mark: str) -> Path:
    """`.STEM<mark>PID-RANDOM.EXT` beside `final`: unguessable, so nobody can plant a link there first."""
    return final.with_name(f".{final.stem}{mark}{os.getpid()}-{secrets.token_hex(4)}{final.suffix}")


def unlink_entry(path: Path) -> bool:
    """Remove one directory entry (a link itself, never its target); False when it was not there."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(info.st_mode):
        raise UnsafePathError(path, "is a folder where a file belongs")
    os.unlink(path)  # unlink never follows a link
    return True


def open_lock(path: Path) -> int:
    """Open (or create) the lock file without following a link or blocking on a FIFO."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise UnsafePathError(path, LINK_MESSAGE) from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        os.close(fd)  # a hard link would let the PID we write land in someone else's file
        why = "is not a regular file" if not stat.S_ISREG(info.st_mode) else "has other hard links"
        raise UnsafePathError(path, f"{why}; apsim-batch writes its lock only into a file of its own")
    return fd


# --- reading what is found in the outputs folder ---------------------------------------------------


def read_untrusted(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file under the outputs folder; UnsafePathError for links, FIFOs, devices
    and files over `max_bytes`. Never blocks and never reads more than max_bytes + 1."""
    try:
        fd = os.open(path, os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise UnsafePathError(path, "is a link; files found in the outputs folder are not followed") from None
        raise
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePathError(path, "is not a regular file")
        if info.st_size > max_bytes:
            raise UnsafePathError(path, f"is {info.st_size:,} bytes, over the {max_bytes:,} read from such a file")
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnsafePathError(path, f"grew past {max_bytes:,} bytes while being read")
    return data


def load_json_untrusted(path: Path, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON from a file found in the outputs folder; UnsafePathError, OSError or ValueError when it
    is not a small, shallow, well-formed regular file. A missing file raises FileNotFoundError."""
    return loads_capped(read_untrusted(path, max_bytes), path, max_depth)


def loads_capped(raw: bytes, where: Path, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse untrusted JSON bytes; ValueError when malformed or nested deeper than `max_depth`."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:  # the parser's own guard against 100,000 nested brackets
        raise ValueError(f"{where}: nested deeper than {max_depth} levels") from None
    if _depth(data) > max_depth:
        raise ValueError(f"{where}: nested deeper than {max_depth} levels")
    return data


def _depth(data: Any) -> int:
    """How deeply lists and mappings nest, found without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth)
            stack += [(item, depth + 1) for item in node if isinstance(item, dict | list)]
    return deepest


def is_inside_path(text: Any) -> bool:
    """True for a relative POSIX path that stays inside the folder: no '..', no absolute or drive part."""
    if not isinstance(text, str) or not text or "\\" in text or "\0" in text or text.startswith("/"):
        return False
    parts = text.split("/")
    return all(part not in ("", ".", "..") and ":" not in part for part in parts)


def inside_file(out_dir: Path, relative: Any) -> Path | None:
    """The regular file a manifest's `relative` path names inside out_dir, or None.

    None when the path is absolute, climbs out with '..', passes through a link, or is not a
    regular file: a manifest found in the folder may name anything, and only this is trusted.
    """
    if not is_inside_path(relative):
        return None
    current = out_dir
    for part in relative.split("/"):
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            return None
        if stat.S_ISLNK(mode):
            return None
    return current if stat.S_ISREG(mode) else None
