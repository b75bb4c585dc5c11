"""Stray text in a generated image: garbled pseudo-letters, words nobody asked for.

Image models write text badly and unasked (a sign of pseudo-letters, a label of near-words).
Tesseract alone reads a whole photo poorly and slowly (its global threshold loses light text on
a busy ground, texture costs it hundreds of milliseconds), so the lines are found first: at a
modest resolution, a morphological top-hat (light strokes) and black-hat (dark strokes) leave
thin bright or dark shapes; those of a letter's size and fill, closed together along a row,
are candidate lines. The likeliest lines are read one by one at full resolution, each
binarised on its own. Words read with confidence and enough letters are the image's text.
Words the image is expected to show (the product's name on its packshot, the brand's name) are
set aside, fuzzily (OCR misreads a letter, splits a word), and so is everything read where an
expected text was found. What is left is flagged `image_text` as a warning for a person to look
at, never a failure: an OCR reading of a photo is evidence, not proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from ..imaging.fonts import LATIN, parse_locale
from ..imaging.geometry import Box
from . import tesseract
from .findings import Finding
from .ocr import tesseract_pack, unavailable
from .textnorm import words_key

_FIND_SIDE = 512  # px: the long side lines are looked for at
_STROKE_KERNEL = 15  # px there: the top/black-hat keeps strokes thinner than this
_MIN_CONTRAST = 24  # grey levels a stroke stands out by: this, or Otsu's level of the hat
_JOIN = (11, 3)  # px there: letters closer than this along a row make one line
_MAX_LINES = 16  # read at most this many candidate lines (most letters first)
_READ_HEIGHT = 40  # px: a candidate line is scaled to this height before reading
_READ_KERNEL = 31  # px at that height: wider than any stroke, narrower than the ground's shapes
_PAGE_PAD = 12  # px of white around a line: Tesseract drops ink that touches the edge
# Tesseract's word confidence (0–100): texture read as letters scores lower, pseudo-words
# mostly higher (bench/cases/artefacts.py, 3 seeds: 60–75 all without a false positive,
# recall 0.71–0.67)
_MIN_CONFIDENCE = 65.0
_MIN_LETTERS = 3  # fewer letters is a stroke or a speck more often than a word
_LETTER_SHARE = 0.75  # of the word's characters: "|/-" and digits in a row are edges, not text
_EXPECTED_MATCH = 80.0  # rapidfuzz ratio (0–100) at which a read word is one of the expected
_LINE_MATCH = 75.0  # a whole line read this close to an expected text is that text
_SHOWN = 4  # unexpected words listed in the detail


@dataclass(frozen=True)
class _Line:
    """A candidate line where it was found: light or dark strokes, box, letter count."""

    light: bool
    box: Box
    letters: int


def _letter_mask(hat: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strokes standing out of the hat image, kept where their shape is a letter's: (mask of
    letters, their centroids, which they are)."""
    otsu, _ = cv2.threshold(hat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    strokes = (hat >= max(float(_MIN_CONTRAST), otsu)).astype(np.uint8)
    _, labels, stats, centroids = cv2.connectedComponentsWithStats(strokes, connectivity=8)
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    letter = (h >= 5) & (h <= limit) & (w <= 3 * h) & (area >= 0.12 * w * h) & (area >= 10)
    letter[0] = False  # the ground
    return letter[labels].astype(np.uint8), centroids, np.flatnonzero(letter)


def _merge(lines: list[_Line]) -> list[_Line]:
    """Pieces of one line (words a wide gap apart) joined: same polarity, same height, level."""
    out = list(lines)
    i = 0
    while i < len(out):
        for j in range(i + 1, len(out)):
            a, b = out[i], out[j]
            low, high = sorted((a.box.height, b.box.height))
            overlap = min(a.box.y1, b.box.y1) - max(a.box.y0, b.box.y0)
            gap = max(a.box.x0, b.box.x0) - min(a.box.x1, b.box.x1)
            if a.light == b.light and overlap >= 0.6 * low and high <= 1.6 * low and gap <= high:
                box = Box(
                    min(a.box.x0, b.box.x0), min(a.box.y0, b.box.y0),
                    max(a.box.x1, b.box.x1), max(a.box.y1, b.box.y1),
                )  # fmt: skip
                out[i] = _Line(a.light, box, a.letters + b.letters)
                del out[j]
                break
        else:
            i += 1
    return out


def _lines(small: np.ndarray) -> list[_Line]:
    """Candidate text lines on the reduced grey image, most letters first."""
    stroke = cv2.getStructuringElement(cv2.MORPH_RECT, (_STROKE_KERNEL, _STROKE_KERNEL))
    join = cv2.getStructuringElement(cv2.MORPH_RECT, _JOIN)
    found: list[_Line] = []
    for light, op in ((True, cv2.MORPH_TOPHAT), (False, cv2.MORPH_BLACKHAT)):
        letters, centroids, which = _letter_mask(
            cv2.morphologyEx(small, op, stroke), max(small.shape) // 8
        )
        rows = cv2.morphologyEx(letters, cv2.MORPH_CLOSE, join)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(rows, connectivity=8)
        cx, cy = centroids[which, 0].astype(int), centroids[which, 1].astype(int)
        per_row = np.bincount(labels[cy, cx], minlength=count)
        for j in range(1, count):
            x, y, w, h = (int(v) for v in stats[j, :4])
            if per_row[j] >= 2 and w >= 1.2 * h and h >= 6:
                found.append(_Line(light, Box(x, y, x + w, y + h), int(per_row[j])))
    return sorted(_merge(found), key=lambda line: -line.letters)[:_MAX_LINES]


def _read_line(grey: np.ndarray, box: Box, light: bool, pack: str) -> list[tesseract.Word]:
    """The words on one candidate line (box in the full image), their boxes in the image."""
    pad = max(2, round(0.35 * box.height))
    region = box.expand(pad).clamp(grey.shape[1], grey.shape[0])
    scale = min(3.0, max(0.3, _READ_HEIGHT / max(1, box.height)))
    crop = grey[region.y0 : region.y1, region.x0 : region.x1]
    shrink = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=shrink)
    # the crop's own strokes of the line's polarity, then Otsu's split: a local threshold
    hat = cv2.morphologyEx(
        crop,
        cv2.MORPH_TOPHAT if light else cv2.MORPH_BLACKHAT,
        cv2.getStructuringElement(cv2.MORPH_RECT, (_READ_KERNEL, _READ_KERNEL)),
    )
    _, ink = cv2.threshold(hat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    edge = (x == 0) | (y == 0) | (x + w == ink.shape[1]) | (y + h == ink.shape[0])
    edge[0] = True  # the ground; ink touching the crop's edge is not this line's
    page = np.pad(np.where(edge[labels], 255, 0).astype(np.uint8), _PAGE_PAD, constant_values=255)
    back = 1 / scale
    return [
        tesseract.Word(
            word.text,
            word.confidence,
            word.box.shift(-_PAGE_PAD, -_PAGE_PAD).scale(back).shift(region.x0, region.y0),
        )
        for word in tesseract.read_words(page, pack, tesseract.PSM_LINE)
    ]


def _letter_like(word: tesseract.Word) -> bool:
    """A word read with confidence, mostly letters."""
    chars = [c for c in word.text if not c.isspace()]
    letters = sum(c.isalpha() for c in chars)
    return (
        word.confidence >= _MIN_CONFIDENCE
        and letters >= _MIN_LETTERS
        and letters >= _LETTER_SHARE * len(chars)
    )


def _is_expected(key: str, whole: list[str], parts: list[str]) -> bool:
    """Whether a read word (words_key) is one of the expected texts' words, misread or cut."""
    if any(fuzz.ratio(key, part) >= _EXPECTED_MATCH for part in parts):
        return True
    if len(key) <= 4 and any(Levenshtein.distance(key, part) <= 1 for part in parts):
        return True  # "wat" for "oat": one letter is a fifth of a short word
    return any(fuzz.partial_ratio(key, text) >= _EXPECTED_MATCH + 10 for text in whole)


def _overlaps(word: Box, regions: list[Box]) -> bool:
    for region in regions:
        inter = word.intersection(region)
        if inter is not None and inter.area >= 0.5 * word.area:
            return True
    return False


def _packs(locale: str) -> str:
    """The locale's language pack; with English beside one of another script, since image
    models write their pseudo-text in Latin letters whatever the market."""
    pack = tesseract_pack(locale) or "eng"
    latin = parse_locale(locale).script in (LATIN, None)
    if pack != "eng" and not latin and "eng" in tesseract.installed().packs:
        return f"{pack}+eng"
    return pack


def stray_words(
    rgb: np.ndarray, expected: Sequence[str] = (), locale: str = "en"
) -> list[tesseract.Word]:
    """The letter-like words read on the image that are none of the expected texts, boxes in
    the image's pixels, most confident first."""
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
    scale = min(1.0, _FIND_SIDE / max(grey.shape))
    small = grey
    if scale < 1.0:
        small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    pack = _packs(locale)
    whole = [k for k in (words_key(text) for text in expected) if k]
    parts = [w for k in whole for w in k.split()]
    known: list[Box] = []  # where an expected text was read
    found: list[tesseract.Word] = []
    for line in _lines(small):
        words = _read_line(grey, line.box.scale(1 / scale), line.light, pack)
        sure = [w for w in words if w.confidence >= _MIN_CONFIDENCE]
        key = words_key(" ".join(w.text for w in sure))
        if len(key) >= 3 and any(fuzz.partial_ratio(key, text) >= _LINE_MATCH for text in whole):
            known += [w.box for w in sure]
            continue
        found += [w for w in words if _letter_like(w)]
    stray: list[tesseract.Word] = []
    for word in sorted(found, key=lambda w: -w.confidence):
        key = words_key(word.text)
        if (
            key
            and not _is_expected(key, whole, parts)
            and not _overlaps(word.box, known)
            and not _overlaps(word.box, [w.box for w in stray])  # read twice (light and dark)
        ):
            stray.append(word)
    return stray


def artefact_findings(
    rgb: np.ndarray, *, expected: Sequence[str] = (), locale: str = "en"
) -> list[Finding]:
    """One `image_text` finding for an image (H×W×3 uint8 RGB): warn with the number of words
    it shows that are not `expected` (the product's and brand's names), pass when there are
    none, skipped (with why) when OCR cannot run here."""
    why = unavailable(locale if tesseract_pack(locale) else "en")
    stray: list[tesseract.Word] = []
    if why is None:
        try:
            stray = stray_words(rgb, expected, locale)
        except RuntimeError as exc:  # tesserocr: a language pack that would not load
            why = f"Tesseract could not start: {exc}"
    if why is not None:
        return [Finding(check="image_text", status="skipped", detail=why)]
    if not stray:
        return [
            Finding(check="image_text", status="pass", value=0, threshold=0, detail="no stray text")
        ]
    shown = ", ".join(f"{w.text!r} at {w.box.as_list()}" for w in stray[:_SHOWN])
    more = f" and {len(stray) - _SHOWN} more" if len(stray) > _SHOWN else ""
    return [
        Finding(
            check="image_text",
            status="warn",
            value=len(stray),
            threshold=0,
            detail=f"text in the image that is not the product's or brand's: {shown}{more}",
        )
    ]


__all__ = ["artefact_findings", "stray_words"]
