"""Render one validated config into its output folder: its analysis (once), the figure, its files, its manifest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.load import LoadedConfig
from ..figure.pacing import paced
from ..names import MANIFEST
from .animate import plan_animation
from .files import output_folder, write_json
from .formats import FORMATS, Target, written_formats
from .manifest import (
    CONFIG_FROM_OUTPUTS,
    MADE_WITH,
    cache_key,
    config_from_outputs,
    file_key,
    read_manifest,
    resolved_parameters,
    selected_formats,
    valid_records,
    versions_soon,
)

_WRITE_ORDER = tuple(FORMATS)


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


def render(loaded: LoadedConfig, out_dir: Path, formats: Sequence[str] | None = None) -> RenderResult:
    """Render one config: write its chosen files, then its manifest (last, so it never lies).

    Files of the config's other formats that an earlier render made from the same parameters stay,
    with their manifest records (see `keep_other_formats`), so `--format gif` loses nothing.
    """
    found_versions = versions_soon()  # overlaps `ffmpeg -version` with importing and drawing
    from ..figure.layout import draw_layers
    from ..figure.readings import tolerances
    from ..trace.models import analyze

    config, name = loaded.config, loaded.name
    chosen = selected_formats(config, formats)
    folder = output_folder(out_dir, name)
    parameters = resolved_parameters(config, name)
    kept = keep_other_formats(folder, out_dir, parameters, [f for f in config.outputs if f not in chosen])
    analysis = analyze(config)  # the one analysis every consumer below reads
    config = paced(config, analysis)  # an unset spike_slowdown decided from the analysis' spikes
    layers = draw_layers(config, analysis)
    # the frames (and the frame cap, which only animations have) once for the GIF, the MP4 and captions
    animated = any(FORMATS[fmt].animated for fmt in chosen)
    anim = plan_animation(config, analysis, layers) if animated else None
    records, notes = [], list(layers.notes)  # e.g. a trace that leaves the voltage axis the config set
    target = Target(config, name, folder, out_dir)
    for fmt in written_formats(chosen):
        record, note = fmt.write(target, analysis, layers, anim)
        records.append(record)
        notes += [note] if note else []
    for record in records:
        record["key"] = file_key(parameters, record["format"])
    records = sorted([*kept, *records], key=lambda r: _WRITE_ORDER.index(r["format"]))  # same bytes either way
    present = [fmt for fmt in config.outputs if any(r["format"] == fmt for r in records)]
    manifest = {
        "name": name,
        "config": Path(loaded.source).as_posix(),
        "config_sha256": loaded.source_sha256,
        "cache_key": cache_key(parameters, present),
        "formats": present,
        "parameters": parameters,
        "measurements": analysis.measurements.as_dict(),
        "phases": [phase.as_dict() for phase in analysis.phases],
        "grid": layers.grid.as_dict(),  # the figure's grid steps
        "tolerances": tolerances(
            config, analysis, layers.grid, layers.panels
        ),  # what a student can read off it: the keys' tolerances
        "refractory": None if analysis.refractory is None else analysis.refractory.as_dict(),
        **loaded.manifest_extras(),  # overrides (--set) and which variant of which set, when any
        "versions": found_versions(),
        "files": records,
        "notes": notes,
    }
    if loaded.source_real is not None:  # a file, not a dict: the identity stale detection relies on
        manifest[CONFIG_FROM_OUTPUTS] = config_from_outputs(loaded.source_real, out_dir)
    write_json(folder / MANIFEST, manifest)
    return RenderResult(name=name, folder=folder, manifest=manifest, notes=tuple(notes))


def keep_other_formats(
    folder: Path, out_dir: Path, parameters: dict[str, Any], others: list[str]
) -> list[dict[str, Any]]:
    """The records of `others` (formats this render does not redo) still valid for `parameters`.

    The folder's manifest is rewritten to list only those, before any file changes, so at every
    moment it names only complete files that match it; with none left it is removed.
    """
    path = folder / MANIFEST
    old = read_manifest(path)
    if old is None:
        return []
    valid = valid_records(old, parameters, others, out_dir)
    kept = [r for r in old.get("files", []) if isinstance(r, dict) and valid.get(r.get("format")) is r]
    if kept:
        present = [f for f in others if any(MADE_WITH.get(r["format"], r["format"]) == f for r in kept)]
        write_json(path, {**old, "files": kept, "formats": present, "cache_key": cache_key(parameters, present)})
    else:
        path.unlink(missing_ok=True)
    return kept
