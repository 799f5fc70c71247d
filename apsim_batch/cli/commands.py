"""The `apsim-batch` command: parse arguments, call the library, print, set the exit code."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .. import __version__
from ..batch import DEFAULT_TIMEOUT_S
from . import term
from .export import export
from .guard import guarded_main, user_errors
from .helptext import PlainHelpGroup, PreviewStudentOption, use_plain_help
from .panels import arrange
from .parsing import parse_formats
from .serve import serve
from .share import pack
from .starter import templates

app = typer.Typer(
    cls=PlainHelpGroup,
    help="Render action-potential teaching animations (GIF, MP4, PNG, CSV) from YAML configs.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

PathsArg = Annotated[
    Optional[list[Path]],  # noqa: UP045 - typer needs Optional here on Python 3.10
    typer.Argument(help="Config files or folders (searched recursively). Default: configs/.", show_default=False),
]


SetOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Change a field in every config, e.g. --set waveform.resting_mv=-65 (repeatable; same paths as"
        " variant sets; the value is read as YAML).",
        show_default=False,
    ),
]
StudentOption = Annotated[
    bool, typer.Option("--student", help="Write student handouts for every variant set, as 'student: true' does.")
]


def _overrides(values: list[str] | None) -> list[Any]:
    from ..config.paths import parse_override

    try:
        return [parse_override(value) for value in values or []]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--set'") from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"apsim-batch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Render action-potential teaching animations (GIF, MP4, PNG, CSV) from YAML configs."""


def _shard(value: str | None) -> Any:
    from ..batch.shard import Shard

    if value is None:
        return None
    try:
        return Shard.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--shard'") from None


def _finite_seconds(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"must be a finite number of seconds, or 0 for no limit (got {value})")
    return value


@app.command()
def run(
    paths: PathsArg = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write outputs into.")] = Path("outputs"),
    format: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--format", "-f", help="Only write these formats, e.g. 'gif,png' (default: each config's outputs)."
        ),
    ] = None,
    jobs: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Renders at once, in separate processes (default: usable cores; 1 renders in this process).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Re-render even renders that are up to date.")] = False,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Stop everything at the first invalid config or failed render.")
    ] = False,
    timeout_s: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(
            "--timeout-s",
            min=0,
            callback=_finite_seconds,
            help="Stop a render that takes longer than this many seconds and count it as failed (0: no limit;"
            f" default: {DEFAULT_TIMEOUT_S:g} with --executor local; Dask workers run each render to its end).",
            show_default=False,
        ),
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete renders whose config no longer exists (and their manifest entries).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    json_summary: Annotated[
        bool, typer.Option("--json", help="Print only a JSON summary of the run on stdout (errors still go to stderr).")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks of renders that crash.")] = False,
    set_: SetOption = None,
    student: StudentOption = False,
    shard: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--shard",
            metavar="K/N",
            help="Render only shard K of N (1-based): the renders whose name hashes to K. "
            "Every config is still validated. Combine the shards' outputs with 'apsim-batch merge'.",
            show_default=False,
        ),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            metavar="local|dask",
            help="Where renders run: 'local' processes, or 'dask' workers (needs apsim-batch[dask]).",
        ),
    ] = "local",
    scheduler: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Dask scheduler to use with --executor dask, e.g. tcp://10.0.0.5:8786 "
            "(default: start a local cluster of --jobs workers). Workers must share the --out folder.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Validate and render every config, writing GIF, MP4, PNG, CSV and manifests.

    Exit codes: 0 all succeeded, 1 something failed, 2 usage error, 130 Ctrl-C, 143 SIGTERM.

    Example: apsim-batch run configs/ --out outputs/ --format gif,png
    """
    from ..batch.options import RunOptions
    from ..batch.run import run_batch
    from .report import exit_code, format_json, format_json_error, make_reporter

    def json_error(message: str, code: int) -> None:
        if json_summary:
            summary = format_json_error(out, message.removeprefix("Error: "), code)
            typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))

    with user_errors(json_error):  # an impossible combination is refused before anything runs
        options = RunOptions(
            formats=parse_formats(format),
            jobs=jobs,
            force=force,
            fail_fast=fail_fast,
            timeout_s=timeout_s,
            prune_stale=prune,
            overrides=tuple(_overrides(set_)),
            student=student,
            shard=_shard(shard),
            executor=executor,
            scheduler=scheduler,
        )
    reporter = make_reporter(out, quiet=quiet, verbose=verbose, json_summary=json_summary)

    def close_then_report(message: str, code: int) -> None:
        reporter.close(None)
        json_error(message, code)

    with user_errors(close_then_report, verbose=verbose):
        result = run_batch(
            paths or [Path("configs")],
            out,
            options,
            on_outcome=reporter.finish,
            on_plan=reporter.plan,
            on_start=reporter.start,
        )
    reporter.close(result)
    if json_summary:
        typer.echo(json.dumps(format_json(result), indent=2, ensure_ascii=False))
    raise typer.Exit(exit_code(result))


@app.command()
def validate(paths: PathsArg = None, set_: SetOption = None) -> None:
    """Check configs (and every variant of every set) without rendering; print one line per problem.

    Example: apsim-batch validate configs/spike.yaml
    """
    from ..batch.plan import validate_paths
    from .report import print_outcome

    overrides = _overrides(set_)
    with user_errors():
        result = validate_paths(paths or [Path("configs")], overrides)
    for outcome in result.outcomes:
        print_outcome(Path("."))(outcome)
    failed = len(result.failures)
    typer.echo(f"{len(result.outcomes) - failed} valid, {failed} invalid")
    raise typer.Exit(1 if failed else 0)


# --- schema, new, watch: editor and authoring support ----------------------------------------


@app.command()
def schema(
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", "-o", help="Write the schema to this file instead of printing it.", show_default=False),
    ] = None,
) -> None:
    """Print (or write) the JSON Schema of a config, for editors' YAML completion and checking.

    Example: apsim-batch schema --out apsim-batch.schema.json
    """
    from .schema import schema_text, write_schema

    if out is None:
        typer.echo(schema_text(), nl=False)
        return
    try:
        write_schema(out)
    except OSError as exc:
        term.echo(f"Error: cannot write {out}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    term.echo(f"{term.OK} wrote {out}")


def _template(value: str) -> str:
    if value not in templates():
        raise typer.BadParameter(f"choose one of {', '.join(templates())} (got {value!r})")
    return value


@app.command()
def new(
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Name of the config: it becomes configs/NAME.yaml and the output name."),
    ],
    template: Annotated[
        str,
        typer.Option(
            "--from",
            help=f"Template to start from: {', '.join(templates())}.",
            callback=_template,
            autocompletion=lambda incomplete: [t for t in templates() if t.startswith(incomplete)],
        ),
    ] = "classic",
    folder: Annotated[Path, typer.Option("--dir", help="Folder to write the config into.")] = Path("configs"),
) -> None:
    """Write a commented starter config, ready to edit and render (never overwrites a file).

    Example: apsim-batch new lesson1 --from classic
    """
    from .starter import new_config

    with user_errors():
        path, schema_path = new_config(name, template, folder)
    term.echo(f"{term.OK} wrote {path}")
    if schema_path is not None:
        term.echo(f"{term.OK} wrote {schema_path} (editors use it to complete and check configs)")
    typer.echo(f"Edit it, then: apsim-batch run {path}   (or apsim-batch watch {path.parent})")


@app.command()
def watch(
    paths: PathsArg = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write outputs into.")] = Path("outputs"),
    format: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", "-f", help="Only write these formats, e.g. 'gif,png' (faster while editing)."),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0.05, max=60, help="Seconds between checks for saved files.")
    ] = 0.5,
) -> None:
    """Re-render each config when it is saved, printing the result or the error (Ctrl-C to stop).

    Example: apsim-batch watch configs/ --format gif
    """
    from ..batch.watch import watch as watch_loop

    chosen = parse_formats(format)

    from .report import print_outcome

    report = print_outcome(out)

    try:
        with user_errors(interrupts=False):
            watch_loop(
                paths or [Path("configs")], out, formats=chosen, on_outcome=report, echo=term.echo, interval_s=interval
            )
    except KeyboardInterrupt:
        term.echo("stopped watching")


# --- variants: preview of variant sets ---------------------------------------------------------


@app.command()
def variants(paths: PathsArg = None, set_: SetOption = None, student: PreviewStudentOption = False) -> None:
    """Print each variant set's variants (id, render name, varied values) without rendering.

    Example: apsim-batch variants configs/exercises/ahp_class.yaml
    """
    from ..batch.plan import discover, load_all
    from .report import format_outcome, format_variant_tables

    overrides = _overrides(set_)
    with user_errors():
        loaded, failed = load_all(discover(paths or [Path("configs")]), overrides, student=student)
    for line in format_variant_tables(loaded):
        typer.echo(line)
    for outcome in failed:
        for line in format_outcome(outcome, Path(".")):
            typer.echo(line, err=True)
    raise typer.Exit(1 if failed else 0)


# --- merge: combine shard outputs --------------------------------------------------------------


@app.command()
def merge(
    sources: Annotated[
        list[Path], typer.Argument(help="Outputs folders to combine, e.g. one per shard.", show_default=False)
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the combined outputs into.")] = Path(
        "outputs"
    ),
) -> None:
    """Combine the outputs folders of shard runs into one, checking every file against its sha256.

    Refuses renders that differ between folders, damaged files and incomplete shard sets, before
    writing anything. Example: apsim-batch merge shard-1/ shard-2/ shard-3/ --out outputs/
    """
    from ..batch.merge import merge_outputs
    from .report import format_merge

    interrupted = "while merging; every manifest lists only complete files: run the same merge again."
    with user_errors(interrupted=interrupted):
        result = merge_outputs(sources, out)
    for line in format_merge(result):
        term.echo(line, err=line.startswith(term.FAIL))
    raise typer.Exit(0 if result.ok else 1)


app.command()(pack)  # cli/share.py
app.command()(export)  # cli/export.py
app.command()(serve)  # cli/serve.py
use_plain_help(app)  # last: every command registered above gets it
arrange(app)  # cli/panels.py: help panels and order by workflow


def main() -> None:
    """The entry point: the app, with terminals and pipes that cannot take every character or line."""
    guarded_main(app)
