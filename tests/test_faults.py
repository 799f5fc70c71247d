"""Faults end clean: wrong, silent or foreign Dask addresses, failing stdout, leftover encoders, odd names."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from apsim_batch.batch.options import RunOptions
from apsim_batch.errors import UsageError

from .conftest import run_entry_point, write

TINY = "waveform: {samples: 100}\nanimation: {fps: 10, samples_per_frame: 10}\noutputs: [csv]\n"


@contextlib.contextmanager
def loopback_server(reply: bytes | None) -> Iterator[str]:
    """A 127.0.0.1 port of our own that accepts and then stays silent (None) or sends `reply` and hangs up."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop, held = threading.Event(), []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)
            if reply is not None:
                with contextlib.suppress(OSError):
                    conn.settimeout(2)
                    conn.recv(65536)
                    conn.sendall(reply)
                    conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


HTTP_400 = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [(None, "no answer within 10 s"), (HTTP_400, "is not a Dask scheduler (it answered")],
    ids=["silent", "http-400"],
)
def test_a_port_that_is_no_scheduler_is_one_line_in_bounded_time(tmp_path, reply, expected):
    pytest.importorskip("distributed")
    write(tmp_path / "configs" / "a.yaml", TINY)
    with loopback_server(reply) as address:
        started = time.monotonic()
        done = run_entry_point("run", "configs", "--executor", "dask", "--scheduler", address, cwd=tmp_path)
        seconds = time.monotonic() - started
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1, done.stderr  # no traceback, no Client.__del__ noise
    assert done.stderr.startswith("Error: ") and expected in done.stderr
    assert seconds < 10 + 30  # the documented 10 s, plus Python and Dask starting on a loaded machine
    assert not (tmp_path / "outputs" / "a").exists()


def test_a_garbage_address_is_one_line(tmp_path):
    pytest.importorskip("distributed")
    write(tmp_path / "configs" / "a.yaml", TINY)
    done = run_entry_point("run", "configs", "--executor", "dask", "--scheduler", "garbage://127.0.0.1:1", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Error: cannot reach the Dask scheduler at garbage://127.0.0.1:1: unknown address scheme 'garbage'"
        " (known schemes: ['inproc', 'tcp', 'tls', 'ucx', 'ws', 'wss'])"
    ]


# --- RunOptions: the executor registry refuses what an executor cannot honour -------------------


def test_run_options_are_checked_against_the_executor():
    assert RunOptions(executor="local", timeout_s=5).executor == "local"
    assert RunOptions(formats=["gif"]).formats == ("gif",)  # a notebook's list, kept immutable
    with pytest.raises(UsageError, match="--scheduler needs --executor dask"):
        RunOptions(scheduler="tcp://127.0.0.1:1")
    with pytest.raises(UsageError, match="no executor 'threads'"):
        RunOptions(executor="threads")
    with pytest.raises(TypeError, match="unknown options jbos"):
        RunOptions.of(jbos=2)
    if pytest.importorskip("distributed"):
        with pytest.raises(UsageError, match="--timeout-s works with local renders only"):
            RunOptions(executor="dask", timeout_s=30)
        assert RunOptions(executor="dask", timeout_s=0).timeout_s == 0  # no limit: nothing to honour


def test_the_local_executor_honours_jobs_timeout_and_on_start():
    from apsim_batch.batch.executors import InProcessExecutor, ProcessExecutor

    def hook(job):
        return None

    one = RunOptions(jobs=4, timeout_s=7).executor_for(1, hook)
    assert isinstance(one, InProcessExecutor) and (one.timeout_s, one.on_start) == (7, hook)
    many = RunOptions(jobs=3, timeout_s=0).executor_for(10, hook)
    assert isinstance(many, ProcessExecutor) and (many.jobs, many.timeout_s, many.on_start) == (3, None, hook)
    assert RunOptions(jobs=1).executor_for(5).timeout_s == 900  # the default limit
