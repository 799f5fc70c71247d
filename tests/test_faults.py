"""Faults end clean: wrong, silent or foreign Dask addresses, failing stdout, leftover encoders, odd names."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apsim_batch.batch.options import RunOptions
from apsim_batch.errors import UsageError

from .conftest import ROOT, run_entry_point, write

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


# --- names that are not UTF-8 ---------------------------------------------------------------


def test_paths_that_are_not_utf8_are_refused_and_the_rest_runs(tmp_path):
    """`configs/bad\\xe9.yaml` crashed the gallery; a folder named `\\xff\\xfe` crashed its render."""
    import json

    root = os.fsencode(tmp_path)
    write(tmp_path / "configs" / "good.yaml", TINY)
    for raw in (b"configs/bad\xe9.yaml", b"\xff\xfe/ok.yaml"):
        path = os.path.join(root, raw)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(TINY)
    done = run_entry_point("run", "configs", os.fsdecode(b"\xff\xfe"), "--json", cwd=tmp_path)
    assert done.returncode == 1
    summary = json.loads(done.stdout)
    errors = {r["source"]: r["error"] for r in summary["renders"] if r["status"] == "failed"}
    assert errors == {
        "configs/bad\\xe9.yaml": "configs/bad\\xe9.yaml: the path is not valid UTF-8 text; rename the file or folder",
        "\\xff\\xfe/ok.yaml": "\\xff\\xfe/ok.yaml: the path is not valid UTF-8 text; rename the file or folder",
    }
    assert [r["name"] for r in summary["renders"] if r["status"] == "rendered"] == ["good"]
    assert (tmp_path / "outputs" / "index.html").is_file()  # the gallery is written
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 2


# --- a stdout that cannot be written ---------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [("validate", "configs/a.yaml"), ("run", "configs", "--json"), ("schema",)])
def test_a_full_stdout_is_one_line_on_stderr(tmp_path, args):
    write(tmp_path / "configs" / "a.yaml", TINY)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "apsim_batch", *args],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert done.stderr == "Error: cannot write to standard output: No space left on device\n"


# --- ffmpeg: missing, not executable, hanging -------------------------------------------------

MP4 = TINY.replace("[csv]", "[mp4]")


def running_with(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line mentions `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_no_encoder_outlives_a_timed_out_run(tmp_path, monkeypatch, jobs):
    """An ffmpeg that hangs (and starts a child, as a wrapper script would): after the run, nothing of it
    runs, and a caller reading through a pipe is not kept waiting (with --jobs 1, 2 were left)."""
    hang = tmp_path / f"hanging-ffmpeg-{jobs}-{os.getpid()}.sh"
    hang.write_text("#!/bin/sh\nsleep 120\n")
    hang.chmod(0o755)
    write(tmp_path / "configs" / "m.yaml", MP4)
    write(tmp_path / "configs" / "n.yaml", MP4)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(hang))
    started = time.monotonic()
    done = run_entry_point("run", "configs", "--jobs", jobs, "--timeout-s", "4", cwd=tmp_path)
    assert time.monotonic() - started < 60  # the pipes closed when the run ended, not when `sleep` did
    assert done.returncode == 1
    assert done.stderr.count("render timed out after 4 s") == 2
    assert running_with(hang.name) == [] and running_with("sleep 120") == []


@pytest.mark.parametrize("encoder", ["/no-such-encoder", "not-executable"])
def test_a_missing_ffmpeg_names_itself_and_spares_other_formats(tmp_path, monkeypatch, encoder):
    if encoder == "not-executable":
        encoder = str(write(tmp_path / "ffmpeg", "not a program"))
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", encoder)
    write(tmp_path / "configs" / "still.yaml", TINY.replace("[csv]", "[csv, png, gif]"))
    write(tmp_path / "configs" / "video.yaml", MP4)
    done = run_entry_point("run", "configs", "--jobs", "1", cwd=tmp_path)
    assert done.returncode == 1
    assert "✓ still: rendered" in done.stdout
    reason = "No such file or directory" if encoder.startswith("/no") else "Permission denied"
    assert done.stderr.splitlines()[0] == (
        f"✗ configs/video.yaml: the MP4 encoder ffmpeg cannot run ({encoder}: {reason}); IMAGEIO_FFMPEG_EXE names"
        " it: unset it to use the ffmpeg that imageio-ffmpeg ships, or point it at an ffmpeg (gif, png and csv need"
        " no ffmpeg)"
    )


# --- run --json: JSON on stdout whatever happens -------------------------------------------------


def test_run_json_prints_json_when_the_run_cannot_happen(tmp_path):
    import json

    from apsim_batch.output.files import output_lock

    write(tmp_path / "configs" / "a.yaml", TINY)
    write(tmp_path / "afile", "")
    (tmp_path / "held").mkdir()
    cases = {
        ("--out", "afile"): "afile: --out names a file, not a folder",
        ("--out", "held"): "held: another apsim-batch run (process {pid}) is writing here; wait for it to finish"
        " or use another --out",
        ("--executor", "nope"): "--executor: no executor 'nope'; choose one of local, dask",
    }
    with output_lock(tmp_path / "held"):
        for args, error in cases.items():
            done = run_entry_point("run", "configs", "--json", *args, cwd=tmp_path)
            summary = json.loads(done.stdout)
            expected = error.format(pid=os.getpid())
            assert (summary["ok"], summary["renders"], summary["error"]) == (False, [], expected)
            assert summary["exit_code"] == done.returncode != 0
            assert done.stderr == f"Error: {expected}\n"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--bogus",), "No such option: --bogus (Possible options: --jobs, --out, --verbose)"),
        (("--jobs", "many"), "Invalid value for '--jobs' / '-j':"),
        (("--out",), "Option '--out' requires an argument."),
    ],
)
def test_run_json_reports_a_usage_mistake_on_stdout_too(tmp_path, args, error):
    """A pipeline reading `run --json` gets its summary even when click refuses an option; stderr keeps click's lines."""
    import json

    write(tmp_path / "configs" / "a.yaml", TINY)
    done = run_entry_point("run", "configs", "-o", "elsewhere", "--json", *args, cwd=tmp_path)
    summary = json.loads(done.stdout)
    assert (summary["ok"], summary["renders"], summary["exit_code"], done.returncode) == (False, [], 2, 2)
    assert summary["error"].startswith(error)
    assert summary["out_dir"] == "elsewhere"
    assert done.stderr.splitlines()[-1] == f"Error: {summary['error']}"
    assert not (tmp_path / "elsewhere").exists()


def test_run_json_on_success_says_no_error(tmp_path):
    import json

    write(tmp_path / "configs" / "a.yaml", TINY)
    done = run_entry_point("run", "configs", "--json", cwd=tmp_path)
    summary = json.loads(done.stdout)
    assert (summary["ok"], summary["error"], summary["exit_code"], done.returncode) == (True, None, 0, 0)


# --- platforms -----------------------------------------------------------------------------------


def test_without_fcntl_the_lock_fails_with_one_line(tmp_path, cli, monkeypatch):
    """As on Windows: `import fcntl` fails. The run stops with one line before rendering anything."""
    monkeypatch.setitem(sys.modules, "fcntl", None)  # makes `import fcntl` raise ImportError
    write(tmp_path / "configs" / "a.yaml", TINY)
    code, out, err = cli("run", "configs", "--jobs", "1", cwd=tmp_path)
    assert code == 1
    assert err == (
        "Error: apsim-batch runs on Linux and macOS: this system has no fcntl, which the outputs folder's lock"
        " needs (on Windows, run it under WSL)\n"
    )
    assert not (tmp_path / "outputs" / "a").exists()
