"""CPU-seconds per render by part (imports, trace, layout, draw, compose, GIF, MP4, other) for the shipped configs.

    python benchmarks/cost_model.py            # every config in configs/ (first variant of a set), all formats
    python benchmarks/cost_model.py --json     # the same as JSON

Each config is rendered in one warm process (after one untimed render), its CPU time split by
wrapping the functions each part runs in: `layout` is building the axes and placing the labels
(figure.layout.build, figure.marks.draw_marks), `draw` is matplotlib's Agg drawing (three per
render), `compose` is making every frame from the layers (figure.stream), `gif` is the palette and
LZW encoding, `mp4` is piping frames to ffmpeg plus ffmpeg's own CPU (its child process), `trace`
is synthesizing and measuring, `other` is the rest (PNG, CSV, captions, manifest). `imports` is
what a fresh process pays once to import everything a render uses. benchmarks/run.py calls
`cost_table` so the model lands in benchmarks/RESULTS.md next to the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("trace", "layout", "draw", "compose", "gif", "mp4", "other")


def _cpu() -> float:
    """CPU seconds of this process and its finished children (ffmpeg)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class _Timers:
    """Adds the CPU time spent inside wrapped functions to named parts (outermost wrapper wins)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.depth = 0
        self.current = ""  # the outermost part running now

    def wrap(self, part: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.depth:
                return function(*args, **kwargs)
            self.depth, self.current = 1, part
            started = _cpu()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[part] += _cpu() - started
                self.depth, self.current = 0, ""

        return timed

    def wrap_iterator(self, part: str, function: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        """Time each step of the iterator a function returns (frames are made lazily, inside the encoder).

        The time is also booked as `<part>@<encoder part>`, to be taken out of the encoder's own.
        """

        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            frames = function(*args, **kwargs)
            while True:
                started = _cpu()
                item = next(frames, None)
                spent = _cpu() - started
                self.spent[part] += spent
                self.spent[f"{part}@{self.current}"] += spent
                if item is None:
                    return
                yield item

        return timed


def _instrument(timers: _Timers) -> None:
    from matplotlib.backends import backend_agg

    from apsim_batch.figure import layout, stream
    from apsim_batch.output import animate, encode
    from apsim_batch.trace import models

    backend_agg.FigureCanvasAgg.draw = timers.wrap("draw", backend_agg.FigureCanvasAgg.draw)
    layout.build = timers.wrap("layout", layout.build)
    layout.draw_marks = timers.wrap("layout", layout.draw_marks)
    stream.overlaid = timers.wrap_iterator("compose", stream.overlaid)
    # the encoders' time, minus the frames they pull from `compose` (subtracted in `measure`)
    animate.write_gif = timers.wrap("gif_gross", encode.write_gif)
    animate.gif_palette = timers.wrap("gif_palette", animate.gif_palette)
    animate.write_mp4 = timers.wrap("mp4_gross", encode.write_mp4)
    # synthesis and everything measured on it: the render's one Analysis (render.py imports it when called)
    models.analyze = timers.wrap("trace", models.analyze)


def measure(config_path: str, repeats: int) -> dict[str, float]:
    """Median CPU seconds per part over `repeats` warm renders of the config's first render (all formats)."""
    from apsim_batch.config.variants import load_renders
    from apsim_batch.output.render import render

    loaded = load_renders(config_path)[0]
    out = Path(tempfile.mkdtemp(prefix="apsim-cost-"))
    render(loaded, out)  # warm: fonts, caches, ffmpeg -version
    timers = _Timers()
    _instrument(timers)
    runs: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeats):
        timers.spent.clear()
        started = _cpu()
        render(loaded, out)
        total = _cpu() - started
        spent = dict(timers.spent)
        # frames are composed while the encoders pull them: that time is compose's, not theirs
        spent["gif"] = spent.get("gif_gross", 0.0) - spent.get("compose@gif_gross", 0.0) + spent.get("gif_palette", 0.0)
        spent["mp4"] = spent.get("mp4_gross", 0.0) - spent.get("compose@mp4_gross", 0.0)
        spent["other"] = max(total - sum(spent.get(p, 0.0) for p in PARTS if p != "other"), 0.0)
        for part in PARTS:
            runs[part].append(spent.get(part, 0.0))
        runs["total"].append(total)
    return {part: statistics.median(values) for part, values in runs.items()}


def import_cost() -> float:
    """CPU seconds a fresh process spends starting Python and importing what one render imports."""
    listing = subprocess.run(
        [sys.executable, __file__, "--child-modules"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    modules = json.loads(listing.stdout)
    code = (
        "import importlib, resource, json\n"
        f"for name in {modules!r}:\n"
        "    try: importlib.import_module(name)\n"
        "    except Exception: pass\n"
        "r = resource.getrusage(resource.RUSAGE_SELF); print(r.ru_utime + r.ru_stime)"
    )
    costs = []
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        costs.append(float(done.stdout.strip()))
    return statistics.median(costs)


def _child_modules() -> None:
    """Print the modules a process holds after rendering classic.yaml (all formats) from the CLI's code path."""
    import apsim_batch.cli.commands  # noqa: F401  (what `apsim-batch run` imports first)
    from apsim_batch.config.variants import load_renders
    from apsim_batch.output.render import render

    render(load_renders(ROOT / "configs" / "classic.yaml")[0], Path(tempfile.mkdtemp(prefix="apsim-cost-")))
    print(json.dumps(sorted(name for name in sys.modules if not name.startswith("__"))))


def shipped_configs() -> list[Path]:
    return sorted((ROOT / "configs").rglob("*.yaml"))


def cost_table(repeats: int, configs: list[Path]) -> dict[str, Any]:
    """The cost model: each config's parts (CPU s, measured in a child process), and the import cost."""
    rows = {}
    for path in configs:
        done = subprocess.run(
            [sys.executable, __file__, "--child-measure", str(path), str(repeats)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        rows[str(path.relative_to(ROOT))] = json.loads(done.stdout)
    return {"imports_s": import_cost(), "configs": rows, "load": os.getloadavg()[0], "cores": os.cpu_count()}


def markdown(model: dict[str, Any]) -> list[str]:
    """The cost model as a Markdown table, with how to use it."""
    lines = [
        "| config (first render of a set), all its formats | " + " | ".join(PARTS) + " | render total |",
        "| --- | " + " | ".join("---:" for _ in PARTS) + " | ---: |",
    ]
    for name, row in model["configs"].items():
        cells = " | ".join(f"{row[p]:.3f}" for p in PARTS)
        lines.append(f"| `{name}` | {cells} | **{row['total']:.3f}** |")
    lines += [
        "",
        f"Plus **{model['imports_s']:.2f} CPU-s** once per process (starting Python and importing what a render"
        " uses); `--jobs N` starts N worker processes once per run and reuses them.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child-measure", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-modules", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_modules:
        _child_modules()
        return
    if args.child_measure:
        print(json.dumps(measure(args.child_measure[0], int(args.child_measure[1]))))
        return
    started = time.perf_counter()
    model = cost_table(args.repeats, shipped_configs())
    print(json.dumps(model, indent=1) if args.json else "\n".join(markdown(model)))
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
