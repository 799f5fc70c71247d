"""The `serve` command: the gallery on localhost, re-rendered and reloaded when a config is saved."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import term


def serve(
    paths: Annotated[
        Optional[list[Path]],  # noqa: UP045 - typer needs Optional here
        typer.Argument(help="Config files or folders (searched recursively). Default: configs/.", show_default=False),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write outputs into and serve.")] = Path("outputs"),
    format: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", "-f", help="Only write these formats, e.g. 'gif,png' (faster while editing)."),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="The port to serve on; 0 picks a free one.")
    ] = 8000,
    host: Annotated[
        str,
        typer.Option("--host", help="The address to listen on; 127.0.0.1 is this computer only."),
    ] = "127.0.0.1",
    interval: Annotated[
        float, typer.Option("--interval", min=0.05, max=60, help="Seconds between checks for saved files.")
    ] = 0.5,
) -> None:
    """Watch, and serve the gallery on localhost: open pages reload after each save (Ctrl-C to stop).

    Example: apsim-batch serve configs/ --format gif,png   (then open http://127.0.0.1:8000/)
    """
    from ..batch.serve import serve as serve_loop
    from .guard import user_errors  # the one place errors become messages and exit codes
    from .parsing import parse_formats  # the same --format parsing as run and watch
    from .report import print_outcome

    chosen = parse_formats(format)

    report = print_outcome(out)

    try:
        with user_errors(interrupts=False):
            serve_loop(
                paths or [Path("configs")],
                out,
                host=host,
                port=port,
                formats=chosen,
                on_outcome=report,
                echo=term.echo,
                interval_s=interval,
            )
    except KeyboardInterrupt:
        term.echo("stopped serving")
