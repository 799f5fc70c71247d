"""CLI layer: the typer commands, how results are reported, starter configs, schema and README reference generation.

`main` is the `apsim-batch` entry point and `app` the typer application (importing them stays light).
"""

from .commands import app, main

__all__ = ["app", "main"]
