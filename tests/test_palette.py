"""Colours that survive colour blindness and carry meaning, checked on the figures as drawn.

Colour-vision deficiency is simulated with Machado, Oliveira & Fernandes (2009) at full severity
(deuteranopia, protanopia, tritanopia), as implemented by colorspacious; the distance between two
colours is CIEDE2000 (Sharma, Wu & Dalal 2005), implemented here and checked against their
published test pairs. Floors, documented in the README:

- LINE_FLOOR: any two line colours of one figure stay >= 10 ΔE00 apart for every viewer; about
  ten is where categorical colours are told apart at a glance, not only side by side.
- TINT_FLOOR: phase shadings are pale by design (the trace must dominate) and every band also
  carries its name, so they need only stay >= 5 ΔE00 apart (and from the white background).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from apsim_batch import load_config
from apsim_batch.config.models import Config
from apsim_batch.figure.layout import draw_layers, draw_parts
from apsim_batch.figure.palette import PHASE_HUES, PHASE_TINT_ALPHA, REFERENCE_LINE, phase_tint
from apsim_batch.trace.models import analyze

from .conftest import CONFIGS

colorspacious = pytest.importorskip("colorspacious")

LINE_FLOOR = 10.0
TINT_FLOOR = 5.0
VIEWERS = ("normal", "deuteranomaly", "protanomaly", "tritanomaly")


def ciede2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1), following Sharma, Wu & Dalal (2005)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if (a1p or b1) else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if (a2p or b2) else 0.0
    dlp, dcp = l2 - l1, c2p - c1p
    dhp = 0.0
    if c1p * c2p:
        dhp = h2p - h1p
        dhp = dhp - 360 if dhp > 180 else dhp + 360 if dhp < -180 else dhp
    dhp_big = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))
    lbp, cbp = (l1 + l2) / 2, (c1p + c2p) / 2
    if not c1p * c2p:
        hbp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbp = (h1p + h2p) / 2
    else:
        hbp = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(hbp - 30))
        + 0.24 * math.cos(math.radians(2 * hbp))
        + 0.32 * math.cos(math.radians(3 * hbp + 6))
        - 0.20 * math.cos(math.radians(4 * hbp - 63))
    )
    d_theta = 30 * math.exp(-(((hbp - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cbp**7 / (cbp**7 + 25**7))
    sl = 1 + 0.015 * (lbp - 50) ** 2 / math.sqrt(20 + (lbp - 50) ** 2)
    sc, sh = 1 + 0.045 * cbp, 1 + 0.015 * cbp * t
    rt = -math.sin(math.radians(2 * d_theta)) * rc
    return math.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp_big / sh) ** 2 + rt * (dcp / sc) * (dhp_big / sh))


# Sharma, Wu & Dalal (2005), Table 1: pairs chosen to exercise every branch (hue wrap-around, grey axis).
SHARMA_PAIRS = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0011), 7.2195),
    ((50.0, -0.001, 2.49), (50.0, 0.0009, -2.49), 4.8045),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((22.7233, 20.0904, -46.694), (23.0331, 14.973, -42.5619), 2.0373),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
]


@pytest.mark.parametrize(("lab1", "lab2", "expected"), SHARMA_PAIRS)
def test_ciede2000_matches_the_published_test_data(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def seen_by(viewer: str, rgb: np.ndarray) -> np.ndarray:
    """CIELab of sRGB colours (0..1) as `viewer` sees them (Machado 2009 at severity 100)."""
    if viewer != "normal":
        space = {"name": "sRGB1+CVD", "cvd_type": viewer, "severity": 100}
        rgb = np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0, 1)
    return colorspacious.cspace_convert(rgb, "sRGB1", "CIELab")


def test_simulation_is_machado_2009():
    """The simulation really removes one cone class: red and green collapse for a deuteranope."""
    red_green = np.array([[1.0, 0.0, 0.0], [0.0, 0.6, 0.0]])
    normal, deut = seen_by("normal", red_green), seen_by("deuteranomaly", red_green)
    assert ciede2000(*normal) > 60 and ciede2000(*deut) < 25


def closest_pair(colors: dict[str, tuple[float, float, float]]) -> tuple[float, str, str, str]:
    names = list(colors)
    rgb = np.array([colors[n] for n in names])
    worst = (math.inf, "", "", "")
    for viewer in VIEWERS:
        lab = seen_by(viewer, rgb)
        for i, j in itertools.combinations(range(len(names)), 2):
            worst = min(worst, (ciede2000(lab[i], lab[j]), viewer, names[i], names[j]))
    return worst


def line_colors(config: Config) -> dict[str, tuple[float, float, float]]:
    """Every distinct colour of a line in the drawn figure, keyed by hex (curves, reference lines, markers)."""
    from matplotlib.colors import to_hex, to_rgb

    parts, _, _ = draw_parts(config, analyze(config))
    found = {}
    for ax in parts.axes:
        for line in ax.get_lines():
            if to_hex(line.get_color()) == to_hex(REFERENCE_LINE):
                continue  # the rest and zero lines are grey by design, told apart by place and dashes
            if line.get_linestyle() not in ("None", "none", " ", ""):
                found[to_hex(line.get_color())] = to_rgb(line.get_color())
            if line.get_marker() not in ("None", "none", None, ""):
                found[to_hex(line.get_markeredgecolor())] = to_rgb(line.get_markeredgecolor())
    found.pop("#ffffff", None)  # a marker's white face is the background's colour
    return found


SHIPPED = sorted(p.stem for p in CONFIGS.glob("*.yaml"))
ALL_PANELS = {
    "waveform": {"model": "hodgkin_huxley", "duration_ms": 20, "samples": 400},
    "plot": {"panels": ["gates", "conductances", "currents"], "reversal_lines": True, "phases": True},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", [*SHIPPED, "all-panels"])
def test_line_colours_stay_distinguishable_under_colour_blindness(name):
    config = Config.model_validate(ALL_PANELS) if name == "all-panels" else load_config(CONFIGS / f"{name}.yaml").config
    colors = line_colors(config)
    if len(colors) < 2:
        return  # one colour (the Gaussian figures): nothing to confuse
    distance, viewer, a, b = closest_pair(colors)
    assert distance >= LINE_FLOOR, f"{a} and {b} are {distance:.1f} ΔE00 apart for {viewer}"


def test_phase_tints_stay_distinguishable_from_each_other_and_the_background():
    from matplotlib.colors import to_rgb

    tints = {phase_tint(name): to_rgb(phase_tint(name)) for name in PHASE_HUES}  # one entry per tint
    tints["#FFFFFF"] = (1.0, 1.0, 1.0)  # unshaded phases
    assert phase_tint("subthreshold") == phase_tint("hyperpolarizing")  # both failed responses
    assert len(tints) == 5
    distance, viewer, a, b = closest_pair(tints)
    assert distance >= TINT_FLOOR, f"phases {a} and {b} are {distance:.1f} ΔE00 apart for {viewer}"
    assert 0 < PHASE_TINT_ALPHA < 0.5  # pale: the trace stays the strongest thing in its band


def test_each_ion_keeps_its_colour_in_every_panel():
    layers = draw_layers(Config.model_validate(ALL_PANELS), analyze(Config.model_validate(ALL_PANELS)))
    color = {name: c for panel in layers.panels for name, c, _ in panel.curves}
    assert color["m"] == color["g_Na"] == color["I_Na"] == "#D55E00"  # sodium: vermillion
    assert color["n"] == color["g_K"] == color["I_K"] == "#0072B2"  # potassium: blue
    assert color["h"] != color["m"]  # the inactivation gate: same family, told apart (deep vermillion, dashed)
    assert color["I_stim"] == "#000000"
    assert color["I_L"] == "#7F7F7F"
