"""Encoders: streaming GIF and MP4, PNG and CSV, each written atomically (through files.atomic_path)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from .files import atomic_path, write_bytes_atomic

GIF_MIN_DELAY_CS = 2  # browsers play any shorter GIF delay as 100 ms


def write_csv(path: Path, columns: dict[str, np.ndarray]) -> None:
    """Columns as CSV with a header row; 12 significant digits keeps every value to 1e-9 mV."""
    names = list(columns)
    rows = np.column_stack([np.asarray(columns[n], dtype=float) for n in names])
    lines = [",".join(names)] + [",".join(f"{x:.12g}" for x in row) for row in rows]
    write_bytes_atomic(path, ("\n".join(lines) + "\n").encode("ascii"))


def write_png(path: Path, rgb: np.ndarray) -> None:
    """A PNG with no metadata (no time stamps), so the same picture gives the same bytes."""
    from PIL import Image

    with atomic_path(path) as temp:
        Image.fromarray(rgb).save(temp, format="PNG", optimize=True)


# --- GIF -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GifTiming:
    """Which animation frames the GIF shows and for how long (centiseconds), after an optional poster frame."""

    frames: tuple[int, ...]
    delays_cs: tuple[int, ...]
    merged: bool  # True when frames were merged to keep real-time playback
    poster_cs: int = 0  # the finished figure shown first (what viewers of a still image see); 0: none

    @property
    def all_delays_cs(self) -> tuple[int, ...]:
        """Delay of every GIF frame as written, the poster's first."""
        return ((self.poster_cs,) if self.poster_cs else ()) + self.delays_cs

    @property
    def count(self) -> int:
        return len(self.all_delays_cs)

    @property
    def duration_s(self) -> float:
        return sum(self.all_delays_cs) / 100

    @property
    def fps(self) -> float:
        """Average frame rate of the GIF as stored."""
        return self.count / self.duration_s


def gif_timing(frame_count: int, fps: float, hold_s: float = 0.0, poster_s: float = 0.0) -> GifTiming:
    """Delays in GIF's 10 ms units: one steady delay that keeps the animation's real duration.

    GIF delays are whole centiseconds, so 30 fps (33.3 ms) could only be kept by alternating 30 and 40 ms,
    which plays unevenly. Instead every GIF frame lasts the same `step_cs`, the frame interval rounded up to
    whole centiseconds and at least 20 ms (browsers play shorter delays as 100 ms), and shows the
    animation frame due at that moment: at 25 or 50 fps every frame, at 30 fps five frames in six, above
    50 fps one every 20 ms. It always ends on the last frame, which also holds for `hold_s`.
    """
    total_cs = 100 * frame_count / fps
    step_cs = gif_step_cs(fps)
    shown = max(1, round(total_cs / step_cs))
    frames = [min(frame_count - 1, math.floor(step_cs * j * fps / 100 + 1e-9)) for j in range(shown)]
    frames[-1] = frame_count - 1
    delays = [step_cs] * shown
    delays[-1] += round(100 * hold_s)
    poster_cs = max(GIF_MIN_DELAY_CS, round(100 * poster_s)) if poster_s > 0 else 0
    return GifTiming(tuple(frames), tuple(delays), merged=len(frames) < frame_count, poster_cs=poster_cs)


def gif_step_cs(fps: float) -> int:
    """The GIF's steady frame delay, in centiseconds, for an animation at `fps`."""
    return max(GIF_MIN_DELAY_CS, math.ceil(100 / fps - 1e-9))


class GifStream:
    """Writes a looping GIF frame by frame with one global palette; nothing is held in memory.

    Pillow's `save_all` keeps every frame until the end, so we write the GIF structure here
    and let Pillow's encoder (`GifImagePlugin.getdata`) LZW-compress each frame's changed box.
    Inside that box, pixels equal to the previous frame are written as the transparent index:
    long runs of one index cost LZW almost nothing, so a frame costs about what really changed
    (a moving cursor line through every panel is a few hundred bytes, not a full-height strip).
    """

    def __init__(self, fp: IO[bytes], size: tuple[int, int], palette: bytes, transparent: int | None = None):
        width, height = size
        fp.write(b"GIF89a" + _u16(width) + _u16(height) + bytes([0xF7, 0, 0]) + palette)
        fp.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + _u16(0) + b"\0")  # loop forever
        self._fp = fp
        self._size = (width, height)
        self._transparent = transparent
        self._shown: np.ndarray | None = None  # what a viewer shows after the frames so far
        self.frames = 0

    def add(self, indices: np.ndarray, offset: tuple[int, int], delay_cs: int) -> None:
        """Append a frame: a box of palette indices placed at `offset`, shown for `delay_cs`."""
        from PIL import GifImagePlugin, Image

        indices, offset, flags = self._changes(np.asarray(indices, np.uint8), offset)
        # Graphic control: disposal 1 (keep the previous frame under the box), transparency if used.
        key = self._transparent if flags & 1 else 0
        self._fp.write(b"!\xf9\x04" + bytes([0x04 | flags]) + _u16(delay_cs) + bytes([key]) + b"\0")
        box = Image.fromarray(np.ascontiguousarray(indices, dtype=np.uint8))  # mode L: raw indices
        for chunk in GifImagePlugin.getdata(box, offset=offset):
            self._fp.write(chunk)
        self.frames += 1

    def _changes(self, indices: np.ndarray, offset: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int], int]:
        """Shrink the box to what differs from the frame shown, and mark unchanged pixels transparent."""
        x0, y0 = offset
        h, w = indices.shape
        if self._transparent is None:
            return indices, offset, 0
        if self._shown is None:
            if (x0, y0, w, h) != (0, 0, *self._size):
                raise ValueError("the first GIF frame must cover the whole image")
            self._shown = indices.copy()
            return indices, offset, 0
        before = self._shown[y0 : y0 + h, x0 : x0 + w]
        changed = indices != before
        rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        if not len(rows):  # nothing changed: one transparent pixel still carries the delay
            return np.full((1, 1), self._transparent, np.uint8), (x0, y0), 1
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        before[r0:r1, c0:c1] = indices[r0:r1, c0:c1]
        part = np.where(changed[r0:r1, c0:c1], indices[r0:r1, c0:c1], self._transparent).astype(np.uint8)
        return part, (x0 + int(c0), y0 + int(r0)), 1

    def close(self) -> None:
        self._fp.write(b";")


def _u16(value: int) -> bytes:
    return int(value).to_bytes(2, "little")


def write_gif(
    path: Path,
    frames: Iterable[tuple[np.ndarray, tuple[int, int, int, int] | None]],
    size: tuple[int, int],
    palette: bytes,
    delays_cs: Iterable[int],
    transparent: int | None = None,
) -> int:
    """Stream index frames (with the box that changed since the previous one) into a GIF.

    With `transparent` (a palette index no pixel uses), unchanged pixels inside each box are left
    transparent and each box shrinks to what really changed.
    """
    with atomic_path(path) as temp, open(temp, "wb") as fh:
        gif = GifStream(fh, size, palette, transparent)
        for (image, box), delay in zip(frames, delays_cs, strict=True):
            if gif.frames == 0 or box == FULL:
                box = (0, 0, *size)
            elif box is None:  # nothing changed: a 1-pixel frame still carries the delay
                box = (0, 0, 1, 1)
            x0, y0, x1, y1 = box
            gif.add(image[y0:y1, x0:x1], (x0, y0), delay)
        gif.close()
        return gif.frames


FULL = (0, 0, -1, -1)  # a box meaning "the whole image" (e.g. the first frame after the poster)


# --- MP4 -------------------------------------------------------------------------------------

# x264 settings chosen for speed at good quality; bitexact keeps encoder version strings and
# time stamps out of the file so reruns give the same bytes.
MP4_OUTPUT_PARAMS = [
    # A fixed number of x264 threads: x264's decisions depend on its thread count, which ffmpeg
    # otherwise takes from the cores it may use, so the same frames gave different bytes with
    # other --jobs, CPU affinity or runners. Two keep most of the speed on a 2-core machine.
    "-threads",
    "2",
    "-preset",
    "veryfast",
    "-crf",
    "18",
    "-tune",
    "animation",
    "-movflags",
    "+faststart",
    "-fflags",
    "+bitexact",
    "-flags:v",
    "+bitexact",
]


def write_mp4(path: Path, frames: Iterable[np.ndarray], fps: float) -> int:
    """Stream RGB frames into an H.264/yuv420p MP4 through ffmpeg (see ffmpeg.py: its messages stay captured)."""
    from .ffmpeg import encode_mp4

    with atomic_path(path) as temp:
        return encode_mp4(temp, frames, fps, MP4_OUTPUT_PARAMS)
