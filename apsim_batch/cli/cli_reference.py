"""The command-line reference for the docs site: every command's usage, help and parameters, from the typer app.

It sits above `cli/commands.py` (it reads the app), so the config reference below it never imports the app.
"""

from __future__ import annotations

import inspect
import typing

from typer.main import get_command

from .commands import app
from .panels import PANEL
from .reference import table_cell


def _option_row(param: typing.Any) -> str:
    argument = param.param_type_name == "argument"
    names = f"`{param.metavar or param.name.upper()}`" if argument else ", ".join(f"`{n}`" for n in param.opts)
    flag = getattr(param, "is_flag", False)
    value = "" if flag or argument else f"`{param.metavar or param.name.upper()}`"
    default = param.default if getattr(param, "show_default", None) is not False else None
    shown = (
        "" if default in (None, False, ()) or flag else f"`{default.value if hasattr(default, 'value') else default}`"
    )
    return f"| {names} | {value} | {table_cell(param.help or '')} | {shown} |"


def cli_markdown() -> str:
    """Every command of `apsim-batch`, in its --help order: usage, description, a table of its parameters."""
    group = get_command(app)
    root = group.make_context("apsim-batch", [], resilient_parsing=True)
    out = []
    for name, command in group.commands.items():
        ctx = command.make_context(name, [], parent=root, resilient_parsing=True)
        usage = " ".join(["apsim-batch", name, *command.collect_usage_pieces(ctx)])
        paragraphs = [table_cell(p) for p in inspect.cleandoc(command.help or "").split("\n\n")]
        out += [f"### {name}", "", f"*{PANEL.get(name, 'Commands')}* · `{usage}`", ""]
        out += [line for paragraph in paragraphs for line in (paragraph, "")]
        out += ["| parameter | value | meaning | default |", "| --- | --- | --- | --- |"]
        out += [_option_row(param) for param in command.get_params(ctx)] + [""]
    return "\n".join(out)
