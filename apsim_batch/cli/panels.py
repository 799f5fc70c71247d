"""The commands' order and help panels, following a teacher's work: edit, render, share, scale."""

from __future__ import annotations

import typer
from typer.main import get_command_name

# Panel -> its commands, in the order `--help` lists them. A command missing here is listed last,
# under typer's "Commands" panel (a test fails until it is placed).
WORKFLOW: dict[str, tuple[str, ...]] = {
    "Edit": ("new", "validate", "schema", "variants"),
    "Render": ("run", "watch", "serve"),
    "Share": ("pack", "export"),
    "Scale": ("merge",),  # merge combines the outputs of `run --shard` jobs
}
ORDER = [name for names in WORKFLOW.values() for name in names]
PANEL = {name: panel for panel, names in WORKFLOW.items() for name in names}


def command_name(info: typer.models.CommandInfo) -> str:
    return info.name or get_command_name(info.callback.__name__)  # type: ignore[union-attr]


def arrange(app: typer.Typer) -> None:
    """Put every registered command of `app` in its panel and in the workflow's order."""
    for info in app.registered_commands:
        info.rich_help_panel = PANEL.get(command_name(info), info.rich_help_panel)
    app.registered_commands.sort(key=lambda info: ORDER.index(name) if (name := command_name(info)) in PANEL else 99)
