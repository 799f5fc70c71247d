"""The apsim-batch action's job summary (Markdown on stdout): counts, invalid configs and failed renders.

Reads what the action's steps left in $RUNNER_TEMP: apsim-validate.txt (validate's output) and
apsim-run.json (run --json). Every message is shown as written: HTML-escaped, Markdown's characters as
entities, each line of a multi-line error its own item.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path


def text(line: str) -> str:
    return "".join(f"&#{ord(c)};" if c in "\\`*_[]|~" else c for c in html.escape(line.strip()))


def items(lines: list[str]) -> list[str]:
    return [f"- <code>{text(line)}</code>" for line in lines if line.strip()]


def summary(temp: Path, version: str) -> list[str]:
    out = [f"### apsim-batch {version}".rstrip()]
    validate, run_json = temp / "apsim-validate.txt", temp / "apsim-run.json"
    if validate.exists():
        problems = [line[2:] for line in validate.read_text(encoding="utf-8").splitlines() if line.startswith("✗ ")]
        if problems:
            out += ["", f"**Invalid configs: {len(problems)}**", *items(problems)]
    if run_json.exists() and run_json.stat().st_size:
        run = json.loads(run_json.read_text(encoding="utf-8"))
        out += ["", *(f"- {key}: {value}" for key, value in run["counts"].items())]
        failed = [r for r in run["renders"] if r["status"] == "failed"]
        if failed:
            lines = [line for r in failed for line in (r["error"] or "").splitlines()]
            out += ["", f"**Failed: {len(failed)}**", *items(lines)]
    else:
        out += ["", "Nothing rendered (see the failed step)."]
    return out


if __name__ == "__main__":
    print("\n".join(summary(Path(os.environ["RUNNER_TEMP"]), os.environ.get("VERSION", ""))))
