"""Batch runs: discover configs, plan renders, run them in isolation, keep the manifest true."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from ..config.models import LoadedConfig
from ..config.variants import Override, load_renders
from ..errors import ApsimError, ConfigError, Problem
from ..output.encode import PARTIAL_MARK
from ..output.gallery import write_gallery
from ..output.manifest import MANIFEST, cache_key, files_intact, read_manifest, write_batch_manifest
from ..output.render import render, resolved_parameters, selected_formats
from .shard import Shard, record_shard, shard_unit

CONFIG_SUFFIXES = (".yaml", ".yml")
LOCK_FILE = ".apsim-batch.lock"
# Names of files apsim-batch keeps at the top of the outputs folder; no render may take them.
RESERVED_NAMES = frozenset({MANIFEST, "index.html"})
DEFAULT_TIMEOUT_S = 900.0  # a render of the largest allowed config takes minutes, a hung one forever

Status = Literal["rendered", "skipped", "failed", "cancelled", "valid", "answer_key"]


class UsageError(ApsimError):
    """The command line itself is wrong (exit code 2), e.g. a path that does not exist."""


class LockedError(ApsimError):
    """Another run holds the outputs folder's lock."""


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM during a run (like KeyboardInterrupt)."""


@dataclass(frozen=True)
class Job:
    """One render to do: a validated config, where to write, which formats."""

    loaded: LoadedConfig
    out_dir: Path
    formats: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        return self.loaded.name

    @property
    def key(self) -> str:
        config = self.loaded.config
        return cache_key(resolved_parameters(config, self.name), selected_formats(config, self.formats))


@dataclass(frozen=True)
class Outcome:
    """What happened to one config in a run."""

    name: str
    source: str
    status: Status
    seconds: float = 0.0
    files: tuple[str, ...] = ()
    error: str | None = None
    detail: str | None = None  # traceback of an unexpected crash, shown under --verbose
    notes: tuple[str, ...] = ()
    manifest: dict[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class BatchResult:
    outcomes: tuple[Outcome, ...]
    out_dir: Path
    stale: tuple[str, ...] = ()  # render folders whose config is gone (see find_stale)
    pruned: tuple[str, ...] = ()  # stale render folders removed by prune=True
    interrupted: str | None = None  # "SIGINT" or "SIGTERM" when the run was stopped
    stopped_early: bool = False  # fail_fast stopped the run at the first failure

    def count(self, status: Status) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def ok(self) -> bool:
        return not self.failures and not self.interrupted and not self.count("cancelled")


# --- discovery and planning ------------------------------------------------------------------


def find_configs(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[Path], list[Outcome]]:
    """Config files named by `paths` (folders searched recursively, sorted), and a failure per empty folder.

    A path that does not exist is a usage error; a folder without configs fails on its own so
    the other paths still run. Symbolic links to folders are not followed inside a folder.
    """
    found: list[Path] = []
    empty: list[Outcome] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # is_symlink: a dangling link named *.yaml is listed, so it fails visibly instead of vanishing
            in_folder = sorted(
                p for p in path.rglob("*") if p.suffix in CONFIG_SUFFIXES and (p.is_symlink() or not p.is_dir())
            )
            if not in_folder:
                message = f"{path}: no .yaml or .yml configs in this folder"
                empty.append(Outcome(name=path.name, source=str(path), status="failed", error=message))
            found.extend(in_folder)
        elif path.exists() or path.is_symlink():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    if not found and empty:
        raise UsageError("; ".join(o.error or "" for o in empty))
    return list(dict.fromkeys(found)), empty


def discover(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Config files named by `paths`; a folder without configs is a usage error."""
    found, empty = find_configs(paths)
    if empty:
        raise UsageError(empty[0].error or "")
    return found


def load_all(
    files: Iterable[Path], overrides: Sequence[Override] = (), *, student: bool = False
) -> tuple[list[LoadedConfig], list[Outcome]]:
    """Validate every file; configs that fail become 'failed' outcomes, the rest load.

    A file with a `variants` block loads as one render per variant (see variants.py), so the
    variants skip, run in parallel and get manifests like any other render.
    """
    loaded, failed = [], []
    for path in files:
        try:
            _check_regular_file(path)
            loaded.extend(load_renders(path, overrides, student=student))
        except ConfigError as exc:
            failed.append(Outcome(name=path.stem, source=str(path), status="failed", error=str(exc)))
    loaded, clashes = _without_name_clashes(loaded)
    loaded, set_clashes = _without_set_folder_clashes(loaded)
    return loaded, failed + clashes + set_clashes


# --- variant sets (answers.py writes their answer keys and handouts after the renders) ---------


def _without_set_folder_clashes(loaded: list[LoadedConfig]) -> tuple[list[LoadedConfig], list[Outcome]]:
    """A set's folder (<set>/, for its answer key) must not be another render's folder."""
    set_names = {item.variant.set_name.lower(): item.source for item in loaded if item.variant is not None}
    bad = {item.name.lower() for item in loaded if item.name.lower() in set_names}
    if not bad:
        return loaded, []
    keep, clashes = [], []
    for item in loaded:
        set_name = item.variant.set_name.lower() if item.variant else None
        if item.name.lower() in bad or set_name in bad:
            clash = item.name if item.name.lower() in bad else item.variant.set_name
            message = f"output name {clash!r} is both a render and a variant set's folder ({set_names[clash.lower()]})"
            clashes.append(
                Outcome(item.name, item.source, "failed", error=str(Problem(item.source, message, field="name")))
            )
        else:
            keep.append(item)
    return keep, clashes


def _finish_sets(out_dir: Path, loaded: list[LoadedConfig], done: list[Outcome]) -> list[Outcome]:
    """Answer keys and handouts of every set, once its variants are rendered or up to date."""
    from ..output.answers import finish_sets

    manifests = {o.name: o.manifest for o in done if o.manifest is not None and o.status != "failed"}
    outcomes = []
    for result in finish_sets(out_dir, loaded, manifests):
        status = "failed" if result.error else "answer_key"
        outcomes.append(Outcome(result.name, result.source, status, files=result.files, error=result.error))
    return outcomes


def _collapse_sets(outcomes: list[Outcome], loaded: list[LoadedConfig]) -> list[Outcome]:
    """For `validate`: one 'valid' line per set instead of one per variant."""
    sizes = {item.name: (item.variant.set_name, item.variant.size) for item in loaded if item.variant}
    out, seen = [], set()
    for outcome in outcomes:
        if outcome.name not in sizes:
            out.append(outcome)
        elif (set_name := sizes[outcome.name][0]) not in seen:
            seen.add(set_name)
            name = f"{set_name}: {sizes[outcome.name][1]} variants"
            out.append(Outcome(name=name, source=outcome.source, status="valid"))
    return out


# --- end of variant sets -----------------------------------------------------------------------


def _check_regular_file(path: Path) -> None:
    """Refuse FIFOs and devices before reading: reading a FIFO with no writer blocks forever."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"cannot read file ({exc.strerror or exc})")]) from None
    if not stat.S_ISREG(mode):
        raise ConfigError([Problem(str(path), "not a regular file")])


def _without_name_clashes(loaded: list[LoadedConfig]) -> tuple[list[LoadedConfig], list[Outcome]]:
    """Two configs with one output name (ignoring case, for macOS and Windows) both fail; so do reserved names."""
    by_name: dict[str, list[LoadedConfig]] = {}
    for item in loaded:
        by_name.setdefault(item.name.lower(), []).append(item)
    keep, clashes = [], []
    for lowered, group in by_name.items():
        if lowered in RESERVED_NAMES:
            for item in group:
                message = f"output name {item.name!r} is reserved for apsim-batch's own files; choose another"
                clashes.append(_clash(item, message))
            continue
        if len(group) == 1:
            keep.extend(group)
            continue
        sources = ", ".join(item.source for item in group)
        for item in group:
            clashes.append(_clash(item, f"output name {item.name!r} is used by several configs: {sources}"))
    return keep, clashes


def _clash(item: LoadedConfig, message: str) -> Outcome:
    error = str(Problem(item.source, message, field="name"))
    return Outcome(name=item.name, source=item.source, status="failed", error=error)


# --- execution -------------------------------------------------------------------------------


class Executor(Protocol):
    """Runs a function over jobs and yields each result as it completes (in any order).

    Optional: an executor may stop its running work when the iterator it returned is closed
    (generators do this through `finally`); run_batch closes it on Ctrl-C and --fail-fast.
    """

    def map_unordered(self, fn: Callable[[Job], Outcome], jobs: Sequence[Job]) -> Iterator[Outcome]: ...


class _RenderTimeout(BaseException):
    """Raised by the in-process watchdog; BaseException so no `except Exception` in a render swallows it."""


class InProcessExecutor:
    """Renders one after another in this process. The watchdog is SIGALRM: it interrupts Python
    code and blocking system calls (a stalled pipe to ffmpeg) in the main thread."""

    def __init__(self, timeout_s: float | None = None, on_start: Callable[[Job], None] | None = None):
        self.timeout_s = timeout_s
        self.on_start = on_start

    def map_unordered(self, fn: Callable[[Job], Outcome], jobs: Sequence[Job]) -> Iterator[Outcome]:
        for job in jobs:
            if self.on_start:
                self.on_start(job)
            started = time.perf_counter()
            try:
                with _alarm(self.timeout_s):
                    outcome = fn(job)
            except _RenderTimeout:
                outcome = timed_out(job, time.perf_counter() - started)
            yield outcome


@contextlib.contextmanager
def _alarm(seconds: float | None) -> Iterator[None]:
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not seconds or not usable:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _RenderTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class ProcessExecutor:
    """Worker processes (see pool.py): a render that exceeds `timeout_s` or kills its worker
    fails alone; its worker is killed with its encoder and replaced."""

    def __init__(self, jobs: int, timeout_s: float | None = None, on_start: Callable[[Job], None] | None = None):
        self.jobs = jobs
        self.timeout_s = timeout_s
        self.on_start = on_start

    def map_unordered(self, fn: Callable[[Job], Outcome], jobs: Sequence[Job]) -> Iterator[Outcome]:
        from .pool import Failure, WorkerPool

        pool = WorkerPool(min(self.jobs, len(jobs)) or 1, self.timeout_s, self.on_start)
        for result in pool.imap_unordered(fn, jobs):
            if not isinstance(result, Failure):
                yield result
            elif result.reason == "timeout":
                yield timed_out(result.item, result.seconds)
            else:
                cause = f"worker process died ({result.detail})" if result.reason == "died" else "worker error"
                detail = result.detail if result.reason == "error" else None
                yield _failed(result.item, f"{result.item.loaded.source}: render crashed: {cause}", 0.0, detail)


def default_jobs() -> int:
    """Usable cores (respecting CPU affinity, e.g. in containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def executor_for(jobs: int, timeout_s: float | None = None, on_start: Callable[[Job], None] | None = None) -> Executor:
    """In-process for one job at a time (no process start-up cost), else worker processes."""
    if jobs <= 1:
        return InProcessExecutor(timeout_s, on_start)
    return ProcessExecutor(jobs, timeout_s, on_start)


def render_job(job: Job) -> Outcome:
    """Render one job, turning any failure into a 'failed' outcome so the batch goes on."""
    started = time.perf_counter()
    try:
        result = render(job.loaded, job.out_dir, job.formats)
    except ApsimError as exc:
        return _failed(job, f"{job.loaded.source}: {exc}", started)
    except Exception as exc:  # a bug or an encoder crash: report it, keep the others going
        return _failed(
            job, f"{job.loaded.source}: render crashed: {type(exc).__name__}: {exc}", started, traceback.format_exc()
        )
    files = tuple(record["path"] for record in result.manifest["files"])
    return Outcome(
        name=job.name,
        source=job.loaded.source,
        status="rendered",
        seconds=time.perf_counter() - started,
        files=files,
        notes=result.notes,
        manifest=result.manifest,
    )


def timed_out(job: Job, seconds: float) -> Outcome:
    """The outcome of a render the watchdog stopped."""
    message = f"{job.loaded.source}: render timed out after {seconds:.0f} s and was stopped (see --timeout-s)"
    return Outcome(name=job.name, source=job.loaded.source, status="failed", seconds=seconds, error=message)


def _failed(job: Job, message: str, started: float, detail: str | None = None) -> Outcome:
    return Outcome(
        name=job.name,
        source=job.loaded.source,
        status="failed",
        seconds=time.perf_counter() - started if started else 0.0,
        error=message,
        detail=detail,
    )


def _up_to_date(job: Job) -> dict[str, Any] | None:
    """The render's manifest if its cache key matches and its files are intact, else None."""
    folder = job.out_dir / job.name
    if folder.is_symlink():
        return None
    manifest = read_manifest(folder / MANIFEST)
    if manifest and manifest.get("cache_key") == job.key and files_intact(manifest, job.out_dir):
        return manifest
    return None


# --- the outputs folder: lock, leftovers, stale renders ----------------------------------------


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


def _render_folders(out_dir: Path) -> Iterator[Path]:
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


def find_stale(
    out_dir: Path, scanned: Sequence[str | os.PathLike[str]], names: Iterable[str], kept_sources: Iterable[str]
) -> list[str]:
    """Render folders whose config no longer exists (or no longer produces them).

    Only folders apsim-batch made (they hold a manifest.json) are considered, and only when the
    config the manifest names lies inside the paths this run scanned, so `run configs/a.yaml`
    never calls the renders of other configs stale. `names` are this run's output names and
    `kept_sources` the configs that exist but failed to load (their old renders stay).
    """
    scopes = [Path(p).resolve() for p in scanned]
    produced = {name.lower() for name in names}
    kept = {Path(s).resolve() for s in kept_sources}
    stale = []
    for folder in _render_folders(out_dir):
        manifest = read_manifest(folder / MANIFEST)
        if manifest is None or folder.name.lower() in produced or not isinstance(manifest.get("config"), str):
            continue
        config = Path(manifest["config"]).resolve()
        in_scope = any(config == scope or scope in config.parents for scope in scopes)
        if in_scope and config not in kept:
            stale.append(folder.name)
    return stale


def prune(out_dir: Path, names: Iterable[str]) -> list[str]:
    """Remove the named render folders (each must be a real folder holding a manifest.json)."""
    removed = []
    for name in names:
        folder = out_dir / name
        if folder.is_symlink() or not (folder / MANIFEST).is_file() or folder.parent != out_dir:
            continue
        shutil.rmtree(folder)
        removed.append(name)
    return removed


# --- the run ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into an exception in the main thread, so a stopped run cleans up like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_batch(
    paths: Sequence[str | os.PathLike[str]] = ("configs",),
    out: str | os.PathLike[str] = "outputs",
    *,
    formats: Sequence[str] | None = None,
    jobs: int | None = None,
    force: bool = False,
    fail_fast: bool = False,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    prune_stale: bool = False,
    executor: Executor | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_start: Callable[[Job], None] | None = None,
    overrides: Sequence[Override] = (),
    student: bool = False,
    shard: Shard | None = None,
) -> BatchResult:
    """Validate and render every config under `paths` into `out`; never raises for a bad config.

    Each config succeeds or fails on its own (`fail_fast` stops everything at the first failure).
    Renders whose inputs and files are unchanged are skipped unless `force`. Ctrl-C or SIGTERM
    stops the workers and returns the result so far with `interrupted` set. Every manifest on
    disk lists only complete files at every moment: a render's own manifest is removed before it
    is redone and written last; the top-level manifest is rewritten before and after rendering.
    `on_plan(n)` is called once with the number of renders, `on_start(job)` when a render starts.
    `overrides` (--set) change every config; `student` turns on handouts for every variant set.
    With a `shard`, only the renders whose name (or variant set's name) hashes to it run; every
    config is still validated (see shard.py).
    """
    out_dir = Path(out)
    files, empty = find_configs(paths)
    loaded, outcomes = load_all(files, overrides, student=student)
    outcomes = empty + outcomes
    whole = loaded
    whole_batch: dict[str, tuple[str, str]] = {}  # every render's shard unit and cache key, for shard.json
    if shard is not None:
        chosen_formats = tuple(formats) if formats else None
        whole_batch = {item.name: (shard_unit(item), Job(item, out_dir, chosen_formats).key) for item in loaded}
        loaded = [item for item in loaded if shard.contains(shard_unit(item))]
    report = on_outcome or (lambda outcome: None)
    if on_plan:
        on_plan(len(outcomes) + len(loaded))
    for outcome in outcomes:
        report(outcome)
    out_dir.mkdir(parents=True, exist_ok=True)
    done: list[Outcome] = list(outcomes)
    interrupted: str | None = None
    stopped_early = fail_fast and bool(outcomes)
    stale: list[str] = []
    pruned: list[str] = []
    todo: list[Job] = []
    with _sigterm_raises(), output_lock(out_dir):
        remove_partial_files(out_dir)
        try:
            for item in loaded:
                job = Job(item, out_dir, tuple(formats) if formats else None)
                manifest = None if force else _up_to_date(job)
                if manifest is None:
                    todo.append(job)
                    continue
                files_ = tuple(record["path"] for record in manifest["files"])
                skipped = Outcome(name=job.name, source=item.source, status="skipped", files=files_, manifest=manifest)
                report(skipped)
                done.append(skipped)
            if not stopped_early:
                _invalidate(out_dir, todo)
                # One pending render runs in this process: a spawned worker would start Python and
                # import everything again (~0.5 s) for nothing to run beside it.
                workers = min(default_jobs() if jobs is None else jobs, len(todo))
                runner = executor or executor_for(workers, timeout_s or None, on_start)
                stopped_early = _render_all(runner, todo, done, report, fail_fast)
            if not stopped_early:
                for outcome in _finish_sets(out_dir, loaded, done):
                    report(outcome)
                    done.append(outcome)
            if not stopped_early:
                kept = [o.source for o in outcomes]
                names = [item.name for item in whole] + [item.variant.set_name for item in whole if item.variant]
                stale = find_stale(out_dir, [str(p) for p in paths], names, kept)
                if prune_stale:
                    pruned = prune(out_dir, stale)
        except KeyboardInterrupt:
            interrupted = "SIGINT"
        except Terminated:
            interrupted = "SIGTERM"
        finally:
            remove_partial_files(out_dir)
            _update_batch_manifest(out_dir, done, dropped={job.name for job in todo} | set(pruned))
            record_shard(
                out_dir,
                shard,
                whole_batch,
                [(o.name, o.source, o.error or "failed") for o in done if o.status == "failed"],
                {o.name: o.files for o in done if o.status == "answer_key"},
            )
        # The gallery (outputs/index.html): every render in the folder, and this run's failures on top.
        write_gallery(out_dir, [(o.source, o.error or "failed") for o in done if o.status == "failed"])
    handled = {(o.name, o.source) for o in done}
    done += [
        Outcome(name=job.name, source=job.loaded.source, status="cancelled")
        for job in todo
        if (job.name, job.loaded.source) not in handled
    ]
    order = {str(path): i for i, path in enumerate(files)}
    done.sort(key=lambda o: order.get(o.source, -1))
    return BatchResult(
        tuple(done),
        out_dir,
        stale=tuple(name for name in stale if name not in pruned),
        pruned=tuple(pruned),
        interrupted=interrupted,
        stopped_early=stopped_early,
    )


def _render_all(
    executor: Executor, todo: list[Job], done: list[Outcome], report: Callable[[Outcome], None], fail_fast: bool
) -> bool:
    """Run the renders, reporting each; True when fail_fast stopped the run early."""
    if not todo:
        return False
    results = executor.map_unordered(render_job, todo)
    try:
        for outcome in results:
            done.append(outcome)
            report(outcome)
            if fail_fast and outcome.status == "failed":
                return True
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stops running workers promptly (generator executors clean up in `finally`)
    return False


def _invalidate(out_dir: Path, todo: Sequence[Job]) -> None:
    """Before redoing renders, drop their manifests so none lists a file that is about to change."""
    for job in todo:
        folder = out_dir / job.name
        if folder.is_dir() and not folder.is_symlink():
            (folder / MANIFEST).unlink(missing_ok=True)
    _update_batch_manifest(out_dir, [], dropped={job.name for job in todo})


def _update_batch_manifest(out_dir: Path, outcomes: Iterable[Outcome], dropped: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Merge this run's renders into the top-level manifest.

    Entries of renders this run did not touch stay while their files are still there; entries
    in `dropped` (being redone, or pruned) go unless this run finished them.
    """
    existing = read_manifest(out_dir / MANIFEST) or {}
    entries = {
        entry["name"]: entry
        for entry in existing.get("renders", [])
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"] not in dropped
        if _files_present(entry, out_dir)
    }
    for outcome in outcomes:
        if outcome.manifest is not None:
            entries[outcome.name] = outcome.manifest
    write_batch_manifest(out_dir, entries)


def _files_present(entry: dict[str, Any], out_dir: Path) -> bool:
    """Cheap check (existence and size) that an entry's files are still there."""
    try:
        return all((out_dir / r["path"]).stat().st_size == r["bytes"] for r in entry.get("files", []))
    except (OSError, KeyError, TypeError):
        return False


def validate_paths(
    paths: Sequence[str | os.PathLike[str]], overrides: Sequence[Override] = (), *, student: bool = False
) -> BatchResult:
    """Check every config under `paths` (every variant of every set) without rendering anything."""
    files, empty = find_configs(paths)
    loaded, failed = load_all(files, overrides, student=student)
    ok = _collapse_sets([Outcome(name=item.name, source=item.source, status="valid") for item in loaded], loaded)
    order = {str(path): i for i, path in enumerate(files)}
    outcomes = sorted(empty + ok + failed, key=lambda o: order.get(o.source, -1))
    return BatchResult(tuple(outcomes), Path("."))
