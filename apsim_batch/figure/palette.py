"""Colours that carry meaning: one hue per ion, Okabe–Ito, safe under colour blindness.

Sodium is vermillion everywhere (m, I_Na, g_Na, E_Na) and potassium blue (n, I_K, g_K, E_K);
leak is grey, the injected current and the Hodgkin–Huxley voltage black. h, the sodium
inactivation gate, keeps to the sodium family (a deep vermillion-brown) and is dashed, so it is
told apart from m by lightness and line style. tests/test_palette.py checks every pair of line
colours of every shipped figure under simulated deuteranopia, protanopia and tritanopia.

Contrast is measured, not assumed (WCAG 2.1, relative luminance): every curve reaches 3:1 against
the white background (1.4.11, graphical objects) and every text 4.5:1 against what lies behind it
(1.4.3). A curve's hue may be too light for text (vermillion is 3.9:1): `text_shade` is the one
place that gives each colour its text shade, the same hue darkened just enough.
"""

from __future__ import annotations

from ..config.models import Config
from ..trace.models import model_of

# Okabe & Ito (2008), "Color Universal Design".
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"
GREY = "#7F7F7F"  # leak: neutral, a little darker than Okabe–Ito's usual grey so it reads as a line (4.0:1)
DEEP_VERMILLION = "#8F4A00"  # h: sodium's family, darker than m (6.7:1; Okabe–Ito's orange is only 2.3:1)
# Further curve hues, darker than Okabe–Ito's orange and sky blue (2.3:1, 2.4:1) so they reach 3:1.
AMBER = "#9C6C00"  # Okabe–Ito's orange darkened (4.6:1)
INDIGO = "#332288"  # Tol's indigo (12:1)
CRIMSON = "#B2194C"  # (6.7:1)

TEXT_CONTRAST = 4.5  # WCAG 2.1 1.4.3, normal text
CURVE_CONTRAST = 3.0  # WCAG 2.1 1.4.11, graphical objects

SODIUM = VERMILLION
POTASSIUM = BLUE
LEAK = GREY
STIMULUS = BLACK

# Every curve a panel can draw: trace.extra column (or derived quantity) -> (colour, dashed?).
CURVE_STYLE: dict[str, tuple[str, bool]] = {
    "m": (SODIUM, False),
    "h": (DEEP_VERMILLION, True),
    "n": (POTASSIUM, False),
    "g_na": (SODIUM, False),
    "g_k": (POTASSIUM, False),
    "i_na_ua_per_cm2": (SODIUM, False),
    "i_k_ua_per_cm2": (POTASSIUM, False),
    "i_leak_ua_per_cm2": (LEAK, False),
    "i_stim_ua_per_cm2": (STIMULUS, False),
}

# Phase shading: pale tints, so the trace stays the strongest thing in its band. Their meaning
# follows the ions (the upstroke is sodium's, the downstroke potassium's); both failed responses
# (subthreshold, hyperpolarizing) share one tint. Every band also carries its name as text, so a
# phase is never told by colour alone; the depolarization to threshold, the interspike interval and
# depolarization block stay unshaded (more pale tints could not stay apart for colour-blind viewers:
# tests/test_palette.py). Unshaded, the ramp that leads to a spike never shares the yellow of a
# response that fails, and the rising phase's tint starts exactly at the threshold it crosses.
PHASE_TINT_ALPHA = 0.28
PHASE_HUES: dict[str, str] = {
    "subthreshold": YELLOW,
    "hyperpolarizing": YELLOW,
    "refractory_failure": YELLOW,  # a failed response, whatever the cause
    "rising": SODIUM,
    "falling": POTASSIUM,
    "ahp": GREY,
}

# Light measurement grid of the handouts: visible on paper, never stronger than a curve.
GRID_MAJOR = "#C8C8C8"
GRID_MINOR = "#E6E6E6"
REFERENCE = "#606060"  # pulse-onset marks, leader lines
# The rest and zero lines: reference curves (3.4:1), told apart from curves by place, dashes and labels,
# and a grey of their own, lighter than leak's.
REFERENCE_LINE = "#8C8C8C"
LABEL_TEXT = "#1A1A1A"
CREDIT_TEXT = "#6B6B6B"  # the author's credit: quieter than the labels, still 5.3:1
FLAG = VERMILLION  # "the trace leaves the axis" warning


def tint(color: str, alpha: float = PHASE_TINT_ALPHA) -> str:
    """The opaque colour of `color` laid at `alpha` over white, as a hex code."""
    from matplotlib.colors import to_rgb

    rgb = to_rgb(color)
    return "#" + "".join(f"{round(255 * (1 - alpha) + 255 * c * alpha):02X}" for c in rgb)


def relative_luminance(color: str) -> float:
    """WCAG 2.1's relative luminance of an opaque colour (sRGB linearised, Rec. 709 weights)."""
    from matplotlib.colors import to_rgb

    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(color)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(color: str, background: str = "#FFFFFF") -> float:
    """WCAG 2.1's contrast ratio of two opaque colours, from 1 (the same) to 21 (black on white)."""
    dark, light = sorted((relative_luminance(color), relative_luminance(background)))
    return (light + 0.05) / (dark + 0.05)


def text_shade(color: str, background: str = "#FFFFFF") -> str:
    """The colour text in `color`'s hue is set in: itself where it reads as text on `background`,
    else the same hue darkened in 1% steps until it does (vermillion #D55E00 -> #C25600)."""
    from matplotlib.colors import to_hex, to_rgb

    rgb = to_rgb(color)
    for step in range(101):
        shade = "#" + "".join(f"{round(255 * c * (1 - step / 100)):02X}" for c in rgb)
        if contrast_ratio(shade, background) >= TEXT_CONTRAST:
            return shade if step else to_hex(color, keep_alpha=False).upper()
    raise AssertionError("black reaches 4.5:1 on any background light enough for text")  # pragma: no cover


def phase_tint(name: str) -> str | None:
    """The shading of a phase, or None for phases left unshaded (rest, to threshold, interspike interval, block)."""
    hue = PHASE_HUES.get(name)
    return None if hue is None else tint(hue)


def voltage_color(config: Config) -> str:
    """The voltage trace's colour: the config's, or blue (Gaussian, the original) / black (Hodgkin–Huxley)."""
    if config.plot.line_color is not None:
        return config.plot.line_color
    return model_of(config.waveform).voltage_color


def phase_text(name: str) -> str:
    """The colour of a phase's name: its band's hue, darkened to text contrast (grey for unshaded phases)."""
    return text_shade(PHASE_HUES.get(name, REFERENCE))
