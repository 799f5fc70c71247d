"""The documentation site builds strictly with its generated parts, and its synopsis is the CLI's own."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from apsim_batch.cli.commands import app

from .conftest import ROOT

CLI_PAGE = ROOT / "docs" / "reference" / "cli.md"
SYNOPSIS_LINE = re.compile(r"^( *)(\S.*?)(?: {2,}.*)?$")


def synopsis(text: str) -> dict[str, set[str]]:
    """Commands and their options from the ```text blocks whose lines start with `apsim-batch` ('' is the app's own)."""
    found: dict[str, set[str]] = {}
    for block in re.findall(r"```text\n(.*?)```", text, re.S):
        if not block.startswith("apsim-batch "):
            continue
        command = ""
        for line in block.splitlines():
            indent, usage = SYNOPSIS_LINE.match(line).groups()
            words = usage.split()
            if not indent and words and words[0] == "apsim-batch":
                command = "" if words[1].startswith("-") else words[1]
                found.setdefault(command, set())
            if indent or usage.startswith("apsim-batch"):
                found[command] |= {w.split("=")[0] for w in words if w.startswith("--")}
    return found


def actual() -> dict[str, set[str]]:
    group = get_command(app)
    root = group.make_context("apsim-batch", [], resilient_parsing=True)

    def options(command, ctx) -> set[str]:
        names = {o for p in command.get_params(ctx) for o in (*p.opts, *p.secondary_opts) if o.startswith("--")}
        return names - {"--help"}

    out = {"": options(group, root)}
    for name, command in group.commands.items():
        out[name] = options(command, command.make_context(name, [], parent=root, resilient_parsing=True))
    return out


def test_the_cli_pages_synopsis_is_exactly_the_help():
    """Every command and option of the synopsis exists in --help, and every one of --help is in the synopsis."""
    assert synopsis(CLI_PAGE.read_text(encoding="utf-8")) == actual()


def test_the_readmes_tour_names_only_real_commands_and_options():
    real = actual()
    tour = synopsis((ROOT / "README.md").read_text(encoding="utf-8"))
    assert tour, "the README's tour has no apsim-batch block"
    for command, options in tour.items():
        assert command in real, f"README: no command {command!r}"
        assert options - {"--help"} <= real[command], f"README: {command} has no {options - real[command]}"


def test_the_synopsis_reader_sees_a_missing_option():
    """The check can fail: an option dropped from the page, or one the page invents, shows up."""
    text = CLI_PAGE.read_text(encoding="utf-8")
    assert synopsis(text.replace("    --prune ", "    --prune-all ")) != actual()
    assert synopsis(text.replace("    --dest DIR", "    --dst DIR")) != actual()


@pytest.mark.slow
def test_the_site_builds_strictly_with_its_generated_pages(tmp_path):
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or pytest.skip("mkdocs not installed")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("classic", "no_ahp", "broad_spike", "deep_ahp", "subthreshold"):  # rendered by docs/hooks.py
        assert (site / "figures" / f"{name}.png").read_bytes().startswith(b"\x89PNG"), name
    shipped = (site / "reference" / "shipped-configs" / "index.html").read_text(encoding="utf-8")
    assert 'src="../../figures/classic.png"' in shipped
    config = (site / "reference" / "config" / "index.html").read_text(encoding="utf-8")
    assert "waveform.components[].width_ms" in config
    cli = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    for name in get_command(app).commands:  # every command's generated section, with its options
        assert f'id="{name}"' in cli, name
    assert "<!-- cli-reference -->" not in cli and "needs apsim-batch[dask]" in cli
    ci = (site / "how-to" / "ci" / "index.html").read_text(encoding="utf-8")
    assert "<!-- file:" not in ci and "GITHUB_ACTION_PATH" in ci  # examples/ci/render.yml and action.yml, whole
    assert not (site / "hooks.py").exists()


def yaml_blocks() -> list[tuple[str, str]]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [
        (f"{page.relative_to(ROOT)}", code)
        for page in pages
        for code in re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    ]


def test_every_config_shown_in_the_docs_is_valid():
    """A yaml block that is a config (only config keys, nothing elided with '...') validates as written."""
    from apsim_batch.config.models import Config
    from apsim_batch.config.yamlsafe import parse_yaml

    checked = []
    for where, code in yaml_blocks():
        if "..." in code or code.lstrip().startswith("-"):
            continue  # a fragment of a workflow, or a config with parts left out on purpose
        data = parse_yaml(code, where)[0]
        if isinstance(data, dict) and (data.get("waveform") or {}).get("model") in ("axon", "voltage_clamp"):
            continue  # the experiments' own models check these (tests/test_experiment_examples.py) until they render
        if isinstance(data, dict) and set(data) <= set(Config.model_fields):
            Config.model_validate(data)
            checked.append(where)
    assert {"README.md", "docs/tutorial/change-the-spike.md", "docs/how-to/editor.md"} <= set(checked), checked
