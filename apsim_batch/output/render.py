"""Render one validated config into its output folder: trace, frames, files, manifest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config.load import LoadedConfig
from ..config.models import Config
from ..figure.quantize import gif_palette
from ..names import MANIFEST
from ..trace.measure import measure, phases
from .encode import gif_timing, write_csv, write_gif, write_mp4, write_png
from .files import output_folder, write_json
from .manifest import CONFIG_FROM_OUTPUTS, cache_key, config_from_outputs, file_record, versions_soon


@dataclass(frozen=True)
class RenderResult:
    """What one render wrote: its folder, its manifest, and notes worth telling the user."""

    name: str
    folder: Path
    manifest: dict[str, Any]
    notes: tuple[str, ...] = field(default=())

    @property
    def files(self) -> dict[str, Path]:
        """Output path per format ('gif', 'mp4', 'png', 'csv')."""
        root = self.folder.parent
        return {record["format"]: root / record["path"] for record in self.manifest["files"]}


def resolved_parameters(config: Config, name: str) -> dict[str, Any]:
    """The config with every default filled in and the output name resolved, as plain JSON data."""
    return {**config.model_dump(mode="json"), "name": name}


def selected_formats(config: Config, only: Sequence[str] | None) -> list[str]:
    return [fmt for fmt in config.outputs if only is None or fmt in only]


def render(loaded: LoadedConfig, out_dir: Path, formats: Sequence[str] | None = None) -> RenderResult:
    """Render one config: write its chosen files, then its manifest (last, so it never lies)."""
    found_versions = versions_soon()  # overlaps `ffmpeg -version` with importing and drawing
    from ..figure.layout import draw_layers
    from ..trace.waveform import synthesize

    config, name = loaded.config, loaded.name
    chosen = selected_formats(config, formats)
    folder = output_folder(out_dir, name)
    trace = synthesize(config.waveform)
    layers = draw_layers(config, trace)
    writers = {"csv": _write_csv, "png": _write_png, "gif": _write_gif, "mp4": _write_mp4}
    records, notes = [], []
    for fmt in ("csv", "png", "gif", "mp4"):
        if fmt in chosen:
            record, note = writers[fmt](_Target(config, name, folder, out_dir), trace, layers)
            records.append(record)
            notes += [note] if note else []

    parameters = resolved_parameters(config, name)
    measurements = measure(trace.time_ms, trace.voltage_mv)
    manifest = {
        "name": name,
        "config": Path(loaded.source).as_posix(),
        "config_sha256": loaded.source_sha256,
        "cache_key": cache_key(parameters, chosen),
        "formats": chosen,
        "parameters": parameters,
        "measurements": measurements.as_dict(),
        "phases": [phase.as_dict() for phase in phases(trace.time_ms, trace.voltage_mv, measurements)],
        **loaded.manifest_extras(),  # overrides (--set) and which variant of which set, when any
        "versions": found_versions(),
        "files": records,
        "notes": notes,
    }
    if loaded.source_real is not None:  # a file, not a dict: the identity stale detection relies on
        manifest[CONFIG_FROM_OUTPUTS] = config_from_outputs(loaded.source_real, out_dir)
    write_json(folder / MANIFEST, manifest)
    return RenderResult(name=name, folder=folder, manifest=manifest, notes=tuple(notes))


@dataclass(frozen=True)
class _Target:
    """Where one render's files go."""

    config: Config
    name: str
    folder: Path
    out_dir: Path


Written = tuple[dict[str, Any], str | None]  # the file's manifest record, and a note for the user


def _write_csv(target: _Target, trace: Any, layers: Any) -> Written:
    path = target.folder / "trace.csv"
    write_csv(path, {"time_ms": trace.time_ms, "voltage_mv": trace.voltage_mv, **trace.extra})
    return file_record(path, target.out_dir, format="csv", rows=len(trace.time_ms)), None


def _write_png(target: _Target, trace: Any, layers: Any) -> Written:
    path = target.folder / f"{target.name}.png"
    write_png(path, layers.full)
    return file_record(path, target.out_dir, format="png", width=layers.size[0], height=layers.size[1]), None


def _write_gif(target: _Target, trace: Any, layers: Any) -> Written:
    from ..figure.layout import revealed_counts
    from ..figure.stream import overlaid, stream

    config, path = target.config, target.folder / f"{target.name}.gif"
    counts = revealed_counts(config)
    fps = config.animation.fps
    timing = gif_timing(len(counts), fps, config.animation.hold_last_frame_s)
    palette, base_index, full_index = gif_palette(layers.full, layers.base)
    shown = counts[list(timing.frames)]
    colors = np.frombuffer(palette, np.uint8).reshape(-1, 3)
    frames = overlaid(stream(layers, shown, base_index, full_index), shown, layers.overlay, colors)
    write_gif(path, frames, layers.size, palette, timing.delays_cs)
    note = None
    if timing.merged:
        note = (
            f"GIF: {len(counts)} frames at {fps:g} fps shown as {len(timing.frames)} frames of 20 ms,"
            f" because browsers slow down faster GIFs; it still plays in {timing.duration_s:.2f} s"
        )
    record = file_record(
        path,
        target.out_dir,
        format="gif",
        frames=len(timing.frames),
        fps=round(timing.fps, 3),
        duration_s=timing.duration_s,
        merged_frames=timing.merged,
        width=layers.size[0],
        height=layers.size[1],
    )
    return record, note


def _write_mp4(target: _Target, trace: Any, layers: Any) -> Written:
    from ..figure.layout import revealed_counts
    from ..figure.stream import overlaid, stream

    config, path = target.config, target.folder / f"{target.name}.mp4"
    counts = revealed_counts(config)
    fps = config.animation.fps
    hold_frames = round(config.animation.hold_last_frame_s * fps)

    def rgb_frames():  # the finished frame repeats for the hold
        image = layers.full
        for image, _ in overlaid(stream(layers, counts), counts, layers.overlay):
            yield image
        for _ in range(hold_frames):
            yield image

    written = write_mp4(path, rgb_frames(), fps)
    record = file_record(
        path,
        target.out_dir,
        format="mp4",
        frames=written,
        fps=fps,
        duration_s=round(written / fps, 6),
        codec="h264",
        pixel_format="yuv420p",
        width=layers.size[0],
        height=layers.size[1],
    )
    return record, None
