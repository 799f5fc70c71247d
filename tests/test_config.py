"""Config validation: every rule, good and bad, with the exact one-line messages."""

from __future__ import annotations

import pytest

from apsim_batch.config.load import load_config
from apsim_batch.config.models import Config
from apsim_batch.errors import ConfigError
from apsim_batch.trace.waveform import component_amplitudes

from .conftest import ASSETS, CONFIGS, write


def problems(path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


def test_defaults_are_the_original_figure():
    config = Config()
    assert config.title == "Action Potential"
    wf = config.waveform
    assert (wf.resting_mv, wf.duration_ms, wf.samples, wf.smoothing) == (-70, 10, 500, "cubic")
    assert [(c.center_ms, c.width_ms) for c in wf.components] == [(2.5, 0.1), (3.5, 0.2)]
    assert component_amplitudes(wf) == (110, -20)  # peak_mv -90 from rest -70: the original's numbers
    assert (config.plot.width_px, config.plot.height_px) == (640, 480)
    # the axes fit the trace by default; for the original trace that is the original -100..70 mV
    assert config.plot.voltage_range_mv is None and config.plot.time_tick_ms is None
    assert (config.animation.fps, config.animation.samples_per_frame, config.frame_count) == (90, 2, 250)
    assert config.outputs == ("gif", "mp4", "png", "csv")


def test_classic_yaml_equals_defaults():
    """classic.yaml spells out the original axes, which the defaults reach by fitting the trace, the original
    script's credit, which is not a default (no one's name goes on a figure unasked), and opts out of the default
    slow motion through the spike, keeping the original pacing (the picture is the same), and of the projector's
    type, keeping the seed's sizes and faint credit."""
    from apsim_batch.figure.layout import draw_figure
    from apsim_batch.trace.models import analyze, synthesize

    loaded = load_config(CONFIGS / "classic.yaml")
    assert loaded.name == "classic"
    credit = "© Remy Cohan"
    pinned = {"voltage_range_mv": (-100, 70), "time_tick_ms": 1, "annotation": credit, "type_size": "original"}
    assert loaded.config == Config(name="classic", plot=pinned, animation={"spike_slowdown": 1})
    assert Config().plot.annotation == ""
    trace = synthesize(loaded.config.waveform)
    plain = Config(plot={"annotation": credit, "type_size": "original"})
    assert (
        draw_figure(loaded.config, analyze(loaded.config, trace)) == draw_figure(plain, analyze(plain, trace))
    ).all()


def test_every_shipped_config_is_valid():
    for path in sorted(CONFIGS.rglob("*.yaml")):
        load_config(path)


def test_models_are_frozen():
    with pytest.raises(Exception, match="frozen"):
        Config().title = "x"


@pytest.mark.parametrize(
    ("asset", "expected"),
    [
        (
            "typo_key.yaml",
            [
                "typo_key.yaml:3: waveform.components[0].width_ms: is required",
                "typo_key.yaml:4: waveform.components[0].widht_ms: unknown key; did you mean 'width_ms'? "
                "(allowed: amplitude_mv, center_ms, label, peak_mv, width_ms)",
            ],
        ),
        (
            "negative_width.yaml",
            [
                "negative_width.yaml:8: waveform.components[1].width_ms: must be greater than 0 (got -0.1)",
            ],
        ),
        ("nan.yaml", ["nan.yaml:2: waveform.resting_mv: must be a finite number (got nan)"]),
        (
            "both_heights.yaml",
            [
                "both_heights.yaml:3: waveform.components[0]: give exactly one of amplitude_mv or peak_mv (got both)",
            ],
        ),
        (
            "yaml11.yaml",
            [
                "yaml11.yaml:2: waveform.resting_mv: must be a number (got 'on')",
                "yaml11.yaml:3: waveform.duration_ms: must be a number (got '1:30')",
            ],
        ),
    ],
)
def test_validation_messages(asset, expected):
    assert problems(ASSETS / asset) == [f"{ASSETS}/{line}" for line in expected]


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (
            "plot: {width_px: 641}",
            "plot.width_px: must be even, because H.264 video in yuv420p needs even sizes (got 641)",
        ),
        ("plot: {width_px: 100000}", "plot.width_px: must be at most 3840 (got 100000)"),
        (
            "plot: {voltage_range_mv: [70, -100]}",
            "plot.voltage_range_mv: the lower limit must be below the upper one (got [70.0, -100.0])",
        ),
        (
            "plot: {panel_limits: {gates: [1, 0]}}",
            "plot.panel_limits: gates: the lower limit must be below the upper one (got [1.0, 0.0])",
        ),
        (
            "plot: {panel_limits: {voltage: [0, 1]}}",
            "plot.panel_limits.voltage.[key]: must be one of 'gates', 'conductances', 'currents', 'currents_close_up',"
            " 'clamp_command', 'clamp_currents', 'clamp_total', 'clamp_iv', 'clamp_gv', 'axon_sites', 'axon_profile',"
            " 'axon_map', 'rest_zoom' or 'stimulus' (got 'voltage')",
        ),
        (
            "plot: {axis_group: two words}",
            "plot.axis_group: must be a name of letters, digits, '.', '_' or '-', starting with a letter or digit,"
            " at most 60 characters, e.g. temperature-pair (got 'two words')",
        ),
        (
            "plot: {line_color: bleu}",
            "plot.line_color: must be a colour: a hex code like '#1f77b4' or a CSS name like 'blue' (got 'bleu')",
        ),
        ("animation: {fps: 0}", "animation.fps: must be at least 1 (got 0)"),
        ("animation: {fps: .inf}", "animation.fps: must be a finite number (got inf)"),
        ("waveform: {samples: 1e3}", "waveform.samples: must be a whole number (got 1000.0)"),
        # too many frames is refused when a GIF or MP4 is rendered, not here: see test_pacing.py
        (
            "animation: {samples_per_frame: 4, trace_ms_per_s: 4}",
            "animation.trace_ms_per_s: give either samples_per_frame or trace_ms_per_s, not both (each sets the speed)",
        ),
        ("animation: {spike_slowdown: 0.5}", "animation.spike_slowdown: must be at least 1 (got 0.5)"),
        ("waveform: {smoothing: spline}", "waveform.smoothing: must be one of 'none' or 'cubic' (got 'spline')"),
        ("outputs: [gif, webm]", "outputs[1]: must be one of 'gif', 'mp4', 'png' or 'csv' (got 'webm')"),
        ("outputs: []", "outputs: is too short: at least 1 item(s)"),
        (
            "name: ../evil",
            "name: may use only letters, digits, '.', '_' and '-' (start with a letter or digit, at most 80) (got '../evil')",
        ),
        ("name: CON", "name: is a reserved device name on Windows (got 'CON')"),
        (
            "titel: x",
            "titel: unknown key; did you mean 'title'? (allowed: animation, name, outputs, plot, title, variants, waveform)",
        ),
        ("animation: {hold_last_frame_s: true}", "animation.hold_last_frame_s: must be a number (got True)"),
    ],
)
def test_rules(tmp_path, yaml_text, message):
    path = write(tmp_path / "c.yaml", yaml_text + "\n")
    found = problems(path)
    assert len(found) == 1 and found[0].split(": ", 1)[1] == message, found


def test_good_values_pass(tmp_path):
    path = write(tmp_path / "ok.yaml", "waveform: {samples: 1e3}\n".replace("1e3", "1000") + "animation: {fps: 1e1}\n")
    loaded = load_config(path)
    assert loaded.config.animation.fps == 10.0 and loaded.config.waveform.samples == 1000


def test_unsafe_file_stem_needs_a_name(tmp_path):
    path = write(tmp_path / "my spike.yaml", "title: x\n")
    assert problems(path) == [
        f"{path}:1: name: the file name 'my spike' may use only letters, digits, '.', '_' and '-' "
        "(start with a letter or digit, at most 80); rename the file or set it"
    ]
    write(path, "name: my-spike\n")
    assert load_config(path).name == "my-spike"
