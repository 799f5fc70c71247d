"""`--help` in a teacher's words: no Python type names (`<str>`, `<path>`), no `{NAME}` braces, no false promises.

typer 0.29 prints each parameter's Python type beside it and wraps a required argument in braces in
the usage line; the help text of each option already says what it takes.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand

# `variants` writes nothing: its --student only previews the sets as `run --student` would treat them.
PreviewStudentOption = Annotated[
    bool,
    typer.Option(
        "--student",
        help="Show every set as a student set, as 'run --student' would render it (this command writes nothing).",
    ),
]


class PlainHelpCommand(TyperCommand):
    """A command whose parameters show their names (or metavars) only."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for param in self.params:
            # Options show a word for their value (`--out OUT`, or their metavar); arguments their name only.
            shown_value = None if isinstance(param, TyperArgument) else param.metavar or (param.name or "").upper()
            param.display_type_rich = lambda ctx, shown_value=shown_value: shown_value  # type: ignore[method-assign]
            if isinstance(param, TyperArgument):
                name = param.metavar or param.name.upper()
                shown = name if param.required else f"[{name}]"
                usage = shown + ("..." if param.nargs != 1 and not name.endswith("...") else "")
                param._usage_display_name = lambda usage=usage: usage  # type: ignore[method-assign]


def use_plain_help(app: typer.Typer) -> None:
    """Give every command of `app` that uses typer's own command class the plain help."""
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = PlainHelpCommand
