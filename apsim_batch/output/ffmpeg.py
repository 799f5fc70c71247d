"""The MP4 encoder: RGB frames piped into the ffmpeg that imageio-ffmpeg ships, its messages kept to ourselves.

imageio's writer lets ffmpeg print to the terminal, so a run stopped mid-encode (Ctrl-C, or a
worker killed by the watchdog) left "Error writing trailer" noise there. Here ffmpeg's stderr goes
to a temporary file and reaches the user only inside the error of a render that failed; an
interrupted encode is killed at once, with every process it started, instead of being asked to
finish its file; and no ffmpeg we started outlives the run (a caller reading our output through a
pipe would wait for it).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RenderError

MAX_MESSAGE_LINES = 5
VERSION_TIMEOUT_S = 10  # `ffmpeg -version` answers in milliseconds; one that hangs is not waited for
ENV_VAR = "IMAGEIO_FFMPEG_EXE"  # imageio-ffmpeg's: the ffmpeg to use instead of the one it ships
_live: dict[subprocess.Popen[bytes], bool] = {}  # every ffmpeg started here and not yet stopped -> leads a group
_live_lock = threading.Lock()


def ffmpeg_exe() -> str:
    """The ffmpeg to run: IMAGEIO_FFMPEG_EXE when set, else the one the imageio-ffmpeg package ships."""
    import imageio_ffmpeg

    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        raise RenderError(_cannot_run("no ffmpeg was found")) from None


def _cannot_run(reason: str) -> str:
    reinstall = "pip install --force-reinstall imageio-ffmpeg"
    if os.environ.get(ENV_VAR):
        fix = f"{ENV_VAR} names it: unset it to use the ffmpeg that imageio-ffmpeg ships, or point it at an ffmpeg"
    else:
        fix = f"reinstall imageio-ffmpeg, which ships one ({reinstall}), or set {ENV_VAR}"
    return f"the MP4 encoder ffmpeg cannot run ({reason}); {fix} (gif, png and csv need no ffmpeg)"


def ffmpeg_version() -> str:
    """ffmpeg's version as imageio-ffmpeg reports it, or why there is none (recorded, never raised:
    a render without an MP4 does not need ffmpeg)."""
    try:
        process = _start([ffmpeg_exe(), "-version"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    except (RenderError, OSError) as exc:
        return f"unavailable ({exc.strerror if isinstance(exc, OSError) else 'not found'})"
    try:
        out, _ = process.communicate(timeout=VERSION_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"unknown (no answer to -version in {VERSION_TIMEOUT_S} s)"
    finally:
        _stop(process)
    line = out.split(b"\n", 1)[0].decode(errors="ignore").strip()
    return line.split("version", 1)[-1].lstrip().split(" ", 1)[0].strip()  # as imageio_ffmpeg.get_ffmpeg_version


def _start(command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start an ffmpeg that `_stop` (or the end of the run) will end with everything it started.

    On a terminal it gets a process group of its own, so Ctrl-C stays away from it and killing the
    group reaches its children; in a pool worker (a session of its own) it stays in the worker's
    group, so the watchdog killing the worker's group kills it too.
    """
    group = {} if _leads_own_session() else _own_group()
    process = subprocess.Popen(command, stderr=kwargs.pop("stderr", subprocess.DEVNULL), **kwargs, **group)
    with _live_lock:
        _live[process] = bool(group)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill `process` (its whole group when it leads one) unless it has ended; reap it."""
    with _live_lock:
        leads_group = _live.pop(process, False)
    if process.poll() is None:
        with contextlib.suppress(OSError):
            if leads_group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        process.wait(timeout=5)


@atexit.register
def _stop_all() -> None:
    for process in list(_live):
        _stop(process)


def encode_mp4(path: Path, frames: Iterable[np.ndarray], fps: float, output_params: list[str]) -> int:
    """Encode RGB frames (H x W x 3, uint8) into an H.264/yuv420p MP4 at `path`; returns the frame count."""
    stream = iter(frames)
    first = next(stream, None)
    if first is None:
        raise RenderError("the MP4 encoder got no frames")
    height, width = first.shape[:2]
    command = [
        ffmpeg_exe(),
        "-y",
        "-f", "rawvideo", "-vcodec", "rawvideo", "-s", f"{width}x{height}", "-pix_fmt", "rgb24",
        "-r", str(Fraction(fps).limit_denominator()),
        "-i", "-", "-an",
        "-vcodec", "libx264", "-pix_fmt", "yuv420p",
        "-v", "error",
        *output_params,
        str(path),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as messages:
        try:
            process = _start(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=messages)
        except OSError as exc:  # missing, not executable, not a program
            raise RenderError(_cannot_run(f"{command[0]}: {exc.strerror or exc}")) from None
        count = 0
        try:
            for frame in _chain(first, stream):
                process.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
                count += 1
            process.stdin.close()
            code = process.wait()
        except BrokenPipeError:
            code = process.wait()
        except BaseException:  # interrupted or a frame failed: stop ffmpeg now, without a trailer
            _stop(process)
            with contextlib.suppress(OSError):
                process.stdin.close()
            raise
        _stop(process)  # it has ended: reap it, forget it
        if code != 0:
            messages.seek(0)
            text = messages.read().decode("utf-8", "replace").strip().splitlines()[-MAX_MESSAGE_LINES:]
            raise RenderError(f"the MP4 encoder failed (ffmpeg exit code {code}): {' / '.join(text) or 'no message'}")
    return count


def _chain(first: np.ndarray, rest: Iterable[np.ndarray]) -> Iterable[np.ndarray]:
    yield first
    yield from rest


def _own_group() -> dict[str, object]:
    if sys.platform == "win32":  # pragma: no cover
        return {}
    return {"process_group": 0} if sys.version_info >= (3, 11) else {"start_new_session": True}


def _leads_own_session() -> bool:
    if sys.platform == "win32":  # pragma: no cover
        return False
    return os.getsid(0) == os.getpid()
