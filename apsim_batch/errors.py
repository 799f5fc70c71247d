"""Every user-facing failure, each with its exit code; a problem is located data (file, line, field path).

The CLI converts these in one place (`cli.guard.user_errors`); anything else that escapes is a bug
and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = {"SIGINT": 130, "SIGTERM": 143}  # the shell's 128 + signal number

FieldPath = tuple[str | int, ...]


def field_path(path: FieldPath) -> str:
    """('waveform', 'components', 1, 'width_ms') -> 'waveform.components[1].width_ms'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located as precisely as we can.

    `path` is the field's location as a tuple (formatted only when printed); `context` names what
    the problem arose in when that is not the file alone, e.g. '--set waveform.resting_mv=5' or
    'variant v03'.
    """

    file: str
    message: str
    line: int | None = None
    path: FieldPath = ()
    context: str = ""

    @property
    def field(self) -> str:
        """The dotted field path, e.g. 'waveform.components[1].width_ms' ('' for the whole file)."""
        return field_path(self.path)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where, self.context, self.field, self.message]
        # One problem is one line: a file name or key with a newline or ESC must not forge another.
        return ": ".join(one_line(part) for part in parts if part)


def one_line(text: str) -> str:
    """`text` with control characters (newlines included) written as escapes like \\x0a."""
    if text.isprintable():
        return text
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 else c for c in text)


class FieldError(ValueError):
    """Raised by a model-level check to name the field at fault (relative to the model checked)."""

    def __init__(self, path: FieldPath, message: str):
        self.path = tuple(path)
        self.message = message
        super().__init__(message)


class ApsimError(Exception):
    """Base class for failures caused by user input or the environment; printed without a traceback."""

    exit_code = EXIT_FAILED


class UsageError(ApsimError):
    """The command line itself is wrong, e.g. a path that does not exist."""

    exit_code = EXIT_USAGE


class ScanError(ApsimError):
    """A folder of configs could not be read completely; nothing is rendered or pruned from a partial scan."""


class ConfigError(ApsimError):
    """A config file could not be read or validated; holds every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RenderError(ApsimError):
    """A valid config could not be rendered (for example an encoder failed)."""


class PlatformError(ApsimError):
    """This operating system lacks something apsim-batch needs (POSIX file locks, no-follow opens)."""


class LockedError(ApsimError):
    """Another run holds the outputs folder's lock."""


class OutputsFolderError(ApsimError):
    """The outputs folder cannot be used: --out names a file, a dangling link, or cannot be created."""


class UnsafePathError(ApsimError):
    """Something in the outputs folder is a link or special file apsim-batch did not make; nothing goes through it."""

    def __init__(self, path: object, why: str):
        self.path, self.why = path, why
        super().__init__(f"{path}: {why}")


class MergeError(ApsimError):
    """The folders given to merge cannot be combined (nothing was written)."""


class PackError(ApsimError):
    """A variant set cannot be packed (no such set, or a file differs from its manifest); nothing was written."""


class ExportError(ApsimError):
    """A variant set cannot be exported (no such set or target, no handouts, a file differs from its manifest)."""


class RecordingError(ApsimError):
    """A recorded trace (CSV or ABF) cannot be read: its file, line or column, and what is allowed."""


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM during a run (like KeyboardInterrupt)."""
