"""Benchmark the incremental claim: a rerun of 40 unchanged configs costs a small fraction of the first run.

    python benchmarks/incremental.py            # 40 configs (about a minute on 2 cores)
    python benchmarks/incremental.py --count 8  # fewer, for checking the script

Generates N small configs (every output format; 50 animation frames each, differing by title and
spike width) in a temporary folder, then times three real `python -m apsim_batch run` processes:
the first run, a rerun with nothing changed, and a rerun after editing one config. It checks
the counts each run reports, prints a table and rewrites its own section of benchmarks/RESULTS.md
(between its BEGIN/END markers; everything else in that file is kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN = "<!-- BEGIN benchmarks/incremental.py: rewritten by every run -->"
END = "<!-- END benchmarks/incremental.py -->"

CONFIG = """title: Variant {i}
waveform:
  components:
    - {{label: depolarization, center_ms: 2.5, width_ms: {width_ms}, amplitude_mv: 110}}
    - {{label: hyperpolarization, center_ms: 3.5, width_ms: 0.2, peak_mv: -90}}
animation: {{samples_per_frame: 10, fps: 25}}
outputs: [gif, mp4, png, csv]
"""


def run(folder: Path, jobs: int | None) -> tuple[float, dict]:
    """One real run of the CLI; returns its wall time and its --json summary."""
    args = [sys.executable, "-m", "apsim_batch", "run", "configs", "--json"]
    if jobs:
        args += ["--jobs", str(jobs)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}):\n{proc.stderr}")
    return seconds, json.loads(proc.stdout)["counts"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="How many configs to generate.")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for every run (default: usable cores).")
    parser.add_argument("--no-write", action="store_true", help="Print only; leave RESULTS.md alone.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="apsim-incremental-") as tmp:
        folder = Path(tmp)
        (folder / "configs").mkdir()
        for i in range(args.count):
            text = CONFIG.format(i=i, width_ms=round(0.08 + 0.005 * i, 3))
            (folder / "configs" / f"v{i:03d}.yaml").write_text(text, encoding="utf-8")
        first_s, first = run(folder, args.jobs)
        rerun_s, rerun = run(folder, args.jobs)
        edited = folder / "configs" / "v000.yaml"
        edited.write_text(edited.read_text(encoding="utf-8").replace("Variant 0", "Variant zero"), encoding="utf-8")
        edit_s, edit = run(folder, args.jobs)

    assert first["rendered"] == args.count and first["failed"] == 0, first
    assert rerun["skipped"] == args.count and rerun["rendered"] == 0, rerun
    assert edit["rendered"] == 1 and edit["skipped"] == args.count - 1, edit

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    jobs = args.jobs or "usable cores"
    rows = [
        ("first run", first_s, f"{first['rendered']} rendered"),
        ("rerun, nothing changed", rerun_s, f"{rerun['skipped']} up to date"),
        ("rerun after editing one config", edit_s, f"{edit['rendered']} rendered, {edit['skipped']} up to date"),
    ]
    lines = [
        f"## Incremental reruns ({args.count} configs, all four formats, `--jobs` {jobs})",
        "",
        "| run | wall time | what it did |",
        "| --- | ---: | --- |",
        *(f"| {what} | {seconds:.2f} s | {did} |" for what, seconds, did in rows),
        "",
        f"A rerun with nothing changed takes **{rerun_s / first_s:.1%}** of the first run "
        f"({first_s / rerun_s:.0f}x faster): it starts Python, validates every config, and checks each "
        "render's cache key and every file's sha256, then renders nothing. "
        "Editing one config re-renders only that one.",
        "",
        f"Measured with `python benchmarks/incremental.py` on {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load average {load:.1f} at the end; "
        "whole-process wall times of `python -m apsim_batch run configs --json`.",
    ]
    section = "\n".join(lines)
    print(section)
    if args.no_write:
        return
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
