"""Contrast and glyph height of a text box read from its pixels alone (see inkmask)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from ..imaging.geometry import Box
from .inkmask import INK_SHARE, otsu, percentile, runs_px, split_ink, square
from .legibility import contrast_ratio, relative_luminance

_GROUND_SHARE = 5.0  # percentile of the ground towards the ink that decides, as the renderer's
_MIN_GLYPHS = 0.01  # glyphs cover at least this share of a text's box, or none are there
_MAX_SCALE = 4  # analyse large type at up to 1/4 resolution (strokes stay ≥ 4 px wide)


@dataclass(frozen=True)
class Reading:
    """What the pixels of one text box say: its contrast and the height of its tall glyphs."""

    contrast: float  # nan when the box holds no pixels
    glyph_px: float | None  # typical height of the tall glyphs, full-resolution px


def measured_contrast(image: NDArray[np.uint8], box: Box) -> float:
    """WCAG contrast of the text inside box against the pixels next to its glyphs.

    From the pixels alone: no glyph mask, no text colour. Conservative: the 5th percentile of
    the ground nearest the ink's level decides, not its mean. 1.0 when nothing in the box
    stands out as glyphs; nan when the box lies outside the image. 1–2 ms for a headline.

    How: Otsu's threshold splits the box (plus a small margin) into a light and a dark side;
    the ink is the side made of strokes (most of it vanishes under an opening a little wider
    than its own stem width), else the side the margin has less of. A threshold per tile then
    follows the ground where it changes (gradients, photographs), keeping only tiles whose ink
    side matches the text's colour, and splitting a tile's ink side again where it holds a
    second level (a button and its label). Of that ink, the connected parts that are thin,
    inside the margin and more than specks are glyphs; thick or edge-touching parts are
    ink-coloured ground (a button's surroundings, a dark coat behind dark text), and where they
    touch glyphs they count as ground the text sinks into. The ink's colour is the most
    ink-like tenth of the glyphs; the ground is a band up to 4 px from them (past the
    anti-aliased edge, smoothed 3×3 against JPEG ringing), and its 5th percentile towards the
    ink decides, as in the renderer's measurement. Large type is analysed at up to 1/4 scale.

    Against the renderer's own measurement with its glyph mask (bench/cases/legibility.py,
    tests/compliance/test_placement.py): flat text within 1 % as PNG, 4 % as JPEG q90 4:4:4
    and −10 %…+5 % as q85 4:2:0 (halved chroma really blurs small coloured text); the
    pipeline's own creatives over photographs, JPEG q90, within ±3 %. What no pixel measure
    can see: glyphs drawn wholly inside a patch of their own colour have vanished from the
    pixels; they are found only through the glyphs next to them.
    """
    return read_text(image, box).contrast


def read_text(image: NDArray[np.uint8], box: Box, *, glyphs_wanted: bool = False) -> Reading:
    """measured_contrast's reading of box, with the tall glyphs' height if glyphs_wanted."""
    h, w = image.shape[:2]
    inner = box.clamp(w, h)
    if inner.width < 2 or inner.height < 2:
        return Reading(math.nan, None)
    # a margin of ground around a tight ink box, so the ink's edges are inside the region
    pad = max(3, round(0.04 * box.height))
    area = box.expand(pad).clamp(w, h)
    full = image[area.y0 : area.y1, area.x0 : area.x1]  # a view: OpenCV reads strided rows
    grey_full = np.asarray(cv2.cvtColor(full, cv2.COLOR_RGB2GRAY), np.uint8)
    hist = _histogram(grey_full)
    t = int(otsu(hist)[0])
    above = float(hist[0, t + 1 :].sum())
    if above == 0 or above == grey_full.size:
        return Reading(1.0, None)  # one level throughout: nothing stands out

    # large type is analysed at reduced scale, where its strokes are still ≥ 4 px wide
    runs = runs_px(grey_full, t)
    # (and the margin stays ≥ 2 px wide, so glyphs never reach the region's edge)
    rgb, scale = _reduced(full, int(min(_MAX_SCALE, pad // 2, max(1, min(runs) // 5))))
    grey = grey_full if scale == 1 else np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), np.uint8)
    lum = relative_luminance(rgb)
    sides = grey > t
    # the finer of the two sides' runs: a stroke, or the gaps between strokes
    light = _ink_is_light(sides, min(runs) / scale)
    fine = min(runs) / scale
    split = split_ink(grey, t, light, (runs[0] if light else runs[1]) / scale, fine)
    if split.letters < 0.25 * split.inked:  # hardly any glyphs: is the other side the text?
        other_split = split_ink(grey, t, not light, (runs[1] if light else runs[0]) / scale, fine)
        if other_split.letters > 2 * split.letters:
            light, split = not light, other_split
    glyphs, other = split.glyphs, split.other
    if split.letters < _MIN_GLYPHS * grey.size:
        return Reading(1.0, None)  # nothing in the box stands out as glyphs
    glyph_px = _glyph_px(split.stats, scale) if glyphs_wanted else None

    # the ink colour: the most ink-like tenth of the glyphs
    inked = lum[glyphs > 0]
    ink_lum = percentile(inked, 100.0 - INK_SHARE if light else INK_SHARE)
    # the ground: a band next to the glyphs, past their anti-aliased edge pixel, reaching 4 px
    # out at full size (2 px at least where reduced): the renderer looks 2 px around its mask
    reach = max(2, round(4 / scale))
    near = cv2.dilate(glyphs, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0
    band = near & ~(cv2.dilate(glyphs, np.ones((3, 3), np.uint8)) > 0) & ~other
    sunk = lum[other & near]
    if not band.any() and sunk.size == 0:
        return Reading(1.0, glyph_px)
    # smoothed 3×3 over the band alone: JPEG's ringing next to edges averages out
    weight = band.astype(np.float32)
    smooth = cv2.blur(lum * weight, (3, 3)) / np.maximum(cv2.blur(weight, (3, 3)), 1e-6)
    ground = np.concatenate([smooth[band], sunk])
    worst = percentile(ground, 100.0 - _GROUND_SHARE if light else _GROUND_SHARE)
    return Reading(float(contrast_ratio(ink_lum, worst)), glyph_px)


def _histogram(grey: NDArray[np.uint8]) -> NDArray[np.float64]:
    hist = cv2.calcHist([grey], [0], None, [256], [0, 256])
    return np.asarray(hist, np.float64).reshape(1, 256)


def _thin_share(side: NDArray[np.bool_], stroke: float) -> float:
    """Share of a side's pixels in parts no wider than about twice the stroke: ~1 for text."""
    count = np.count_nonzero(side)
    if count == 0:
        return 0.0
    opened = cv2.morphologyEx(side.astype(np.uint8), cv2.MORPH_OPEN, square(stroke))
    return 1.0 - np.count_nonzero(opened) / count


def _reduced(full: NDArray[np.uint8], scale: int) -> tuple[NDArray[np.uint8], int]:
    """full at 1/scale (whole multiples: OpenCV's fast path for INTER_AREA)."""
    if scale <= 1 or min(full.shape[:2]) < 4 * scale:
        return full, 1
    hh, ww = full.shape[0] // scale, full.shape[1] // scale
    small = cv2.resize(full[: hh * scale, : ww * scale], (ww, hh), interpolation=cv2.INTER_AREA)
    return np.asarray(small, np.uint8), scale


def _ink_is_light(sides: NDArray[np.bool_], probe: float) -> bool:
    """Which side of the threshold is the ink. Text is made of strokes: the side that is
    mostly thin parts (a button's ends show the photo around it, so its border is no guide).
    When both are as thin, ground surrounds text: the border has less of the ink."""
    thin_light, thin_dark = _thin_share(sides, probe), _thin_share(~sides, probe)
    if abs(thin_light - thin_dark) > 0.1:
        return thin_light > thin_dark
    border = np.concatenate([sides[0], sides[-1], sides[1:-1, 0], sides[1:-1, -1]])
    share, border_share = float(sides.mean()), float(border.mean())
    return border_share < share if abs(border_share - share) > 0.02 else share < 0.5


def _glyph_px(stats: NDArray[np.int32], scale: int) -> float | None:
    """Typical height of the tall glyphs from the glyphs' connected parts, full-size px."""
    heights = stats[stats[:, cv2.CC_STAT_AREA] >= 4, cv2.CC_STAT_HEIGHT]  # no JPEG specks
    if heights.size == 0:
        return None
    # the tall letters (caps, ascenders, descenders) are the top tenth; dots and commas low
    return float(np.percentile(heights, 90)) * scale


__all__ = ["Reading", "measured_contrast", "read_text"]
