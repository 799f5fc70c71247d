"""Batch runs: discover configs, plan renders, run them in isolation, keep the manifest true."""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from .config import LoadedConfig
from .encode import PARTIAL_MARK
from .errors import ApsimError, ConfigError, Problem
from .gallery import write_gallery
from .manifest import MANIFEST, cache_key, files_intact, read_manifest, write_batch_manifest
from .render import render, resolved_parameters, selected_formats
from .shard import Shard, record_shard, shard_unit
from .variants import Override, load_renders

CONFIG_SUFFIXES = (".yaml", ".yml")
LOCK_FILE = ".apsim-batch.lock"

Status = Literal["rendered", "skipped", "failed", "valid", "answer_key"]


class UsageError(ApsimError):
    """The command line itself is wrong (exit code 2), e.g. a path that does not exist."""


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

    def count(self, status: Status) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def ok(self) -> bool:
        return not self.failures


# --- discovery and planning ------------------------------------------------------------------


def discover(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Config files named by `paths`: files as given, folders searched recursively, sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            in_folder = sorted(p for p in path.rglob("*") if p.suffix in CONFIG_SUFFIXES and p.is_file())
            if not in_folder:
                raise UsageError(f"{path}: no .yaml or .yml configs in this folder")
            found.extend(in_folder)
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    unique = list(dict.fromkeys(found))
    return unique


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
    from .answers import finish_sets

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


def _without_name_clashes(loaded: list[LoadedConfig]) -> tuple[list[LoadedConfig], list[Outcome]]:
    """Two configs with one output name (ignoring case, for macOS and Windows) both fail."""
    by_name: dict[str, list[LoadedConfig]] = {}
    for item in loaded:
        by_name.setdefault(item.name.lower(), []).append(item)
    keep, clashes = [], []
    for group in by_name.values():
        if len(group) == 1:
            keep.extend(group)
            continue
        sources = ", ".join(item.source for item in group)
        for item in group:
            message = str(
                Problem(item.source, f"output name {item.name!r} is used by several configs: {sources}", field="name")
            )
            clashes.append(Outcome(name=item.name, source=item.source, status="failed", error=message))
    return keep, clashes


# --- execution -------------------------------------------------------------------------------


class Executor(Protocol):
    """Runs a function over jobs and yields each result as it completes (in any order)."""

    def map_unordered(self, fn: Callable[[Job], Outcome], jobs: Sequence[Job]) -> Iterator[Outcome]: ...


class InProcessExecutor:
    def map_unordered(self, fn: Callable[[Job], Outcome], jobs: Sequence[Job]) -> Iterator[Outcome]:
        for job in jobs:
            yield fn(job)


class ProcessExecutor:
    """A pool of worker processes; each render is independent, so they share nothing."""

    def __init__(self, jobs: int):
        self.jobs = jobs

    def map_unordered(self, fn: Callable[[Job], Outcome], jobs: Sequence[Job]) -> Iterator[Outcome]:
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(jobs)) or 1) as pool:
            futures = [pool.submit(fn, job) for job in jobs]
            for future in as_completed(futures):
                yield future.result()


def default_jobs() -> int:
    """Usable cores (respecting CPU affinity, e.g. in containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def executor_for(jobs: int) -> Executor:
    return InProcessExecutor() if jobs <= 1 else ProcessExecutor(jobs)


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


def _failed(job: Job, message: str, started: float, detail: str | None = None) -> Outcome:
    return Outcome(
        name=job.name,
        source=job.loaded.source,
        status="failed",
        seconds=time.perf_counter() - started,
        error=message,
        detail=detail,
    )


def _up_to_date(job: Job) -> dict[str, Any] | None:
    """The render's manifest if its cache key matches and its files are intact, else None."""
    manifest = read_manifest(job.out_dir / job.name / MANIFEST)
    if manifest and manifest.get("cache_key") == job.key and files_intact(manifest, job.out_dir):
        return manifest
    return None


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """An OS lock on the outputs folder, released when the process ends however it ends."""
    import fcntl

    with open(out_dir / LOCK_FILE, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ApsimError(f"{out_dir}: another apsim-batch run is writing here; wait for it to finish") from None
        yield


def remove_partial_files(out_dir: Path) -> int:
    """Delete temporary files left by an interrupted run; they are never listed in a manifest."""
    removed = 0
    for path in out_dir.glob(f"*/.*{PARTIAL_MARK}*"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    for path in out_dir.glob(f".*{PARTIAL_MARK}*"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed


def run_batch(
    paths: Sequence[str | os.PathLike[str]] = ("configs",),
    out: str | os.PathLike[str] = "outputs",
    *,
    formats: Sequence[str] | None = None,
    jobs: int | None = None,
    force: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
    overrides: Sequence[Override] = (),
    student: bool = False,
    shard: Shard | None = None,
    executor: Executor | None = None,
) -> BatchResult:
    """Validate and render every config under `paths` into `out`; never raises for a bad config.

    Each config succeeds or fails on its own. Renders whose inputs and files are unchanged are
    skipped unless `force`. The top-level manifest is rewritten last, keeping entries of
    renders this run did not touch. `overrides` (--set) change every config; `student` turns on
    handouts for every variant set. With a `shard`, only the renders whose name hashes to it run
    (every config is still validated; see shard.py). `executor` defaults to local processes.
    """
    out_dir = Path(out)
    files = discover(paths)
    loaded, outcomes = load_all(files, overrides, student=student)
    chosen_formats = tuple(formats) if formats else None
    whole_batch: dict[str, tuple[str, str]] = {}  # every render's shard unit and cache key, for shard.json
    if shard is not None:
        whole_batch = {item.name: (shard_unit(item), Job(item, out_dir, chosen_formats).key) for item in loaded}
        loaded = [item for item in loaded if shard.contains(shard_unit(item))]
    report = on_outcome or (lambda outcome: None)
    for outcome in outcomes:
        report(outcome)
    out_dir.mkdir(parents=True, exist_ok=True)
    done: list[Outcome] = list(outcomes)
    with output_lock(out_dir):
        remove_partial_files(out_dir)
        todo = []
        for item in loaded:
            job = Job(item, out_dir, chosen_formats)
            manifest = None if force else _up_to_date(job)
            if manifest is None:
                todo.append(job)
                continue
            files_ = tuple(record["path"] for record in manifest["files"])
            skipped = Outcome(name=job.name, source=item.source, status="skipped", files=files_, manifest=manifest)
            report(skipped)
            done.append(skipped)
        if executor is None:
            executor = executor_for(default_jobs() if jobs is None else jobs)
        try:
            for outcome in executor.map_unordered(render_job, todo):
                report(outcome)
                done.append(outcome)
            for outcome in _finish_sets(out_dir, loaded, done):
                report(outcome)
                done.append(outcome)
        finally:
            _update_batch_manifest(out_dir, done)
            record_shard(
                out_dir,
                shard,
                whole_batch,
                [(o.name, o.source, o.error or "failed") for o in done if o.status == "failed"],
                {o.name: o.files for o in done if o.status == "answer_key"},
            )
        # The gallery (outputs/index.html): every render in the folder, and this run's failures on top.
        write_gallery(out_dir, [(o.source, o.error or "failed") for o in done if o.status == "failed"])
    order = {str(path): i for i, path in enumerate(files)}
    done.sort(key=lambda o: order.get(o.source, len(order)))
    return BatchResult(tuple(done), out_dir)


def _update_batch_manifest(out_dir: Path, outcomes: Iterable[Outcome]) -> None:
    """Merge this run's renders into the top-level manifest; entries of other renders stay."""
    existing = read_manifest(out_dir / MANIFEST) or {}
    entries = {
        entry["name"]: entry for entry in existing.get("renders", []) if isinstance(entry, dict) and "name" in entry
    }
    for outcome in outcomes:
        if outcome.manifest is not None:
            entries[outcome.name] = outcome.manifest
    write_batch_manifest(out_dir, entries)


def validate_paths(
    paths: Sequence[str | os.PathLike[str]], overrides: Sequence[Override] = (), *, student: bool = False
) -> BatchResult:
    """Check every config under `paths` (every variant of every set) without rendering anything."""
    files = discover(paths)
    loaded, failed = load_all(files, overrides, student=student)
    ok = _collapse_sets([Outcome(name=item.name, source=item.source, status="valid") for item in loaded], loaded)
    order = {str(path): i for i, path in enumerate(files)}
    outcomes = sorted(ok + failed, key=lambda o: order.get(o.source, len(order)))
    return BatchResult(tuple(outcomes), Path("."))
