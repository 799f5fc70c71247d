"""The run: render every planned job, keep every manifest true, finish variant sets, prune, write the gallery.

A run holds the outputs folder's lock from start to end; every manifest on disk lists only complete
files at every moment (a render's own manifest goes before it is redone and comes back last).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..config.load import LoadedConfig
from ..errors import Terminated
from ..names import MANIFEST
from ..output.files import (
    output_lock,
    prepare_out_dir,
    remove_partial_files,
)
from ..output.gallery import write_gallery
from ..output.manifest import (
    ManifestRead,
    load_render_manifest,
    missing_formats,
    resolved_parameters,
    selected_formats,
    update_batch_manifest,
)
from ..output.ownership import Kept, resume_prune
from ..output.render import keep_other_formats
from .axis_groups import with_axis_groups
from .executors import Executor, render_job
from .options import RunOptions
from .plan import BatchResult, Job, Outcome, find_configs, load_all
from .prune import find_stale, prune
from .shard import Shard, record_shard, shard_unit


def _still_to_do(job: Job, force: bool) -> tuple[dict[str, Any] | None, list[str], tuple[str, ...]]:
    """(the render's manifest, the formats it still needs, problems found in the manifest): a format is
    done when its files are on disk, intact, and their per-file keys say they were made from these
    parameters by this version.

    So a run limited to some formats, then a full run, renders only what is missing or stale.
    """
    config = job.loaded.config
    wanted = selected_formats(config, job.formats)
    folder = job.out_dir / job.name
    found = ManifestRead(None) if force or folder.is_symlink() else load_render_manifest(folder / MANIFEST)
    if found.manifest is None:
        return None, wanted, found.problems
    manifest = found.manifest.data()
    return (
        manifest,
        missing_formats(manifest, resolved_parameters(config, job.name), wanted, job.out_dir),
        found.problems,
    )


def _set_outcomes(out_dir: Path, loaded: list[LoadedConfig], done: list[Outcome]) -> list[Outcome]:
    """Answer keys and handouts of every set, once its variants are rendered or up to date."""
    from ..output.answers import finish_sets

    manifests = {o.name: o.manifest for o in done if o.manifest is not None and o.status != "failed"}
    outcomes = []
    for result in finish_sets(out_dir, loaded, manifests):
        status = "failed" if result.error else "answer_key"
        outcomes.append(Outcome(result.name, result.source, status, files=result.files, error=result.error))
    return outcomes


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
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
    options: RunOptions | None = None,
    *,
    executor: Executor | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_start: Callable[[Job], None] | None = None,
    **settings: Any,
) -> BatchResult:
    """Validate and render every config under `paths` into `out`; never raises for a bad config.

    `options` (or the same settings as keywords, e.g. `jobs=1, force=True`: see RunOptions) say
    what to do. Each config succeeds or fails on its own (`fail_fast` stops everything at the first
    failure). Renders whose inputs and files are unchanged are skipped unless `force`. Ctrl-C or
    SIGTERM stops the workers and returns the result so far with `interrupted` set. Every manifest on
    disk lists only complete files at every moment: a render's own manifest is removed before it
    is redone and written last; the top-level manifest is rewritten before and after rendering.
    `on_plan(n)` is called once with the number of renders, `on_start(job)` when a render starts.
    `overrides` (--set) change every config; `student` turns on handouts for every variant set.
    With a `shard`, only the renders whose name (or variant set's name) hashes to it run; every
    config is still validated (see shard.py). `executor` replaces the one the options name.
    """
    if options is not None and settings:
        raise TypeError("run_batch() takes either options or keyword settings, not both")
    opts = options or RunOptions.of(**settings)
    shard = opts.shard
    out_dir = Path(out)
    chosen = opts.formats or None
    files, empty = find_configs(paths)
    whole, invalid = load_all(files, opts.overrides, student=opts.student)
    whole = with_axis_groups(whole, opts.overrides, student=opts.student)  # shared limits, before any up-to-date check
    invalid = empty + invalid
    loaded = [item for item in whole if shard is None or shard.contains(shard_unit(item))]
    run = _Run(
        out_dir, on_outcome or (lambda outcome: None), list(invalid), stopped_early=opts.fail_fast and bool(invalid)
    )
    if on_plan:
        on_plan(len(invalid) + len(loaded))
    for outcome in invalid:
        run.report(outcome)
    prepare_out_dir(out_dir)
    with sigterm_raises(), output_lock(out_dir):
        remove_partial_files(out_dir)
        run.pruned, run.kept = resume_prune(out_dir)  # a prune that was killed finishes first (see ownership.py)
        try:
            run.skip_up_to_date([Job(item, out_dir, chosen) for item in loaded], opts.force)
            if not run.stopped_early and run.todo:
                run.render(executor or opts.executor_for(len(run.todo), on_start), opts.fail_fast)
            if not run.stopped_early:
                run.finish_sets(loaded)
                run.find_stale(paths, whole, kept=[o.source for o in invalid], prune_stale=opts.prune_stale)
        except KeyboardInterrupt:
            run.interrupted = "SIGINT"
        except Terminated:
            run.interrupted = "SIGTERM"
        finally:
            remove_partial_files(out_dir)
            run.write_records(shard, [Job(item, out_dir, chosen) for item in whole] if shard else [])
        # The gallery (outputs/index.html): every render in the folder, and this run's failures on top.
        write_gallery(out_dir, [(o.source, o.error or "failed") for o in run.done if o.status == "failed"])
    return run.result(files)


@dataclass
class _Run:
    """The state of one run, shared by its steps in order."""

    out_dir: Path
    report: Callable[[Outcome], None]
    done: list[Outcome]
    stopped_early: bool = False
    interrupted: str | None = None
    todo: list[Job] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    manifest_notes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # problems in manifests found

    def add(self, outcome: Outcome) -> None:
        if outcome.name in self.manifest_notes:
            outcome = replace(outcome, notes=(*self.manifest_notes.pop(outcome.name), *outcome.notes))
        self.done.append(outcome)
        self.report(outcome)

    def skip_up_to_date(self, jobs: list[Job], force: bool) -> None:
        """Report renders whose manifest and files are current as skipped; the rest are to do, each
        limited to the formats it is missing (the others keep their files and records)."""
        for job in jobs:
            manifest, missing, problems = _still_to_do(job, force)
            if problems:  # shown with the render's outcome: a manifest found here is reported, never fatal
                self.manifest_notes[job.name] = problems
            if manifest is None or missing:
                self.todo.append(Job(job.loaded, job.out_dir, tuple(missing)))
                continue
            files = tuple(record["path"] for record in manifest["files"])
            self.add(Outcome(job.name, job.loaded.source, "skipped", files=files, manifest=manifest))

    def render(self, executor: Executor, fail_fast: bool) -> None:
        """Trim the manifests of renders about to change to the files that stay, then run them, reporting each."""
        if not self.todo:
            return
        for job in self.todo:
            folder = self.out_dir / job.name
            if folder.is_dir() and not folder.is_symlink():
                config = job.loaded.config
                others = [f for f in config.outputs if f not in (job.formats or ())]
                keep_other_formats(folder, self.out_dir, resolved_parameters(config, job.name), others)
        update_batch_manifest(self.out_dir, {}, dropped={job.name for job in self.todo})
        longest_first = sorted(self.todo, key=lambda job: -job.cost)
        results = executor.map_unordered(render_job, longest_first)
        try:
            for outcome in results:
                self.add(outcome)
                if fail_fast and outcome.status == "failed":
                    self.stopped_early = True
                    return
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()  # stops running workers promptly (generator executors clean up in `finally`)

    def finish_sets(self, loaded: list[LoadedConfig]) -> None:
        for outcome in _set_outcomes(self.out_dir, loaded, self.done):
            self.add(outcome)

    def find_stale(
        self, paths: Sequence[str | os.PathLike[str]], whole: list[LoadedConfig], kept: list[str], prune_stale: bool
    ) -> None:
        names = [item.name for item in whole] + [item.variant.set_name for item in whole if item.variant]
        self.stale = find_stale(self.out_dir, [str(p) for p in paths], names, kept)
        if prune_stale:
            done = prune(self.out_dir, self.stale)
            self.pruned, self.kept = [*self.pruned, *done.names], [*self.kept, *done.kept]

    def write_records(self, shard: Shard | None, whole_batch: list[Job]) -> None:
        """The top-level manifest and the shard record (of the whole batch's jobs), written however the run ended."""
        finished = {o.name: o.manifest for o in self.done if o.manifest is not None}
        update_batch_manifest(self.out_dir, finished, dropped={job.name for job in self.todo} | set(self.pruned))
        failures = [(o.name, o.source, o.error or "failed") for o in self.done if o.status == "failed"]
        sets = {o.name: o.files for o in self.done if o.status == "answer_key"}
        units = {job.name: (shard_unit(job.loaded), job.key) for job in whole_batch}
        record_shard(self.out_dir, shard, units, failures, sets)

    def result(self, files: list[Path]) -> BatchResult:
        handled = {(o.name, o.source) for o in self.done}
        cancelled = [Outcome(job.name, job.loaded.source, "cancelled") for job in self.todo]
        done = self.done + [o for o in cancelled if (o.name, o.source) not in handled]
        order = {str(path): i for i, path in enumerate(files)}
        done.sort(key=lambda o: order.get(o.source, -1))
        return BatchResult(
            tuple(done),
            self.out_dir,
            stale=tuple(name for name in self.stale if name not in self.pruned),
            pruned=tuple(self.pruned),
            kept=tuple((item.path, item.why) for item in self.kept),
            interrupted=self.interrupted,
            stopped_early=self.stopped_early,
        )
