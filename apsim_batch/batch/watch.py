"""Watch mode: poll config files and re-render each one when it is saved.

Polling (a stat of each config every half second) needs no extra dependency and works the same on
every OS, network drives and editors that save by renaming. A change is rendered once the file has
stopped changing for one poll, so a half-written save is never read. Only the changed files go to
the batch engine, which also skips renders whose parameters did not change (e.g. a comment edit).
A config's stamp includes the stamps of the data files it names (a recording), so saving the data
re-renders the configs that read it.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..config.recorded import recording_path
from ..config.yamlsafe import parse_yaml, read_config_text
from ..errors import ApsimError, UsageError
from .plan import Outcome, discover
from .run import run_batch

Stamp = tuple  # (mtime_ns, size, inode) of the config, then of each data file it names (None: missing)


@functools.lru_cache(maxsize=4096)
def data_files(config_path: Path, config_stamp: tuple[int, int, int] | None = None) -> tuple[Path, ...]:
    """The files a config reads besides itself: its recording, and each recording its variant set lists
    (cached per config stamp: a poll parses only the configs that changed)."""
    try:
        data, _ = parse_yaml(read_config_text(config_path), str(config_path))
    except ApsimError:
        return ()  # the render reports it
    waveform = data.get("waveform") if isinstance(data, dict) else None
    names = [waveform.get("file")] if isinstance(waveform, dict) else []
    variants = data.get("variants") if isinstance(data, dict) else None
    varied = (variants.get("fields") or {}).get("waveform.file") if isinstance(variants, dict) else None
    if isinstance(varied, dict):
        varied = varied.get("values")
    names += varied if isinstance(varied, list) else []
    return tuple(recording_path(name, config_path.parent) for name in names if isinstance(name, str) and name)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def snapshot(paths: Sequence[str | os.PathLike[str]]) -> dict[Path, Stamp]:
    """The config files under `paths` with their stamps and their data files' (configs that vanish are left out)."""
    files: list[Path] = []
    for path in paths:
        try:
            files += discover([path])
        except UsageError:  # a watched folder is empty or a file is gone for now: keep watching
            continue
    stamps = {}
    for path in files:
        own = _stamp(path)
        if own is not None:
            stamps[path] = (own, *(_stamp(data) for data in data_files(path, own)))
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
