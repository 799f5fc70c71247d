"""How failures reach the terminal: user errors, OS errors and interrupts as one line each, and an
entry point that survives terminals that cannot show every character and pipes that close early."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Iterator

import typer

from ..errors import EXIT_FAILED, EXIT_INTERRUPTED, ApsimError, Terminated
from . import term


@contextlib.contextmanager
def user_errors(
    on_error: Callable[[str, int], None] | None = None,
    *,
    interrupts: bool = True,
    verbose: bool = False,
    interrupted: str = "before rendering began; nothing was written.",
) -> Iterator[None]:
    """The one place a user-facing error becomes one message and its exit code (no traceback).

    An OSError here comes from the environment (a read-only or full disk, a path too long), not
    from a config: it is one line naming the path and the OS's reason, exit 1; `verbose` adds the
    traceback. With `interrupts`, Ctrl-C and SIGTERM are reported too: one that reaches here came
    before any rendering began (a run that started rendering returns its result instead).
    `on_error(message, exit_code)` is called first (`run --json` prints it as JSON).
    """
    caught = (ApsimError, OSError, KeyboardInterrupt, Terminated) if interrupts else (ApsimError, OSError)
    try:
        yield
    except caught as exc:
        if isinstance(exc, ApsimError):
            message, code = f"Error: {exc}", exc.exit_code
        elif isinstance(exc, OSError):
            message, code = f"Error: {os_error_line(exc)}", EXIT_FAILED
        else:
            signame = "SIGINT" if isinstance(exc, KeyboardInterrupt) else "SIGTERM"
            message, code = f"Interrupted ({signame}) {interrupted}", EXIT_INTERRUPTED[signame]
        if on_error is not None:
            on_error(message, code)
        if verbose and isinstance(exc, OSError):
            term.echo(traceback.format_exc().rstrip(), err=True)
        term.echo(message, err=True)
        raise typer.Exit(code) from None


def os_error_line(exc: OSError) -> str:
    """'outputs/a/a.gif: No space left on device' — the path and the OS's reason, nothing else."""
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where else reason


def guarded_main(app: Callable[[], None]) -> None:
    """Run the typer app; a latin-1 terminal gets escapes, a closed pipe ends quietly, a full one in one line."""
    for stream in (sys.stdout, sys.stderr):
        # A latin-1 or ASCII terminal gets '\u2713' instead of a UnicodeEncodeError traceback.
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    try:
        try:
            app()
        finally:
            sys.stdout.flush()  # output still buffered fails here, inside this guard, not at exit
    except BrokenPipeError:
        # `apsim-batch validate | head -1`: the reader left; say nothing more and flush nothing more.
        _silence_stdout()
        raise SystemExit(EXIT_FAILED) from None
    except OSError as exc:
        # Only writing our output gets here (user_errors turns every other OSError into its line):
        # `validate > /dev/full`. The output is lost; say so once, on stderr.
        _silence_stdout()
        with contextlib.suppress(OSError):
            sys.stderr.write(f"Error: cannot write to standard output: {exc.strerror or exc}\n")
            sys.stderr.flush()
        raise SystemExit(EXIT_FAILED) from None


def _silence_stdout() -> None:
    """Point stdout at the null device, so nothing more (the interpreter's last flush) fails on it."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
