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


# --- the typed manifest ------------------------------------------------------------------------


def test_every_render_manifest_written_reads_back_typed_with_the_same_json(tmp_path):
    """The typed model round-trips what a render writes (same keys, same values), and reports nothing."""
    import json

    from apsim_batch.batch.run import run_batch
    from apsim_batch.output.manifest import load_render_manifest

    from .conftest import write

    write(tmp_path / "configs" / "a.yaml", "waveform: {samples: 60}\nanimation: {samples_per_frame: 10}\n")
    assert run_batch([tmp_path / "configs"], tmp_path / "out", jobs=1, timeout_s=None, formats=["png", "csv"]).ok
    path = tmp_path / "out" / "a" / "manifest.json"
    found = load_render_manifest(path)
    assert found.problems == ()
    assert found.manifest.data() == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("edit", "reported"),
    [
        (lambda m: {**m, "from_the_future": 1}, "unknown field 'from_the_future'; kept as it is"),
        (lambda m: {**m, "files": [{**m["files"][0], "sha256": "not a hash"}]}, "files.0.sha256: String should match"),
        (lambda m: {**m, "files": [{**m["files"][0], "path": "../../etc/passwd"}]}, "files.0.path: Value error, must"),
        (lambda m: {**m, "name": 7}, "name: Input should be a valid string"),
        (lambda m: [m], "not a readable manifest; ignored"),
    ],
)
def test_a_bad_or_unknown_field_in_a_found_manifest_is_reported_never_fatal(tmp_path, edit, reported):
    import json

    from apsim_batch.batch.run import run_batch

    from .conftest import write

    write(tmp_path / "configs" / "a.yaml", "waveform: {samples: 60}\nanimation: {samples_per_frame: 10}\n")
    run = lambda: run_batch([tmp_path / "configs"], tmp_path / "out", jobs=1, timeout_s=None, formats=["csv"])  # noqa: E731
    assert run().ok
    path = tmp_path / "out" / "a" / "manifest.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")
    result = run()
    assert result.ok
    (outcome,) = result.outcomes
    assert any(reported in note and str(path) in note for note in outcome.notes), outcome.notes
