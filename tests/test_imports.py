"""`apsim-batch --help` and `validate` stay fast: they never import the rendering libraries."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import ROOT

HEAVY = ("matplotlib", "scipy", "imageio", "imageio_ffmpeg", "PIL")

# Run the real entry point, then list which heavy top-level packages ended up in sys.modules.
PROBE = """
import sys
from apsim_batch.cli.commands import main
sys.argv = ["apsim-batch", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
print("EXIT", code, file=sys.stderr)
print("HEAVY", ",".join(loaded), file=sys.stderr)
"""


def heavy_imports(*args: str) -> tuple[list[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stderr.splitlines()
    exit_line = next(line for line in lines if line.startswith("EXIT "))
    heavy_line = next(line for line in lines if line.startswith("HEAVY"))
    return [name for name in heavy_line.removeprefix("HEAVY").strip().split(",") if name], exit_line


@pytest.mark.parametrize(
    "args",
    [("--help",), ("run", "--help"), ("serve", "--help"), ("validate", "configs/"), ("--version",)],
    ids=["help", "run-help", "serve-help", "validate", "version"],
)
def test_fast_commands_do_not_import_rendering_libraries(args):
    loaded, exit_line = heavy_imports(*args)
    assert exit_line in ("EXIT 0", "EXIT None"), exit_line
    assert loaded == [], f"apsim-batch {' '.join(args)} imported {loaded}"


@pytest.mark.slow
def test_probe_sees_heavy_imports(tmp_path):
    """The probe can fail: a real render (in-process: --jobs 1) imports the rendering libraries."""
    loaded, exit_line = heavy_imports(
        "run", "configs/classic.yaml", "--format", "png", "--jobs", "1", "--out", str(tmp_path)
    )
    assert exit_line in ("EXIT 0", "EXIT None"), exit_line
    assert {"matplotlib", "PIL"} <= set(loaded), loaded
