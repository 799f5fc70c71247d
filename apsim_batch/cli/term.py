"""Terminal output: one set of symbols and colours, plain text when not a terminal or NO_COLOR is set.

Text from configs and file names is data: every line printed here has its control characters
escaped (so an ESC or OSC sequence cannot recolour, retitle or forge a line) and is capped in length.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from typing import IO

import typer

OK, FAIL, SKIP, NOTE = "✓", "✗", "·", "note:"

# The colour of a line follows its leading symbol, so every command colours the same way.
_COLOURS = {OK: "green", FAIL: "red", SKIP: "bright_black", NOTE: "yellow", "Error:": "red", "Failures:": "red"}
MAX_LINE_CHARS = 400  # a 1 MB key must not become a 1 MB line
# Characters that reorder or hide text on a terminal without being control characters.
_INVISIBLE = frozenset(
    "\u061c\u200b\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)


def printable(text: str) -> str:
    """`text` with every control character (newlines too) and bidi override written as an escape."""
    if text.isprintable():
        return text
    return "".join(_escape(char) for char in text)


def _escape(char: str) -> str:
    if char == " " or not (unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _INVISIBLE):
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str, limit: int = MAX_LINE_CHARS) -> str:
    """`text` escaped to one printable line of about `limit` characters, saying how much was cut.

    The cut is in the middle: a line starts with where (a path, a key) and ends with why, and a
    long path must not push the reason off the line.
    """
    line = printable(text)
    if len(line) <= limit:
        return line
    head = limit // 4
    return f"{line[:head]}…({len(line) - limit:,} characters cut)…{line[head - limit :]}"


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


def clean(text: str) -> str:
    """Each line of `text` made safe to print: escaped and capped (newlines between lines are kept)."""
    return "\n".join(one_line(line) for line in text.split("\n"))


def echo(line: str, err: bool = False) -> None:
    """Print a line (or lines) to stdout or stderr, escaped and capped, coloured when that stream is a terminal."""
    stream = sys.stderr if err else sys.stdout
    typer.echo(style(clean(line), use_colour(stream)), err=err, color=use_colour(stream))
