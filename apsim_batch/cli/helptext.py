"""`--help` in a teacher's words: no Python type names (`<str>`, `<path>`), no `{NAME}` braces, no false promises.

typer 0.29 prints each parameter's Python type beside it and wraps a required argument in braces in
the usage line; the help text of each option already says what it takes. Help is shown by rich (panels),
but read literally: a `[dask]` in a help text is text, not markup.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.exceptions import UsageError  # typer 0.29 carries its own click
from typer.core import TyperArgument, TyperCommand, TyperGroup

# `variants` writes nothing: its --student only previews the sets as `run --student` would treat them.
PreviewStudentOption = Annotated[
    bool,
    typer.Option(
        "--student",
        help="Show every set as a student set, as 'run --student' would render it (this command writes nothing).",
    ),
]


def _range_words(param: Any) -> str:
    """A number range in words ("at least 1", "0.05 to 60") instead of click's "x>=1"."""
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}" if high is not None else ""


def literal(text: str | None) -> str | None:
    """Help text as written: paragraphs reflowed (rich keeps single newlines), brackets not read as markup."""
    if text is None:
        return None
    from rich.markup import escape  # only when help is shown: rich costs ~20 ms at start-up

    paragraphs = inspect.cleandoc(text).split("\n\n")
    return escape("\n\n".join(" ".join(p.split()) for p in paragraphs))


def plain(param: Any) -> Any:
    """Show a parameter by its name (or metavar) only: a flag shows nothing beside it, a range in words."""
    if getattr(param, "_apsim_plain", False):
        return param
    param._apsim_plain = True
    if isinstance(param, TyperArgument):
        name = param.metavar or param.name.upper()
        shown = name if param.required else f"[{name}]"
        usage = shown + ("..." if param.nargs != 1 and not name.endswith("...") else "")
        param._usage_display_name = lambda usage=usage: usage
        shown_value = None
    else:  # options show a word for their value (`--out OUT`, or their metavar); flags none
        flag = getattr(param, "is_flag", False) or getattr(param, "count", False)
        shown_value = None if flag else param.metavar or (param.name or "").upper()
    param.display_type_rich = lambda ctx, shown_value=shown_value: shown_value
    param._get_number_range_help_str = lambda param=param: _range_words(param)
    return param


def read_literally(command: Any, ctx: Any) -> None:
    """Make the help texts of a command and its parameters literal, once, when its help is about to be shown."""
    if not getattr(command, "_apsim_literal", False):
        command._apsim_literal = True
        command.help = literal(command.help)
        for param in command.get_params(ctx):
            param.help = literal(param.help)


class PlainHelpCommand(TyperCommand):
    """A command whose help is read literally and whose parameters show their names (or metavars) only."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        read_literally(self, ctx)
        super().format_help(ctx, formatter)

    def get_params(self, ctx: Any) -> list[Any]:
        return [plain(param) for param in super().get_params(ctx)]

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        given = list(args)  # the parser consumes the list it is given
        try:
            return super().make_context(info_name, args, parent, **extra)
        except UsageError as error:
            # A pipeline that asked for --json reads stdout: it gets the summary there even for a usage
            # mistake; click still prints its plain "Error: ..." line on stderr and exits with 2.
            if "--json" in given and any(param.name == "json_summary" for param in self.params):
                print_json_usage_error(given, error)
            raise


def print_json_usage_error(args: list[str], error: UsageError) -> None:
    """`run --json` with an option click refused: the run's error summary on stdout, exit code 2."""
    import json

    from .report import format_json_error

    out = "outputs"
    for index, arg in enumerate(args):  # the folder it would have written to, when it can be read
        if arg in ("--out", "-o") and index + 1 < len(args):
            out = args[index + 1]
        elif arg.startswith("--out="):
            out = arg.removeprefix("--out=")
    summary = format_json_error(Path(out), error.format_message(), error.exit_code)
    typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))


class PlainHelpGroup(TyperGroup):
    """The top-level help: read literally, its options (--version, --help, completion) shown as flags."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        for command in [self, *self.commands.values()]:  # the command list shows each one's summary
            read_literally(command, ctx)
        super().format_help(ctx, formatter)

    def get_params(self, ctx: Any) -> list[Any]:
        return [plain(param) for param in super().get_params(ctx)]

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Help is rich; a usage mistake stays click's plain lines ending in one "Error: ..." line, not a box.
        from typer.core import _main

        return _main(self, *args, **{**kwargs, "rich_markup_mode": None})


def use_plain_help(app: typer.Typer) -> None:
    """Give every command of `app` that uses typer's own command class the plain help."""
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = PlainHelpCommand
