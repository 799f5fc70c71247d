"""What a run is asked to do (`RunOptions`, one frozen object from the CLI or a notebook) and the executor registry.

The registry is the one place an executor is chosen: a name maps to how it is built from the options
and which options it cannot honour, so an impossible choice is refused before anything runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..config.paths import Override
from ..errors import UsageError
from . import DEFAULT_TIMEOUT_S
from .executors import Executor, InProcessExecutor, ProcessExecutor, default_jobs
from .plan import Job
from .shard import Shard

OnStart = Callable[[Job], None] | None


@dataclass(frozen=True)
class RunOptions:
    """Every choice a run takes; checked against the chosen executor when made (UsageError if impossible)."""

    formats: tuple[str, ...] | None = None  # None: each config's own outputs
    jobs: int | None = None  # renders at once; None: usable cores (local) or the local Dask cluster's size
    force: bool = False
    fail_fast: bool = False
    timeout_s: float | None = None  # None: the executor's default (local: DEFAULT_TIMEOUT_S); 0: no limit
    prune_stale: bool = False
    overrides: tuple[Override, ...] = ()
    student: bool = False
    shard: Shard | None = None
    executor: str = "local"  # a name in EXECUTORS
    scheduler: str | None = None  # dask only: a running scheduler's address

    def __post_init__(self) -> None:
        # Lists from a notebook become tuples, so the object stays hashable and immutable.
        for name in ("formats", "overrides"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        kind = EXECUTORS.get(self.executor)
        if kind is None:
            raise UsageError(f"--executor: no executor {self.executor!r}; choose one of {', '.join(EXECUTORS)}")
        for option, why in kind.refuses(self):
            raise UsageError(f"{option} {why}")

    @classmethod
    def of(cls, **settings: Any) -> RunOptions:
        """From keyword arguments (a notebook's run_batch call); an unknown one is a TypeError naming it."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise TypeError(f"run_batch() got unknown options {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**settings)

    def executor_for(self, todo: int, on_start: OnStart = None) -> Executor:
        """The executor these options name, sized for `todo` renders."""
        return EXECUTORS[self.executor].build(self, todo, on_start)


@dataclass(frozen=True)
class ExecutorKind:
    """One registry entry: how to build the executor, and the options it cannot honour (option, why)."""

    build: Callable[[RunOptions, int, OnStart], Executor]
    refuses: Callable[[RunOptions], Sequence[tuple[str, str]]]


def _local(options: RunOptions, todo: int, on_start: OnStart) -> Executor:
    """In-process for one render at a time (no process start-up cost), else worker processes."""
    workers = min(options.jobs or default_jobs(), todo)
    timeout_s = DEFAULT_TIMEOUT_S if options.timeout_s is None else (options.timeout_s or None)
    if workers <= 1:
        return InProcessExecutor(timeout_s, on_start)
    return ProcessExecutor(workers, timeout_s, on_start)


def _local_refuses(options: RunOptions) -> list[tuple[str, str]]:
    return [("--scheduler", "needs --executor dask")] if options.scheduler is not None else []


def _dask(options: RunOptions, todo: int, on_start: OnStart) -> Executor:
    from .dask import DaskExecutor, require_distributed

    require_distributed()
    return DaskExecutor(scheduler=options.scheduler, workers=options.jobs, on_start=on_start)


def _dask_refuses(options: RunOptions) -> list[tuple[str, str]]:
    from .dask import require_distributed

    require_distributed()  # the install command, before anything runs
    refused = []
    if options.scheduler is not None and options.jobs is not None:
        refused.append(
            ("--jobs", "sets the size of a local Dask cluster; with --scheduler the cluster's workers decide")
        )
    if options.timeout_s:
        why = "works with local renders only: a Dask worker runs each render to its end (--executor local stops it)"
        refused.append(("--timeout-s", why))
    return refused


EXECUTORS: dict[str, ExecutorKind] = {
    "local": ExecutorKind(_local, _local_refuses),
    "dask": ExecutorKind(_dask, _dask_refuses),
}
