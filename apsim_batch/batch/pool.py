"""Worker processes with a watchdog: a hung or crashed worker fails its item, is killed and replaced.

`concurrent.futures.ProcessPoolExecutor` cannot kill one stuck worker (only break the whole
pool), and Ctrl-C makes it wait for running tasks. Here every worker is a long-lived process
started through our own entry (worker.py, never the caller's script) in its own process group,
so the parent can kill it *with* its children (an ffmpeg encoder) the moment its time is up or
the user interrupts, and start a fresh one. A worker also kills its group as soon as its parent
disappears (e.g. the run was SIGKILLed), so no orphan keeps writing into the outputs folder.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.spawn
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Generic, TypeVar

from . import worker

T = TypeVar("T")
R = TypeVar("R")


class _Process:
    """The parts of multiprocessing.Process the pool uses, for a worker started with subprocess."""

    def __init__(self, popen: subprocess.Popen[bytes]):
        self.popen = popen
        self.pid = popen.pid
        # Readable once the process has exited: a second way to notice a death besides the pipe.
        self.sentinel: int | None = None
        with contextlib.suppress(AttributeError, OSError):  # Linux 5.3+; elsewhere the pipe alone tells
            self.sentinel = os.pidfd_open(popen.pid)

    @property
    def exitcode(self) -> int | None:
        return self.popen.poll()

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        self.popen.kill()

    def join(self, timeout: float | None = None) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout)
        if self.popen.returncode is not None and self.sentinel is not None:
            os.close(self.sentinel)
            self.sentinel = None


@dataclass
class _Worker:
    process: Any  # _Process, or multiprocessing.Process where no descriptor can be passed
    conn: Connection

    @classmethod
    def start(cls) -> _Worker:
        if sys.platform == "win32":  # pragma: no cover - no descriptor passing there
            return cls._start_spawned()
        parent_sock, child_sock = socket.socketpair()
        fd = child_sock.fileno()
        package_root = str(Path(__file__).resolve().parents[2])
        popen = subprocess.Popen(
            [multiprocessing.spawn.get_executable(), "-c", worker.BOOTSTRAP, package_root, str(fd), str(os.getpid())],
            pass_fds=(fd,),
            start_new_session=True,  # its own process group from the start, so killpg reaches its encoders
        )
        child_sock.close()
        conn = Connection(parent_sock.detach())
        conn.send(list(sys.path))  # what spawn would hand over, without re-running the caller's __main__
        return cls(_Process(popen), conn)

    @classmethod
    def _start_spawned(cls) -> _Worker:  # pragma: no cover - Windows
        ctx = multiprocessing.get_context("spawn")
        parent_conn, child_conn = ctx.Pipe()
        process = ctx.Process(target=worker.serve, args=(child_conn, os.getpid()), daemon=True)
        process.start()
        child_conn.close()
        parent_conn.send(list(sys.path))
        return cls(process, parent_conn)

    def kill(self) -> None:
        """Kill the worker and everything it started (its process group), then reap it."""
        pid = self.process.pid
        if pid is not None:
            with contextlib.suppress(OSError):
                if hasattr(os, "killpg"):
                    os.killpg(pid, signal.SIGKILL)
                else:  # pragma: no cover - Windows
                    self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        """Ask an idle worker to exit; kill it if it does not."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.process.join(2)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


@dataclass(frozen=True)
class Failure(Generic[T]):
    """An item whose worker did not return a result: timed out, crashed or died."""

    item: T
    reason: str  # "timeout" | "error" | "died"
    seconds: float
    detail: str = ""


class WorkerPool:
    """Run `fn` over items in `workers` processes; yield results (or Failures) as they complete.

    `timeout_s` bounds each item (None: no limit). `on_start(item)` is called in this process
    when an item is handed to a worker. Leaving the iterator early (break, exception, Ctrl-C)
    kills every worker that is still busy, promptly.
    """

    def __init__(
        self,
        workers: int,
        timeout_s: float | None = None,
        on_start: Callable[[Any], None] | None = None,
    ):
        self.workers = max(1, workers)
        self.timeout_s = timeout_s
        self.on_start = on_start

    def imap_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R | Failure[T]]:
        pending: deque[T] = deque(items)
        idle: list[_Worker] = []
        busy: dict[Connection, tuple[_Worker, T, float]] = {}
        try:
            while pending or busy:
                while pending and len(busy) < self.workers:
                    item = pending.popleft()
                    if self.on_start:
                        self.on_start(item)
                    worker = self._send(idle, fn, item)
                    busy[worker.conn] = (worker, item, time.monotonic())
                by_sentinel = {
                    w.process.sentinel: conn for conn, (w, _, _) in busy.items() if w.process.sentinel is not None
                }
                ready = wait([*busy, *by_sentinel], self._wait_s(busy))
                now = time.monotonic()
                for ready_one in ready:
                    conn = by_sentinel.get(ready_one, ready_one)  # type: ignore[call-overload]
                    if conn not in busy:
                        continue  # already handled through its other handle
                    worker, item, started = busy.pop(conn)
                    try:
                        kind, value = conn.recv()
                    except (EOFError, OSError):  # the process died without answering
                        worker.kill()
                        code = worker.process.exitcode
                        yield Failure(item, "died", now - started, _death_cause(code))
                        continue
                    idle.append(worker)
                    yield value if kind == "ok" else Failure(item, "error", now - started, value)
                if self.timeout_s is not None:
                    for conn, (worker, item, started) in list(busy.items()):
                        if now - started >= self.timeout_s:
                            del busy[conn]
                            worker.kill()
                            yield Failure(item, "timeout", now - started)
        finally:
            for worker, _, _ in busy.values():
                worker.kill()
            for worker in idle:
                worker.stop()

    @staticmethod
    def _send(idle: list[_Worker], fn: Callable[[Any], Any], item: Any) -> _Worker:
        """Hand `item` to an idle worker, replacing one that died while it waited."""
        while idle:
            worker = idle.pop()
            try:
                worker.conn.send((fn, item))
                return worker
            except OSError:
                worker.kill()
        worker = _Worker.start()
        worker.conn.send((fn, item))
        return worker

    def _wait_s(self, busy: dict[Connection, tuple[_Worker, Any, float]]) -> float | None:
        if self.timeout_s is None or not busy:
            return None
        first_deadline = min(started for _, _, started in busy.values()) + self.timeout_s
        return max(0.0, first_deadline - time.monotonic())


def _death_cause(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"
