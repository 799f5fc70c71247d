"""The issue-16 targets that benchmarks/run.py reports beside its matplotlib comparison.

Warm classic render (one process, library imported), the 30-variant class set with --jobs 1 and 2,
watch-mode latency, start-up import times (`python -X importtime`) and the cost model
(benchmarks/cost_model.py). Each function measures in fresh processes, like a user would run it.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
CLASS_SET = ROOT / "configs" / "exercises" / "ahp_class.yaml"
QUICK_SET = ROOT / "configs" / "exercises" / "spike_grid.yaml"  # 9 variants: a quick check's class set

WARM_GIF_S = 0.1
CLASS_SET_S = 6.0
CLASS_SET_SPEEDUP = 1.7
WATCH_S = 0.3
STARTUP_S = 0.2


def apsim(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "apsim_batch", *map(str, args)]


def warm_render(formats: str, repeats: int) -> dict[str, float]:
    """Median wall and CPU seconds of rendering classic.yaml again in a process that has rendered it once."""
    code = f"""
import json, resource, statistics, tempfile, time
from pathlib import Path
from apsim_batch.config.load import load_config
from apsim_batch.output.render import render
loaded = load_config({str(ROOT / "configs" / "classic.yaml")!r})
out = Path(tempfile.mkdtemp(prefix="apsim-warm-"))
formats = {formats.split(",")!r}
render(loaded, out, formats)
def cpu():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
walls, cpus = [], []
for _ in range({repeats}):
    w, c = time.perf_counter(), cpu()
    render(loaded, out, formats)
    walls.append(time.perf_counter() - w); cpus.append(cpu() - c)
print(json.dumps({{"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus), "best_s": min(walls)}}))
"""
    done = subprocess.run([sys.executable, "-c", code], env=ENV, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def class_set(jobs: int, runs: int, out: Path, config: Path) -> dict[str, float]:
    """Whole-process wall time and CPU (with children) of rendering a variant set, all formats, --force."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            apsim("run", config, "--out", out, "--force", "--jobs", jobs, "-q"),
            env=ENV, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus)}


def mp4_bytes_by_jobs(out: Path, config: Path) -> bool:
    """Whether a variant set's MP4s are byte-identical with --jobs 1 and --jobs 2."""
    digests = []
    for jobs in (1, 2):
        folder = out / f"jobs{jobs}"
        subprocess.run(
            apsim("run", config, "--out", folder, "--force", "--format", "mp4", "--jobs", jobs, "-q"),
            env=ENV, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        digests.append(
            {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.mp4")}
        )
    return bool(digests[0]) and digests[0] == digests[1]


def watch_latency(interval_s: float, edits: int) -> float:
    """Median seconds from saving an edit of classic.yaml to its new GIF being complete (watch --format gif)."""
    with tempfile.TemporaryDirectory(prefix="apsim-watch-") as name:
        folder = Path(name)
        config = folder / "classic.yaml"
        text = (ROOT / "configs" / "classic.yaml").read_text(encoding="utf-8")
        config.write_text(text, encoding="utf-8")
        manifest = folder / "out" / "classic" / "manifest.json"
        watcher = subprocess.Popen(
            apsim("watch", config, "--out", folder / "out", "--format", "gif", "--interval", interval_s),
            env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        latencies = []
        try:
            _wait_for(manifest, hashlib.sha256(text.encode()).hexdigest(), 60)
            for edit in range(edits):
                time.sleep(max(0.3, 2 * interval_s))  # a user does not save twice within one poll
                new = text.replace("title: Action Potential", f"title: Action Potential {edit + 1}")
                saved = time.perf_counter()
                config.write_text(new, encoding="utf-8")
                _wait_for(manifest, hashlib.sha256(new.encode()).hexdigest(), 30)
                latencies.append(time.perf_counter() - saved)
        finally:
            watcher.terminate()
            watcher.wait(10)
        return statistics.median(latencies)


def _wait_for(manifest: Path, source_sha256: str, timeout_s: float) -> None:
    """Until the manifest (written last, after the GIF) names this config text."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        try:
            if json.loads(manifest.read_text(encoding="utf-8")).get("config_sha256") == source_sha256:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.002)
    raise SystemExit(f"watch mode did not render {manifest.parent.name} within {timeout_s:g} s")


STARTUP_COMMANDS = {
    "--help": ["--help"],
    "validate": ["validate", "configs/classic.yaml"],
    "variants": ["variants", "configs/exercises/ahp_class.yaml"],
}


def startup(runs: int) -> dict[str, dict[str, Any]]:
    """Per command: median wall time of the whole process, and `-X importtime`'s total and heaviest imports."""
    found = {}
    for name, args in STARTUP_COMMANDS.items():
        walls = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(apsim(*args), env=ENV, cwd=ROOT, check=True, capture_output=True)
            walls.append(time.perf_counter() - started)
        traced = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "apsim_batch", *args],
            env=ENV, cwd=ROOT, check=True, capture_output=True, text=True,
        )  # fmt: skip
        rows = []
        for line in traced.stderr.splitlines():
            if line.startswith("import time:") and "|" in line and "self [us]" not in line:
                self_us, cumulative_us, module = line[len("import time:") :].split("|")
                rows.append((int(self_us), int(cumulative_us), module.rstrip()[1:]))  # keeps the nesting indent
        top = [(m, c) for s, c, m in rows if not m.startswith(" ")]  # imported by the command itself: cumulative
        heaviest = sorted(top, key=lambda r: -r[1])[:4]
        found[name] = {
            "wall_s": statistics.median(walls),
            "imports_s": sum(r[0] for r in rows) / 1e6,
            "heaviest": [(m.strip(), c / 1e6) for m, c in heaviest],
            "pyplot": any(m.strip() == "matplotlib.pyplot" for _, _, m in rows),
        }
    return found


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def collect(quick: bool, tmp: Path) -> dict[str, Any]:
    """Measure every target (a quick check: each measurement once, on the 9-variant set and classic.yaml only)."""
    from cost_model import cost_table, shipped_configs

    repeats, runs, edits = (1, 1, 1) if quick else (7, 2, 5)
    sets = QUICK_SET if quick else CLASS_SET
    print("warm renders ...", flush=True)
    warm = {fmt: warm_render(fmt, repeats) for fmt in ("gif", "gif,mp4,png,csv")}
    print("class set ...", flush=True)
    klass = {jobs: class_set(jobs, runs, tmp / "class", sets) for jobs in (1, 2)}
    same_mp4 = mp4_bytes_by_jobs(tmp / "class_mp4", sets)
    print("watch latency ...", flush=True)
    watch = {interval: watch_latency(interval, edits) for interval in (0.1, 0.5)}
    print("start-up ...", flush=True)
    starts = startup(1 if quick else 5)
    print("cost model ...", flush=True)
    model = cost_table(1, [ROOT / "configs" / "classic.yaml"]) if quick else cost_table(3, shipped_configs())
    found = {"warm": warm, "class": klass, "class_set": sets, "same_mp4": same_mp4, "watch": watch}
    return {**found, "startup": starts, "model": model}


def markdown(found: dict[str, Any], cores: int) -> list[str]:
    """The targets as Markdown: each measured value beside its target, and the cost model."""
    from cost_model import PARTS
    from cost_model import markdown as cost_markdown

    warm, klass, watch, starts, model = found["warm"], found["class"], found["watch"], found["startup"], found["model"]
    gif, every = warm["gif"], warm["gif,mp4,png,csv"]
    busy = klass[1]["cpu_s"] / klass[1]["wall_s"]  # cores one worker keeps busy
    same = "identical" if found["same_mp4"] else "DIFFERENT"
    ratio = klass[1]["wall_s"] / klass[2]["wall_s"]
    lines = [
        "### Warm render of classic.yaml (library imported, rendered once before; medians)",
        "",
        "| formats | wall | CPU (with ffmpeg) | target |",
        "| --- | ---: | ---: | --- |",
        f"| GIF | {gif['wall_s']:.3f} s (best {gif['best_s']:.3f} s) | {gif['cpu_s']:.3f} s"
        f" | <= {WARM_GIF_S} s {verdict(gif['wall_s'] <= WARM_GIF_S)} |",
        f"| GIF, MP4, PNG, CSV | {every['wall_s']:.3f} s | {every['cpu_s']:.3f} s | |",
        "",
        f"### The class set (`{found['class_set'].relative_to(ROOT)}`, all formats and handouts, whole process)",
        "",
        "| `--jobs` | wall | CPU (with workers and ffmpeg) | target |",
        "| --- | ---: | ---: | --- |",
        f"| 1 | {klass[1]['wall_s']:.2f} s | {klass[1]['cpu_s']:.2f} s | |",
        f"| 2 | {klass[2]['wall_s']:.2f} s | {klass[2]['cpu_s']:.2f} s"
        f" | <= {CLASS_SET_S:g} s {verdict(klass[2]['wall_s'] <= CLASS_SET_S)} |",
        "",
        f"`--jobs 2` is {ratio:.2f}x `--jobs 1` (target >= {CLASS_SET_SPEEDUP}x:"
        f" {verdict(ratio >= CLASS_SET_SPEEDUP)}). `--jobs 1` keeps {busy:.2f} cores busy on its own (Python"
        " composing while ffmpeg's two x264 threads encode), so on"
        f" {cores} cores a second worker can add at most {cores / max(busy, 1):.2f}x.",
        f"MP4 bytes of the class set with `--jobs 1` and `--jobs 2`: {same}.",
        "",
        "### Watch mode: saving an edit of classic.yaml until its new GIF is written (`watch --format gif`)",
        "",
        "| `--interval` | latency (median) | target |",
        "| --- | ---: | --- |",
    ]
    for interval, seconds in watch.items():
        lines.append(f"| {interval:g} s | {seconds:.3f} s | <= {WATCH_S} s {verdict(seconds <= WATCH_S)} |")
    lines += [
        "",
        "Watch mode renders a file only once it has stopped changing for one poll (so a half-written save is"
        " never read): the latency is one to two polls plus one warm GIF render.",
        "",
        "### Start-up (whole process, median) and `python -X importtime`",
        "",
        "| command | wall | imports (sum of `self`) | heaviest imports (cumulative) | pyplot | target |",
        "| --- | ---: | ---: | --- | --- | --- |",
    ]
    for name, s in starts.items():
        heavy = ", ".join(f"{m} {c * 1000:.0f} ms" for m, c in s["heaviest"])
        lines.append(
            f"| `apsim-batch {' '.join(STARTUP_COMMANDS[name])}` | {s['wall_s']:.3f} s | {s['imports_s']:.3f} s"
            f" | {heavy} | {'yes' if s['pyplot'] else 'no'} | < {STARTUP_S} s {verdict(s['wall_s'] < STARTUP_S)} |"
        )
    lines += ["", "### Cost model: CPU-seconds per render by part (warm worker, medians)", ""]
    lines += cost_markdown(model)
    lines += [
        "",
        "To predict a batch: add up `render total` over its renders (a variant set: the first render's row"
        " times its size), add `imports` once per worker process, and divide by the cores in use."
        f" Parts: {', '.join(PARTS)}"
        " (see benchmarks/cost_model.py). On N cores with `--jobs N` (or N Dask workers with one thread each) the"
        " wall time is about that sum / N, but never less than the longest single render (they are scheduled"
        " longest first); ffmpeg runs beside its worker, so MP4-heavy batches fill about"
        f" {busy:.1f} cores per worker when cores are free.",
    ]
    return lines
