"""The names apsim-batch gives files in an outputs folder, and the rule every render name must pass.

Defined once here, below every layer: validation refuses a render name that would take one of
these top-level names, and the writers use the same constants.
"""

from __future__ import annotations

import re

MANIFEST = "manifest.json"  # the top-level manifest, and each render's own
INDEX = "index.html"  # the gallery, safe to hand to students
TEACHER_INDEX = "index-teacher.html"  # the gallery with parameters and measurements
SHARD_FILE = "shard.json"  # which shard of which batch a folder holds
LOCK_FILE = ".apsim-batch.lock"  # held while a run or merge writes the folder
PARTIAL_MARK = ".partial-"  # in the name of a file still being written
# What an unfinished prune must still delete (see ownership.py); its leading dot keeps it from any render name.
PRUNE_JOURNAL = ".apsim-batch-prune.json"

# Everything apsim-batch writes at the top of an outputs folder; no render may take these names.
RESERVED_NAMES = frozenset({MANIFEST, INDEX, TEACHER_INDEX, SHARD_FILE, LOCK_FILE})

# Output names become folder and file names on every OS, so keep them to one portable segment.
# \Z, not $: '$' also matches before a trailing newline.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}\Z")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def check_output_name(name: str) -> str | None:
    """Return why `name` cannot name a render (a folder at the top of the outputs folder), or None."""
    if not _SAFE_NAME.match(name) or name.endswith("."):
        return "may use only letters, digits, '.', '_' and '-' (start with a letter or digit, at most 80)"
    if name.split(".")[0].lower() in _WINDOWS_RESERVED:
        return "is a reserved device name on Windows"
    if name.lower() in RESERVED_NAMES or PARTIAL_MARK in name:
        return f"is a name apsim-batch keeps for its own files ({', '.join(sorted(RESERVED_NAMES))})"
    return None


def is_reserved_file_name(name: str) -> bool:
    """True for a name no manifest record may give a file: a temporary, the lock, the prune journal, a shard record.

    apsim-batch deletes temporaries by name and writes the others itself, so a record under such a
    name (as a hostile source folder might list) would have its file deleted or overwritten.
    """
    own = {LOCK_FILE, PRUNE_JOURNAL, SHARD_FILE}
    return name.lower() in own or (name.startswith(".") and PARTIAL_MARK in name)
