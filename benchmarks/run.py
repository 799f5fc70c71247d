"""Benchmark apsim-batch against matplotlib's own way, on the same machine in one run.

    python benchmarks/run.py            # the full benchmark (about 14 minutes on 2 cores)
    python benchmarks/run.py --quick    # every measurement once on small workloads: for checking the script
                                        # (prints only: a quick check never rewrites RESULTS.md)

Also measures the issue-16 targets side by side (benchmarks/targets.py: warm render, class set, watch mode,
start-up, cost model). Renders configs/classic.yaml with `apsim-batch` and the original figure with `FuncAnimation.save`
(benchmarks/matplotlib_way.py: PillowWriter for GIF, FFMpegWriter for MP4), each measurement in its
own process so whole-process times include starting Python and every import. Prints a table and
rewrites its own section of benchmarks/RESULTS.md (between the BEGIN/END markers; anything outside
them, such as the incremental-rerun section, is kept).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import targets  # noqa: E402  (benchmarks/targets.py: the issue's other targets)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN = "<!-- BEGIN benchmarks/run.py: this part is rewritten by every run; write other sections outside it -->"
END = "<!-- END benchmarks/run.py -->"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
CLASSIC = (ROOT / "configs" / "classic.yaml").read_text(encoding="utf-8")

# Targets from the issue (2-core machine).
GIF_SPEEDUP = 30
MP4_SPEEDUP = 15
PRODUCTION_SHARE = 0.30
MEMORY_GROWTH = 1.25
LONG_FRAMES = 10_000


# --- configs -----------------------------------------------------------------------------------


def variant(
    name: str,
    fps: float = 90,
    samples: int = 500,
    amplitude_mv: float = 110,
    center_ms: float = 2.5,
    same_frames: bool = False,
) -> str:
    """classic.yaml with a few values replaced; every replacement must hit exactly one line.

    `same_frames` drops the poster frame and the hold, so ours writes exactly the frames
    matplotlib's writers do.
    """
    text = CLASSIC
    extra = "\n  hold_last_frame_s: 0\n  poster_s: 0" if same_frames else ""
    for pattern, value in [
        (r"^(  samples_per_frame: 2)$", rf"\1{extra}"),
        (r"^name: classic$", f"name: {name}"),
        (r"^(  fps:) 90$", rf"\1 {fps:g}"),
        (r"^(  samples:) 500$", rf"\1 {samples}"),
        (r"^(      amplitude_mv:) 110\b", rf"\1 {amplitude_mv:g}"),
        (r"^(      center_ms:) 2\.5$", rf"\1 {center_ms:g}"),
    ]:
        text, hits = re.subn(pattern, value, text, flags=re.MULTILINE)
        if hits != 1:
            raise SystemExit(f"benchmarks/run.py: configs/classic.yaml changed shape ({pattern!r} matched {hits}x)")
    return text


def write_config(folder: Path, name: str, **values: float | bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(variant(name, **values), encoding="utf-8")
    return path


# --- measuring ---------------------------------------------------------------------------------


def wall_s(command: list[str]) -> float:
    """Wall time of a whole process, from start to exit."""
    started = time.perf_counter()
    done = subprocess.run(command, env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(command)}\n{done.stderr}")
    return seconds


def child_json(*args: str) -> dict:
    """Run this script in a fresh process in one of its --child modes and return what it prints."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], env=ENV, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark child {args} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def apsim(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "apsim_batch", *map(str, args)]


def matplotlib_way(fmt: str, out: Path, fps: float) -> list[str]:
    script = ROOT / "benchmarks" / "matplotlib_way.py"
    return [sys.executable, str(script), "--format", fmt, "--out", str(out), "--fps", f"{fps:g}"]


def medians(runs: int, commands: dict[str, tuple[list[str], int]]) -> dict[str, float]:
    """Median wall time per command; runs are interleaved so a busy moment hits all alike."""
    times: dict[str, list[float]] = {key: [] for key in commands}
    for run in range(runs):
        for key, (command, wanted) in commands.items():
            if run < wanted:
                times[key].append(wall_s(command))
    return {key: statistics.median(values) for key, values in times.items()}


# --- child modes (run in their own process) ----------------------------------------------------


def child_split(config_path: str, fmt: str, repeats: int, out: str) -> dict:
    """Time producing the frames alone, encoding the same frames from memory alone, and both."""

    from apsim_batch.config.load import load_config
    from apsim_batch.figure.layout import draw_layers, revealed_counts
    from apsim_batch.figure.quantize import TRANSPARENT, gif_palette, palette_colors
    from apsim_batch.figure.stream import overlaid, stream
    from apsim_batch.output.encode import gif_timing, write_gif, write_mp4
    from apsim_batch.trace.models import analyze, synthesize

    config = load_config(config_path).config
    path = Path(out)
    counts = revealed_counts(config)
    fps = config.animation.fps
    timing = gif_timing(len(counts), fps, config.animation.hold_last_frame_s)
    shown = counts[list(timing.frames)] if fmt == "gif" else counts
    found: dict[str, list[float]] = {}

    def note(key: str, seconds: float) -> None:
        found.setdefault(key, []).append(seconds)

    for attempt in range(repeats + 1):  # the first round warms up imports and caches; not counted
        started = time.perf_counter()
        trace = synthesize(config.waveform)
        layers = draw_layers(config, analyze(config, trace))
        if fmt == "gif":
            palette, base, full = gif_palette(layers.full, layers.base)
            colors = palette_colors(palette)
        else:
            palette, base, full, colors = b"", layers.base, layers.full, None

        def frames(layers=layers, base=base, full=full, colors=colors):  # as render() composes them
            return overlaid(stream(layers, shown, base, full), shown, layers.overlay, colors)

        drawn = time.perf_counter()
        for _ in frames():
            pass
        produced = time.perf_counter()
        in_memory = [(image.copy(), box) for image, box in frames()]
        encode_started = time.perf_counter()
        if fmt == "gif":
            write_gif(path, in_memory, layers.size, palette, timing.delays_cs, TRANSPARENT)
        else:
            write_mp4(path, (image for image, _ in in_memory), fps)
        encoded = time.perf_counter()
        del in_memory
        both_started = time.perf_counter()
        trace = synthesize(config.waveform)
        layers = draw_layers(config, analyze(config, trace))
        if fmt == "gif":
            palette, base, full = gif_palette(layers.full, layers.base)
            colors = palette_colors(palette)
            write_gif(path, frames(layers, base, full, colors), layers.size, palette, timing.delays_cs, TRANSPARENT)
        else:
            write_mp4(path, (image for image, _ in frames(layers, layers.base, layers.full, None)), fps)
        both_done = time.perf_counter()
        if attempt:
            note("setup_s", drawn - started)
            note("stream_s", produced - drawn)
            note("encode_s", encoded - encode_started)
            note("pipeline_s", both_done - both_started)
    result = {key: statistics.median(values) for key, values in found.items()}
    result["frames"] = len(shown)
    return result


def children_peak_kb(stop: threading.Event, peak: list[int]) -> None:
    """Poll the high-water RSS (VmHWM) of this process's children, e.g. ffmpeg, until `stop`.

    getrusage(RUSAGE_CHILDREN) cannot be used for them: a forked child starts with its parent's
    high-water mark, so it would report the Python process's peak again.
    """
    me = str(os.getpid())
    while not stop.is_set():
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if stat.read_text().rsplit(")", 1)[1].split()[1] != me:
                    continue
                status = (stat.parent / "status").read_text()
            except (OSError, IndexError):
                continue
            found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
            if found:
                peak[0] = max(peak[0], int(found.group(1)))
        stop.wait(0.05)


def child_memory(config_path: str, out: str) -> dict:
    """Render GIF and MP4 in this process (no worker pool) and report peak resident memory."""
    from apsim_batch.batch.run import run_batch

    stop, peak = threading.Event(), [0]
    watcher = threading.Thread(target=children_peak_kb, args=(stop, peak), daemon=True)
    watcher.start()
    started = time.perf_counter()
    result = run_batch([config_path], Path(out), formats=["gif", "mp4"], jobs=1, force=True)
    seconds = time.perf_counter() - started
    stop.set()
    watcher.join()
    if not result.ok:
        raise SystemExit(result.failures[0].error)
    return {
        "seconds": seconds,
        "python_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "ffmpeg_kb": peak[0],
    }


# --- the report --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    from importlib.metadata import version

    import imageio_ffmpeg

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    libraries = ", ".join(
        f"{name} {version(name)}" for name in ("numpy", "matplotlib", "pillow", "imageio", "imageio-ffmpeg", "scipy")
    )
    return {
        "cores": f"{os.cpu_count()} ({usable} usable)",
        "cpu": model,
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "libraries": f"{libraries}, ffmpeg {imageio_ffmpeg.get_ffmpeg_version()}",
    }


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def kb(size_bytes: int) -> str:
    return f"{size_bytes / 1024:,.1f} KB"


def run(quick: bool) -> str:
    runs, mpl_runs = (1, 1) if quick else (5, 3)
    long_frames = 500 if quick else LONG_FRAMES
    split_repeats = 1 if quick else 3
    load_before = os.getloadavg()
    started = time.perf_counter()
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    with tempfile.TemporaryDirectory(prefix="apsim-bench-") as tmp_name:
        tmp = Path(tmp_name)
        configs = tmp / "configs"
        classic = write_config(configs, "classic")
        classic50 = write_config(configs, "classic_50fps", fps=50, same_frames=True)  # every frame kept in the GIF
        same = write_config(configs, "classic_same", same_frames=True)  # 250 frames, no poster, no hold
        out = tmp / "out"
        mpl = tmp / "matplotlib"
        mpl.mkdir()

        print("whole-process runs ...", flush=True)
        startup = medians(
            runs,
            {
                "python": ([sys.executable, "-c", "pass"], runs),
                "cli": ([sys.executable, "-c", "import apsim_batch.cli.commands"], runs),
                "render_imports": (
                    [
                        sys.executable,
                        "-c",
                        "import apsim_batch.cli.commands, matplotlib.figure, matplotlib.backends.backend_agg,"
                        " PIL.GifImagePlugin, imageio.v2",
                    ],
                    runs,
                ),
                "help": (apsim("--help"), runs),
            },
        )
        whole = medians(
            runs,
            {
                "gif": (apsim("run", classic, "--out", out, "--force", "--format", "gif"), runs),
                "mpl_gif": (matplotlib_way("gif", mpl / "classic.gif", 90), mpl_runs),
                "gif50": (apsim("run", classic50, "--out", out, "--force", "--format", "gif"), runs),
                "mpl_gif50": (matplotlib_way("gif", mpl / "classic_50fps.gif", 50), mpl_runs),
                "mp4": (apsim("run", same, "--out", out, "--force", "--format", "mp4"), runs),
                "mpl_mp4": (matplotlib_way("mp4", mpl / "classic.mp4", 90), mpl_runs),
            },
        )
        sizes = {
            "gif": (out / "classic" / "classic.gif").stat().st_size,
            "mpl_gif": (mpl / "classic.gif").stat().st_size,
            "gif50": (out / "classic_50fps" / "classic_50fps.gif").stat().st_size,
            "mpl_gif50": (mpl / "classic_50fps.gif").stat().st_size,
            "mp4": (out / "classic_same" / "classic_same.mp4").stat().st_size,
            "mpl_mp4": (mpl / "classic.mp4").stat().st_size,
        }

        print("production vs encoding ...", flush=True)
        split = {
            fmt: child_json("split", str(classic), fmt, str(split_repeats), str(tmp / f"split.{fmt}"))
            for fmt in ("gif", "mp4")
        }

        print("peak memory ...", flush=True)
        long_config = write_config(configs, "long", samples=2 * long_frames)
        memory = {
            250: child_json("memory", str(classic), str(tmp / "mem")),
            long_frames: child_json("memory", str(long_config), str(tmp / "mem")),
        }

        found = targets.collect(quick, tmp)

    gif_ratio = whole["mpl_gif"] / whole["gif"]
    gif50_ratio = whole["mpl_gif50"] / whole["gif50"]
    mp4_ratio = whole["mpl_mp4"] / whole["mp4"]
    growth = memory[long_frames]["python_kb"] / memory[250]["python_kb"]
    ffmpeg_growth = memory[long_frames]["ffmpeg_kb"] / memory[250]["ffmpeg_kb"]
    shares = {fmt: (s["setup_s"] + s["stream_s"]) / s["encode_s"] for fmt, s in split.items()}
    stream_shares = {fmt: s["stream_s"] / s["encode_s"] for fmt, s in split.items()}
    info = machine()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "python benchmarks/run.py" + (" --quick" if quick else "")

    say(f"## Speed against matplotlib ({'quick check' if quick else 'full run'})")
    say()
    say(f"- date: {now}; command: `{command}` (from the repository root); took {time.perf_counter() - started:.0f} s")
    say(f"- machine: {info['cores']} cores, {info['cpu']}; {info['system']}")
    say(f"- Python {info['python']}; {info['libraries']}")
    load_after = os.getloadavg()
    busy = load_before[0] > 0.5 * (os.cpu_count() or 1)  # after the run, our own batch phase counts too
    say(
        f"- load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f} on {os.cpu_count()} cores"
        + (
            ": **the machine was busy**, so these times are pessimistic; re-run on a quiet machine"
            if busy
            else " (a quiet machine)"
        )
    )
    say(
        f"- whole-process times are medians of {runs} runs (matplotlib: {mpl_runs}), each a fresh process"
        " (Python start-up and imports included); ours is `python -m apsim_batch run <config> --format <fmt> --force`"
    )
    say()
    say("### Whole process, classic figure (640x480, 250 animation frames)")
    say()
    say("| output | apsim-batch | matplotlib `FuncAnimation.save` | speed-up | target | size ours / matplotlib |")
    say("| --- | --- | --- | --- | --- | --- |")
    say(
        f"| GIF, classic.yaml as shipped at 90 fps (ours: the poster, then 139 GIF frames of 20 ms, the last"
        " held 2 s; PillowWriter: 250 frames of 10 ms)"
        f" | {whole['gif']:.2f} s | {whole['mpl_gif']:.2f} s | {gif_ratio:.1f}x | >= {GIF_SPEEDUP}x"
        f" {verdict(gif_ratio >= GIF_SPEEDUP)} | {kb(sizes['gif'])} / {kb(sizes['mpl_gif'])} |"
    )
    say(
        f"| GIF, same 250 frames at 50 fps in both | {whole['gif50']:.2f} s | {whole['mpl_gif50']:.2f} s"
        f" | {gif50_ratio:.1f}x | >= {GIF_SPEEDUP}x {verdict(gif50_ratio >= GIF_SPEEDUP)}"
        f" | {kb(sizes['gif50'])} / {kb(sizes['mpl_gif50'])} |"
    )
    say(
        f"| MP4 (H.264 yuv420p, the same 250 frames at 90 fps, no hold) | {whole['mp4']:.2f} s"
        f" | {whole['mpl_mp4']:.2f} s"
        f" | {mp4_ratio:.1f}x | >= {MP4_SPEEDUP}x {verdict(mp4_ratio >= MP4_SPEEDUP)}"
        f" | {kb(sizes['mp4'])} / {kb(sizes['mpl_mp4'])} |"
    )
    say()
    say(
        f"Fixed cost of every process: Python start-up {startup['python']:.2f} s; importing the CLI"
        f" {startup['cli']:.2f} s (`apsim-batch --help`: {startup['help']:.2f} s); the CLI plus matplotlib, Pillow"
        f" and imageio {startup['render_imports']:.2f} s."
    )
    gif_size_ok = sizes["gif"] <= sizes["mpl_gif"] and sizes["gif50"] <= sizes["mpl_gif50"]
    say(f"GIF no larger than matplotlib's for the same frames: {verdict(gif_size_ok)}.")
    say()
    say("### Producing frames vs encoding them (classic, in one warm process)")
    say()
    say(
        "Production = synthesizing the trace, building the figure once and drawing it three times (base, full,"
        " reveal map; and the GIF palette), then composing"
        " every frame. Encoder only = encoding the same frames already held in memory."
        f" Medians of {split_repeats} rounds."
    )
    say()
    say(
        "| format | frames | draws + palette | composing frames | encoder only | production / encoder | target | both |"
    )
    say("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for fmt, s in split.items():
        say(
            f"| {fmt.upper()} | {s['frames']} | {s['setup_s'] * 1000:.0f} ms | {s['stream_s'] * 1000:.0f} ms"
            f" | {s['encode_s'] * 1000:.0f} ms | {shares[fmt]:.0%} (composing alone: {stream_shares[fmt]:.0%})"
            f" | <= {PRODUCTION_SHARE:.0%} {verdict(shares[fmt] <= PRODUCTION_SHARE)}"
            f" | {s['pipeline_s'] * 1000:.0f} ms |"
        )
    say()
    say(f"### Peak memory (GIF + MP4 in one process, `jobs=1`), 250 vs {long_frames:,} frames")
    say()
    say("| frames | render time | Python process peak RSS | ffmpeg peak RSS |")
    say("| --- | --- | --- | --- |")
    for frames, m in memory.items():
        say(f"| {frames:,} | {m['seconds']:.1f} s | {m['python_kb'] / 1024:.0f} MB | {m['ffmpeg_kb'] / 1024:.0f} MB |")
    say()
    say(
        f"Python peak grows {growth:.2f}x from 250 to {long_frames:,} frames (target <= {MEMORY_GROWTH}x:"
        f" {verdict(growth <= MEMORY_GROWTH)}); ffmpeg's grows {ffmpeg_growth:.2f}x."
    )
    say()
    for line in targets.markdown(found, os.cpu_count() or 1):
        say(line)
    say()
    say("### Where a target is missed, by how much and what limits it")
    say()
    floor = startup["render_imports"]
    missed = []
    for label, ratio, key, target in [
        ("GIF (classic.yaml)", gif_ratio, "gif", GIF_SPEEDUP),
        ("GIF (same 250 frames)", gif50_ratio, "gif50", GIF_SPEEDUP),
        ("MP4", mp4_ratio, "mp4", MP4_SPEEDUP),
    ]:
        if ratio < target:
            fmt = key[:3]
            missed.append(
                f"- {label} whole process: {ratio:.1f}x, {1 - ratio / target:.0%} short of {target}x. Of our"
                f" {whole[key]:.2f} s, {floor:.2f} s is starting Python and importing numpy, pydantic, typer,"
                f" matplotlib and Pillow ({floor - startup['cli']:.2f} s of it the rendering libraries; a floor no"
                " frame pipeline lowers), and"
                f" {split[fmt]['pipeline_s']:.2f} s is drawing and encoding in a warm process."
            )
    for fmt, s in split.items():
        if shares[fmt] > PRODUCTION_SHARE:
            why = (
                " GIF encoding is that cheap because only each frame's changed box is LZW-compressed against one"
                " palette computed once."
                if fmt == "gif"
                else ""
            )
            fixed = "the figure's build, its three Agg draws" + (" and the palette" if fmt == "gif" else "")
            missed.append(
                f"- {fmt.upper()} production: {shares[fmt]:.0%} of the encoder-only time instead of at most"
                f" {PRODUCTION_SHARE:.0%}.{why} Composing all {s['frames']} frames takes"
                f" {s['stream_s'] * 1000:.0f} ms ({stream_shares[fmt]:.0%} of encoding); the rest,"
                f" {s['setup_s'] * 1000:.0f} ms, is {fixed}, paid once per render whatever its length, so the"
                " share falls as animations get longer."
            )
    if growth > MEMORY_GROWTH:
        missed.append(f"- Memory: the Python process grows {growth:.2f}x from 250 to {long_frames:,} frames.")
    if not gif_size_ok:
        missed.append("- GIF size: ours is larger than matplotlib's for the same frames.")
    for line in missed or ["Every target is met in this run."]:
        say(line)
    return "\n".join(lines)


def write_results(section: str, begin: str = BEGIN, end: str = END) -> None:
    """Replace a marked section of RESULTS.md (ours by default), keeping everything else in the file."""
    block = f"{begin}\n{section}\n{end}"
    if RESULTS.exists():
        text = RESULTS.read_text(encoding="utf-8")
        if begin in text and end in text:
            head, rest = text.split(begin, 1)
            text = head + block + rest.split(end, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    else:
        text = f"# Benchmark results\n\n{block}\n"
    RESULTS.write_text(text, encoding="utf-8")


CHILDREN: dict[str, Callable[..., dict]] = {"split": child_split, "memory": child_memory}


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark apsim-batch against matplotlib's FuncAnimation.save.")
    parser.add_argument(
        "--quick", action="store_true", help="Each measurement once, small workloads: checks the script (prints only)."
    )
    parser.add_argument("--no-write", action="store_true", help="Print only; leave benchmarks/RESULTS.md alone.")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        function = CHILDREN[mode]
        values = [int(value) if value.isdigit() else value for value in rest]
        print(json.dumps(function(*values)))
        return
    section = run(args.quick)
    if args.quick:  # a quick check's numbers are not the committed results: never replace them
        print(f"\nquick check: {RESULTS.relative_to(ROOT)} left as it is (only a full run rewrites it)")
    elif not args.no_write:
        write_results(section)
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
