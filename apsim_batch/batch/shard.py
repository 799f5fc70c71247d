"""Sharding: a stable split of one batch's renders across N independent runs (e.g. CI jobs).

A render belongs to shard `sha256(name) mod N + 1`. The shard depends only on the render's own
name, so adding or removing a config never moves any other render to a different shard (changing
N moves most of them). The variants of a set are sharded together, by the set's name, because the
set's answer key and handouts are made from all of them.

Every shard still loads and validates every config: a broken config has no trustworthy name to
hash, and output-name clashes can only be seen across the whole batch, so each shard reports them
and fails, and CI notices whichever shard job it looks at.

Each shard run writes `shard.json` next to its `manifest.json`: which shard it was, the renders it
was responsible for, the files of the variant sets it finished, its failures, and a fingerprint of
the whole planned batch, so `apsim-batch merge` can check that it has every shard of one and the
same batch, copy everything, and report what failed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ApsimError
from ..names import SHARD_FILE
from ..output.files import write_json
from ..output.manifest import file_record
from ..version import __version__

ASSIGNMENT = "sha256 of the render name (UTF-8) as a big-endian integer, mod count, plus 1"
MAX_SHARDS = 1000  # far beyond any CI matrix; a shard.json claiming 10**15 is refused, not enumerated
MAX_SHARD_RECORD_BYTES = 16 * 1024 * 1024
_SHARD_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def shard_of(name: str, count: int) -> int:
    """The 1-based shard of a render name among `count` shards; the same on every machine and Python."""
    if count < 1:
        raise ValueError(f"shard count must be at least 1 (got {count})")
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % count + 1


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (1-based, as CI matrices usually count)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"use K/N with 1 <= K <= N, e.g. 2/3 (got {self})")
        if self.count > MAX_SHARDS:
            raise ValueError(f"at most {MAX_SHARDS} shards (got {self.count})")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`"2/3"` -> Shard(2, 3); anything else raises ValueError with the accepted form."""
        match = _SHARD_SPEC.fullmatch(text)
        if not match:
            raise ValueError(f"use K/N with 1 <= K <= N, e.g. 2/3 (got {text!r})")
        return cls(int(match[1]), int(match[2]))

    def contains(self, name: str) -> bool:
        return shard_of(name, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def batch_fingerprint(cache_keys: Mapping[str, str]) -> str:
    """One hash of every planned render's name and cache key: equal only for the same batch and options."""
    payload = json.dumps(sorted(cache_keys.items()), separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def shard_unit(item: Any) -> str:
    """What a render is sharded by: its variant set's name for a variant (the set's answer key and
    handouts need every variant in one shard), otherwise its own name."""
    variant = getattr(item, "variant", None)
    return variant.set_name if variant is not None else item.name


def record_shard(
    out_dir: Path,
    shard: Shard | None,
    planned: Mapping[str, tuple[str, str]],
    failures: Sequence[tuple[str, str, str]] = (),
    set_files: Mapping[str, Sequence[str]] = {},  # noqa: B006 - read only
) -> None:
    """Write `shard.json` for a shard run; an unsharded run removes a stale one (the folder is whole now).

    `planned` maps every render of the whole batch (all shards) to its (shard unit, cache key);
    `failures` are this run's (render name, config source, error), which a merge reports and shows
    in the gallery; `set_files` maps each variant set finished here to the files of its folder
    (answer key, handouts), recorded with their hashes so that a merge can copy and check them.
    """
    path = out_dir / SHARD_FILE
    if shard is None:
        path.unlink(missing_ok=True)
        return
    write_json(
        path,
        {
            "apsim_batch_version": __version__,
            "shard": {"index": shard.index, "count": shard.count},
            "assignment": ASSIGNMENT,
            "batch_fingerprint": batch_fingerprint({name: key for name, (_, key) in planned.items()}),
            # the whole batch, so a merge can check this record against its fingerprint and its split
            "batch": {name: {"unit": unit, "cache_key": key} for name, (unit, key) in sorted(planned.items())},
            "renders": sorted(name for name, (unit, _) in planned.items() if shard.contains(unit)),
            "sets": {
                name: [file_record(out_dir / file, out_dir) for file in files if os.path.isfile(out_dir / file)]
                for name, files in sorted(set_files.items())
            },
            "failures": [{"name": name, "config": source, "error": error} for name, source, error in failures],
        },
    )


@dataclass(frozen=True)
class ShardRecord:
    """What a shard run wrote into `shard.json`."""

    shard: Shard
    batch_fingerprint: str
    renders: tuple[str, ...]
    failures: tuple[tuple[str, str, str], ...]  # (render name, config source, error) of the shard run
    sets: dict[str, list[dict[str, Any]]]  # set name -> file records (path, bytes, sha256) of its folder
    batch: dict[str, tuple[str, str]] = field(default_factory=dict)  # every render of the batch -> (unit, key)


def read_shard_record(out_dir: Path) -> ShardRecord | None:
    """The folder's `shard.json`, None if it has none; ValueError if it is unreadable, malformed or
    inconsistent (its renders are not its share of the batch it records, or the batch does not hash
    to its fingerprint). Read as untrusted input: a regular file, size- and depth-capped."""
    from ..output.nofollow import load_json_untrusted

    path = out_dir / SHARD_FILE
    if not os.path.lexists(path):
        return None
    try:
        data: Any = load_json_untrusted(path, MAX_SHARD_RECORD_BYTES)
        shard = Shard(int(data["shard"]["index"]), int(data["shard"]["count"]))
        fingerprint = data["batch_fingerprint"]
        renders = data["renders"]
        failures = tuple((str(f["name"]), str(f["config"]), str(f["error"])) for f in data["failures"])
        sets = data["sets"]
        batch = {str(name): (str(v["unit"]), str(v["cache_key"])) for name, v in data["batch"].items()}
        if not isinstance(fingerprint, str) or not _all_str(renders) or not isinstance(sets, dict):
            raise TypeError("wrong types")
        if not all(isinstance(files, list) and all(isinstance(f, dict) for f in files) for files in sets.values()):
            raise TypeError("wrong types of set files")
    except (OSError, ApsimError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a valid shard record ({type(exc).__name__}: {exc})") from None
    if batch_fingerprint({name: key for name, (_, key) in batch.items()}) != fingerprint:
        raise ValueError(f"{path}: its batch does not match its fingerprint; the record is damaged")
    share = sorted(name for name, (unit, _) in batch.items() if shard.contains(unit))
    if sorted(renders) != share:
        raise ValueError(
            f"{path}: claims shard {shard}, but its renders are not that shard's share of its batch"
            f" ({len(renders)} listed, {len(share)} expected); the record is damaged"
        )
    return ShardRecord(shard, fingerprint, tuple(renders), failures, sets, batch)


def _all_str(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(item, str) for item in items)
