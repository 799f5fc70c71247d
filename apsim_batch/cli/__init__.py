"""CLI layer: the typer commands, how results are reported, starter configs, schema and README reference generation.

`main` is the `apsim-batch` entry point and `app` the typer application. Both are imported on first
use, so a Ctrl-C while the commands are still importing is one line, not a traceback.
"""

from __future__ import annotations

from typing import Any

__all__ = ["app", "main"]

INTERRUPTED_AT_START = "Interrupted (SIGINT) while starting; nothing was written."


def main() -> None:
    """Run the `apsim-batch` command."""
    import sys

    try:
        from .commands import main as run_command
    except KeyboardInterrupt:
        print(INTERRUPTED_AT_START, file=sys.stderr)
        raise SystemExit(130) from None
    try:
        run_command()
    except KeyboardInterrupt:  # before a command's own handling began (e.g. while parsing arguments)
        print(INTERRUPTED_AT_START, file=sys.stderr)
        raise SystemExit(130) from None


def __getattr__(name: str) -> Any:
    if name == "app":
        from .commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
