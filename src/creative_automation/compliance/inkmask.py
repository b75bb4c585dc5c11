"""Which pixels of a text box are its ink, and which of those are glyphs (Otsu, by tile)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from .legibility import contrast_ratio, relative_luminance

INK_SHARE = 10.0  # percent of the ink side taken as the ink colour (its core, not its edge)
_TILE_MATCH = 1.6  # a tile holds ink when its ink side is within this contrast of the ink colour
_SUB_SPLIT = 1.5  # two levels this far apart on a tile's ink side are ink and something else
_SAME_INK = 1.25  # pixels within this contrast of the text's colour count as its ink

# luminance of a neutral grey per 8-bit value, to compare grey levels in contrast terms
_GREY_LUM = relative_luminance(np.repeat(np.arange(256, dtype=np.uint8)[:, None, None], 3, 2))[:, 0]
_TILE_SHIFT = 2  # tiles are thresholded on 64 grey bins: 4× less work, close enough
_BINS = 256 >> _TILE_SHIFT
_BIN_LUM = _GREY_LUM[np.arange(_BINS) * (1 << _TILE_SHIFT) + (1 << _TILE_SHIFT) // 2]


def otsu(hist: NDArray[np.float64]) -> NDArray[np.intp]:
    """Otsu's threshold (in bins) for each row of histograms: class 'above' is > threshold."""
    p = hist / np.maximum(hist.sum(axis=1, keepdims=True), 1.0)
    omega = np.cumsum(p, axis=1)
    mu = np.cumsum(p * np.arange(hist.shape[1]), axis=1)
    spread = omega * (1.0 - omega)
    between = (mu[:, -1:] * omega - mu) ** 2 / np.where(spread > 1e-12, spread, np.inf)
    return np.asarray(np.argmax(between, axis=1))


def _extreme(hist: NDArray[np.float64], t: NDArray[np.intp], light: bool) -> NDArray[np.intp]:
    """Per row: the bin that INK_SHARE % of the ink side reaches (-1: no ink side)."""
    top = hist.shape[1] - 1
    above = np.arange(top + 1)[None, :] > t[:, None]
    side = np.where(above if light else ~above, hist, 0.0)
    cum = np.cumsum(side[:, ::-1] if light else side, axis=1)
    total = cum[:, -1]
    idx = np.argmax(cum >= np.maximum(total[:, None] * INK_SHARE / 100.0, 1e-9), axis=1)
    return np.asarray(np.where(total > 0, top - idx if light else idx, -1))


def percentile(values: NDArray[Any], q: float) -> float:
    """The q-th percentile of values as one of them (no interpolation), in linear time."""
    k = min(values.size - 1, max(0, int(values.size * q / 100.0)))
    return float(np.partition(values, k)[k])


def runs_px(grey: NDArray[np.uint8], t: int) -> tuple[float, float]:
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
        out.append(percentile(runs, 35) if runs.size else 1.0)
    return out[0], out[1]


def square(radius: float) -> NDArray[np.uint8]:
    """A square structuring element reaching radius px (at least 1) from its centre."""
    r = max(1, round(radius))
    return np.ones((2 * r + 1, 2 * r + 1), np.uint8)  # square: OpenCV's separable fast path


@dataclass(frozen=True)
class InkSplit:
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


def split_ink(grey: NDArray[np.uint8], t: int, light: bool, stroke: float, fine: float) -> InkSplit:
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
        side_open = np.asarray(cv2.morphologyEx(side, cv2.MORPH_OPEN, square(stroke)), np.uint8)
        core = _parts(side, side_open, stroke).glyphs
        source = core if np.count_nonzero(core) >= 16 else side
    hist = np.asarray(cv2.calcHist([grey], [0], source, [256], [0, 256]), np.float64)
    ink_grey = int(_extreme(hist.reshape(1, 256), np.array([t]), light)[0])
    tiles = _Tiles(grey, ink_grey, light, min(stroke, fine))
    mask = tiles.mask(grey)
    if not mask.any():
        mask = side
    # the stroke of what the tiles found (the side's own runs may span a button with its label)
    stroke = min(stroke, runs_px(mask, 0)[0])
    opened = np.asarray(cv2.morphologyEx(mask, cv2.MORPH_OPEN, square(stroke)), np.uint8)
    if tiles.split_thick(opened):  # a tile held three levels: split its ink side again
        mask = tiles.mask(grey)
        opened = np.asarray(cv2.morphologyEx(mask, cv2.MORPH_OPEN, square(stroke)), np.uint8)
    parts = _parts(mask, np.asarray(opened, np.uint8), stroke)
    glyphs = parts.glyphs
    area = parts.stats[:, cv2.CC_STAT_AREA]
    return InkSplit(
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
        self.threshold = otsu(self.hist)
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
        t2 = otsu(sub)
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


__all__ = ["INK_SHARE", "InkSplit", "otsu", "percentile", "runs_px", "split_ink", "square"]
