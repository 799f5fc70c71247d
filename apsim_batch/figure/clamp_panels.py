"""The clamp's curves against step potential: the peak-current I–V curve and the activation (G–V) curves.

Both sit in the side column (`side_column.py`): a step's point appears once the time panels have drawn
what it measures (peak I_Na and peak g_Na at the peak, steady I_K and g_K at the end of the step), and
a segment once both its points are there. The values are the analysis's (`trace/clamp.py`'s
`measure_steps`, as the manifest and the answer key carry them); nothing is measured here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..config.models import Config
from ..trace.experiments import clamp_column
from ..trace.waveform import Trace
from .canvas import DPI
from .experiment_panels import MA_PER_UA
from .labels import Occupancy, Request
from .palette import LABEL_TEXT, POTASSIUM, REFERENCE, SODIUM, text_shade
from .panels import PanelSpec
from .side_column import Piece, occupancy_of

if TYPE_CHECKING:
    from .parts import Parts

STEP_LABEL = "Step potential (mV)"
HEIGHT = 1.0  # each of the column's panels, relative to the others there
POINT = {"linestyle": "none"}
JOIN = {"linewidth": 2.0}
# Shape as well as hue tells the ions apart. The square fits inside the circle (and the pixel the reveal
# adds round it) where the two coincide, at small steps where neither current flows: the circle, which
# arrives first, then shows no early rim of the square.
MARKERS = {SODIUM: {"marker": "o", "markersize": 7.5}, POTASSIUM: {"marker": "s", "markersize": 5.5}}


def _x_limits(config: Config, also: tuple[float, ...] = ()) -> tuple[float, float]:
    values = [*config.waveform.step_potentials_mv, *also]
    low, high = min(values), max(values)
    pad = 0.06 * ((high - low) or 20.0)
    return low - pad, high + pad


def _columns(config: Config, trace: Trace, quantity: str) -> list[np.ndarray]:
    return [trace.extra[clamp_column(quantity, k, v)] for k, v in enumerate(config.waveform.step_potentials_mv)]


def clamp_iv(config: Config, trace: Trace) -> PanelSpec:
    """Peak I_Na and steady I_K against the step potential (x reaches E_Na, so its line shows)."""
    inward = min(float(c.min()) for c in _columns(config, trace, "i_na_ua_per_cm2")) * MA_PER_UA
    currents = [*_columns(config, trace, "i_na_ua_per_cm2"), *_columns(config, trace, "i_k_ua_per_cm2")]
    outward = max(float(c.max()) for c in currents) * MA_PER_UA  # I_Na is outward past E_Na
    low, high = min(inward, 0.0), max(outward, 0.0)
    span = (high - low) or 1.0
    e_na = config.waveform.membrane.e_na_mv
    return PanelSpec(
        "clamp_iv", (), "I (mA/cm²)", "mA/cm²", (low - 0.1 * span, high + 0.1 * span),
        height=HEIGHT, end_labels=False, x_limits=_x_limits(config, (e_na,)),
    )  # fmt: skip


def clamp_gv(config: Config, trace: Trace) -> PanelSpec:
    """Peak g_Na and steady g_K, each divided by its largest value, against the step potential."""
    return PanelSpec(
        "clamp_gv", (), "g / g$_{max}$", "", (-0.06, 1.12), height=HEIGHT, end_labels=False,
        x_limits=_x_limits(config),
    )  # fmt: skip


def _measured(parts: Parts) -> dict[str, Any]:
    return parts.analysis.measurements.as_dict()


def _samples(parts: Parts, after_onset_ms: np.ndarray) -> np.ndarray:
    """The first sample at or after each time (ms after the step's onset): when the time panels have drawn it."""
    time_ms = parts.trace.time_ms
    at = parts.config.waveform.pre_step_ms + np.asarray(after_onset_ms, dtype=float)
    return np.minimum(np.searchsorted(time_ms, at - 1e-9), len(time_ms) - 1)


def _series(key: str, x: np.ndarray, y: np.ndarray, starts: np.ndarray, color: str) -> list[Piece]:
    """A point per step and a segment between neighbouring steps (once both of its points are shown)."""
    order = np.argsort(x)
    x, y, starts = x[order], y[order], starts[order]
    point = {**POINT, **MARKERS[color], "color": color}
    pieces = [
        Piece(int(s), (float(a),), (float(b),), point, f"{key} {a:g} mV") for a, b, s in zip(x, y, starts, strict=True)
    ]
    pieces += [
        Piece(
            int(max(starts[i], starts[i + 1])),
            (float(x[i]), float(x[i + 1])),
            (float(y[i]), float(y[i + 1])),
            {**JOIN, "color": color},
            f"{key} join",
        )  # fmt: skip
        for i in range(len(x) - 1)
    ]
    return pieces


def _step_ends(parts: Parts, count: int) -> np.ndarray:
    return _samples(parts, np.full(count, parts.config.waveform.step_duration_ms))


def current_voltage_pieces(parts: Parts, spec: PanelSpec, ax: Any) -> list[Piece]:
    """Peak I_Na at each step's peak (with TTX: a flat row at zero, which is the lesson) and steady I_K at its end."""
    found = _measured(parts)
    steps = np.array(found["step_mv"], dtype=float)
    na = np.array(found["peak_i_na_ua_per_cm2"], dtype=float) * MA_PER_UA
    k = np.array(found["steady_i_k_ua_per_cm2"], dtype=float) * MA_PER_UA
    na_at = _samples(parts, np.array(found["peak_i_na_ms"], dtype=float))
    k_at = _step_ends(parts, len(steps))
    return [*_series("I_Na", steps, na, na_at, SODIUM), *_series("I_K", steps, k, k_at, POTASSIUM)]


def _normalized(values: list[float]) -> np.ndarray | None:
    array = np.array(values, dtype=float)
    return array / array.max() if array.max() > 0 else None  # a fully blocked conductance has no curve


def conductance_voltage_pieces(parts: Parts, spec: PanelSpec, ax: Any) -> list[Piece]:
    """Peak g_Na (at each step's peak) and steady g_K (at its end), each over its largest value."""
    found = _measured(parts)
    steps = np.array(found["step_mv"], dtype=float)
    pieces = []
    g_na, g_k = _normalized(found["peak_g_na_ms_per_cm2"]), _normalized(found["steady_g_k_ms_per_cm2"])
    if g_na is not None:
        pieces += _series("g_Na", steps, g_na, _samples(parts, np.array(found["peak_i_na_ms"], dtype=float)), SODIUM)
    if g_k is not None:
        pieces += _series("g_K", steps, g_k, _step_ends(parts, len(steps)), POTASSIUM)
    return pieces


def _marks_shown(parts: Parts) -> bool:
    """Whether the measured values are marked: not in a student handout, where they answer the exercise."""
    return parts.config.plot.measured_marks


def side_axis(parts: Parts, spec: PanelSpec, ax: Any) -> None:
    """The step axis, a zero line (I–V) or a half line (G–V, where V½ is read), and E_Na's line on the I–V."""
    ax.set_xlabel(STEP_LABEL, fontsize=parts.sizes.axis_label_pt if parts.sizes.projector else 9)
    if spec.name == "clamp_gv":
        ax.set_yticks([0, 0.5, 1])
        ax.yaxis.set_major_formatter("{x:g}")
        ax.axhline(y=0.5, color=REFERENCE, linestyle=(0, (2, 3)), linewidth=1.0, zorder=1)
        return
    ax.axhline(y=0, color="black", alpha=0.5, linewidth=0.8, zorder=1)
    if _marks_shown(parts):
        e_na = parts.config.waveform.membrane.e_na_mv
        ax.axvline(x=e_na, color=SODIUM, linestyle=(0, (6, 4)), linewidth=1.4, zorder=1)
        ax.annotate(
            "E$_{Na}$", (e_na, _clear_height(parts, spec, ax, e_na)), xycoords=("data", "axes fraction"),
            xytext=(-4, 0), textcoords="offset points", ha="right", va="center", color=text_shade(SODIUM),
            fontsize=parts.sizes.label_pt * 1.3, zorder=3,
        )  # fmt: skip


def _clear_height(parts: Parts, spec: PanelSpec, ax: Any, x: float) -> float:
    """The height (axes fraction) left of `x` farthest from every point near it, for a line's name."""
    low, high = spec.limits
    near = [p.y[0] for p in current_voltage_pieces(parts, spec, ax) if len(p.x) == 1 and x - 25 <= p.x[0] <= x]
    heights = np.linspace(0.06, 0.94, 12)
    if not near:
        return float(heights[0])
    taken = (np.array(near) - low) / (high - low)
    return float(max(heights, key=lambda h: float(np.min(np.abs(taken - h)))))


def _pixel(parts: Parts, ax: Any, x: float, y: float) -> tuple[float, float]:
    col, row = ax.transData.transform((x, y))
    return float(col), parts.fig.get_figheight() * DPI - float(row)


def _name_at(parts: Parts, ax: Any, pieces: list[Piece], key: str, pick: Any, text: str, color: str) -> list[Request]:
    """A curve's name beside one of its points (`pick` chooses it from (x, y, start) triples)."""
    points = [(p.x[0], p.y[0], p.start) for p in pieces if p.key.startswith(f"{key} ") and len(p.x) == 1]
    if not points:
        return []
    x, y, start = pick(points)
    col, row = _pixel(parts, ax, x, y)
    return [Request((text,), col, col, row, start, color, point=(col, row))]


def _last_start(pieces: list[Piece], key: str) -> int:
    return max(p.start for p in pieces if p.key.startswith(f"{key} "))


def side_labels(parts: Parts, spec: PanelSpec, ax: Any) -> tuple[Occupancy, list[Request]]:
    """Each curve named at a point of its own; the measured reversal and V½ (not in handouts) once measured."""
    found = _measured(parts)
    if spec.name == "clamp_iv":
        pieces = current_voltage_pieces(parts, spec, ax)
        lowest, rightmost = (lambda p: min(p, key=lambda q: q[1])), (lambda p: max(p, key=lambda q: q[0]))
        requests = _name_at(parts, ax, pieces, "I_Na", lowest, "peak I$_{Na}$", SODIUM)
        requests += _name_at(parts, ax, pieces, "I_K", rightmost, "steady I$_{K}$", POTASSIUM)
        reversal = found.get("na_reversal_mv")
        if _marks_shown(parts) and reversal is not None:
            col, row = _pixel(parts, ax, reversal, 0.0)
            text = f"reverses at {reversal:+.0f} mV".replace("-", "\u2212")
            texts = (text, text.replace("reverses at", "reversal"))  # the shorter where the longer has no room
            requests.append(Request(texts, col, col, row, _last_start(pieces, "I_Na"), LABEL_TEXT, point=(col, row)))
    else:
        pieces = conductance_voltage_pieces(parts, spec, ax)
        requests = []
        for key, name, half, color in (
            ("g_Na", "peak g$_{Na}$", found.get("na_half_activation_mv"), SODIUM),
            ("g_K", "steady g$_{K}$", found.get("k_half_activation_mv"), POTASSIUM),
        ):
            requests += _name_at(parts, ax, pieces, key, lambda p: max(p, key=lambda q: q[0]), name, color)
            if _marks_shown(parts) and half is not None:
                col, row = _pixel(parts, ax, half, 0.5)
                text = f"V½ = {half:.0f} mV".replace("-", "\u2212")
                requests.append(Request((text,), col, col, row, _last_start(pieces, key), color, point=(col, row)))
    return occupancy_of(parts, ax, pieces), requests
