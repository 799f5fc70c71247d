"""Watch mode: poll config files and re-render each one when it is saved.

Polling (a stat of each config every half second) needs no extra dependency and works the same on
every OS, network drives and editors that save by renaming. A change is rendered once the file has
stopped changing for one poll, so a half-written save is never read. Only the changed files go to
the batch engine, which also skips renders whose parameters did not change (e.g. a comment edit).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import ApsimError, UsageError
from .plan import Outcome, discover
from .run import run_batch

Stamp = tuple[int, int, int]  # (mtime_ns, size, inode)


def snapshot(paths: Sequence[str | os.PathLike[str]]) -> dict[Path, Stamp]:
    """The config files under `paths` with their modification stamps (files that vanish are left out)."""
    files: list[Path] = []
    for path in paths:
        try:
            files += discover([path])
        except UsageError:  # a watched folder is empty or a file is gone for now: keep watching
            continue
    stamps = {}
    for path in files:
        try:
            st = path.stat()
        except OSError:
            continue
        stamps[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return stamps


def watch(
    paths: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str] = "outputs",
    *,
    formats: Sequence[str] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    echo: Callable[[str], None] = print,
    interval_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    max_polls: int | None = None,
    on_render: Callable[[], None] | None = None,
) -> int:
    """Render what is out of date, then re-render each config when it is saved; returns the number of runs.

    Runs until interrupted (Ctrl-C raises KeyboardInterrupt to the caller) or, for tests, `max_polls`.
    `on_render` is called after each run has written its files and the gallery (serve reloads pages then).
    """
    report = on_outcome or (lambda outcome: None)
    for path in paths:
        if not Path(path).exists():
            raise UsageError(f"{path}: no such file or folder")

    def render(files: Sequence[str | os.PathLike[str]]) -> None:
        try:
            result = run_batch(files, out, formats=formats, jobs=1, on_outcome=report)
        except ApsimError as exc:  # e.g. another run holds the outputs folder, or a file vanished
            echo(f"Error: {exc}")
            return
        except OSError as exc:  # the environment (a full or read-only disk): say so, keep watching
            echo(f"Error: {exc.filename or out}: {exc.strerror or exc}")
            return
        if result.interrupted:  # run_batch stops cleanly on Ctrl-C and reports it; stop watching too
            raise KeyboardInterrupt
        if on_render is not None:
            on_render()

    last = snapshot(paths)
    if not last:
        echo(f"no configs yet in {', '.join(map(str, paths))}; waiting for one to appear")
    else:
        render(paths)
    runs = 1 if last else 0
    echo(f"watching {len(last)} config{'s' * (len(last) != 1)}; save one to re-render it, Ctrl-C to stop")
    pending: set[Path] = set()
    polls = 0
    while max_polls is None or polls < max_polls:
        sleep(interval_s)
        polls += 1
        now = snapshot(paths)
        moving = {path for path, stamp in now.items() if last.get(path) != stamp}
        for gone in sorted(set(last) - set(now)):
            echo(f"· {gone}: removed (its outputs stay)")
            pending.discard(gone)
        ready = sorted(path for path in pending - moving if path in now)
        pending = (pending | moving) - set(ready)
        last = now
        if ready:
            render(ready)
            runs += 1
    return runs
