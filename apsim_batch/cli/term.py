"""Terminal output: one set of symbols and colours, plain text when not a terminal or NO_COLOR is set."""

from __future__ import annotations

import os
import sys
from typing import IO

import typer

OK, FAIL, SKIP, NOTE = "✓", "✗", "·", "note:"

# The colour of a line follows its leading symbol, so every command colours the same way.
_COLOURS = {OK: "green", FAIL: "red", SKIP: "bright_black", NOTE: "yellow", "Error:": "red", "Failures:": "red"}


def use_colour(stream: IO[str] | None = None) -> bool:
    """Colour only on a real terminal, and never when NO_COLOR is set (https://no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def style(line: str, colour: bool) -> str:
    """`line` coloured by its leading symbol when `colour` is true; otherwise unchanged."""
    if not colour:
        return line
    head = line.lstrip().split(" ", 1)[0]
    fg = _COLOURS.get(head)
    return typer.style(line, fg=fg) if fg else line


def echo(line: str, err: bool = False) -> None:
    """Print one line to stdout (or stderr), coloured when that stream is a terminal."""
    stream = sys.stderr if err else sys.stdout
    typer.echo(style(line, use_colour(stream)), err=err, color=use_colour(stream))
