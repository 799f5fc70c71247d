"""Hostile input and faults: one clean line each, no traceback, nothing changed outside the outputs folder.

Every case runs the real command and checks four things: the exact one-line message, the exit
code, that no traceback was printed, and that a sentinel file next to the work folder (where a
planted link would point) is byte-identical afterwards.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apsim_batch.cli.commands import app
from apsim_batch.cli.term import MAX_LINE_CHARS, printable

from .conftest import ASSETS, CONFIGS, write

HOSTILE = ASSETS / "hostile"
SENTINEL_BYTES = b"teacher's notes: do not touch\n"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """stderr's lines, then stdout's (problems go to stderr, the summary to stdout)."""
        return self.err.splitlines() + self.out.splitlines()


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    """Run the CLI in tmp_path/work; afterwards the sentinel outside it must be unchanged."""
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_bytes(SENTINEL_BYTES)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    def invoke(*args: object) -> Ran:
        result = CliRunner().invoke(app, [str(a) for a in args])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        ran = Ran(result.exit_code, result.stdout, result.stderr)
        assert "Traceback" not in ran.out + ran.err
        return ran

    invoke.work = work  # type: ignore[attr-defined]
    invoke.sentinel = sentinel  # type: ignore[attr-defined]
    yield invoke
    assert sentinel.read_bytes() == SENTINEL_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sentinel.txt", "work"]


def asset(name: str, work: Path) -> Path:
    """A copy of a hostile fixture inside the work folder, so messages show a short relative path."""
    target = work / "configs" / name
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(HOSTILE / name, target)
    return Path("configs") / name


# --- config files that must fail alone, located -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nul_byte.yaml", "1: control character U+0000 is not allowed in a config"),
        ("bell.yaml", "2: control character U+0007 is not allowed in a config"),
        ("escape_sequence.yaml", "1: title: control character U+001B is not allowed in a config"),
        ("huge_integer.yaml", "2: animation.fps: a whole number of 5,000 digits; at most 100 are read"),
        ("str_tag.yaml", "1: YAML tag 'tag:yaml.org,2002:str' is not allowed; use plain values"),
        (
            "newline_name.yaml",
            "1: name: may use only letters, digits, '.', '_' and '-' (start with a letter or digit, at most 80)"
            " (got 'evil\\n')",
        ),
        ("forged_key.yaml", "1: keys must be names, not 'x\\n✓ forged: rendered'"),
        (
            "subnormal_width.yaml",
            "3: waveform.components[0].width_ms: must be at least 1e-150: a narrower Gaussian's sigma² is 0 in"
            " floating point, which makes the trace not a number (got 5e-324)",
        ),
        (
            "flat_random.yaml",
            "3: variants.count: random mode draws distinct variants, and after rounding these fields allow only 1"
            " (got count 2)",
        ),
        (
            "rounded_random.yaml",
            "3: variants.count: random mode draws distinct variants, and after rounding these fields allow only 2"
            " (got count 3)",
        ),
    ],
)
def test_hostile_config_is_one_located_line(hostile, name, message):
    path = asset(name, hostile.work)
    started = time.perf_counter()
    ran = hostile("validate", path)
    assert time.perf_counter() - started < 10  # planning is bounded: no spinning on a flat range
    assert ran.code == 1
    assert ran.lines == [f"✗ {path}:{message}", "0 valid, 1 invalid"]


def test_one_bad_config_fails_alone_in_a_run(hostile):
    bad = asset("huge_integer.yaml", hostile.work)
    good = write(
        hostile.work / "configs" / "ok.yaml", "waveform: {samples: 20}\nanimation: {fps: 10}\noutputs: [csv]\n"
    )
    ran = hostile("run", "configs", "--out", "out")
    assert ran.code == 1
    assert f"✗ {bad}:2: animation.fps: a whole number of 5,000 digits; at most 100 are read" in ran.lines
    assert (hostile.work / "out" / "ok" / "trace.csv").is_file()
    assert good.is_file()


def test_fifo_config_is_refused_without_blocking(hostile):
    fifo = hostile.work / "configs" / "pipe.yaml"
    fifo.parent.mkdir()
    import os

    os.mkfifo(fifo)
    ran = hostile("validate", fifo.relative_to(hostile.work))
    assert ran.code == 1
    assert ran.lines == ["✗ configs/pipe.yaml: not a regular file", "0 valid, 1 invalid"]


# --- valid configs that render: text is data -----------------------------------------------------


def test_equals_sign_title_is_text(hostile):
    path = asset("equals_title.yaml", hostile.work)
    ran = hostile("validate", path)
    assert (ran.code, ran.lines) == (0, [f"✓ {path}: valid (equals_title)", "1 valid, 0 invalid"])


def test_dollar_signs_are_drawn_literally(hostile):
    """'$5 and $10' would be mathtext (italic, spaces eaten); one '$' would fail the render."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from apsim_batch.config.load import load_config
    from apsim_batch.figure.layout import user_text

    path = asset("dollar_title.yaml", hostile.work)
    ran = hostile("run", path, "--out", "out")
    assert ran.code == 0 and (hostile.work / "out" / "dollar_title" / "dollar_title.png").is_file()
    # What matplotlib does with the properties the figure uses: no math for "$5 and $10" ...
    config = load_config(hostile.work / path).config
    fig = Figure()
    text = fig.text(0, 0, config.title, **user_text(config))
    assert text._preprocess_math(text.get_text()) == ("$5 and $10", False)
    # ... and mathtext again when the config asks for it.
    asked = config.model_copy(update={"plot": config.plot.model_copy(update={"math_text": True})})
    text = fig.text(0, 0, "$\\alpha$", **user_text(asked))
    assert text._preprocess_math(text.get_text()) == ("$\\alpha$", True)


# --- terminal hygiene ---------------------------------------------------------------------------


def test_problem_lines_are_capped_per_file(hostile):
    path = write(hostile.work / "many.yaml", "".join(f"k{i}: 1\n" for i in range(5000)))
    ran = hostile("validate", path.name)
    assert ran.code == 1
    allowed = "(allowed: animation, name, outputs, plot, title, variants, waveform)"
    assert ran.lines == [
        *[f"✗ many.yaml:{i + 1}: k{i}: unknown key {allowed}" for i in range(20)],
        "✗ and 4,980 more",
        "0 valid, 1 invalid",
    ]


def test_a_huge_key_gives_a_capped_line(hostile):
    write(hostile.work / "long.yaml", "? " + "k" * 1_000_000 + "\n: 1\n")
    ran = hostile("validate", "long.yaml")
    assert ran.code == 1
    allowed = "(allowed: animation, name, outputs, plot, title, variants, waveform)"
    full = "✗ long.yaml:1: " + "k" * 1_000_000 + f": unknown key {allowed}"
    capped = full[:MAX_LINE_CHARS] + f"… ({len(full) - MAX_LINE_CHARS:,} more characters)"
    assert ran.lines == [capped, "0 valid, 1 invalid"]


def test_control_characters_are_escaped_when_printed():
    assert printable("a\x1b]0;x\x07b\u202ec\nd") == "a\\x1b]0;x\\x07b\\u202ec\\x0ad"
    assert printable("plain ✓ text") == "plain ✓ text"


def test_a_file_name_cannot_forge_a_line(hostile):
    folder = hostile.work / "configs"
    write(folder / "x\x1b[32m\n✓ forged.yaml", "waveform: {samples: 1}\n")
    ran = hostile("validate", "configs")
    assert ran.code == 1
    assert "\x1b" not in ran.out + ran.err
    assert ran.lines[-1] == "0 valid, 1 invalid"
    assert not any(line.startswith("✓") for line in ran.lines)


def test_shipped_classic_still_validates(hostile):
    ran = hostile("validate", CONFIGS / "classic.yaml")
    assert ran.code == 0
