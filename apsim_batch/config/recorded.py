"""The `model: recorded` waveform: a recording's file (relative to the config), its units, sweep and window."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, StrictFloat, StrictInt, ValidationInfo, field_validator, model_validator

from ..errors import FieldError
from .base import Mv, StrictModel

MAX_RECORDING_BYTES = 256 * 1024 * 1024  # about ten million rows of CSV
RECORDING_SUFFIXES = (".csv", ".abf")


def recording_path(file: str, config_dir: str | os.PathLike[str] | None) -> Path:
    """The recording named in a config, relative to the config's folder (absolute paths stay)."""
    path = Path(file).expanduser()
    return path if path.is_absolute() else Path(config_dir or ".") / path


def check_recording_file(path: Path) -> None:
    """A regular file of bounded size (a FIFO would block a read, a huge file fill memory); ValueError if not."""
    try:
        info = path.stat()
    except OSError:
        raise ValueError(f"{path}: no such file (a recording's path is relative to the config file)") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path}: not a regular file")
    if info.st_size > MAX_RECORDING_BYTES:
        raise ValueError(f"{path}: {info.st_size:,} bytes, over the {MAX_RECORDING_BYTES:,} a recording may have")


def checked_sha256(path: Path) -> str:
    """The SHA-256 of a recording that passes `check_recording_file`."""
    check_recording_file(path)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class RecordedWaveform(StrictModel):
    """A membrane-voltage recording (CSV or ABF), resampled to the animation grid and measured like a model."""

    model: Literal["recorded"] = Field(description="Waveform model: 'recorded' (a recording from a file).")
    file: str = Field(
        max_length=1000,
        description="The recording, .csv (time and voltage columns) or .abf, relative to the config file.",
    )
    time_unit: Literal["s", "ms", "us"] | None = Field(
        None, description="CSV: the time column's unit, when its header does not say (e.g. 'time_ms')."
    )
    voltage_unit: Literal["V", "mV", "uV"] | None = Field(
        None, description="CSV: the voltage column's unit, when its header does not say (e.g. 'voltage_mv')."
    )
    sweep: StrictInt = Field(0, ge=0, le=100_000, description="ABF: the sweep to show (0 is the first).")
    start_ms: StrictFloat | None = Field(
        None,
        ge=-1e7,
        le=1e7,
        description="Start of the window shown, on the recording's clock, in ms (default: its"
        " first sample); the figure's time axis starts at 0 there.",
    )
    duration_ms: StrictFloat = Field(gt=0, le=10_000, description="Length of the window shown, in ms.")
    samples: StrictInt = Field(
        1000,
        ge=2,
        le=200_000,
        description="Samples of the animation grid over the window (a coarser grid averages"
        " the recorded samples around each point).",
    )
    resting_mv: Mv | None = Field(
        None,
        description="Resting potential, in mV, for the rest line and amplitudes (default: the level before the first"
        " spike).",
    )
    recording_sha256: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description="Set when the config is read: the recording's SHA-256, so editing the data re-renders (leave it"
        " out).",
    )

    @field_validator("file")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if Path(value).suffix.lower() not in RECORDING_SUFFIXES:
            raise ValueError(f"a recording must be a .csv or an .abf file (got {value!r})")
        return value

    @model_validator(mode="before")
    @classmethod
    def _read_file(cls, data: Any, info: ValidationInfo) -> Any:
        """Resolve the file against the config's folder and hash it: the hash is the data's identity."""
        if not isinstance(data, dict) or not isinstance(data.get("file"), str):
            return data
        if Path(data["file"]).suffix.lower() not in RECORDING_SUFFIXES:
            return data  # the field's own check says so
        path = recording_path(data["file"], (info.context or {}).get("config_dir"))
        try:
            digest = checked_sha256(path)
        except ValueError as exc:
            raise FieldError(("file",), str(exc)) from None
        return {**data, "file": os.path.abspath(path), "recording_sha256": digest}
