"""WebVTT captions for the MP4s: one cue per phase of the trace, timed to when the video draws it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .files import write_bytes_atomic


class PhaseLike(Protocol):
    """What a caption needs from a phase (trace/measure.py's Phase, whatever its vocabulary)."""

    @property
    def label(self) -> str: ...

    start_ms: float
    end_ms: float


@dataclass(frozen=True)
class Cue:
    """One caption: shown from start_s to end_s of the video."""

    start_s: float
    end_s: float
    text: str


def phase_cues(
    phases: Sequence[PhaseLike], time_ms: np.ndarray, counts: np.ndarray, fps: float, hold_frames: int = 0
) -> list[Cue]:
    """A cue per phase, from the video frame that first draws the phase's start to the next phase's.

    `counts[i]` is how many samples frame i shows (the animation's pacing, whatever it is), so the
    cues follow the video even where the animation slows down through a spike. Phases drawn
    within one frame share a cue ("rising, falling"); the last cue lasts through the hold.
    """
    t = np.asarray(time_ms, dtype=float)
    shown = np.asarray(counts)
    total_s = (len(shown) + hold_frames) / fps
    starts: list[tuple[float, str]] = []
    for phase in phases:
        sample = int(np.searchsorted(t, phase.start_ms - 1e-9))  # the first sample inside the phase
        frame = int(np.searchsorted(shown, sample, side="right"))  # the first frame showing it
        text = f"{_first_upper(phase.label)}, {_ms(phase.start_ms)} to {_ms(phase.end_ms)} ms"
        start_s = min(frame / fps, total_s)
        if starts and start_s <= starts[-1][0]:
            starts[-1] = (starts[-1][0], f"{starts[-1][1]}; then {text[0].lower()}{text[1:]}")
        else:
            starts.append((start_s, text))
    ends = [s for s, _ in starts[1:]] + [total_s] * bool(starts)  # an experiment has no phases: no cues
    return [Cue(start, end, text) for (start, text), end in zip(starts, ends, strict=True) if end > start]


def describing_cue(duration_s: float, text: str) -> list[Cue]:
    """One cue for the whole video (student handouts: naming the phases would answer the exercise)."""
    return [Cue(0.0, duration_s, text)] if duration_s > 0 else []


def vtt_text(cues: Iterable[Cue]) -> str:
    """A WebVTT file: the header, then each cue with its timing line and escaped text."""
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues, start=1):
        blocks.append(f"{number}\n{_timestamp(cue.start_s)} --> {_timestamp(cue.end_s)}\n{_escape(cue.text)}")
    return "\n\n".join(blocks) + "\n"


def write_vtt(path: Path, cues: Iterable[Cue]) -> None:
    write_bytes_atomic(path, vtt_text(cues).encode("utf-8"))


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _escape(text: str) -> str:
    # A blank line would end the cue and "-->" would read as a timing line.
    flat = " ".join(text.split()).replace("-->", "->")
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ms(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]
