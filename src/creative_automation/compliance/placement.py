"""Legibility of text measured again on the final pixels: contrast, type size and safe zone.

The renderer measures contrast with its own glyph mask before encoding. These checks work from
the finished (possibly JPEG-encoded) pixels and a text box alone, so they also judge creatives
made elsewhere (a box from the layout record, a button's box, or OCR word boxes).

How the contrast is found (`measured_contrast`): Otsu's threshold splits the box (plus a
small margin) into a light and a dark side; the ink is the side made of strokes (most of it
vanishes under an opening a little wider than its own stem width), else the side the margin
has less of. A threshold per tile then follows the ground where it changes (gradients,
photographs), keeping only tiles whose ink side matches the text's colour, and splitting a
tile's ink side again where it holds a second level (a button and its label). Of that ink, the
connected parts that are thin, inside the margin and more than specks are glyphs; thick or
edge-touching parts are ink-coloured ground (a button's surroundings, a dark coat behind
dark text), and where they touch glyphs they count as ground the text sinks into. The ink's
colour is the most ink-like tenth of the glyphs; the ground is a band up to 4 px from them
(past the anti-aliased edge, smoothed 3×3 against JPEG ringing), and its 5th percentile
towards the ink decides, as in the renderer's measurement. Large type is analysed at up to
1/4 scale.

Measured against the renderer (bench/cases/legibility.py, tests/compliance/test_placement.py):
flat text within 1 % as PNG, 4 % as JPEG q90 4:4:4 and −10 %…+5 % as q85 4:2:0 (halved
chroma really blurs small coloured text); the pipeline's own creatives over photographs,
JPEG q90, within ±3 %. What no pixel measure can see: glyphs drawn wholly inside a patch of
their own colour have vanished from the pixels; they are found only through the glyphs next
to them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ..formats import Format
from ..imaging.geometry import Box
from ..imaging.layout import CTA_RATIO_MIN
from ..imaging.rules import rules_for, safe_area
from .findings import Finding, FindingStatus
from .legibility import MIN_CONTRAST, MIN_CONTRAST_LARGE, contrast_ratio, relative_luminance

# WCAG "large scale" text is 14 pt bold or 18 pt regular; DESIGN-GUIDE (Contrast) puts the bold
# figure at 24 px on a 1080 canvas. The layout sets headline and CTA bold, anything else is
# taken as regular and needs 18/14 of that.
LARGE_BOLD_PX = 24
LARGE_REGULAR_PX = round(LARGE_BOLD_PX * 18 / 14)  # 31
BOLD_FIELDS = frozenset({"headline", "cta"})
# Small print (disclaimers, legal lines): BCAP's guidance on superimposed text, as Clearcast
# applies it to 16:9 HD, asks for text at least 30 of the 1080 lines high, 26 on an opaque
# single-coloured block. Scaled by the shorter side: 30 px on a 1080 canvas (the same as
# Apple's 11 pt minimum text size when a 1080-wide creative fills a 390 pt-wide phone). Below
# 30 warns (acceptable only on a solid block), below 26 fails.
SMALL_PRINT_LINES = 30
SMALL_PRINT_ON_BLOCK_LINES = 26
_REFERENCE_SIDE = 1080
# The tall glyphs of Latin text (ascenders, descender letters, caps) stand about 0.76 em
# (Noto Sans: 'l' 0.76, 'g' 0.77, caps 0.714): a size estimated from glyph heights divides by
# this (−5 %…+6 % of the set size on the labelled set; other scripts are not calibrated).
_TALL_GLYPH_EM = 0.76
_ESTIMATE_ERROR = 0.05  # an estimated size this close under the fail limit only warns

_INK_SHARE = 10.0  # percent of the ink side taken as the ink colour (its core, not its edge)
_GROUND_SHARE = 5.0  # percentile of the ground towards the ink that decides, as the renderer's
_TILE_MATCH = 1.6  # a tile holds ink when its ink side is within this contrast of the ink colour
_SUB_SPLIT = 1.5  # two levels this far apart on a tile's ink side are ink and something else
_SAME_INK = 1.25  # pixels within this contrast of the text's colour count as its ink
_MIN_GLYPHS = 0.01  # glyphs cover at least this share of a text's box, or none are there
_MAX_SCALE = 4  # analyse large type at up to 1/4 resolution (strokes stay ≥ 4 px wide)

# luminance of a neutral grey per 8-bit value, to compare grey levels in contrast terms
_GREY_LUM = relative_luminance(np.repeat(np.arange(256, dtype=np.uint8)[:, None, None], 3, 2))[:, 0]
_TILE_SHIFT = 2  # tiles are thresholded on 64 grey bins: 4× less work, close enough
_BINS = 256 >> _TILE_SHIFT
_BIN_LUM = _GREY_LUM[np.arange(_BINS) * (1 << _TILE_SHIFT) + (1 << _TILE_SHIFT) // 2]


@dataclass(frozen=True)
class TextOnImage:
    """One text of a creative: its field name, box in image pixels and type size if known.

    `large` overrides the WCAG large-text decision (otherwise taken from the size)."""

    field: str
    box: Box
    size_px: int | None
    large: bool | None = None


@dataclass(frozen=True)
class _Reading:
    contrast: float  # nan when the box holds no pixels
    glyph_px: float | None  # typical height of the tall glyphs, full-resolution px


def measured_contrast(image: NDArray[np.uint8], box: Box) -> float:
    """WCAG contrast of the text inside box against the pixels next to its glyphs.

    From the pixels alone: no glyph mask, no text colour. Conservative: the 5th percentile of
    the ground nearest the ink's level decides, not its mean. 1.0 when nothing in the box
    stands out as glyphs; nan when the box lies outside the image. 1–2 ms for a headline.
    """
    return _read(image, box).contrast


def _otsu(hist: NDArray[np.float64]) -> NDArray[np.intp]:
    """Otsu's threshold (in bins) for each row of histograms: class 'above' is > threshold."""
    p = hist / np.maximum(hist.sum(axis=1, keepdims=True), 1.0)
    omega = np.cumsum(p, axis=1)
    mu = np.cumsum(p * np.arange(hist.shape[1]), axis=1)
    spread = omega * (1.0 - omega)
    between = (mu[:, -1:] * omega - mu) ** 2 / np.where(spread > 1e-12, spread, np.inf)
    return np.asarray(np.argmax(between, axis=1))


def _extreme(hist: NDArray[np.float64], t: NDArray[np.intp], light: bool) -> NDArray[np.intp]:
    """Per row: the bin that _INK_SHARE % of the ink side reaches (-1: no ink side)."""
    top = hist.shape[1] - 1
    above = np.arange(top + 1)[None, :] > t[:, None]
    side = np.where(above if light else ~above, hist, 0.0)
    cum = np.cumsum(side[:, ::-1] if light else side, axis=1)
    total = cum[:, -1]
    idx = np.argmax(cum >= np.maximum(total[:, None] * _INK_SHARE / 100.0, 1e-9), axis=1)
    return np.asarray(np.where(total > 0, top - idx if light else idx, -1))


def _percentile(values: NDArray[Any], q: float) -> float:
    k = min(values.size - 1, max(0, int(values.size * q / 100.0)))
    return float(np.partition(values, k)[k])


def _histogram(grey: NDArray[np.uint8]) -> NDArray[np.float64]:
    hist = cv2.calcHist([grey], [0], None, [256], [0, 256])
    return np.asarray(hist, np.float64).reshape(1, 256)


def _runs_px(grey: NDArray[np.uint8], t: int) -> tuple[float, float]:
    """A low quantile of the horizontal runs of each side (light, dark) over a few sampled
    rows: for the ink, about its stem width (crossbars and ink-coloured ground make the long
    runs, stems the short ones)."""
    rows = (grey[:: max(1, grey.shape[0] // 16)] > t).view(np.int8)
    # one flat line, rows kept apart by a value of neither side
    flat = np.concatenate([rows, np.full((rows.shape[0], 1), 2, np.int8)], axis=1).ravel()
    starts = np.concatenate([[0], np.flatnonzero(flat[1:] != flat[:-1]) + 1])
    lengths = np.diff(np.append(starts, flat.size))
    values = flat[starts]
    out = []
    for value in (1, 0):
        runs = lengths[values == value]
        out.append(_percentile(runs, 35) if runs.size else 1.0)
    return out[0], out[1]


def _square(radius: float) -> NDArray[np.uint8]:
    r = max(1, round(radius))
    return np.ones((2 * r + 1, 2 * r + 1), np.uint8)  # square: OpenCV's separable fast path


def _thin_share(side: NDArray[np.bool_], stroke: float) -> float:
    """Share of a side's pixels in parts no wider than about twice the stroke: ~1 for text."""
    count = np.count_nonzero(side)
    if count == 0:
        return 0.0
    opened = cv2.morphologyEx(side.astype(np.uint8), cv2.MORPH_OPEN, _square(stroke))
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


def _read(image: NDArray[np.uint8], box: Box, *, glyphs_wanted: bool = False) -> _Reading:
    h, w = image.shape[:2]
    inner = box.clamp(w, h)
    if inner.width < 2 or inner.height < 2:
        return _Reading(math.nan, None)
    # a margin of ground around a tight ink box, so the ink's edges are inside the region
    pad = max(3, round(0.04 * box.height))
    area = box.expand(pad).clamp(w, h)
    full = image[area.y0 : area.y1, area.x0 : area.x1]  # a view: OpenCV reads strided rows
    grey_full = np.asarray(cv2.cvtColor(full, cv2.COLOR_RGB2GRAY), np.uint8)
    hist = _histogram(grey_full)
    t = int(_otsu(hist)[0])
    above = float(hist[0, t + 1 :].sum())
    if above == 0 or above == grey_full.size:
        return _Reading(1.0, None)  # one level throughout: nothing stands out

    # large type is analysed at reduced scale, where its strokes are still ≥ 4 px wide
    runs = _runs_px(grey_full, t)
    # (and the margin stays ≥ 2 px wide, so glyphs never reach the region's edge)
    rgb, scale = _reduced(full, int(min(_MAX_SCALE, pad // 2, max(1, min(runs) // 5))))
    grey = grey_full if scale == 1 else np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), np.uint8)
    lum = relative_luminance(rgb)
    sides = grey > t
    # the finer of the two sides' runs: a stroke, or the gaps between strokes
    light = _ink_is_light(sides, min(runs) / scale)
    fine = min(runs) / scale
    split = _split(grey, t, light, (runs[0] if light else runs[1]) / scale, fine)
    if split.letters < 0.25 * split.inked:  # hardly any glyphs: is the other side the text?
        other_split = _split(grey, t, not light, (runs[1] if light else runs[0]) / scale, fine)
        if other_split.letters > 2 * split.letters:
            light, split = not light, other_split
    glyphs, other = split.glyphs, split.other
    if split.letters < _MIN_GLYPHS * grey.size:
        return _Reading(1.0, None)  # nothing in the box stands out as glyphs
    glyph_px = _glyph_px(split.stats, scale) if glyphs_wanted else None

    # the ink colour: the most ink-like tenth of the glyphs
    inked = lum[glyphs > 0]
    ink_lum = _percentile(inked, 100.0 - _INK_SHARE if light else _INK_SHARE)
    # the ground: a band next to the glyphs, past their anti-aliased edge pixel, reaching 4 px
    # out at full size (2 px at least where reduced): the renderer looks 2 px around its mask
    reach = max(2, round(4 / scale))
    near = cv2.dilate(glyphs, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0
    band = near & ~(cv2.dilate(glyphs, np.ones((3, 3), np.uint8)) > 0) & ~other
    sunk = lum[other & near]
    if not band.any() and sunk.size == 0:
        return _Reading(1.0, glyph_px)
    # smoothed 3×3 over the band alone: JPEG's ringing next to edges averages out
    weight = band.astype(np.float32)
    smooth = cv2.blur(lum * weight, (3, 3)) / np.maximum(cv2.blur(weight, (3, 3)), 1e-6)
    ground = np.concatenate([smooth[band], sunk])
    worst = _percentile(ground, 100.0 - _GROUND_SHARE if light else _GROUND_SHARE)
    return _Reading(float(contrast_ratio(ink_lum, worst)), glyph_px)


@dataclass(frozen=True)
class _Split:
    """The ink of one polarity: its glyphs and its ink-coloured ground ("other")."""

    glyphs: NDArray[np.uint8]
    other: NDArray[np.bool_]
    stats: NDArray[np.int32]  # connected-component stats of the glyphs
    letters: int  # glyph pixels
    inked: int  # all ink-coloured pixels


@dataclass(frozen=True)
class _Parts:
    """The connected parts of an ink mask and which of them are glyphs."""

    stats: NDArray[np.int32]
    letter: NDArray[np.bool_]  # per part
    glyphs: NDArray[np.uint8]  # the letter parts' pixels


def _parts(mask: NDArray[np.uint8], opened: NDArray[np.uint8], stroke: float) -> _Parts:
    """Parts mostly wider than a stroke (what an opening keeps) are ink-coloured ground, not
    glyphs (a dark coat behind dark text, a button behind a label of its own colour), and so
    is any part that reaches the region's edge (the margin around the box is ground: the
    photo around a button's ends), and a speck (a full stop is about stroke²)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    kept = np.bincount(labels[opened > 0], minlength=count)
    area = stats[:, cv2.CC_STAT_AREA]
    hh, ww = mask.shape
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    cw, ch = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    edge = (x == 0) | (y == 0) | (x + cw == ww) | (y + ch == hh)
    speck = area < max(4.0, 0.5 * stroke * stroke)
    letter = (kept <= 0.5 * np.maximum(area, 1)) & ~edge & ~speck
    letter[0] = False
    return _Parts(np.asarray(stats, np.int32), letter, np.asarray(letter[labels], np.uint8))


def _split(grey: NDArray[np.uint8], t: int, light: bool, stroke: float, fine: float) -> _Split:
    """Ink by tile (see _Tiles) and which of its connected parts are glyphs (see _parts);
    where ink-coloured ground touches glyphs, the text sinks into it. stroke: the runs of the
    ink's side; fine: the finer of both sides' runs (the tiles are sized by it: the side's own
    runs may span a button with its label)."""
    side = np.asarray((grey > t) if light else (grey <= t), np.uint8)
    # the text's colour: that of the glyph-like parts of its side (not of a darker backdrop
    # around a button whose label is dark too), when the side reaches the margin (text alone
    # does not: then the whole side is the text)
    source = side
    border = np.concatenate([side[0], side[-1], side[1:-1, 0], side[1:-1, -1]])
    if np.count_nonzero(border) > 0.05 * border.size:
        side_open = np.asarray(cv2.morphologyEx(side, cv2.MORPH_OPEN, _square(stroke)), np.uint8)
        core = _parts(side, side_open, stroke).glyphs
        source = core if np.count_nonzero(core) >= 16 else side
    hist = np.asarray(cv2.calcHist([grey], [0], source, [256], [0, 256]), np.float64)
    ink_grey = int(_extreme(hist.reshape(1, 256), np.array([t]), light)[0])
    tiles = _Tiles(grey, ink_grey, light, min(stroke, fine))
    mask = tiles.mask(grey)
    if not mask.any():
        mask = side
    # the stroke of what the tiles found (the side's own runs may span a button with its label)
    stroke = min(stroke, _runs_px(mask, 0)[0])
    opened = np.asarray(cv2.morphologyEx(mask, cv2.MORPH_OPEN, _square(stroke)), np.uint8)
    if tiles.split_thick(opened):  # a tile held three levels: split its ink side again
        mask = tiles.mask(grey)
        opened = np.asarray(cv2.morphologyEx(mask, cv2.MORPH_OPEN, _square(stroke)), np.uint8)
    parts = _parts(mask, np.asarray(opened, np.uint8), stroke)
    glyphs = parts.glyphs
    area = parts.stats[:, cv2.CC_STAT_AREA]
    return _Split(
        glyphs,
        (mask > 0) & (glyphs == 0),
        parts.stats[parts.letter],
        int(area[parts.letter].sum()),
        int(area[1:].sum()),
    )


class _Tiles:
    """A threshold per tile (Otsu of the tile's histogram, 64 bins), in the tiles whose ink
    side matches the text colour: the split follows the ground where it changes (gradients,
    photos), and a tile of ground alone is left out."""

    def __init__(self, grey: NDArray[np.uint8], ink_grey: int, light: bool, stroke: float):
        hh, ww = grey.shape
        side = int(np.clip(min(min(hh, ww) // 2, round(4 * stroke)), 16, 48))
        ty, tx = (hh + side - 1) // side, (ww + side - 1) // side
        self.index = (np.arange(hh) // side)[:, None] * tx + (np.arange(ww) // side)[None, :]
        flat = (self.index * _BINS + (grey >> _TILE_SHIFT)).ravel()
        counts = np.bincount(flat, minlength=ty * tx * _BINS).reshape(ty * tx, _BINS)
        self.hist: NDArray[np.float64] = counts.astype(np.float64)
        self.light = light
        self.threshold = _otsu(self.hist)
        self.ink_lum = float(_GREY_LUM[ink_grey])
        self.keep = self._matches(self.threshold)
        # a tile where the ink is a small part of its ink side (a label's edge in a tile that
        # is mostly button and backdrop): split that side again, keep it if the ink is found
        near_ink = contrast_ratio(_BIN_LUM, self.ink_lum) <= _SAME_INK
        enough = (self.hist * near_ink[None, :]).sum(1) >= max(8.0, 0.5 * stroke * stroke)
        rows = np.nonzero(~self.keep & enough)[0]
        if rows.size:
            t2, apart = self._resplit(rows)
            found = apart & self._matches(t2, rows)
            self.threshold[rows[found]] = t2[found]
            self.keep[rows[found]] = True

    def _matches(
        self, t: NDArray[np.intp], rows: NDArray[np.intp] | None = None
    ) -> NDArray[np.bool_]:
        """Whether each tile's ink side at thresholds t reaches the text's colour."""
        hist = self.hist if rows is None else self.hist[rows]
        levels = _extreme(hist, t, self.light)
        ratio = contrast_ratio(_BIN_LUM[np.clip(levels, 0, _BINS - 1)], self.ink_lum)
        return np.asarray((levels >= 0) & (ratio <= _TILE_MATCH))

    def _resplit(self, rows: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
        """Otsu again on the ink side of these tiles: the new thresholds, and whether the two
        levels it separates lie well apart (ink and something else, not ink and its edge)."""
        bins = np.arange(_BINS)[None, :]
        t = self.threshold[rows][:, None]
        sub = np.where((bins > t) if self.light else (bins <= t), self.hist[rows], 0.0)
        t2 = _otsu(sub)
        inner = (bins > t2[:, None]) if self.light else (bins <= t2[:, None])
        ink, rest = np.where(inner, sub, 0.0), np.where(inner, 0.0, sub)
        ink_lum = (ink * _BIN_LUM).sum(1) / np.maximum(ink.sum(1), 1.0)
        rest_lum = (rest * _BIN_LUM).sum(1) / np.maximum(rest.sum(1), 1.0)
        apart = (rest.sum(1) > 0) & (contrast_ratio(ink_lum, rest_lum) >= _SUB_SPLIT)
        return t2, np.asarray(apart)

    def mask(self, grey: NDArray[np.uint8]) -> NDArray[np.uint8]:
        step = 1 << _TILE_SHIFT
        # back to grey levels: the tile's ink is grey > its threshold (light ink) or ≤ it
        none = 256 if self.light else -1
        t_map = np.where(self.keep, self.threshold * step + step - 1, none)[self.index]
        return np.asarray((grey > t_map) if self.light else (grey <= t_map), np.uint8)

    def split_thick(self, thick: NDArray[np.uint8]) -> bool:
        """Where a kept tile's ink side has parts wider than strokes (a button behind its
        label, with the photo round it), split that side again if it holds two levels well
        apart, the ink's and another; True if any tile changed."""
        count = np.bincount(self.index[thick > 0], minlength=len(self.keep))
        rows = np.nonzero(self.keep & (count > 0))[0]
        if rows.size == 0:
            return False
        t2, apart = self._resplit(rows)
        if not apart.any():
            return False
        self.threshold[rows[apart]] = t2[apart]
        return True


def _glyph_px(stats: NDArray[np.int32], scale: int) -> float | None:
    """Typical height of the tall glyphs from the glyphs' connected parts, full-size px."""
    heights = stats[stats[:, cv2.CC_STAT_AREA] >= 4, cv2.CC_STAT_HEIGHT]  # no JPEG specks
    if heights.size == 0:
        return None
    # the tall letters (caps, ascenders, descenders) are the top tenth; dots and commas low
    return float(np.percentile(heights, 90)) * scale


def _scaled(px: float, fmt: Format) -> int:
    return max(1, round(px * fmt.shorter_side / _REFERENCE_SIDE))


def _size_rule(field: str, fmt: Format) -> tuple[int, int, str]:
    """(warn below, fail below, where the number comes from) for the field's type size."""
    rules = rules_for(fmt)
    if field == "headline":
        return rules.headline_min, rules.headline_min, "the format's minimum legible headline"
    if field == "cta":
        low = max(12, math.ceil(rules.headline_min * CTA_RATIO_MIN))  # as the layout's floor
        return low, low, f"{CTA_RATIO_MIN:.0%} of the minimum headline (DESIGN-GUIDE)"
    preferred = _scaled(SMALL_PRINT_LINES, fmt)
    return (
        preferred,
        _scaled(SMALL_PRINT_ON_BLOCK_LINES, fmt),
        f"small print: BCAP {SMALL_PRINT_LINES} of 1080 lines "
        f"({SMALL_PRINT_ON_BLOCK_LINES} on a solid block), scaled by the shorter side",
    )


def _height_finding(text: TextOnImage, fmt: Format, glyph_px: float | None) -> Finding:
    where = f"{text.field} {text.box.as_list()}"
    warn_below, fail_below, source = _size_rule(text.field, fmt)
    slack = 1.0
    if text.size_px is not None:
        value, how = float(text.size_px), "type size"
    elif glyph_px is not None:
        value = round(glyph_px / _TALL_GLYPH_EM, 1)
        how = f"size estimated from {glyph_px:.0f} px tall glyphs (±{_ESTIMATE_ERROR:.0%})"
        slack = 1.0 - _ESTIMATE_ERROR  # that close under a limit, an estimate only warns
    else:
        return Finding(
            check="text_height",
            status="skipped",
            threshold=warn_below,
            detail=f"{where}: no size given and no glyphs found to measure",
        )
    if value >= warn_below:
        status: FindingStatus = "pass"
    else:
        status = "warn" if value >= fail_below * slack else "fail"
    return Finding(
        check="text_height",
        status=status,
        value=value,
        threshold=warn_below,
        detail=f"{where}: {how} {value:g} px against {warn_below} px ({source})",
    )


def _is_large(text: TextOnImage, fmt: Format, size: float | None) -> bool:
    if text.large is not None:
        return text.large
    if size is None:
        return False  # unknown size: hold it to the stricter normal-text target
    floor = LARGE_BOLD_PX if text.field in BOLD_FIELDS else LARGE_REGULAR_PX
    return size >= _scaled(floor, fmt)


def _contrast_finding(text: TextOnImage, value: float, large: bool) -> Finding:
    where = f"{text.field} {text.box.as_list()}"
    threshold = MIN_CONTRAST_LARGE if large else MIN_CONTRAST
    if not math.isfinite(value):
        return Finding(
            check="contrast_measured",
            status="fail",
            threshold=threshold,
            detail=f"{where}: the box holds no pixels of the image to measure",
        )
    return Finding(
        check="contrast_measured",
        status="pass" if value >= threshold else "fail",
        value=math.floor(value * 100) / 100,  # rounded down: 4.499 must not read as 4.5
        threshold=threshold,
        detail=f"{where}: WCAG contrast on the final pixels, worst ground next to the glyphs "
        f"({'large' if large else 'normal'} text)",
    )


def _safe_zone_finding(text: TextOnImage, fmt: Format) -> Finding:
    safe, b = safe_area(fmt), text.box
    over = {
        "left": safe.x0 - b.x0,
        "top": safe.y0 - b.y0,
        "right": b.x1 - safe.x1,
        "bottom": b.y1 - safe.y1,
    }
    outside = {edge: px for edge, px in over.items() if px > 0}
    worst = max(outside.values(), default=0)
    sides = ", ".join(f"{px} px past the {edge} edge" for edge, px in outside.items())
    return Finding(
        check="safe_zone",
        status="fail" if outside else "pass",
        value=worst,
        threshold=0,
        detail=f"{text.field} {b.as_list()} "
        + (
            f"leaves the safe area {safe.as_list()}: {sides}"
            if outside
            else "is inside the safe area"
        )
        + f" ({fmt.name} {fmt.ratio}: platform zones plus the outer margin)",
    )


def legibility_findings(
    image: NDArray[np.uint8], fmt: Format, texts: Sequence[TextOnImage]
) -> list[Finding]:
    """contrast_measured, text_height and safe_zone for each text of a creative in fmt.

    The image is the final creative (fmt.width × fmt.height); boxes are in its pixels."""
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[:2] != (fmt.height, fmt.width):
        raise ValueError(
            f"expected a {fmt.width}x{fmt.height} RGB creative for {fmt.name}, got {image.shape}"
        )
    findings: list[Finding] = []
    for text in texts:
        reading = _read(image, text.box, glyphs_wanted=text.size_px is None)
        size = text.size_px if text.size_px is not None else None
        if size is None and reading.glyph_px is not None:
            size = round(reading.glyph_px / _TALL_GLYPH_EM)
        large = _is_large(text, fmt, size)
        findings += [
            _contrast_finding(text, reading.contrast, large),
            _height_finding(text, fmt, reading.glyph_px),
            _safe_zone_finding(text, fmt),
        ]
    return findings


__all__ = [
    "LARGE_BOLD_PX",
    "LARGE_REGULAR_PX",
    "SMALL_PRINT_LINES",
    "SMALL_PRINT_ON_BLOCK_LINES",
    "TextOnImage",
    "legibility_findings",
    "measured_contrast",
]
