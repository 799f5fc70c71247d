"""Planning a batch: find the configs, load and validate them, refuse clashing names; jobs and outcomes."""

from __future__ import annotations

import os
import stat
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..config.load import LoadedConfig
from ..config.paths import Override
from ..config.variants import load_renders
from ..errors import ConfigError, Problem, ScanError, UsageError
from ..output.manifest import cache_key, resolved_parameters, selected_formats

CONFIG_SUFFIXES = (".yaml", ".yml")

Status = Literal["rendered", "skipped", "failed", "cancelled", "valid", "answer_key"]


@dataclass(frozen=True)
class Job:
    """One render to do: a validated config, where to write, which formats."""

    loaded: LoadedConfig
    out_dir: Path
    formats: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        return self.loaded.name

    @property
    def key(self) -> str:
        config = self.loaded.config
        return cache_key(resolved_parameters(config, self.name), selected_formats(config, self.formats))

    @property
    def cost(self) -> float:
        """A rough relative cost (about seconds on one core), so the longest renders start first.

        Started last, a long render would leave the other workers idle while it finishes alone.
        """
        from ..output.formats import written_formats  # numpy: not for `validate` and `--help`, which never ask
        from ..trace.models import model_of

        config = self.loaded.config
        pixels = config.plot.width_px * config.plot.height_px / (640 * 480)
        frames = config.frame_count + config.animation.hold_last_frame_s * config.animation.fps
        per_frame_s = sum(fmt.frame_cost_s for fmt in written_formats(selected_formats(config, self.formats)))
        return model_of(config.waveform).cost_s + per_frame_s * frames * pixels


@dataclass(frozen=True)
class Outcome:
    """What happened to one config in a run."""

    name: str
    source: str
    status: Status
    seconds: float = 0.0
    files: tuple[str, ...] = ()
    error: str | None = None
    detail: str | None = None  # traceback of an unexpected crash, shown under --verbose
    notes: tuple[str, ...] = ()
    manifest: dict[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def failed(cls, name: str, source: str, error: str, *, seconds: float = 0.0, detail: str | None = None) -> Outcome:
        """A config or render that failed, with the one-line (or located multi-line) error to show."""
        return cls(name=name, source=source, status="failed", seconds=seconds, error=error, detail=detail)

    @classmethod
    def of_job(cls, job: Job, error: str, *, seconds: float = 0.0, detail: str | None = None) -> Outcome:
        """A failed render of `job`."""
        return cls.failed(job.name, job.loaded.source, error, seconds=seconds, detail=detail)


@dataclass(frozen=True)
class BatchResult:
    outcomes: tuple[Outcome, ...]
    out_dir: Path
    stale: tuple[str, ...] = ()  # render folders whose config is gone (see find_stale)
    pruned: tuple[str, ...] = ()  # stale render folders removed by prune=True
    kept: tuple[tuple[str, str], ...] = ()  # (path, why) of what prune left in place: not recorded, or edited
    interrupted: str | None = None  # "SIGINT" or "SIGTERM" when the run was stopped
    stopped_early: bool = False  # fail_fast stopped the run at the first failure

    def count(self, status: Status) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def ok(self) -> bool:
        return not self.failures and not self.interrupted and not self.count("cancelled")


def find_configs(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[Path], list[Outcome]]:
    """Config files named by `paths` (folders searched recursively, sorted), and a failure per empty folder.

    A path that does not exist is a usage error; a folder without configs fails on its own so
    the other paths still run. Symbolic links to folders are not followed inside a folder.
    """
    found: list[Path] = []
    empty: list[Outcome] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            in_folder = _configs_in(path)
            if not in_folder:
                message = f"{path}: no .yaml or .yml configs in this folder"
                empty.append(Outcome.failed(path.name, str(path), message))
            found.extend(in_folder)
        elif path.exists() or path.is_symlink():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    if not found and empty:
        raise UsageError("; ".join(o.error or "" for o in empty))
    # One file named twice (configs/a.yaml and /home/me/configs/a.yaml) is one config, not a clash.
    unique: dict[str, Path] = {}
    for item in found:
        unique.setdefault(os.path.realpath(item), item)
    return list(unique.values()), empty


def _configs_in(folder: Path) -> list[Path]:
    """Config files under `folder` (any depth, without recursion), sorted; links to folders are not
    entered, and a folder that cannot be read fails the whole scan: skipping it would make its
    renders look stale to --prune."""
    found, folders = [], [folder]
    while folders:
        current = folders.pop()
        try:
            entries = list(os.scandir(current))
        except OSError as exc:
            raise ScanError(
                f"{exc.filename or current}: cannot read this folder ({exc.strerror or exc});"
                " nothing was rendered or pruned"
            ) from None
        for entry in entries:
            # a link named *.yaml (even a dangling or a folder one) is listed, so it fails visibly
            if Path(entry.name).suffix.lower() in CONFIG_SUFFIXES and (
                entry.is_symlink() or not entry.is_dir(follow_symlinks=False)
            ):
                found.append(Path(entry.path))
            elif entry.is_dir(follow_symlinks=False):
                folders.append(Path(entry.path))
    return sorted(found)


def discover(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Config files named by `paths`; a folder without configs is a usage error."""
    found, empty = find_configs(paths)
    if empty:
        raise UsageError(empty[0].error or "")
    return found


def load_all(
    files: Iterable[Path], overrides: Sequence[Override] = (), *, student: bool = False
) -> tuple[list[LoadedConfig], list[Outcome]]:
    """Validate every file; configs that fail become 'failed' outcomes, the rest load.

    A file with a `variants` block loads as one render per variant (see variants.py), so the
    variants skip, run in parallel and get manifests like any other render.
    """
    loaded, failed = [], []
    for path in files:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")  # bytes that are not UTF-8 as \xNN
        if shown != str(path):
            # Its path goes into manifests, web pages and JSON, which hold text: refuse it, say which.
            problem = Problem(shown, "the path is not valid UTF-8 text; rename the file or folder")
            failed.append(Outcome.failed(Path(shown).stem, shown, str(problem)))
            continue
        try:
            check_regular_file(path)
            loaded.extend(load_renders(path, overrides, student=student))
        except ConfigError as exc:
            failed.append(Outcome.failed(path.stem, str(path), str(exc)))
        except Exception as exc:  # noqa: BLE001 - one config's surprise must not end the batch
            error = str(Problem(str(path), f"cannot load this config ({type(exc).__name__}: {exc})"))
            failed.append(Outcome.failed(path.stem, str(path), error, detail=traceback.format_exc()))
    loaded, clashes = _without_name_clashes(loaded)
    loaded, set_clashes = _without_set_folder_clashes(loaded)
    return loaded, failed + clashes + set_clashes


def check_regular_file(path: Path) -> None:
    """Refuse FIFOs and devices before reading: reading a FIFO with no writer blocks forever."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"cannot read file ({exc.strerror or exc})")]) from None
    if not stat.S_ISREG(mode):
        raise ConfigError([Problem(str(path), "not a regular file")])


def _without_name_clashes(loaded: list[LoadedConfig]) -> tuple[list[LoadedConfig], list[Outcome]]:
    """Two configs with one output name (ignoring case, for macOS and Windows) both fail."""
    by_name: dict[str, list[LoadedConfig]] = {}
    for item in loaded:
        by_name.setdefault(item.name.lower(), []).append(item)
    keep, clashes = [], []
    for group in by_name.values():
        if len(group) == 1:
            keep.extend(group)
            continue
        sources = ", ".join(item.source for item in group)
        for item in group:
            clashes.append(_clash(item, f"output name {item.name!r} is used by several configs: {sources}"))
    return keep, clashes


def _clash(item: LoadedConfig, message: str) -> Outcome:
    return Outcome.failed(item.name, item.source, str(Problem(item.source, message, path=("name",))))


def _without_set_folder_clashes(loaded: list[LoadedConfig]) -> tuple[list[LoadedConfig], list[Outcome]]:
    """A set's folder (<set>/, for its answer key) must not be another render's folder."""
    set_names = {item.variant.set_name.lower(): item.source for item in loaded if item.variant is not None}
    bad = {item.name.lower() for item in loaded if item.name.lower() in set_names}
    if not bad:
        return loaded, []
    keep, clashes = [], []
    for item in loaded:
        set_name = item.variant.set_name.lower() if item.variant else None
        if item.name.lower() in bad or set_name in bad:
            clash = item.name if item.name.lower() in bad else item.variant.set_name
            message = f"output name {clash!r} is both a render and a variant set's folder ({set_names[clash.lower()]})"
            clashes.append(_clash(item, message))
        else:
            keep.append(item)
    return keep, clashes


def collapse_sets(outcomes: list[Outcome], loaded: list[LoadedConfig]) -> list[Outcome]:
    """For `validate`: one 'valid' line per set instead of one per variant."""
    sizes = {item.name: (item.variant.set_name, item.variant.size) for item in loaded if item.variant}
    out, seen = [], set()
    for outcome in outcomes:
        if outcome.name not in sizes:
            out.append(outcome)
        elif (set_name := sizes[outcome.name][0]) not in seen:
            seen.add(set_name)
            name = f"{set_name}: {sizes[outcome.name][1]} variants"
            out.append(Outcome(name=name, source=outcome.source, status="valid"))
    return out


def validate_paths(
    paths: Sequence[str | os.PathLike[str]], overrides: Sequence[Override] = (), *, student: bool = False
) -> BatchResult:
    """Check every config under `paths` (every variant of every set) without rendering anything."""
    files, empty = find_configs(paths)
    loaded, failed = load_all(files, overrides, student=student)
    ok = collapse_sets([Outcome(name=item.name, source=item.source, status="valid") for item in loaded], loaded)
    order = {str(path): i for i, path in enumerate(files)}
    outcomes = sorted(empty + ok + failed, key=lambda o: order.get(o.source, -1))
    return BatchResult(tuple(outcomes), Path("."))
