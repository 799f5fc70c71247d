"""`--help` in words and panels by workflow, `run` pointing at the gallery, `variants --student` not promising files."""

from __future__ import annotations

import inspect
import re

import pytest

from apsim_batch.cli.commands import app
from apsim_batch.cli.panels import ORDER, PANEL, WORKFLOW

from .conftest import CONFIGS, copy_config

COMMANDS = ["run", "validate", "variants", "watch", "new", "schema", "merge"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_no_python_type_names_or_braces(cli, command):
    code, out, _ = cli(command, "--help")
    assert code == 0
    assert not re.search(r"<[a-z_\[\]|., A-Z]+>|\{[A-Za-z_]+\}|\bNone\b", out), out


def test_new_help_reads_as_words(cli):
    out = cli("new", "--help")[1]
    assert re.search(r"^ Usage: \S+ new \[OPTIONS\] NAME *$", out, re.M), out
    assert re.search(r"^│ --from +TEMPLATE +Template to start from", out, re.M), out


def flat(out: str) -> str:
    """The help's words in order, without rich's box lines and wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", out).split())


def test_variants_student_does_not_offer_to_write_handouts(cli):
    out = flat(cli("variants", "--help")[1])
    student = out[out.index("--student") :].split("--help")[0]
    assert "write" not in student.replace("writes nothing", ""), student


def test_run_says_where_the_gallery_is(cli, tmp_path):
    copy_config("subthreshold.yaml", tmp_path / "configs", CONFIGS)
    code, out, _ = cli("run", "configs", "--jobs", "1", "--format", "png", cwd=tmp_path)
    assert code == 0
    assert out.splitlines()[-1] == "gallery: outputs/index.html (open it in a browser)"
    code, out, _ = cli("run", "configs", "--jobs", "1", "--json", cwd=tmp_path)
    assert "gallery" not in out  # --json prints the JSON only


# --- rich help: panels by workflow, every text shown whole and literally ------------------------------


def commands() -> dict[str, object]:
    from typer.main import get_command

    return get_command(app).commands


def test_commands_are_listed_by_workflow_in_their_panels(cli):
    """Every command sits in a panel of cli/panels.py, and --help lists them in the workflow's order."""
    out = cli("--help")[1]
    assert set(commands()) <= set(PANEL), f"place these in cli/panels.py: {set(commands()) - set(PANEL)}"
    listed = re.findall(r"^│ ([a-z][a-z-]*) {2,}", out, re.M)
    assert listed == [name for name in ORDER if name in commands()], out
    titles = re.findall(r"^╭─ (\w+) ─", out, re.M)
    assert titles == ["Options"] + [panel for panel, names in WORKFLOW.items() if set(names) & set(commands())]


def test_every_summary_and_help_text_is_shown_whole_and_literally(cli):
    """No '...' cut, no [text] eaten as rich markup: each summary, description and option help, word for word."""
    top = flat(cli("--help")[1])
    for name, command in commands().items():
        paragraphs = [" ".join(p.split()) for p in inspect.cleandoc(command.callback.__doc__).split("\n\n")]
        assert paragraphs[0] in top, f"{name}: summary {paragraphs[0]!r} not whole in --help"
        assert "\n" not in paragraphs[0] and paragraphs[0].endswith("."), name
        own = flat(cli(name, "--help")[1])
        for text in paragraphs + [" ".join(p.help.split()) for p in command.params if p.help]:
            assert text.replace("\\[", "[") in own, f"{name} --help lost {text!r}"


@pytest.mark.parametrize("args", [(), ("run",), ("pack",)])
def test_help_without_a_terminal_is_plain_text(cli, args):
    out = cli(*args, "--help")[1]
    assert "\x1b[" not in out  # no colours or cursor movement
    assert all(ch == "\n" or ch.isprintable() for ch in out)
