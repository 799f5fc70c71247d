"""Render one validated config into its output folder: trace, frames, files, manifest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.load import LoadedConfig
from ..config.models import Config, HodgkinHuxleyWaveform
from ..figure.pacing import paced
from ..names import MANIFEST
from ..trace.measure import measure, phases
from ..trace.refractory import refractory_periods
from .animate import Animation, plan_animation, write_gif_file, write_mp4_file
from .captions import phase_cues, write_vtt
from .encode import write_csv, write_png
from .files import output_folder, write_json
from .manifest import (
    CONFIG_FROM_OUTPUTS,
    MADE_WITH,
    cache_key,
    config_from_outputs,
    file_key,
    file_record,
    read_manifest,
    resolved_parameters,
    selected_formats,
    valid_records,
    versions_soon,
)

_WRITE_ORDER = ("csv", "png", "gif", "mp4", "vtt")


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
    from ..trace.waveform import synthesize

    config, name = loaded.config, loaded.name
    chosen = selected_formats(config, formats)
    folder = output_folder(out_dir, name)
    parameters = resolved_parameters(config, name)
    kept = keep_other_formats(folder, out_dir, parameters, [f for f in config.outputs if f not in chosen])
    trace = synthesize(config.waveform)
    measurements = measure(trace, config.plot.spike_detection_mv)
    found_phases = phases(trace, measurements)
    config = paced(config, trace, found_phases)  # an unset spike_slowdown decided from the spikes
    layers = draw_layers(config, trace)
    # the frames (and the frame cap, which only animations have) once for the GIF, the MP4 and captions
    anim = plan_animation(config, trace, layers, found_phases) if {"gif", "mp4"} & set(chosen) else None
    writers = {"csv": _write_csv, "png": _write_png, "gif": _write_gif, "mp4": _write_mp4}
    records, notes = [], list(layers.notes)  # e.g. a trace that leaves the voltage axis the config set
    for fmt in ("csv", "png", "gif", "mp4"):
        if fmt in chosen:
            record, note = writers[fmt](_Target(config, name, folder, out_dir), trace, layers, anim)
            records.append(record)
            notes += [note] if note else []
    if anim is not None and "mp4" in chosen:  # captions beside the MP4, for players that take a track
        records.append(_write_captions(_Target(config, name, folder, out_dir), trace, found_phases, anim))
    for record in records:
        record["key"] = file_key(parameters, record["format"])
    records = sorted([*kept, *records], key=lambda r: _WRITE_ORDER.index(r["format"]))  # same bytes either way
    present = [fmt for fmt in config.outputs if any(r["format"] == fmt for r in records)]
    refractory = None
    if config.plot.refractory and isinstance(config.waveform, HodgkinHuxleyWaveform):
        refractory = refractory_periods(config.waveform, measurements)
    manifest = {
        "name": name,
        "config": Path(loaded.source).as_posix(),
        "config_sha256": loaded.source_sha256,
        "cache_key": cache_key(parameters, present),
        "formats": present,
        "parameters": parameters,
        "measurements": measurements.as_dict(),
        "phases": [phase.as_dict() for phase in found_phases],
        "grid": layers.grid.as_dict(),  # the figure's grid steps: what the answer keys' tolerances are
        "refractory": None if refractory is None else refractory.as_dict(),
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


@dataclass(frozen=True)
class _Target:
    """Where one render's files go."""

    config: Config
    name: str
    folder: Path
    out_dir: Path


Written = tuple[dict[str, Any], str | None]  # the file's manifest record, and a note for the user


def _write_csv(target: _Target, trace: Any, layers: Any, anim: Animation | None) -> Written:
    path = target.folder / "trace.csv"
    write_csv(path, {"time_ms": trace.time_ms, "voltage_mv": trace.voltage_mv, **trace.extra})
    return file_record(path, target.out_dir, format="csv", rows=len(trace.time_ms)), None


def _write_png(target: _Target, trace: Any, layers: Any, anim: Animation | None) -> Written:
    path = target.folder / f"{target.name}.png"
    write_png(path, layers.full)
    return file_record(path, target.out_dir, format="png", width=layers.size[0], height=layers.size[1]), None


def _write_gif(target: _Target, trace: Any, layers: Any, anim: Animation) -> Written:
    record, notes = write_gif_file(target.folder / f"{target.name}.gif", anim, target.out_dir)
    return record, " ".join(notes) or None


def _write_mp4(target: _Target, trace: Any, layers: Any, anim: Animation) -> Written:
    return write_mp4_file(target.folder / f"{target.name}.mp4", anim, target.out_dir), None


def _write_captions(target: _Target, trace: Any, found_phases: list, anim: Animation) -> dict[str, Any]:
    """<name>.vtt: a cue per phase, timed by the frames that draw it (the MP4's own pacing, slow motion included)."""
    config, path = target.config, target.folder / f"{target.name}.vtt"
    fps = config.animation.fps
    hold_frames = round(config.animation.hold_last_frame_s * fps)
    write_vtt(path, phase_cues(found_phases, trace.time_ms, anim.schedule.counts, fps, hold_frames))
    return file_record(path, target.out_dir, format="vtt", captions_for=f"{target.name}.mp4")
