"""End-to-end runs of the CLI in a temporary folder, decoding the real GIF and MP4."""

from __future__ import annotations

import csv
import gc
import hashlib
import json
import warnings
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from apsim_batch import __version__

from .conftest import ASSETS, CONFIGS, copy_config, run_entry_point, write
from .test_waveform import original_curve


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gif_frames(path: Path) -> tuple[list[int], tuple[int, int], np.ndarray]:
    """Per-frame delays (ms), size, and the last frame as RGB."""
    with Image.open(path) as im:
        delays = []
        for i in range(im.n_frames):
            im.seek(i)
            delays.append(im.info["duration"])
        return delays, im.size, np.asarray(im.convert("RGB"))


def mp4_info(path: Path) -> tuple[dict, int, np.ndarray]:
    """Decode an MP4 completely: ffmpeg's metadata, the frame count and the last frame."""
    count, last = 0, None
    with warnings.catch_warnings():
        # imageio-ffmpeg's reader leaves its pipe objects to the garbage collector
        warnings.simplefilter("ignore", ResourceWarning)
        decoded = imageio_ffmpeg.read_frames(str(path))
        meta = next(decoded)
        for raw in decoded:
            count, last = count + 1, raw
        del decoded
        gc.collect()
    width, height = meta["size"]
    return meta, count, np.frombuffer(last, np.uint8).reshape(height, width, 3)


@pytest.fixture(scope="module")
def classic_run(tmp_path_factory):
    """One render of configs/classic.yaml through the real entry point."""
    work = tmp_path_factory.mktemp("classic")
    copy_config("classic.yaml", work / "configs")
    proc = run_entry_point("run", "configs", "--jobs", "1", cwd=work)
    assert proc.returncode == 0, proc.stderr
    return work, proc


@pytest.mark.slow
def test_classic_outputs(classic_run):
    work, proc = classic_run
    out = work / "outputs" / "classic"
    assert sorted(p.name for p in out.iterdir()) == [
        "classic.gif",
        "classic.mp4",
        "classic.png",
        "classic.vtt",  # the MP4's phase captions
        "manifest.json",
        "trace.csv",
    ]
    assert "1 rendered, 0 up to date, 0 failed" in proc.stdout
    assert "139 frames of 20 ms" in proc.stdout  # the run says it merged GIF frames

    # GIF: the poster for 20 ms (what still viewers show; a player moves on at once), then real-time playback with no delay
    # under 20 ms, and the finished trace held 2 s (the defaults)
    delays, size, last = gif_frames(out / "classic.gif")
    assert size == (640, 480)
    assert len(delays) == 1 + 139 and min(delays) >= 20
    assert delays[0] == 20 and set(delays[1:-1]) == {20} and delays[-1] == 20 + 2000
    assert sum(delays) == 20 + 2780 + 2000  # 250 frames at 90 fps = 2.78 s

    # MP4: H.264 yuv420p at the requested 90 fps, every frame kept, then the 2 s hold
    meta, frames, mp4_last = mp4_info(out / "classic.mp4")
    assert frames == 250 + 180 and meta["fps"] == 90 and meta["size"] == (640, 480)
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert abs(meta["duration"] - 430 / 90) < 0.05

    # poster = first and last GIF frame = last MP4 frame (within compression)
    poster = np.asarray(Image.open(out / "classic.png").convert("RGB")).astype(int)
    assert poster.shape == (480, 640, 3)
    with Image.open(out / "classic.gif") as gif:
        first = np.asarray(gif.convert("RGB")).astype(int)
    assert np.abs(first - poster).mean() < 0.1
    assert np.abs(last.astype(int) - poster).mean() < 0.1
    assert np.abs(mp4_last.astype(int) - poster).mean() < 2

    # CSV: the original curve to 1e-6 mV
    with open(out / "trace.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["time_ms", "voltage_mv"]
    data = np.array(rows[1:], dtype=float)
    time, voltage = original_curve()
    np.testing.assert_allclose(data[:, 0], time, atol=1e-9)
    np.testing.assert_allclose(data[:, 1], voltage, atol=1e-6)


def entry_measurements(outputs: Path) -> dict:
    return json.loads((outputs / "manifest.json").read_text())["renders"][0]["measurements"]


@pytest.mark.slow
def test_manifests_match_files(classic_run):
    work, _ = classic_run
    outputs = work / "outputs"
    own = json.loads((outputs / "classic" / "manifest.json").read_text())
    top = json.loads((outputs / "manifest.json").read_text())
    assert own["name"] == "classic" and own["config"] == "configs/classic.yaml"
    assert own["config_sha256"] == sha256(work / "configs" / "classic.yaml")
    assert own["parameters"]["waveform"]["components"][1]["peak_mv"] == -90
    assert own["parameters"]["plot"]["line_width_pt"] == 2  # defaults filled in
    assert own["measurements"]["peak_mv"] == pytest.approx(39.86, abs=0.01)
    assert entry_measurements(outputs) == own["measurements"]
    assert own["versions"]["apsim-batch"] == __version__
    assert set(own["versions"]) >= {"numpy", "scipy", "matplotlib", "pillow", "imageio", "ffmpeg"}
    assert {f["format"] for f in own["files"]} == {"gif", "mp4", "png", "csv", "vtt"}  # vtt: the MP4's captions
    for record in own["files"]:
        path = outputs / record["path"]
        assert record["sha256"] == sha256(path) and record["bytes"] == path.stat().st_size
    gif = next(f for f in own["files"] if f["format"] == "gif")
    assert (gif["frames"], gif["duration_s"], gif["poster_first_s"]) == (140, 4.8, 0.02)
    mp4 = next(f for f in own["files"] if f["format"] == "mp4")
    assert (mp4["frames"], mp4["fps"]) == (430, 90)
    [entry] = top["renders"]
    assert entry["name"] == "classic" and entry["parameters"] == own["parameters"]
    assert [(f["path"], f["sha256"], f["bytes"]) for f in entry["files"]] == [
        (f["path"], f["sha256"], f["bytes"]) for f in own["files"]
    ]
    text = (outputs / "manifest.json").read_text()
    assert text == json.dumps(top, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.slow
def test_second_render_is_byte_identical(classic_run, tmp_path):
    work, _ = classic_run
    copy_config("classic.yaml", tmp_path / "configs")
    assert run_entry_point("run", "configs", "--jobs", "1", cwd=tmp_path).returncode == 0
    for name in ("classic.gif", "classic.png", "trace.csv", "classic.mp4", "manifest.json"):
        assert sha256(tmp_path / "outputs/classic" / name) == sha256(work / "outputs/classic" / name), name


@pytest.mark.slow
def test_unchanged_rerun_skips_and_edit_rerenders(cli, tmp_path):
    write(tmp_path / "configs/a.yaml", "animation: {samples_per_frame: 50}\noutputs: [png, csv]\n")
    write(tmp_path / "configs/b.yaml", "animation: {samples_per_frame: 50}\noutputs: [png]\n")
    code, out, _ = cli("run", "configs", "--jobs", "1", cwd=tmp_path)
    assert code == 0 and "2 rendered" in out
    code, out, _ = cli("run", "configs", "--jobs", "1")
    assert code == 0 and "0 rendered, 2 up to date" in out
    write(tmp_path / "configs/b.yaml", "title: changed\nanimation: {samples_per_frame: 50}\noutputs: [png]\n")
    code, out, _ = cli("run", "configs", "--jobs", "1")
    assert "✓ b: rendered" in out and "· a: up to date" in out
    (tmp_path / "outputs/a/trace.csv").write_text("tampered")
    code, out, _ = cli("run", "configs", "--jobs", "1")
    assert "✓ a: rendered" in out and "· b: up to date" in out
    code, out, _ = cli("run", "configs", "--jobs", "1", "--force")
    assert "2 rendered" in out


def test_bad_configs_fail_alone_and_keep_earlier_outputs(cli, tmp_path):
    write(tmp_path / "configs/good.yaml", "animation: {samples_per_frame: 50}\noutputs: [png]\n")
    code, _, _ = cli("run", "configs", "--jobs", "1", cwd=tmp_path)
    assert code == 0
    poster = tmp_path / "outputs/good/good.png"
    before = (sha256(poster), (tmp_path / "outputs/manifest.json").read_text())
    copy_config("typo_key.yaml", tmp_path / "configs", ASSETS)
    copy_config("negative_width.yaml", tmp_path / "configs", ASSETS)
    code, out, err = cli("run", "configs", "--jobs", "1")
    assert code == 1
    assert "✗ configs/negative_width.yaml:8: waveform.components[1].width_ms: must be greater than 0 (got -0.1)" in err
    assert "did you mean 'width_ms'?" in err and "Traceback" not in err + out
    assert "0 rendered, 1 up to date, 2 failed" in out
    assert (sha256(poster), (tmp_path / "outputs/manifest.json").read_text()) == before
    assert not (tmp_path / "outputs/typo_key").exists()


@pytest.mark.slow
def test_subprocess_error_has_no_traceback(tmp_path):
    copy_config("negative_width.yaml", tmp_path / "configs", ASSETS)
    proc = run_entry_point("validate", "configs", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "✗ configs/negative_width.yaml:8: waveform.components[1].width_ms: must be greater than 0 (got -0.1)"
    )
    assert proc.stdout.strip() == "0 valid, 1 invalid"


def test_usage_errors_exit_2(cli, tmp_path):
    assert cli("run", "nowhere", cwd=tmp_path)[0] == 2
    assert cli("run", "--format", "gif,webm")[0] == 2
    assert cli("run", "--jobs", "0")[0] == 2
    (tmp_path / "empty").mkdir()
    code, _, err = cli("validate", "empty")
    assert code == 2 and "no .yaml or .yml configs" in err


def test_version_and_help(cli):
    code, out, _ = cli("--version")
    assert code == 0 and out.strip() == f"apsim-batch {__version__}"
    for command in ("run", "validate"):
        code, out, _ = cli(command, "--help")
        assert code == 0 and "Example: apsim-batch" in out


def test_format_option_restricts_outputs(cli, tmp_path):
    write(tmp_path / "configs/a.yaml", "animation: {samples_per_frame: 25, fps: 20, spike_slowdown: 1}\n")
    code, out, _ = cli("run", "configs", "--format", "gif,csv", "--jobs", "1", cwd=tmp_path)
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "outputs/a").iterdir()) == ["a.gif", "manifest.json", "trace.csv"]
    delays, size, _ = gif_frames(tmp_path / "outputs/a/a.gif")
    # the poster (20 ms), 20 frames of 50 ms, the last one held 2 s more (the defaults)
    assert delays == [20] + [50] * 19 + [2050] and size == (640, 480)


@pytest.mark.slow
def test_hold_last_frame(cli, tmp_path):
    write(
        tmp_path / "configs/h.yaml",
        "animation: {samples_per_frame: 50, fps: 10, hold_last_frame_s: 1.5, poster_s: 0, spike_slowdown: 1}\noutputs: [gif, mp4]\n",
    )
    assert cli("run", "configs", "--jobs", "1", cwd=tmp_path)[0] == 0
    delays, _, _ = gif_frames(tmp_path / "outputs/h/h.gif")
    assert delays == [100] * 9 + [1600]  # poster_s: 0 opens on the empty axes, as before
    _, frames, _ = mp4_info(tmp_path / "outputs/h/h.mp4")
    assert frames == 10 + 15


def test_same_output_name_is_an_error(cli, tmp_path):
    write(tmp_path / "configs/one.yaml", "name: Spike\n")
    write(tmp_path / "configs/two.yaml", "name: spike\n")
    code, _, err = cli("validate", "configs", cwd=tmp_path)
    assert code == 1 and err.count("is used by several configs: configs/one.yaml, configs/two.yaml") == 2


def test_every_shipped_config_validates(cli):
    code, out, _ = cli("validate", str(CONFIGS))
    assert code == 0 and " 0 invalid" in out
