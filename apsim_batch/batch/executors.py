"""Executors: run render jobs in this process or in worker processes with a watchdog, one outcome each.

An executor is anything with `map_unordered(fn, jobs)`; the Dask one lives in dask.py. Every render
becomes an Outcome: a crash, a timeout or a dead worker fails that render alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from ..errors import ApsimError
from ..output.render import render
from .plan import Job, Outcome


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
                yield Outcome.of_job(
                    result.item, f"{result.item.loaded.source}: render crashed: {cause}", detail=detail
                )


def default_jobs() -> int:
    """Usable cores (respecting CPU affinity, e.g. in containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def render_job(job: Job) -> Outcome:
    """Render one job, turning any failure into a 'failed' outcome so the batch goes on."""
    started = time.perf_counter()
    try:
        result = render(job.loaded, job.out_dir, job.formats)
    except ApsimError as exc:
        return Outcome.of_job(job, f"{job.loaded.source}: {exc}", seconds=time.perf_counter() - started)
    except OSError as exc:  # the environment (a read-only folder, a full disk), not a bug: one line
        where = exc.filename or job.out_dir / job.name
        message = f"{job.loaded.source}: cannot write {where}: {exc.strerror or exc}"
        return Outcome.of_job(job, message, seconds=time.perf_counter() - started, detail=traceback.format_exc())
    except Exception as exc:  # a bug or an encoder crash: report it, keep the others going
        message = f"{job.loaded.source}: render crashed: {type(exc).__name__}: {exc}"
        return Outcome.of_job(job, message, seconds=time.perf_counter() - started, detail=traceback.format_exc())
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
    return Outcome.of_job(job, message, seconds=seconds)
