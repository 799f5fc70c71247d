"""Colours that carry meaning: one hue per ion, Okabe–Ito, safe under colour blindness.

Sodium is vermillion everywhere (m, I_Na, g_Na, E_Na) and potassium blue (n, I_K, g_K, E_K);
leak is grey, the injected current and the Hodgkin–Huxley voltage black. h, the sodium
inactivation gate, keeps to the sodium family (Okabe–Ito orange) and is dashed, so it is told
apart from m by hue, lightness and line style. tests/test_palette.py checks every pair of line
colours of every shipped figure under simulated deuteranopia, protanopia and tritanopia.
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
GREY = "#7F7F7F"  # leak: neutral, a little darker than Okabe–Ito's usual grey so it reads as a line

SODIUM = VERMILLION
POTASSIUM = BLUE
LEAK = GREY
STIMULUS = BLACK

# Every curve a panel can draw: trace.extra column (or derived quantity) -> (colour, dashed?).
CURVE_STYLE: dict[str, tuple[str, bool]] = {
    "m": (SODIUM, False),
    "h": (ORANGE, True),
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
REFERENCE = "#606060"  # rest line, pulse-onset marks, leader lines
LABEL_TEXT = "#1A1A1A"
FLAG = VERMILLION  # "the trace leaves the axis" warning


def tint(color: str, alpha: float = PHASE_TINT_ALPHA) -> str:
    """The opaque colour of `color` laid at `alpha` over white, as a hex code."""
    from matplotlib.colors import to_rgb

    rgb = to_rgb(color)
    return "#" + "".join(f"{round(255 * (1 - alpha) + 255 * c * alpha):02X}" for c in rgb)


def phase_tint(name: str) -> str | None:
    """The shading of a phase, or None for phases left unshaded (rest, to threshold, interspike interval, block)."""
    hue = PHASE_HUES.get(name)
    return None if hue is None else tint(hue)


def voltage_color(config: Config) -> str:
    """The voltage trace's colour: the config's, or blue (Gaussian, the original) / black (Hodgkin–Huxley)."""
    if config.plot.line_color is not None:
        return config.plot.line_color
    return model_of(config.waveform).voltage_color


TEXT_CONTRAST = 4.5  # WCAG 2.1 1.4.3: the least contrast of text with its white background


def contrast_on_white(color: str) -> float:
    """WCAG contrast ratio of `color` against white."""
    from matplotlib.colors import to_rgb

    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(color)]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def text_shade(color: str, contrast: float = TEXT_CONTRAST) -> str:
    """`color` itself when text in it reads on white, else the lightest darker shade of it that does.

    A phase's name is written in its band's hue, but pale or bright hues (Okabe–Ito orange and yellow)
    are under 4.5:1: the text takes a darker shade of the same hue, the band keeps its pale tint.
    """
    from matplotlib.colors import to_hex, to_rgb

    rgb = to_rgb(color)
    for step in range(101):  # 1% darker each step, from the hue itself to black
        shade = to_hex([c * (1 - step / 100) for c in rgb]).upper()
        if contrast_on_white(shade) >= contrast:
            return shade
    return BLACK


def phase_text(name: str) -> str:
    """The colour of a phase's name: its band's hue, darkened to text contrast (grey for unshaded phases)."""
    return text_shade(PHASE_HUES.get(name, REFERENCE))
