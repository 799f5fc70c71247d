"""Stale renders and sets (their config is gone) and pruning them by record, resumable after any interruption."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..names import MANIFEST
from ..output.answers import ANSWER_JSON, HANDOUTS, PACKED, TEACHER, key_records, set_config
from ..output.files import render_folders, sha256_file
from ..output.manifest import config_of, load_render_manifest
from ..output.nofollow import inside_file
from ..output.ownership import Kept, prune_by_record


def find_stale(
    out_dir: Path, scanned: Sequence[str | os.PathLike[str]], names: Iterable[str], kept_sources: Iterable[str]
) -> list[str]:
    """Render folders and variant-set folders whose config no longer exists (or no longer produces them).

    Only folders apsim-batch made (they hold a manifest.json, or a set's answer key) are considered, and
    only when the config the manifest names (by its path from the outputs folder, so the answer is the
    same from any working directory) lies inside the paths this run scanned, so `run configs/a.yaml`
    never calls the renders of other configs stale. `names` are this run's output names and
    `kept_sources` the configs that exist but failed to load (their old renders stay).
    """
    scopes = [Path(os.path.realpath(p)) for p in scanned]
    produced = {name.lower() for name in names}
    kept = {Path(os.path.realpath(s)) for s in kept_sources}
    stale = []
    for folder in render_folders(out_dir):
        manifest = load_render_manifest(folder / MANIFEST).manifest
        config = config_of(manifest, out_dir) if manifest is not None else set_config(out_dir, folder.name)
        if config is None or folder.name.lower() in produced:
            continue
        in_scope = any(config == scope or scope in config.parents for scope in scopes)
        if in_scope and config not in kept:
            stale.append(folder.name)
    return stale


@dataclass(frozen=True)
class Pruned:
    """What a prune removed (folder names) and what it left in place, with why."""

    names: tuple[str, ...]
    kept: tuple[Kept, ...]


def prune(out_dir: Path, stale: Sequence[str]) -> Pruned:
    """Remove what apsim-batch recorded for each stale render or set, and their folders once empty.

    Only files a manifest lists with a sha256 that still matches are deleted (see ownership.py);
    the manifests go before the files they list, so an interruption leaves true manifests and a
    journal that the next run finishes.
    """
    records: list[dict[str, Any]] = []
    names = []
    for name in stale:
        found = _render_records(out_dir, name) or key_records(out_dir, name)
        if found:  # a record may name only a file in its own folder: a planted one names nothing else
            names.append(name)
            records += [r for r in found if r["path"].startswith(f"{name}/")]
    if not names:
        return Pruned((), ())
    manifests = [r for r in records if r["path"].rsplit("/", 1)[-1] in (MANIFEST, ANSWER_JSON, PACKED)]
    ordered = [*manifests, *(r for r in records if r not in manifests)]  # every record before what it lists
    folders = [f"{name}/{sub}" for name in names for sub in (TEACHER, HANDOUTS)] + names
    kept = prune_by_record(out_dir, names, ordered, folders)
    return Pruned(tuple(names), tuple(kept))


def _render_records(out_dir: Path, name: str) -> list[dict[str, Any]]:
    """A render's own manifest (its sha256 as read now) and the files it lists; [] when it has none."""
    path = inside_file(out_dir, f"{name}/{MANIFEST}")
    manifest = load_render_manifest(path).manifest if path is not None else None
    if path is None or manifest is None:
        return []
    return [{"path": f"{name}/{MANIFEST}", "sha256": sha256_file(path)}, *(r.data() for r in manifest.files)]
