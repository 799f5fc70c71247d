"""MkDocs hooks: the reference pages' generated parts and the shipped figures, made at build time.

The config table comes from the pydantic models and the command reference from the typer app
(`apsim_batch/cli/reference.py`); a `<!-- file: PATH -->` line becomes that repository file's text
(the CI workflow and the action, as shipped); a few fast shipped configs are rendered to PNG with the
library and added to the site as `figures/<name>.png`, so the pictures are always this version's.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ("classic", "no_ahp", "broad_spike", "deep_ahp", "subthreshold")  # Gaussian: about a second each
CLI_MARK = "<!-- cli-reference -->"
FILE_MARK = re.compile(r"^<!-- file: ([\w./-]+) -->$", re.M)  # a repository file shown whole, as it is now
_rendered: list[Path] = []


def on_files(files: Files, config) -> Files:
    from apsim_batch import render

    out = Path(tempfile.mkdtemp(prefix="apsim-batch-docs-"))
    _rendered.append(out)
    for name in FIGURES:
        result = render(ROOT / "configs" / f"{name}.yaml", out=out, formats=["png"])
        files.append(File.generated(config, f"figures/{name}.png", abs_src_path=str(result.files["png"])))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    from apsim_batch.cli.cli_reference import cli_markdown
    from apsim_batch.cli.reference import END, START, reference_markdown

    if START in markdown:
        head, _, rest = markdown.partition(START)
        markdown = f"{head}{START}\n{reference_markdown()}{END}{rest.partition(END)[2]}"
    markdown = FILE_MARK.sub(_file_block, markdown)
    return markdown.replace(CLI_MARK, cli_markdown()) if CLI_MARK in markdown else markdown


def _file_block(match: re.Match) -> str:
    path = ROOT / match.group(1)
    language = {".yml": "yaml", ".yaml": "yaml", ".py": "python"}.get(path.suffix, "text")
    return f"```{language}\n{path.read_text(encoding='utf-8').rstrip()}\n```"


def on_post_build(config) -> None:
    while _rendered:
        shutil.rmtree(_rendered.pop(), ignore_errors=True)
