"""User-facing errors: each problem prints as one line naming file, line and field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located as precisely as we can."""

    file: str
    message: str
    line: int | None = None
    field: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ApsimError(Exception):
    """Base class for failures caused by user input; the CLI prints them without a traceback."""


class ConfigError(ApsimError):
    """A config file could not be read or validated; holds every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RenderError(ApsimError):
    """A valid config could not be rendered (for example an encoder failed)."""
