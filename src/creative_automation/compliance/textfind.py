"""Text on a creative found by OCR: its letters' lines read by Tesseract, grouped into blocks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from ..imaging.fonts import parse_locale
from ..imaging.geometry import Box
from . import tesseract
from .letters import CHAINING, LATIN_CHAINING, Chaining, Regions, chains, find_regions, overlap
from .ocr import tesseract_pack

_MIN_WORD_CONFIDENCE = 40.0  # words below this are dropped from a line kept
_SHORT_MARGIN = 7.0  # confidence a reading of fewer than 4 letters needs beyond the script's
_READ_HEIGHT = 40  # px: a line is scaled to this height before reading (ocr.py reads at 32–44)
_UNSPACED = re.compile(r"(?<=[\u2e80-\uffef]) (?=[\u2e80-\uffef])")  # between CJK characters
_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # Tesseract's RTL marks


@dataclass(frozen=True)
class TextRead:
    """A text of the creative: recorded (platform) or read by OCR (confidence 0–100)."""

    field: str
    text: str
    box: Box
    confidence: float | None = None


@dataclass(frozen=True)
class _Line:
    box: Box  # the words read, image pixels
    text: str
    confidence: float
    glyph: float  # median letter height (MSER), to tell type sizes apart


def _area(box: Box, pad_y: float, width: int, height: int) -> Box:
    """A line's box with room for what glyph boxes leave out: '.' and ',' beside it, dots
    and marks above and below."""
    dx, dy = max(3, round(0.6 * box.height)), max(2, round(pad_y * box.height))
    return Box(box.x0 - dx, box.y0 - dy, box.x1 + dx, box.y1 + dy).clamp(width, height)


def _page(ink: NDArray[np.bool_], box: Box) -> tuple[NDArray[np.uint8], float]:
    """Ink as black on white at reading height, framed; and the scale."""
    s = min(3.0, max(0.2, _READ_HEIGHT / box.height))
    page = np.where(ink, 0, 255).astype(np.uint8)
    size = (max(1, round(page.shape[1] * s)), max(1, round(page.shape[0] * s)))
    page = np.asarray(cv2.resize(page, size, interpolation=cv2.INTER_AREA), np.uint8)
    pad = _READ_HEIGHT // 3  # Tesseract drops ink that touches the page's edge
    framed = cv2.copyMakeBorder(page, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    return np.asarray(framed, np.uint8), s


def _region_ink(regions: Regions, box: Box, area: Box) -> NDArray[np.bool_]:
    """The line's glyphs as the regions found them: those of the letters' polarity (the one
    most regions of letter height have) lying inside the area, with their dots and marks."""
    x, y, w, h = regions.boxes.T
    inside = (x >= area.x0) & (y >= area.y0) & (x + w <= area.x1) & (y + h <= area.y1)
    inside &= h <= 1.2 * box.height
    tall = inside & (h >= 0.5 * box.height)
    light = np.count_nonzero(tall & regions.light) > np.count_nonzero(tall & ~regions.light)
    ink = np.zeros((area.height, area.width), bool)
    for i in np.flatnonzero(inside & (regions.light == light)):
        p = regions.pixels[i]
        ink[p[:, 1] - area.y0, p[:, 0] - area.x0] = True
    return ink


def _ink_box(found: NDArray[np.bool_], otsu: NDArray[np.bool_], area: Box, read: Box) -> Box | None:
    """Where the line's glyphs are: its ink at the half-way level between glyph and ground
    (Otsu's side, not the anti-aliased fringe the regions hold) next to the regions found,
    across the words read (in image pixels)."""
    near = cv2.dilate(found.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    ink = otsu & near
    x0, x1 = max(0, read.x0 - area.x0 - 2), max(0, read.x1 - area.x0 + 2)
    ink[:, :x0] = False
    ink[:, x1:] = False
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None
    return Box(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1).shift(
        area.x0, area.y0
    )


def _otsu_ink(grey: NDArray[np.uint8], area: Box) -> NDArray[np.bool_]:
    """The line's glyphs by Otsu's threshold in its own area: the side holding most of the
    area's edge is the ground, ink touching the edge is not text."""
    crop = grey[area.y0 : area.y1, area.x0 : area.x1]
    _, light = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    edge = np.concatenate([light[0], light[-1], light[:, 0], light[:, -1]])
    ink = (light == 0) if (edge > 0).mean() >= 0.5 else (light > 0)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    x, y, w, h = (stats[:, i] for i in range(4))
    touching = (x == 0) | (y == 0) | (x + w == ink.shape[1]) | (y + h == ink.shape[0])
    touching[0] = True  # label 0: the ground
    return np.asarray(~touching[labels])


@dataclass(frozen=True)
class _Reader:
    """Reads chained lines of one locale's script."""

    pack: str
    rule: Chaining
    rtl: bool

    def line(
        self, grey: NDArray[np.uint8], regions: Regions, box: Box, glyph: float
    ) -> _Line | None:
        """Tesseract's reading of one chained line, in image pixels, if it is sure of it:
        the line's own regions read first (nothing of the ground behind them), its area
        thresholded next (for glyphs the regions broke up)."""
        area = _area(box, self.rule.pad_y, grey.shape[1], grey.shape[0])
        found, otsu = _region_ink(regions, box, area), _otsu_ink(grey, area)
        for ink in (found, otsu):
            page, s = _page(ink, box)
            for mode in self.rule.modes:
                read = self._words(page, mode)
                if read is not None:
                    words, confidence = read
                    pad = _READ_HEIGHT // 3
                    at = [
                        w.box.shift(-pad, -pad).scale(1 / s).shift(area.x0, area.y0) for w in words
                    ]
                    where = _ink_box(found, otsu, area, _union([*at, box])) or box
                    return _Line(where, self._text(page, mode, words), confidence, glyph)
        return None

    def _text(self, page: NDArray[np.uint8], mode: int, words: list[tesseract.Word]) -> str:
        # a word's own text comes in visual order for right-to-left scripts; the line's
        # reading is in logical order
        if self.rtl:
            read = _BIDI_MARKS.sub("", tesseract.read_text(page, self.pack, mode)).split()
            return " ".join(t for t in read if _wordlike(t))
        text = " ".join(w.text for w in words)
        # Tesseract spaces out characters of scripts written without spaces
        return _UNSPACED.sub("", text) if self.rule.square else text

    def _words(
        self, page: NDArray[np.uint8], mode: int
    ) -> tuple[list[tesseract.Word], float] | None:
        """The words read in a page segmentation mode and their mean confidence, if sure."""
        try:
            words = tesseract.read_words(page, self.pack, mode)
        except RuntimeError:  # tesserocr raises on an empty word of its iterator
            return None
        words = [w for w in words if w.confidence >= _MIN_WORD_CONFIDENCE and _wordlike(w.text)]
        letters = sum(ch.isalpha() for w in words for ch in w.text)
        if letters < self.rule.letters:
            return None
        weight = [max(1, len(w.text)) for w in words]
        confidence = float(np.average([w.confidence for w in words], weights=weight))
        # two or three letters read off a photo's texture can look sure: a short reading
        # must be surer (a real "Go" or "OK" reads at 95 and more)
        sure = self.rule.sure + (_SHORT_MARGIN if letters < 4 else 0.0)
        sure = self.rule.long_sure if letters >= 10 else sure
        return (words, confidence) if confidence >= sure else None


def _wordlike(text: str) -> bool:
    """Not punctuation alone, which is mostly a speck read as a dash or a quote (a CJK
    comma or stop is a character of its own)."""
    return any(ch.isalnum() or "\u3000" <= ch <= "\u303f" or ch in "！？" for ch in text)


def _distinct(lines: list[_Line]) -> list[_Line]:
    """One reading per place: of lines that mostly overlap (a line chained twice, from its
    letters and from their counters) the one that read most."""
    kept: list[_Line] = []
    for line in sorted(lines, key=lambda ln: (-len(ln.text), -ln.confidence)):
        if all(max(overlap(line.box, k.box), overlap(k.box, line.box)) < 0.5 for k in kept):
            kept.append(line)
    return kept


def _blocks(lines: list[_Line], stack: float) -> list[list[_Line]]:
    """Lines stacked into blocks: the next line down, of about the same type size, starting
    within a line's height and overlapping it sideways."""
    blocks: list[list[_Line]] = []
    for line in sorted(lines, key=lambda ln: ln.box.y0):
        for block in blocks:
            last = block[-1]
            big = max(last.glyph, line.glyph)
            same = big / min(last.glyph, line.glyph) < stack
            below = -0.2 * last.box.height <= line.box.y0 - last.box.y1 <= 1.2 * big
            beside = min(last.box.x1, line.box.x1) > max(last.box.x0, line.box.x0)
            if same and below and beside:
                block.append(line)
                break
        else:
            blocks.append([line])
    return blocks


def find_text(rgb: NDArray[np.uint8], locale: str, exclude: Sequence[Box] = ()) -> list[TextRead]:
    """The texts on a creative read by OCR: the headline (the largest block) first, then the
    CTA if one is on a button, then the others top to bottom; glyphs inside an `exclude` box
    (the logo) left out. Call only where `unavailable(locale)` is None."""
    pack = tesseract_pack(locale)
    assert pack is not None, "check unavailable(locale) first"
    info = parse_locale(locale)
    reader = _Reader(pack, CHAINING.get(info.script or "", LATIN_CHAINING), info.rtl)
    grey = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), np.uint8)
    regions = find_regions(grey)
    letters = regions.letters(reader.rule.widest, min(grey.shape))
    for e in exclude:  # before chaining: a CTA beside the logo is not chained to its wordmark
        cx, cy = letters[:, 0] + letters[:, 2] / 2, letters[:, 1] + letters[:, 3] / 2
        letters = letters[~((cx >= e.x0) & (cx < e.x1) & (cy >= e.y0) & (cy < e.y1))]
    lines = []
    for box, glyph in chains(letters, reader.rule):
        line = reader.line(grey, regions, box, glyph)
        if line is not None:
            lines.append(line)
    blocks = [
        (_union([ln.box for ln in b]), b) for b in _blocks(_distinct(lines), reader.rule.stack)
    ]
    if not blocks:
        return []
    head = max(blocks, key=lambda b: b[0].area)
    rest = [b for b in blocks if b is not head]
    # the call to action: a short single line on a button, the nearest such to the headline
    buttons = [
        b for b in rest
        if len(b[1]) == 1 and len(b[1][0].text.split()) <= 5 and _on_button(rgb, b[0])
    ]  # fmt: skip
    cta = min(buttons, key=lambda b: _gap(b[0], head[0]), default=None)
    out = [_text("headline", *head)] + ([_text("cta", *cta)] if cta else [])
    others = [b for b in rest if b is not cta]
    return out + [_text(f"text {n}", *b) for n, b in enumerate(others, 1)]


def _text(name: str, box: Box, block: list[_Line]) -> TextRead:
    conf = round(float(np.mean([ln.confidence for ln in block])), 1)
    return TextRead(name, "\n".join(ln.text for ln in block), box, conf)


def _union(boxes: Sequence[Box]) -> Box:
    return Box(
        min(b.x0 for b in boxes), min(b.y0 for b in boxes),
        max(b.x1 for b in boxes), max(b.y1 for b in boxes),
    )  # fmt: skip


def _gap(a: Box, b: Box) -> int:
    """Rectangular distance between two boxes (0 when they touch or overlap)."""
    return max(b.x0 - a.x1, a.x0 - b.x1, b.y0 - a.y1, a.y0 - b.y1, 0)


def _on_button(rgb: NDArray[np.uint8], box: Box) -> bool:
    """Whether a text sits on a button: a closed patch of one colour around it (the colour
    next to its glyphs) that ends within a few text heights on every side, where a scrim or
    a photo runs on."""
    h, w = rgb.shape[:2]
    t = box.height
    near = box.expand(max(2, round(0.3 * t))).clamp(w, h)
    around = Box(box.x0 - 3 * t, box.y0 - round(1.5 * t), box.x1 + 3 * t, box.y1 + round(1.5 * t))
    area = around.clamp(w, h)
    patch = rgb[area.y0 : area.y1, area.x0 : area.x1].astype(np.int16)
    ring = np.ones((near.height, near.width), bool)
    inner = box.shift(-near.x0, -near.y0).clamp(near.width, near.height)
    ring[inner.y0 : inner.y1, inner.x0 : inner.x1] = False
    ground = np.median(rgb[near.y0 : near.y1, near.x0 : near.x1][ring], axis=0)
    same = (np.abs(patch - ground).sum(axis=2) < 60).astype(np.uint8)
    # the text itself belongs to the button: its box is filled in before the patch is traced
    same[box.y0 - area.y0 : box.y1 - area.y0, box.x0 - area.x0 : box.x1 - area.x0] = 1
    _, labels, stats, _ = cv2.connectedComponentsWithStats(same, connectivity=4)
    label = labels[(box.y0 + box.y1) // 2 - area.y0, (box.x0 + box.x1) // 2 - area.x0]
    x, y, bw, bh, count = stats[label]
    closed = x > 0 and y > 0 and x + bw < same.shape[1] and y + bh < same.shape[0]
    return bool(closed and count >= 0.7 * bw * bh and bw * bh >= 1.2 * box.area)


__all__ = ["TextRead", "find_text"]
