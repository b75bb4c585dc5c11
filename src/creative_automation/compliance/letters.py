"""Letters of a grey image (MSER regions, either polarity) chained into lines per script."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import cv2
import numpy as np
from numpy.typing import NDArray

from ..imaging.fonts import ARABIC, CJK, DEVANAGARI
from ..imaging.geometry import Box
from . import tesseract

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Regions:
    """The stable regions (MSER) of a grey image, dark and light alike: their boxes
    (x, y, w, h), whether each is lighter than the rest of its box, and their pixels."""

    boxes: NDArray[np.int64]
    light: NDArray[np.bool_]
    pixels: list[NDArray[np.int32]]  # (n, 2) x, y

    def letters(self, widest: float, short: int) -> NDArray[np.int64]:
        """Boxes of the letter-like regions (dots and specks left out), each box once."""
        w, h = self.boxes[:, 2], self.boxes[:, 3]
        count = np.array([len(p) for p in self.pixels])
        filled = count / np.maximum(w * h, 1)
        letter = (h >= 8) & (h <= 0.3 * short) & (w <= widest * h) & (w >= 0.05 * h)
        letter &= filled >= 0.15
        # a solid block (a button, a swatch) is a shape: glyphs that fill their box are
        # strokes, thin one way or the other (l, I, ー)
        letter &= (filled < 0.85) | (w < 0.4 * h) | (h < 0.2 * w)
        kept = np.flatnonzero(letter)
        b, light = self.boxes[kept], self.light[kept]
        return np.unique(b[~_words_of(b, light)], axis=0)


def _words_of(b: NDArray[np.int64], light: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Regions that hold two or more glyphs side by side (of their own polarity): a word, or
    text run together with the button under it. Chained as letters, they would join the
    line to whatever they touch."""
    x0, y0, x1, y1 = b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    out = np.zeros(len(b), bool)
    for i in np.flatnonzero(b[:, 2] > 0.8 * b[:, 3]):  # only a wide region holds two
        inner = (x0 >= x0[i]) & (y0 >= y0[i]) & (x1 <= x1[i]) & (y1 <= y1[i])
        inner &= (light == light[i]) & (b[:, 3] >= 0.3 * b[i, 3])
        inner[i] = False
        if inner.any() and x0[inner].max() >= x1[inner].min():  # two apart from each other
            out[i] = True
    return out


def find_regions(grey: NDArray[np.uint8]) -> Regions:
    short = min(grey.shape)
    mser = cv2.MSER.create(delta=5, min_area=6, max_area=int((0.25 * short) ** 2))
    found, boxes = mser.detectRegions(grey)
    pixels = [np.asarray(p, np.int32).reshape(-1, 2) for p in found]  # x, y of each
    if not pixels:
        return Regions(np.zeros((0, 4), np.int64), np.zeros(0, bool), [])
    b = np.asarray(boxes, np.int64).reshape(-1, 4)
    # lighter or darker than the ring of pixels just around its box (a letter's ground)
    total = cv2.integral(grey)
    gh, gw = grey.shape
    x, y, w, h = b.T

    def box_sum(x0: I64, y0: I64, x1: I64, y1: I64) -> NDArray[np.float64]:
        return np.asarray(total[y1, x1] - total[y0, x1] - total[y1, x0] + total[y0, x0], float)

    ox0, oy0 = np.maximum(x - 2, 0), np.maximum(y - 2, 0)
    ox1, oy1 = np.minimum(x + w + 2, gw), np.minimum(y + h + 2, gh)
    ring = box_sum(ox0, oy0, ox1, oy1) - box_sum(x, y, x + w, y + h)
    ring_count = np.maximum((ox1 - ox0) * (oy1 - oy0) - w * h, 1)
    inside = np.array([float(grey[p[:, 1], p[:, 0]].mean()) for p in pixels])
    light = inside > ring / ring_count
    return Regions(b, np.asarray(light), pixels)


def _groups(n: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected groups of n items joined by pairs (union-find)."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        a, c = root(i), root(j)
        if a != c:
            parent[a] = c
    out: dict[int, list[int]] = {}
    for i in range(n):
        out.setdefault(root(i), []).append(i)
    return list(out.values())


def _neighbours(
    b: NDArray[np.float64], reach: NDArray[np.float64]
) -> Iterable[tuple[int, NDArray[np.intp]]]:
    """For each box (x, y, w, h), the boxes starting right of its left edge and before its
    right edge plus reach: the only candidates for joining it."""
    order = np.argsort(b[:, 0], kind="stable")
    xs = b[order, 0]
    ends = np.searchsorted(xs, b[order, 0] + b[order, 2] + reach[order], side="right")
    for k, i in enumerate(order):
        if ends[k] > k + 1:
            yield int(i), order[k + 1 : ends[k]]


def _boxes_of(b: NDArray[np.float64], groups: list[list[int]]) -> NDArray[np.float64]:
    x0 = [b[g, 0].min() for g in groups]
    y0 = [b[g, 1].min() for g in groups]
    x1 = [(b[g, 0] + b[g, 2]).max() for g in groups]
    y1 = [(b[g, 1] + b[g, 3]).max() for g in groups]
    return np.stack([x0, y0, np.subtract(x1, x0), np.subtract(y1, y0)], axis=1)


def _glyphs(b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Parts of one glyph merged: regions of about the same width stacked over each other
    (the top and bottom of 夏) where the whole stays about square or wider, which two
    glyphs of consecutive lines are not."""
    x, y, w, h = b.T

    def pairs() -> Iterable[tuple[int, int]]:
        for i, js in _neighbours(b, np.zeros(len(b))):
            x1 = np.minimum(x[js] + w[js], x[i] + w[i])
            shared = (x1 - x[js]) >= 0.5 * np.maximum(w[js], w[i])
            top, bottom = np.minimum(y[js], y[i]), np.maximum(y[js] + h[js], y[i] + h[i])
            gap = np.maximum(y[js], y[i]) - np.minimum(y[js] + h[js], y[i] + h[i])
            width = np.maximum(x[js] + w[js], x[i] + w[i]) - np.minimum(x[js], x[i])
            join = shared & (gap < 0.3 * np.minimum(h[js], h[i])) & (bottom - top <= 1.25 * width)
            yield from ((i, int(j)) for j in js[join])

    return _boxes_of(b, _groups(len(b), pairs()))


@dataclass(frozen=True)
class Chaining:
    """How glyphs of a script chain into lines: whether parts of a glyph are merged first
    (CJK characters are built of separate strokes and radicals), the height ratio and the
    offset of centres (× the taller) neighbours may have, and the gap between them (× the
    shorter, or the taller where letters of very different heights connect)."""

    merge: bool = False
    square: bool = False  # a glyph's size is its longer side (full-width: ー is as big as コ)
    ratio: float = 1.8
    offset: float = 0.35
    gap: float = 1.0
    gap_of_taller: bool = False
    widest: float = 4.0  # × its height: a region wider is no glyph (CJK's ー is very wide)
    pad_y: float = 0.15  # × the line's height read above and below it (Arabic's dots)
    sure: float = 85.0  # mean word confidence for a line to count as text (photo noise: ≤ 80)
    long_sure: float = 70.0  # for a line of 10 letters or more (what a photo's texture reads
    # as text is two to four letters long)
    letters: int = 2  # and letters it must hold
    stack: float = 1.35  # glyph-size ratio of lines stacked into one block
    # Tesseract's modes tried in turn: its line finding drops some lines of joined scripts
    # whole (Arabic with its dots), which a raw line still reads (as ocr.py reads them)
    modes: tuple[int, ...] = (tesseract.PSM_LINE,)


LATIN_CHAINING = Chaining()
_BOTH = (tesseract.PSM_LINE, tesseract.PSM_RAW_LINE)
_JOINED = Chaining(ratio=2.5, offset=0.45, gap=0.8, gap_of_taller=True, widest=8.0, modes=_BOTH)
CHAINING = {
    # a full-width comma or stop leaves a character's width of gap
    CJK: Chaining(
        merge=True, square=True, ratio=2.5, offset=0.45, gap=1.3, gap_of_taller=True, widest=12.0
    ),
    # joined letters: a run of them is wide and short beside a tall alef or lam; Tesseract is
    # less sure of Arabic (a clean headline reads at 60–90), and a line's median glyph height
    # depends on how many tall letters it has
    ARABIC: replace(_JOINED, pad_y=0.35, sure=75.0, long_sure=55.0, letters=3, stack=1.6),
    DEVANAGARI: replace(_JOINED, pad_y=0.3),
}


def chains(letters: NDArray[np.int64], rule: Chaining) -> list[tuple[Box, float]]:
    """Glyphs chained into lines: neighbours of a similar height on one line, not far apart
    for the script. (line box, median glyph height) of chains of 2 or more."""
    b = letters.astype(np.float64)
    b = _glyphs(b) if rule.merge else b
    x, y, w, h = b.T
    cy = y + h / 2
    size = np.maximum(w, h) if rule.square else h

    def pairs() -> Iterable[tuple[int, int]]:
        for i, js in _neighbours(b, rule.gap * rule.ratio * size):  # as far as a gap may be
            big, small = np.maximum(size[js], size[i]), np.minimum(size[js], size[i])
            near = (big / small < rule.ratio) & (np.abs(cy[js] - cy[i]) < rule.offset * big)
            near &= x[js] - (x[i] + w[i]) < rule.gap * (big if rule.gap_of_taller else small)
            yield from ((i, int(j)) for j in js[near])

    lines = []
    for g in _groups(len(b), pairs()):
        box = Box(
            round(x[g].min()), round(y[g].min()),
            round((x[g] + w[g]).max()), round((y[g] + h[g]).max()),
        )  # fmt: skip
        if len(g) >= 2 and box.width >= 1.5 * box.height:
            lines.append((box, float(np.median(size[g]))))
    # a chain of glyphs of about the same height inside a longer one is the same text; small
    # letters inside a chain of big photo regions are not
    lines.sort(key=lambda item: -item[0].area)
    kept: list[tuple[Box, float]] = []
    for box, glyph in lines:
        if not any(overlap(box, k) > 0.6 and g < 1.6 * glyph for k, g in kept):
            kept.append((box, glyph))
    return kept


def overlap(box: Box, other: Box) -> float:
    """The share of box's area inside other."""
    inter = box.intersection(other)
    return 0.0 if inter is None else inter.area / max(1, box.area)


__all__ = [
    "CHAINING",
    "LATIN_CHAINING",
    "Chaining",
    "Regions",
    "chains",
    "find_regions",
    "overlap",
]
