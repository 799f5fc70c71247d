"""Run renders on a Dask distributed cluster: an existing one (a scheduler address) or a local one.

This is only an executor: planning, skipping, progress, failures and the top-level manifest stay
in batch.run_batch, exactly as with local processes. Workers render straight into the outputs
folder, which must therefore be one folder that every worker sees at the same path; each file is
written under a temporary name and moved into place, so a worker that dies mid-render leaves at
most a temporary file, never a damaged output. The scheduler runs such a render again on another
worker (up to Dask's `distributed.scheduler.allowed-failures`, default 3); after that it is
reported as failed. dask is imported only here, and only when a run uses it.
"""

from __future__ import annotations

import contextlib
import os
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import ApsimError, UsageError
from ..output.files import remove_partial_files
from .executors import default_jobs
from .plan import Job, Outcome

INSTALL_HINT = 'the dask executor needs Dask distributed; install it with: pip install "apsim-batch[dask]"'
# A scheduler address gets this long to answer as a Dask scheduler, from the first byte to its identity
# (a port that accepts and never speaks, or speaks HTTP, is not one); the run gives up after it.
CONNECT_TIMEOUT_S = 10


def require_distributed() -> None:
    """Raise a UsageError with the install command when Dask distributed is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError(INSTALL_HINT) from None


class DaskExecutor:
    """Submits each render to a Dask cluster and yields outcomes as they complete.

    `scheduler` is the address of a running scheduler (e.g. tcp://10.0.0.5:8786); without one, a
    `LocalCluster` of `workers` single-threaded worker processes (default: usable cores) runs for
    the duration of the batch, on loopback and without a dashboard.
    """

    def __init__(
        self,
        scheduler: str | None = None,
        workers: int | None = None,
        retries: int = 1,
        on_start: Callable[[Job], None] | None = None,
    ):
        self.scheduler = scheduler
        self.workers = workers
        self.retries = retries  # re-runs of a task that raised; render_job itself never raises
        self.on_start = on_start  # called (from the client's thread) when a worker starts a render

    def map_unordered(self, fn: Callable[[Job], Outcome], jobs: Sequence[Job]) -> Iterator[Outcome]:
        if not jobs:
            return  # nothing to render: no cluster to start or reach
        require_distributed()
        from distributed import as_completed

        # Workers may have another working directory (or be other machines): give them absolute paths.
        jobs = [replace(job, out_dir=job.out_dir.resolve()) for job in jobs]
        folders = sorted({job.out_dir for job in jobs})
        try:
            with self._client(len(jobs)) as client:
                for folder in folders:
                    _check_shared(client, folder, self.scheduler)
                batch = uuid.uuid4().hex[:8]
                # Starts arrive through the scheduler, results directly: a start that comes after its
                # result (or a retry's) is dropped, so no finished render shows as running.
                unfinished = {job.name: job for job in jobs}
                if self.on_start is not None:
                    on_start = self.on_start
                    client.subscribe_topic(
                        f"apsim-start-{batch}",
                        lambda event: (job := unfinished.get(event[1])) is not None and on_start(job),
                    )
                pending = {
                    client.submit(
                        _announced,
                        fn,
                        job,
                        f"apsim-start-{batch}",
                        key=f"apsim-render-{job.name}-{batch}",
                        pure=False,
                        retries=self.retries,
                    ): job
                    for job in jobs
                }
                try:
                    for future in as_completed(pending, loop=client.loop):
                        unfinished.pop(pending[future].name, None)
                        yield _outcome(future, pending[future])
                finally:
                    for future in pending:
                        future.cancel()
        finally:
            # A worker that died mid-write left a temporary file. Every task has ended, or its worker
            # is gone with our own cluster; a cancelled task still running on an external cluster
            # loses its temporary file and fails to move it into place, so no file is ever half there.
            for folder in folders:
                remove_partial_files(folder)

    @contextlib.contextmanager
    def _client(self, job_count: int) -> Iterator[Any]:
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            check_scheduler(self.scheduler, CONNECT_TIMEOUT_S)
            try:
                client = Client(self.scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ApsimError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
            with client:
                yield client
            return
        workers = min(self.workers or default_jobs(), job_count)
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,  # no dashboard ...
                # ... but the scheduler still serves health checks over HTTP, by default on port
                # 8787: a free loopback port instead keeps two runs (or a user's cluster) apart.
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            ) as cluster,
            Client(cluster, set_as_default=False) as client,
        ):
            yield client


def check_scheduler(address: str, timeout_s: float) -> None:
    """ApsimError in at most `timeout_s` unless a Dask scheduler answers at `address`.

    Checked before a Client exists: a Client that fails to connect leaves a `Client.__del__` traceback
    and a 20 s close behind, and Dask's own connect waits forever on a port that never speaks and reads
    an HTTP reply as a frame of exabytes.
    """
    import asyncio

    from distributed.comm import connect
    from distributed.security import Security

    async def identity() -> Any:
        comm = await connect(address, timeout=timeout_s, **Security().get_connection_args("client"))
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    where = f"the Dask scheduler at {address}"
    try:
        reply = asyncio.run(asyncio.wait_for(identity(), timeout_s))
    except (TimeoutError, asyncio.TimeoutError):
        raise ApsimError(f"cannot reach {where}: no answer within {timeout_s:g} s") from None
    except (OSError, ValueError) as exc:
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ApsimError(f"cannot reach {where}: {first_line}") from None
    except Exception as exc:  # bytes that are not Dask's protocol: an HTTP server, a database, ...
        raise ApsimError(f"{address} is not a Dask scheduler (it answered {type(exc).__name__})") from None
    kind = reply.get("type") if isinstance(reply, dict) else type(reply).__name__
    if kind != "Scheduler":
        raise ApsimError(f"{address} is not a Dask scheduler (it answered as {kind})")


def _announced(fn: Callable[[Job], Outcome], job: Job, topic: str) -> Outcome:
    """On the worker: tell the client this render starts (for its progress), then run it."""
    from distributed import get_worker

    with contextlib.suppress(Exception):  # progress is a nicety; the render goes on without it
        get_worker().log_event(topic, job.name)
    return fn(job)


def _check_shared(client: Any, folder: Path, scheduler: str | None) -> None:
    """Every worker must see the outputs folder itself, not a folder of the same name of its own."""
    probe = folder / f".apsim-batch-probe-{uuid.uuid4().hex}"
    probe.write_bytes(b"")
    try:
        seen = client.run(os.path.exists, str(probe))
    finally:
        probe.unlink(missing_ok=True)
    blind = sorted(worker for worker, sees in seen.items() if not sees)
    if blind:
        where = f"the Dask cluster at {scheduler}" if scheduler else "the local Dask cluster"
        raise ApsimError(
            f"{folder}: workers {', '.join(blind)} of {where} cannot see this folder; "
            "the outputs folder must be shared by all workers at the same path"
        )


def _outcome(future: Any, job: Job) -> Outcome:
    """The render's outcome; a task that never returned (its workers died, the cluster went away) fails."""
    try:
        return future.result()
    except Exception as exc:
        from distributed import KilledWorker

        if isinstance(exc, KilledWorker):
            reason = "every Dask worker that ran it died (KilledWorker), e.g. out of memory or killed"
        else:
            first_line = (str(exc).splitlines() or [""])[0]
            reason = f"the Dask task failed: {type(exc).__name__}: {first_line}"
        return Outcome.of_job(job, f"{job.loaded.source}: render lost: {reason}", detail=traceback.format_exc())
