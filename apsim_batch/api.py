"""The library API for notebooks and scripts: render one config and show the result inline."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config.load import LoadedConfig, load_config, validate_config
from .config.models import Config
from .errors import ApsimError
from .output.formats import FORMATS

# Larger animations are shown as their poster PNG, so a notebook does not carry tens of megabytes.
MAX_INLINE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Rendered:
    """One finished render: where its files are, what was measured, and its manifest.

    In Jupyter the result displays as the animation itself (embedded, so no file serving is needed).
    """

    name: str
    folder: Path
    files: dict[str, Path]
    measurements: dict[str, Any]
    manifest: dict[str, Any] = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def gif(self) -> Path | None:
        return self.files.get("gif")

    @property
    def mp4(self) -> Path | None:
        return self.files.get("mp4")

    @property
    def png(self) -> Path | None:
        return self.files.get("png")

    @property
    def csv(self) -> Path | None:
        return self.files.get("csv")

    def _repr_html_(self) -> str:
        title = str(self.manifest.get("parameters", {}).get("title") or self.name)
        image = next(
            (
                (path, FORMATS[fmt].mime)
                for fmt in ("gif", "png")  # the animation inline, else the poster
                if (path := self.files.get(fmt)) and path.is_file() and path.stat().st_size <= MAX_INLINE_BYTES
            ),
            None,
        )
        parts = [f"<div><strong>{html.escape(title)}</strong> <code>{html.escape(self.name)}</code></div>"]
        if image:
            data = base64.b64encode(image[0].read_bytes()).decode("ascii")
            parts.append(f'<img src="data:{image[1]};base64,{data}" alt="{html.escape(title, quote=True)}">')
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(_fmt(v))}</td></tr>"
            for k, v in self.measurements.items()
            if not isinstance(v, (dict, list))  # every spike and the stimulus: in .measurements and the manifest
        )
        if rows:
            parts.append(f"<details><summary>measurements</summary><table>{rows}</table></details>")
        files = ", ".join(f"<code>{html.escape(str(p))}</code>" for p in self.files.values())
        parts.append(f"<div>files: {files}</div>")
        parts += [f"<div><em>note: {html.escape(note)}</em></div>" for note in self.notes]
        return "".join(parts)


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else ("—" if value is None else str(value))


def _loaded(config_or_path: str | os.PathLike[str] | Config | LoadedConfig | Mapping[str, Any]) -> LoadedConfig:
    if isinstance(config_or_path, LoadedConfig):
        return config_or_path
    if isinstance(config_or_path, (str, os.PathLike)):
        return load_config(config_or_path)
    if isinstance(config_or_path, Mapping):
        config = validate_config(config_or_path, "<dict>")
        source = "<dict>"
    elif isinstance(config_or_path, Config):
        config, source = config_or_path, "<Config>"
    else:
        raise TypeError(f"render() takes a config path, a Config, a LoadedConfig or a dict, not {type(config_or_path)}")
    text = json.dumps(config.model_dump(mode="json"), sort_keys=True)
    return LoadedConfig(
        config=config,
        name=config.name or "untitled",
        source=source,
        source_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def render(
    config_or_path: str | os.PathLike[str] | Config | LoadedConfig | Mapping[str, Any],
    out: str | os.PathLike[str] = "outputs",
    formats: Sequence[str] | None = None,
) -> Rendered:
    """Render one config into `out/<name>/` and return its files and measurements.

    `config_or_path` is a YAML file, a `Config` (named by its `name`, else 'untitled'), a
    `LoadedConfig` or a plain dict of settings. `formats` limits the files, e.g. ['gif', 'png'].
    A config with a `variants` block renders many files: use `run_batch` for it. Unlike
    `run_batch`, this always renders and does not touch the top-level manifest or gallery.
    """
    from .batch.axis_groups import with_axis_groups
    from .output.render import render as render_one

    loaded = with_axis_groups([_loaded(config_or_path)])[0]  # a file of an axis group: its group's limits
    if getattr(loaded.config, "variants", None) is not None:
        raise ApsimError(f"{loaded.source}: this config is a variant set; render it with run_batch([...])")
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = render_one(loaded, out_dir, formats)
    return Rendered(
        name=result.name,
        folder=result.folder,
        files=result.files,
        measurements=dict(result.manifest.get("measurements") or {}),
        manifest=result.manifest,
        notes=result.notes,
    )
