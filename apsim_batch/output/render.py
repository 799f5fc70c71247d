"""Render one validated config into its output folder: trace, frames, files, manifest."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.models import Config, LoadedConfig
from ..errors import RenderError
from ..trace.measure import measure, phases
from .animate import plan_animation, write_gif_file, write_mp4_file
from .encode import write_csv, write_json, write_png
from .manifest import MANIFEST, cache_key, file_record, versions_soon


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


def output_folder(out_dir: Path, name: str) -> Path:
    """The render's folder inside `out_dir`, refusing anything that would escape it."""
    folder = out_dir / name
    if folder.is_symlink():
        raise RenderError(f"{folder} is a symbolic link; refusing to write through it")
    if folder.resolve().parent != out_dir.resolve():
        raise RenderError(f"output name {name!r} would leave the outputs folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def render(loaded: LoadedConfig, out_dir: Path, formats: Sequence[str] | None = None) -> RenderResult:
    """Render one config: write its chosen files, then its manifest (last, so it never lies)."""
    found_versions = versions_soon()  # overlaps `ffmpeg -version` with importing and drawing
    from ..figure.layout import draw_layers
    from ..figure.ticks import figure_grid
    from ..trace.waveform import synthesize

    config, name = loaded.config, loaded.name
    chosen = selected_formats(config, formats)
    folder = output_folder(out_dir, name)
    trace = synthesize(config.waveform)
    layers = draw_layers(config, trace)
    records, notes = [], []

    if "csv" in chosen:
        path = folder / "trace.csv"
        write_csv(path, {"time_ms": trace.time_ms, "voltage_mv": trace.voltage_mv, **trace.extra})
        records.append(file_record(path, out_dir, format="csv", rows=len(trace.time_ms)))
    if "png" in chosen:
        path = folder / f"{name}.png"
        write_png(path, layers.full)
        records.append(file_record(path, out_dir, format="png", width=layers.size[0], height=layers.size[1]))
    if "gif" in chosen or "mp4" in chosen:
        anim = plan_animation(config, trace, layers)
    if "gif" in chosen:
        record, gif_notes = write_gif_file(folder / f"{name}.gif", anim, out_dir)
        records.append(record)
        notes += gif_notes
    if "mp4" in chosen:
        records.append(write_mp4_file(folder / f"{name}.mp4", anim, out_dir))

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
        "grid": figure_grid(config, layers),  # what one grid step represents: the answer keys' tolerances
        **loaded.manifest_extras(),  # overrides (--set) and which variant of which set, when any
        "versions": found_versions(),
        "files": records,
        "notes": notes,
    }
    write_json(folder / MANIFEST, manifest)
    return RenderResult(name=name, folder=folder, manifest=manifest, notes=tuple(notes))


def render_path(path: str | os.PathLike[str], out_dir: str | os.PathLike[str] = "outputs") -> RenderResult:
    """Load and render one config file (a convenience for notebooks and scripts)."""
    from ..config.models import load_config

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return render(load_config(path), out)
