"""Small pre-rendered pictures (glyphs, labels, dots, boxes) and pasting them onto RGB or palette frames."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .canvas import DPI, Box, rgb_of
from .quantize import nearest_palette_index

MONO = "DejaVu Sans Mono"  # its advance is 0.6 em for every character: values never change width
MONO_ADVANCE = 0.6
ALPHA_LEVELS = 4
BASELINE = 0.3  # baseline of every text sprite, as a fraction of its height: labels and values line up


def alpha_sprite(draw: Callable[[Any], Any], size_px: tuple[int, int]) -> np.ndarray:
    """Render something black on white in a small canvas; return its coverage as alpha in [0, 1]."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size_px[1] / DPI, size_px[0] / DPI), dpi=DPI)
    canvas = FigureCanvasAgg(fig)
    draw(fig)
    gray = rgb_of(canvas).astype(float).mean(axis=2)
    return 1 - gray / 255


def _frozen(alpha: np.ndarray) -> np.ndarray:
    alpha.setflags(write=False)  # cached and shared between renders: nobody may draw into it
    return alpha


# Sprites depend only on their text and sizes, so a worker renders each once for all its renders
# (about 0.1 CPU-s of every Hodgkin–Huxley render otherwise); the bytes drawn are the same.
@functools.lru_cache(maxsize=512)
def text_sprite(text: str, font_px: int, line_px: int, family: str = "DejaVu Sans") -> np.ndarray:
    """A label as an alpha mask one line tall and as wide as the text (mathtext allowed)."""
    return _frozen(_text_sprite(text, font_px, line_px, family))


def _text_sprite(text: str, font_px: int, line_px: int, family: str) -> np.ndarray:
    if not text:
        return np.zeros((line_px, 0))
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    font = FontProperties(family=family, size=font_px * 72 / DPI)
    width, _, _ = RendererAgg(10, 10, DPI).get_text_width_height_descent(text, font, ismath="$" in text)
    cols = int(np.ceil(width)) + 2
    return alpha_sprite(
        lambda f: f.text(1 / cols, BASELINE, text, ha="left", va="baseline", fontproperties=font), (line_px, cols)
    )


def levels(alpha: np.ndarray, count: int = ALPHA_LEVELS) -> np.ndarray:
    """Alpha rounded to a few levels: edges stay smooth, and a GIF frame where digits change compresses better."""
    return np.round(alpha * (count - 1)) / (count - 1)


def glyph_cells(chars: str, font_px: int, line_px: int) -> dict[str, np.ndarray]:
    """One monospaced cell per character, as alpha masks of equal size (alpha in a few levels)."""
    return dict(_glyph_cells(chars, font_px, line_px))


@functools.lru_cache(maxsize=64)
def _glyph_cells(chars: str, font_px: int, line_px: int) -> dict[str, np.ndarray]:
    cell_w = int(round(font_px * MONO_ADVANCE))
    size_pt = font_px * 72 / DPI
    return {
        char: _frozen(
            levels(
                alpha_sprite(
                    lambda f, c=char: f.text(
                        0.5, BASELINE, c, ha="center", va="baseline", family=MONO, fontsize=size_pt
                    ),
                    (line_px, cell_w),
                )
            )
        )
        for char in chars
    }


@functools.lru_cache(maxsize=64)
def disc_sprite(size_px: int, radius_px: float) -> np.ndarray:
    from matplotlib.patches import Circle

    def draw(fig: Any) -> None:
        centre = (size_px / 2, size_px / 2)
        fig.add_artist(Circle(centre, radius_px, transform=None, facecolor="black", edgecolor="none"))

    return _frozen(levels(alpha_sprite(draw, (size_px, size_px))))


def stamp(region: np.ndarray, alpha: np.ndarray, rgb: np.ndarray, x: int, y: int) -> None:
    """Blend `rgb` through `alpha` into the float RGB `region` at (x, y), in place."""
    h, w = alpha.shape
    cell = region[y : y + h, x : x + w]
    a = alpha[: cell.shape[0], : cell.shape[1], None]
    cell *= 1 - a
    cell += a * rgb


def _clip(image: np.ndarray, size: tuple[int, int], xy: tuple[int, int]):
    height, width = image.shape[:2]
    x0, y0 = int(xy[0]), int(xy[1])
    x1, y1 = min(x0 + size[1], width), min(y0 + size[0], height)
    cx0, cy0 = max(x0, 0), max(y0, 0)
    if cx0 >= x1 or cy0 >= y1:
        return None
    return (cx0, cy0, x1, y1), (slice(cy0 - y0, y1 - y0), slice(cx0 - x0, x1 - x0))


def _store(image: np.ndarray, box: Box, rgb: np.ndarray, colors: np.ndarray | None) -> None:
    x0, y0, x1, y1 = box
    rgb8 = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    image[y0:y1, x0:x1] = nearest_palette_index(rgb8, colors) if colors is not None else rgb8


def paste(image: np.ndarray, rgb: np.ndarray, xy: tuple[int, int], colors: np.ndarray | None) -> Box | None:
    """Paste an opaque RGB sprite with its top-left corner at `xy`, clipped to the image.

    `image` is RGB, or palette indices when `colors` (the palette as (256, 3) int) is given.
    """
    clipped = _clip(image, rgb.shape[:2], xy)
    if clipped is None:
        return None
    box, crop = clipped
    _store(image, box, rgb[crop], colors)
    return box


def blend(
    image: np.ndarray, masks: Sequence[np.ndarray], rgbs: Sequence[Any], xy: tuple[int, int], colors: np.ndarray | None
) -> Box | None:
    """Blend alpha masks (in order, each with its colour) over the image at `xy`."""
    clipped = _clip(image, masks[0].shape, xy)
    if clipped is None:
        return None
    box, crop = clipped
    x0, y0, x1, y1 = box
    target = image[y0:y1, x0:x1]
    rgb = (colors[target] if colors is not None else target).astype(float)
    for mask, color in zip(masks, rgbs, strict=True):
        alpha = mask[crop][..., None]
        rgb = rgb * (1 - alpha) + np.asarray(color, float) * alpha
    _store(image, box, rgb, colors)
    return box
