"""Manifest helpers that the renders rely on."""

from __future__ import annotations

import pytest

from apsim_batch.output import manifest
from apsim_batch.output.manifest import versions, versions_soon


def test_versions_soon_gives_the_same_versions():
    assert versions_soon()() == versions()
    assert versions()["ffmpeg"]


def test_versions_soon_reraises_a_failure(monkeypatch):
    def broken() -> dict[str, str]:
        raise RuntimeError("no ffmpeg")

    monkeypatch.setattr(manifest, "versions", broken)
    wait = versions_soon()
    with pytest.raises(RuntimeError, match="no ffmpeg"):
        wait()
