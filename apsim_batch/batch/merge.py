"""Merge: combine the outputs folders of shard runs into one, verifying every file on the way.

Nothing is written until every source has been read and checked: the shard records agree (one
batch, one split, every shard present), every file matches the size and sha256 its manifest
records, and no render appears twice with different content. Then each render's files are copied
under temporary names and moved into place (its manifest last), then the folders of the variant
sets the shards finished (answer keys, handouts; hashed in shard.json), and the top-level manifest is
written from the renders' own manifests exactly as a single run writes it, so merging the N shards
of a batch gives the same bytes as rendering it in one run. The gallery is then written from the
merged manifests and the failures the shards recorded (each once; when renders failed, their
order may differ from a single run's, which lists them as they finished).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from ..errors import ApsimError, MergeError, UsageError
from ..names import MANIFEST, SHARD_FILE, check_output_name, is_reserved_file_name
from ..output.files import (
    atomic_path,
    check_render_folder,
    file_matches,
    output_folder,
    output_lock,
    prepare_out_dir,
    remove_partial_files,
    set_folder,
    write_bytes_atomic,
)
from ..output.gallery import write_gallery
from ..output.manifest import RenderManifest, first_problem, read_manifest, update_batch_manifest
from ..output.nofollow import (
    MAX_JSON_BYTES,
    O_CLOEXEC,
    O_NOFOLLOW,
    O_NONBLOCK,
    loads_capped,
    read_untrusted,
    unlink_entry,
)
from ..output.ownership import resume_prune
from .run import sigterm_raises
from .shard import ShardRecord, read_shard_record, record_shard


@dataclass(frozen=True)
class SourceRender:
    """One render found in one source folder: its own manifest, as parsed and as bytes."""

    source: Path
    name: str
    manifest: dict[str, Any]
    manifest_bytes: bytes


@dataclass(frozen=True)
class SourceSet:
    """The folder of one variant set (answer key, handouts) that a shard finished: its files' records."""

    source: Path
    name: str
    files: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class MergeResult:
    out_dir: Path
    sources: tuple[Path, ...]
    renders: tuple[str, ...]  # merged render names, sorted
    files: int  # files copied (not counting the renders' manifests)
    shard_count: int | None  # N when the sources are the N shards of one batch
    failures: tuple[tuple[str, str, str], ...]  # (render name, config source, error) from the shards, once each
    missing: tuple[str, ...]  # renders a shard was responsible for, has no output of, and reported no failure for

    @property
    def ok(self) -> bool:
        """True when the merged folder is what a successful unsharded run would have written."""
        return not self.failures and not self.missing


def merge_outputs(sources: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str]) -> MergeResult:
    """Combine the outputs folders `sources` (typically the N shards of one batch) into `out`.

    Raises UsageError when a source is not an outputs folder, MergeError when the sources are
    damaged, disagree, or are an incomplete set of shards; `out` is then left untouched.
    Renders already in `out` that no source has stay, as with a run.
    """
    folders = [Path(source) for source in sources]
    out_dir = Path(out)
    if not folders:
        raise UsageError("name at least one outputs folder to merge")
    for folder in folders:
        if not folder.is_dir():
            raise UsageError(f"{folder}: no such folder")
        if not (folder / MANIFEST).is_file():
            raise UsageError(f"{folder}: no {MANIFEST}; not an apsim-batch outputs folder")
        _check_apart(folder, out_dir)

    records = {folder: _shard_record(folder) for folder in folders}
    shard_count = _check_shards(records)
    chosen: dict[str, SourceRender] = {}
    for folder in folders:
        for found in _read_source(folder, records[folder]):
            earlier = chosen.setdefault(found.name, found)
            if earlier is not found:
                _check_same(earlier, found)
    shard_records = sorted((r for r in records.values() if r), key=lambda r: r.shard.index)
    # Invalid configs fail in every shard: report each failure once, in shard order.
    failures = tuple(dict.fromkeys(failure for record in shard_records for failure in record.failures))
    responsible = {name for record in shard_records for name in record.renders}
    missing = tuple(sorted(responsible - chosen.keys() - {name for name, _, _ in failures}))
    sets: dict[str, SourceSet] = {}
    for folder, record in records.items():
        for found_set in _read_sets(folder, record):
            earlier_set = sets.setdefault(found_set.name, found_set)
            if earlier_set.files != found_set.files:
                raise MergeError(
                    f"variant set {found_set.name!r} differs between {earlier_set.source} and {found_set.source}; "
                    "merge outputs of one batch, rendered with the same options"
                )

    prepare_out_dir(out_dir)
    with sigterm_raises(), output_lock(out_dir):
        copied = _write(out_dir, chosen, sets)
        record_shard(out_dir, None, {})  # the merged folder is a whole batch, not a shard
        write_gallery(out_dir, [(source, error) for _, source, error in failures])  # as the unsharded run does
    return MergeResult(out_dir, tuple(folders), tuple(sorted(chosen)), copied, shard_count, failures, missing)


# --- reading and checking the sources --------------------------------------------------------


def _check_apart(source: Path, out_dir: Path) -> None:
    """A source must not be, contain or lie inside the --out folder: merging would rewrite its own input."""
    real_source, real_out = Path(os.path.realpath(source)), Path(os.path.realpath(out_dir))
    if real_source == real_out:
        raise UsageError(f"{source}: is also the --out folder; merge into a different folder")
    if real_out in real_source.parents:
        raise UsageError(f"{source}: lies inside the --out folder {out_dir}; merge into a folder outside every source")
    if real_source in real_out.parents:
        raise UsageError(f"{source}: contains the --out folder {out_dir}; merge into a folder outside every source")


def _shard_record(folder: Path) -> ShardRecord | None:
    try:
        return read_shard_record(folder)
    except ValueError as exc:
        raise MergeError(str(exc)) from None


def _check_shards(records: dict[Path, ShardRecord | None]) -> int | None:
    """All shard records come from one split of one batch, and every shard of it is there."""
    sharded = [(folder, record) for folder, record in records.items() if record is not None]
    if not sharded:
        return None
    first_folder, first = sharded[0]
    for folder, record in sharded[1:]:
        if record.shard.count != first.shard.count:
            raise MergeError(
                f"{folder} is shard {record.shard} but {first_folder} is shard {first.shard}; "
                "merge the shards of one split only"
            )
        if record.batch_fingerprint != first.batch_fingerprint:
            raise MergeError(
                f"{folder} (shard {record.shard}) and {first_folder} (shard {first.shard}) were planned from "
                "different configs or options; run every shard from the same configs with the same options"
            )
    count = first.shard.count  # at most MAX_SHARDS: read_shard_record refuses more
    present = {record.shard.index for _, record in sharded}
    absent = [f"{index}/{count}" for index in range(1, count + 1) if index not in present]
    if absent:
        raise MergeError(f"missing the outputs of shard {', '.join(absent)}; merge the outputs of all {count} shards")
    return count


def _read_source(folder: Path, record: ShardRecord | None) -> list[SourceRender]:
    """The renders a source folder holds, each checked against its manifests and its files' hashes.

    For a shard's folder only the renders that shard was responsible for count; anything else
    in its manifest is a leftover of an earlier run in that folder.
    """
    top = read_manifest(folder / MANIFEST)
    renders = top.get("renders") if top else None
    if not isinstance(renders, list):
        raise MergeError(f"{folder / MANIFEST}: unreadable or has no 'renders' list")
    wanted = set(record.renders) if record else None
    found = []
    for entry in renders:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or check_output_name(name) is not None:
            raise MergeError(f"{folder / MANIFEST}: a render entry has no valid name: {entry!r:.80}")
        if wanted is not None and name not in wanted:
            continue
        found.append(_read_render(folder, name, entry))
    return found


def _read_render(folder: Path, name: str, entry: dict[str, Any]) -> SourceRender:
    path = folder / name / MANIFEST
    try:
        if (folder / name).is_symlink():
            raise OSError("the render folder is a symbolic link")
        raw = read_untrusted(path, MAX_JSON_BYTES)
        manifest = loads_capped(raw, path)
    except (OSError, ValueError, ApsimError) as exc:
        raise MergeError(f"{path}: cannot read the render's manifest ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list) or not manifest["files"]:
        raise MergeError(f"{path}: not a render manifest (no 'files' list)")
    try:
        RenderManifest.model_validate(manifest)
    except ValidationError as exc:
        raise MergeError(f"{path}: {first_problem(exc)}; the folder is damaged") from None
    for key, value in entry.items():
        if manifest.get(key) != value:
            raise MergeError(f"{path}: {key!r} disagrees with {folder / MANIFEST}; the folder is damaged")
    for record in manifest["files"]:
        _check_file(folder, name, record, path)
    return SourceRender(folder, name, manifest, raw)


def _read_sets(folder: Path, record: ShardRecord | None) -> list[SourceSet]:
    """The variant-set folders a shard finished, each file checked against the hash in its shard.json."""
    if record is None:
        return []
    found = []
    for name, files in record.sets.items():
        if check_output_name(name) is not None:
            raise MergeError(f"{folder / SHARD_FILE}: a variant set has no valid name: {name!r:.80}")
        for file in files:
            _check_file(folder, name, file, folder / SHARD_FILE, depths=(2, 3))
        found.append(SourceSet(folder, name, tuple(files)))
    return found


def _check_file(folder: Path, name: str, record: Any, manifest_path: Path, depths: tuple[int, ...] = (2,)) -> None:
    """The file a record names exists inside the folder `name` with the recorded size and hash.

    `depths` are the allowed numbers of path parts: 2 for a render's files (name/file), 2 or 3 for
    a variant set's (name/teacher/file).
    """
    try:
        relative = PurePosixPath(record["path"])
        sha256, size = record["sha256"], record["bytes"]
    except (TypeError, KeyError):
        raise MergeError(f"{manifest_path}: a file record lacks path, sha256 or bytes: {record!r:.80}") from None
    parts = relative.parts
    if len(parts) not in depths or parts[0] != name or not all(_is_plain_name(part) for part in parts):
        raise MergeError(f"{manifest_path}: file {str(relative)!r} is not inside the folder {name}/")
    if any(is_reserved_file_name(part) for part in parts) or (len(parts) == 2 and parts[1].lower() == MANIFEST):
        raise MergeError(
            f"{manifest_path}: file {str(relative)!r} has a name apsim-batch keeps for its own files"
            " (temporaries, the lock, manifests); the folder is damaged or was not written by apsim-batch"
        )
    path = folder / relative
    try:
        if any((folder / PurePosixPath(*parts[: i + 1])).is_symlink() for i in range(len(parts))):
            raise OSError("it or a folder above it is a symbolic link")
        path.stat()
    except OSError as exc:
        raise MergeError(f"{path}: cannot read it ({exc})") from None
    if not file_matches(folder, {"path": relative.as_posix(), "bytes": size, "sha256": sha256}):
        raise MergeError(f"{path}: does not match the size and sha256 recorded in {manifest_path}; it is damaged")


def _is_plain_name(name: str) -> bool:
    """A single path component (no separators, not '.' or '..')."""
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def _check_same(first: SourceRender, second: SourceRender) -> None:
    """The same render from two sources is fine only when both hold exactly the same thing."""
    if first.manifest == second.manifest:
        return
    keys = sorted(set(first.manifest) | set(second.manifest))
    differing = [key for key in keys if first.manifest.get(key) != second.manifest.get(key)]
    raise MergeError(
        f"render {first.name!r} differs between {first.source} and {second.source} "
        f"({', '.join(differing)}); merge outputs of one batch, rendered with the same options"
    )


# --- writing ---------------------------------------------------------------------------------


def _write(out_dir: Path, chosen: dict[str, SourceRender], sets: dict[str, SourceSet]) -> int:
    """Copy every render and set into `out_dir` (holding its lock); returns the number of files copied.

    As in a run: the top-level entries of the renders about to be replaced go first, and each
    render's own manifest goes before its files and comes back after them, so an interrupted
    merge leaves manifests that list only files matching their sha256.
    """
    for name in sorted({*chosen, *sets}):  # a planted link refuses the merge before anything is written
        check_render_folder(out_dir, name)
    remove_partial_files(out_dir)
    resume_prune(out_dir)  # a prune that was killed finishes first (see ownership.py)
    update_batch_manifest(out_dir, {}, dropped=set(chosen))
    copied = 0
    try:
        for name in sorted(chosen):
            copied += _copy_render(chosen[name], out_dir)
        for name in sorted(sets):
            copied += _copy_set(sets[name], out_dir)
    finally:  # stopped or not, no temporary outlives the merge
        remove_partial_files(out_dir)
    update_batch_manifest(out_dir, {name: found.manifest for name, found in chosen.items()})
    return copied


def _copy_render(found: SourceRender, out_dir: Path) -> int:
    """Copy one render's files, each checked against its recorded hash, then its manifest."""
    folder = output_folder(out_dir, found.name)
    unlink_entry(folder / MANIFEST)  # gone before any file changes; written again after the last one
    for record in found.manifest["files"]:
        _copy_verified(found.source / record["path"], out_dir / record["path"], record["sha256"])
    write_bytes_atomic(folder / MANIFEST, found.manifest_bytes)
    return len(found.manifest["files"])


def _copy_set(found: SourceSet, out_dir: Path) -> int:
    """Copy a variant set's folder (answer key, handouts), each file checked against its recorded hash."""
    output_folder(out_dir, found.name)
    for record in found.files:
        target = out_dir / record["path"]
        set_folder(out_dir, *PurePosixPath(record["path"]).parts[:-1])  # checked: no planted links
        _copy_verified(found.source / record["path"], target, record["sha256"])
    return len(found.files)


def _copy_verified(source: Path, target: Path, sha256: str) -> None:
    """Copy under a temporary name; move into place only if the copied bytes have the recorded hash."""
    digest = hashlib.sha256()
    with atomic_path(target) as temp:
        src_fd = os.open(source, os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        with os.fdopen(src_fd, "rb") as src, open(temp, "wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                dst.write(block)
            dst.flush()
            os.fsync(dst.fileno())
        if digest.hexdigest() != sha256:
            raise MergeError(f"{source}: changed while being merged (its sha256 no longer matches); it was not copied")
