"""The output-format registry: each format's name, file name, writer, link label and manifest fields, in one table.

A render writes the formats its config chose, in `FORMATS` order, each through its entry's
`write(target, analysis, layers, anim) -> (manifest record, note or None)`; the record's fields
beyond `path`, `sha256` and `bytes` are the format's own (rows for CSV, width and height for PNG,
frames, fps and pacing for GIF and MP4, the MP4 it belongs to for captions). A new format is its
encoder (in `encode.py` or a module of its own) plus one line in `FORMATS`; the names a config may
list are `config/models.py`'s `OUTPUT_FORMATS` (checked there, without importing this), and a
test checks the two agree. An entry's fields:

- `name`: the key in `outputs:`, `--format` and manifests; `label`: its link text in galleries;
  `mime`: its media type; `file_name(render name)`: its file in the render's folder;
- `animated`: it needs the frame schedule (GIF, MP4); `companion_of`: it is written beside another
  format, never chosen on its own (the MP4's captions); `handout`: it may go to students (never the
  CSV: the trace gives the answers away); `frame_cost_s`: about how long it takes to encode one
  640x480 frame on one core (the batch starts the longest renders first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.models import Config

if TYPE_CHECKING:
    from ..figure.layout import Layers
    from ..trace.analysis import Analysis
    from .animate import Animation

Written = tuple[dict[str, Any], str | None]  # the file's manifest record, and a note for the user


@dataclass(frozen=True)
class Target:
    """Where one render's files go."""

    config: Config
    name: str
    folder: Path
    out_dir: Path


def _write_csv(target: Target, analysis: Analysis, layers: Layers, anim: Animation | None) -> Written:
    from .encode import write_csv
    from .manifest import file_record

    trace, path = analysis.trace, target.folder / FORMATS["csv"].file_name(target.name)
    write_csv(path, {"time_ms": trace.time_ms, "voltage_mv": trace.voltage_mv, **trace.extra})
    return file_record(path, target.out_dir, format="csv", rows=len(trace.time_ms)), None


def _write_png(target: Target, analysis: Analysis, layers: Layers, anim: Animation | None) -> Written:
    from .encode import write_png
    from .manifest import file_record

    path = target.folder / FORMATS["png"].file_name(target.name)
    write_png(path, layers.full)
    return file_record(path, target.out_dir, format="png", width=layers.size[0], height=layers.size[1]), None


def _write_gif(target: Target, analysis: Analysis, layers: Layers, anim: Animation | None) -> Written:
    from .animate import write_gif_file

    record, notes = write_gif_file(target.folder / FORMATS["gif"].file_name(target.name), anim, target.out_dir)
    return record, " ".join(notes) or None


def _write_mp4(target: Target, analysis: Analysis, layers: Layers, anim: Animation | None) -> Written:
    from .animate import write_mp4_file

    return write_mp4_file(target.folder / FORMATS["mp4"].file_name(target.name), anim, target.out_dir), None


def _write_vtt(target: Target, analysis: Analysis, layers: Layers, anim: Animation | None) -> Written:
    """<name>.vtt: a cue per phase, timed by the frames that draw it (the MP4's own pacing, slow motion included)."""
    from .captions import phase_cues, write_vtt
    from .manifest import file_record

    config, path = target.config, target.folder / FORMATS["vtt"].file_name(target.name)
    fps = config.animation.fps
    hold_frames = round(config.animation.hold_last_frame_s * fps)
    write_vtt(path, phase_cues(analysis.phases, analysis.trace.time_ms, anim.schedule.counts, fps, hold_frames))
    mp4 = FORMATS["mp4"].file_name(target.name)
    return file_record(path, target.out_dir, format="vtt", captions_for=mp4), None


def _named(extension: str) -> Callable[[str], str]:
    return lambda name: f"{name}.{extension}"


@dataclass(frozen=True)
class OutputFormat:
    """One kind of output file (fields: see the module docstring)."""

    name: str
    label: str
    mime: str
    file_name: Callable[[str], str]
    write: Callable[[Target, Any, Any, Any], Written]
    animated: bool = False
    companion_of: str | None = None
    handout: bool = True
    frame_cost_s: float = 0.0


FORMATS: dict[str, OutputFormat] = {  # in write order: the cheap files first, captions after their MP4
    fmt.name: fmt
    for fmt in (
        OutputFormat("csv", "CSV", "text/csv", lambda name: "trace.csv", _write_csv, handout=False),
        OutputFormat("png", "PNG", "image/png", _named("png"), _write_png),
        OutputFormat("gif", "GIF", "image/gif", _named("gif"), _write_gif, animated=True, frame_cost_s=0.0005),
        OutputFormat("mp4", "MP4", "video/mp4", _named("mp4"), _write_mp4, animated=True, frame_cost_s=0.002),
        OutputFormat("vtt", "captions (VTT)", "text/vtt", _named("vtt"), _write_vtt, companion_of="mp4", handout=False),
    )
}


def written_formats(chosen: list[str]) -> list[OutputFormat]:
    """The formats a render writes for the `chosen` ones, in write order (companions with theirs)."""
    return [fmt for fmt in FORMATS.values() if (fmt.companion_of or fmt.name) in chosen]
