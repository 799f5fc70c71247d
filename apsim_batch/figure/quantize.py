"""Palette mapping: one colour table for a whole animation, and exact nearest-colour lookups."""

from __future__ import annotations

import numpy as np

TRANSPARENT = 255  # the palette index no pixel uses: GIF frames mark unchanged pixels with it
COLOURS = 255


def gif_palette(
    full: np.ndarray, base: np.ndarray, extra: np.ndarray | None = None
) -> tuple[bytes, np.ndarray, np.ndarray]:
    """One palette for the whole animation (255 colours and the transparent index), and both layers mapped onto it.

    Every frame is made of pixels from these two layers (and the overlays, whose colours `extra`,
    a sample frame with them drawn, adds), so quantizing once replaces quantizing every frame, and
    all frames share one global colour table. Map further pixels with `palette_colors(palette)`.
    """
    from PIL import Image

    source = full if extra is None else np.concatenate([full, extra], axis=0)
    quantized = Image.fromarray(source).quantize(COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette = np.frombuffer(bytes(quantized.getpalette()[: COLOURS * 3]).ljust(256 * 3, b"\0"), np.uint8)
    colors = palette_colors(palette.tobytes())
    return palette.tobytes(), nearest_palette_index(base, colors), nearest_palette_index(full, colors)


def palette_colors(palette: bytes) -> np.ndarray:
    """The palette's usable colours as (255, 3) int32 (without the transparent index)."""
    return np.frombuffer(palette, np.uint8).reshape(-1, 3)[:COLOURS].astype(np.int32)


def nearest_palette_index(rgb: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Exact nearest palette entry per pixel (Pillow's palette mapping rounds, turning white grey)."""
    # One 24-bit key per pixel: a 1-D unique is many times faster than unique rows (axis=0).
    flat = rgb.reshape(-1, 3).astype(np.int32)
    keys, inverse = np.unique((flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2], return_inverse=True)
    unique = np.column_stack([keys >> 16, (keys >> 8) & 255, keys & 255])
    # |u - c|^2 = |u|^2 - 2 u.c + |c|^2, and |u|^2 does not change which c is nearest. A matrix
    # product is ~20x faster than summing a (colours, 256, 3) array, and exact: these are small
    # integers in float64, so ties resolve to the same (first) entry.
    palette = colors.astype(np.float64)
    distance = (palette * palette).sum(axis=1)[None, :] - 2.0 * (unique.astype(np.float64) @ palette.T)
    return distance.argmin(axis=1).astype(np.uint8)[inverse.reshape(-1)].reshape(rgb.shape[:2])
