"""How a batch run is shown: pure formatters (format_*) and the reporters that print them."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .. import __version__
from ..batch.plan import BatchResult, Job, Outcome
from ..errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from .term import FAIL, OK

if TYPE_CHECKING:
    from ..batch.merge import MergeResult
    from ..output.pack import Packed

MAX_PROBLEMS_SHOWN = 20  # per config: 5,000 unknown keys must not print 5,000 lines


# --- pure formatting ---------------------------------------------------------------------------


def format_outcome(outcome: Outcome, out_dir: Path) -> list[str]:
    """The lines that report one finished config (pure, for tests and other front ends)."""
    if outcome.status == "failed":
        return [f"✗ {line}" for line in error_lines(outcome.error or "failed")]
    if outcome.status == "skipped":
        return [f"· {outcome.name}: up to date"]
    if outcome.status == "cancelled":
        return [f"- {outcome.name}: not rendered (run stopped)"]
    if outcome.status == "valid":
        return [f"✓ {outcome.source}: valid ({outcome.name})"]
    if outcome.status == "answer_key":
        folder = out_dir / outcome.name
        lines = [f"✓ {outcome.name}: answer key → {folder / 'teacher'}/"]
        if any("/handouts/" in f for f in outcome.files):
            lines.append(f"  student handouts → {folder / 'handouts'}/ (share this folder as it is)")
        return lines
    formats = ", ".join(Path(f).suffix.lstrip(".") for f in outcome.files)
    lines = [f"✓ {outcome.name}: rendered in {outcome.seconds:.1f} s → {out_dir / outcome.name}/ ({formats})"]
    return lines + [f"  note: {note}" for note in outcome.notes]


def print_outcome(out_dir: Path) -> Callable[[Outcome], None]:
    """What `watch` and `serve` call after each render: its lines, a failure's on stderr."""
    from . import term

    def report(outcome: Outcome) -> None:
        for line in format_outcome(outcome, out_dir):
            term.echo(line, err=outcome.status == "failed")

    return report


def error_lines(error: str) -> list[str]:
    """One config's problems as lines, at most MAX_PROBLEMS_SHOWN of them, then how many more."""
    lines = error.splitlines()
    if len(lines) <= MAX_PROBLEMS_SHOWN:
        return lines
    return [*lines[:MAX_PROBLEMS_SHOWN], f"and {len(lines) - MAX_PROBLEMS_SHOWN:,} more"]


def format_gallery(out: Path) -> list[str]:
    """Where to look after a run: the gallery pages that exist in `out`."""
    from ..names import INDEX, TEACHER_INDEX

    pages = [("gallery", out / INDEX), ("teacher view", out / TEACHER_INDEX)]
    return [f"{label}: {path} (open it in a browser)" for label, path in pages if path.is_file()]


def format_summary(result: BatchResult) -> list[str]:
    """The closing lines: counts, every failure again, stale renders, and why a run stopped."""
    counts = (
        f"{result.count('rendered')} rendered, {result.count('skipped')} up to date, {result.count('failed')} failed"
    )
    if result.count("cancelled"):
        counts += f", {result.count('cancelled')} not rendered"
    lines = [f"{counts} (outputs in {result.out_dir}/)"]
    if result.interrupted:
        lines.append(
            f"Interrupted ({result.interrupted}): workers stopped; every file and manifest written is complete,"
            " and the next run renders what is missing."
        )
    elif result.stopped_early:
        lines.append("Stopped at the first failure (--fail-fast).")
    if result.failures:
        lines.append("Failures:")
        lines += [f"  {line}" for f in result.failures for line in error_lines(f.error or "")]
    if result.stale:
        lines.append(f"Stale (their config is gone; --prune removes them): {', '.join(result.stale)}")
    if result.pruned:
        lines.append(f"Pruned (their config is gone): {', '.join(result.pruned)}")
    if result.kept:  # prune deletes only files a manifest recorded and whose bytes still match
        lines.append("Kept by prune (apsim-batch deletes only files it recorded and that are unchanged):")
        lines += [f"  {path}: {why}" for path, why in result.kept]
    return lines


def format_json(result: BatchResult) -> dict[str, Any]:
    """The machine-readable summary printed by `run --json` (schema documented in the README)."""
    statuses = ("rendered", "skipped", "failed", "cancelled")
    return {
        "apsim_batch_version": __version__,
        "out_dir": str(result.out_dir),
        "ok": result.ok,
        "interrupted": result.interrupted,
        "stopped_early": result.stopped_early,
        "counts": {status: result.count(status) for status in statuses},
        "renders": [
            {
                "name": o.name,
                "source": o.source,
                "status": o.status,
                "seconds": round(o.seconds, 3),
                "outputs": list(o.files),
                "error": o.error,
                "notes": list(o.notes),
            }
            for o in result.outcomes
        ],
        "stale": list(result.stale),
        "pruned": list(result.pruned),
        "kept": [{"path": path, "why": why} for path, why in result.kept],
        "error": None,
        "exit_code": exit_code(result),
    }


def format_json_error(out_dir: Path, message: str, exit_code: int) -> dict[str, Any]:
    """`run --json` when the run itself could not happen (a bad --out, a held lock, a bad option):
    the same fields as a result, nothing rendered, and the one line also printed on stderr."""
    statuses = ("rendered", "skipped", "failed", "cancelled")
    return {
        "apsim_batch_version": __version__,
        "out_dir": str(out_dir),
        "ok": False,
        "interrupted": None,
        "stopped_early": False,
        "counts": dict.fromkeys(statuses, 0),
        "renders": [],
        "stale": [],
        "pruned": [],
        "kept": [],
        "error": message,
        "exit_code": exit_code,
    }


def format_variant_tables(loaded: list) -> list[str]:
    """A plain-text table per set: id, render name and each varied value (pure, for tests)."""
    sets: dict[str, list] = {}
    for item in loaded:
        if item.variant is not None:
            sets.setdefault(item.variant.set_name, []).append(item)
    if not sets:
        return ["No variant sets here (a config makes one when it has a 'variants:' block)."]
    lines: list[str] = []
    for name, members in sets.items():
        info = members[0].variant
        how = f"{info.mode}, seed {info.seed}" if info.mode == "random" else info.mode
        handouts = ", student handouts" if info.student else ""
        lines += ["" if lines else None, f"{members[0].source}: set {name!r}, {how}, {info.size} variants{handouts}"]
        header = ["id", "name", *info.values]
        rows = [[m.variant.id, m.name, *(_show_value(v) for v in m.variant.values.values())] for m in members]
        widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
        for row in [header, *rows]:
            lines.append("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return [line for line in lines if line is not None]


def _show_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def format_merge(result: MergeResult) -> list[str]:
    """The lines that report a merge (pure, like format_summary): what was merged, then what failed."""
    origin = f"the {result.shard_count} shards in" if result.shard_count else f"{len(result.sources)} folders:"
    lines = [
        f"{OK} merged {len(result.renders)} renders ({result.files} files, each checked against its sha256) "
        f"from {origin} {', '.join(str(s) for s in result.sources)} → {result.out_dir}/"
    ]
    lines += [f"{FAIL} {line}" for _, _, error in result.failures for line in error.splitlines()]
    return lines + [f"{FAIL} {name}: its shard has no output for it" for name in result.missing]


def format_pack(packed: Packed) -> list[str]:
    """The lines that report `pack`: the students' zip (or why there is none) and the teacher's."""
    if packed.student_zip is not None:
        first = f"{OK} students: {packed.student_zip} ({packed.student_files} files: the handout folder only)"
    else:
        hint = "set 'student: true' or run with --student"
        first = f"{FAIL} students: no zip, {packed.set_name} has no handouts ({hint})"
    return [first, f"{OK} teacher: {packed.teacher_zip} ({packed.teacher_files} files, with the answer key)"]


def exit_code(result: BatchResult) -> int:
    if result.interrupted:
        return EXIT_INTERRUPTED[result.interrupted]
    return EXIT_OK if result.ok else EXIT_FAILED


# --- printing ----------------------------------------------------------------------------------


class Reporter(Protocol):
    def plan(self, total: int) -> None: ...
    def start(self, job: Job) -> None: ...
    def finish(self, outcome: Outcome) -> None: ...
    def close(self, result: BatchResult | None) -> None: ...


class PlainReporter:
    """One line per finished config (for logs and CI); `quiet` keeps only failures."""

    def __init__(self, out_dir: Path, *, quiet: bool = False, verbose: bool = False, summary: bool = True):
        self.out_dir, self.quiet, self.verbose, self.summary = out_dir, quiet, verbose, summary

    def plan(self, total: int) -> None:
        pass

    def start(self, job: Job) -> None:
        pass

    def finish(self, outcome: Outcome) -> None:
        failed = outcome.status == "failed"
        if failed or not self.quiet:
            for line in format_outcome(outcome, self.out_dir):
                _echo(line, err=failed)
        if failed and self.verbose and outcome.detail:
            _echo(outcome.detail.rstrip(), err=True)

    def close(self, result: BatchResult | None) -> None:
        if result is None:
            return
        if self.summary and not self.quiet:
            for line in [*format_summary(result), *format_gallery(result.out_dir)]:
                _echo(line)
        elif result.interrupted:
            _echo(f"Interrupted ({result.interrupted})", err=True)


def _echo(line: str, err: bool = False) -> None:
    from . import term

    term.echo(line, err=err)


class LiveReporter(PlainReporter):
    """On a terminal: the same lines above a live bar with the count, current renders, elapsed and ETA."""

    def __init__(self, out_dir: Path, *, verbose: bool = False, console: Any = None, errors: Any = None):
        super().__init__(out_dir, verbose=verbose)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console or Console(highlight=False)  # rich honours NO_COLOR and TERM=dumb
        self.errors = errors or Console(stderr=True, highlight=False)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.running: dict[str, None] = {}
        self.task = self.progress.add_task("checking", total=None)

    def plan(self, total: int) -> None:
        self.progress.update(self.task, total=total)
        self.progress.start()

    def start(self, job: Job) -> None:
        self.running[job.name] = None
        self._describe()

    def finish(self, outcome: Outcome) -> None:
        self.running.pop(outcome.name, None)
        style = {"failed": "red", "rendered": "green", "cancelled": "yellow"}.get(outcome.status, "dim")
        console = self.errors if outcome.status == "failed" else self.progress.console
        from .term import clean

        for line in format_outcome(outcome, self.out_dir):
            console.print(clean(line), style=style, markup=False, highlight=False, soft_wrap=True)
        if outcome.status == "failed" and self.verbose and outcome.detail:
            self.errors.print(clean(outcome.detail.rstrip()), markup=False, highlight=False, soft_wrap=True)
        if outcome.status != "answer_key":  # answer keys come on top of the planned renders
            self.progress.advance(self.task)
        self._describe()

    def _describe(self) -> None:
        names = list(self.running)
        shown = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
        task = self.progress.tasks[0]
        idle = "finishing" if task.total is not None and task.completed >= task.total else "checking"
        self.progress.update(self.task, description=f"rendering {shown}" if names else idle)

    def close(self, result: BatchResult | None) -> None:
        self.progress.stop()
        super().close(result)


def make_reporter(out_dir: Path, *, quiet: bool, verbose: bool, json_summary: bool) -> Reporter:
    """Live bar on a terminal; plain lines otherwise; only errors for --quiet and --json."""
    if quiet or json_summary:
        return PlainReporter(out_dir, quiet=True, verbose=verbose, summary=False)
    if sys.stdout.isatty():
        return LiveReporter(out_dir, verbose=verbose)
    return PlainReporter(out_dir, verbose=verbose)
