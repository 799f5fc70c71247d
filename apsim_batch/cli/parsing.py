"""Option values shared by several commands, parsed once: --format."""

from __future__ import annotations

import typer


def parse_formats(value: str | None) -> list[str] | None:
    """`--format gif,png` as a list of known formats (None: each config's own outputs)."""
    if value is None:
        return None
    from ..config.models import OUTPUT_FORMATS

    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in OUTPUT_FORMATS]
    if unknown or not chosen:
        raise typer.BadParameter(f"use a comma-separated list of {', '.join(OUTPUT_FORMATS)} (got {value!r})")
    return chosen
