"""The MP4 encoder: RGB frames piped into the ffmpeg that imageio-ffmpeg ships, its messages kept to ourselves.

imageio's writer lets ffmpeg print to the terminal, so a run stopped mid-encode (Ctrl-C, or a
worker killed by the watchdog) left "Error writing trailer" noise there. Here ffmpeg's stderr goes
to a temporary file and reaches the user only inside the error of a render that failed; an
interrupted encode is killed at once instead of being asked to finish its file.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import RenderError

MAX_MESSAGE_LINES = 5


def encode_mp4(path: Path, frames: Iterable[np.ndarray], fps: float, output_params: list[str]) -> int:
    """Encode RGB frames (H x W x 3, uint8) into an H.264/yuv420p MP4 at `path`; returns the frame count."""
    import imageio_ffmpeg

    stream = iter(frames)
    first = next(stream, None)
    if first is None:
        raise RenderError("the MP4 encoder got no frames")
    height, width = first.shape[:2]
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
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
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=messages,
            # On a terminal, keep Ctrl-C away from ffmpeg (we stop it ourselves); in a pool worker (a
            # session of its own) stay in the worker's group, so killing the worker kills its encoder.
            **({} if _leads_own_session() else _own_group()),
        )
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
            process.kill()
            process.wait()
            with contextlib.suppress(OSError):
                process.stdin.close()
            raise
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
