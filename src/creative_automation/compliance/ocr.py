"""Copy read-back: OCR the final creative and confirm each text is on it, whole.

Tesseract, in process (tesserocr, `tesseract.py`), with Debian's language packs, reads the region
each text was laid out in: binarised (ink black on white, whatever the colours), cut into its
lines, each line read on its own. The text counts as present when the reading covers it at a
similarity of at least READBACK_THRESHOLD (rapidfuzz, 0–100): a truncated or covered headline
reads short and scores low, a reading with a stray character more still passes. Where there is
no Tesseract or no language pack for the locale, the check says so as `skipped`, never `pass`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image
from rapidfuzz import fuzz

from ..imaging.fonts import parse_locale
from ..imaging.geometry import Box
from . import tesseract
from .findings import Finding
from .textnorm import words_key

READBACK_THRESHOLD = 90.0  # rapidfuzz similarity (0–100) the reading must reach
_MARGIN = 0.04  # around a text block, as a fraction of its height: descenders, anti-aliasing
_MIN_HEIGHT = 48  # px: a crop of unknown type size smaller than this is enlarged
# type of a known size is scaled to this before reading (headlines run 100+); measured on 234
# rendered creatives in 13 locales, 32–44 px read best, 48 and more lose CJK characters
_READ_SIZE_PX = 36
_MARK_RUN = 0.45  # ink rows shorter than this × type size are dots or marks of a neighbour line
_LINE_PAD = 12  # px of white around each line: Tesseract drops ink that touches the edge
# Each line as one line first; Tesseract's line finding drops some lines whole (Arabic with
# its dots above, a first line over a busy photo), so as a raw line next when that falls short
_LINE_MODES = (tesseract.PSM_LINE, tesseract.PSM_RAW_LINE)
# BCP 47 language → Tesseract language pack (Debian: tesseract-ocr-<pack with - for _>)
_PACKS = {
    "en": "eng", "es": "spa", "fr": "fra", "de": "deu", "pt": "por", "it": "ita", "nl": "nld",
    "ar": "ara", "he": "heb", "iw": "heb", "hi": "hin", "th": "tha", "ru": "rus", "el": "ell",
    "ja": "jpn", "ko": "kor", "tr": "tur", "pl": "pol", "sv": "swe", "uk": "ukr",
}  # fmt: skip


@dataclass(frozen=True)
class Placed:
    """A text as laid out: the words, their box on the image, and whether the box holds one
    line tightly (a CTA button: read as one line, nothing around it) or a block of lines."""

    text: str
    box: Box
    line: bool = False
    size_px: int | None = None  # the type size it was set in, when known


@dataclass(frozen=True)
class Reading:
    """What OCR made of one text: the similarity to what was meant to be there (0–100)."""

    field: str
    expected: str
    read: str
    score: float


def tesseract_pack(locale: str) -> str | None:
    """The Tesseract language pack for a locale: chi_sim / chi_tra by script or region for
    Chinese; None when there is none in the table."""
    info = parse_locale(locale)
    lang = locale.replace("_", "-").split("-")[0].lower()
    if lang == "zh":
        return "chi_tra" if info.cjk_region in ("TC", "HK") else "chi_sim"
    return _PACKS.get(lang)


def unavailable(locale: str) -> str | None:
    """Why copy in `locale` cannot be read back here, or None when it can."""
    where = tesseract.installed()
    if where.why_not is not None:
        return where.why_not
    pack = tesseract_pack(locale)
    if pack is None:
        return f"no Tesseract language pack is known for {locale}"
    if pack not in where.packs:
        debian = "tesseract-ocr-" + pack.replace("_", "-")
        return f"the Tesseract language pack {pack} is not installed (Debian: apt install {debian})"
    return None


def similarity(expected: str, read: str) -> float:
    """How completely `read` contains `expected` (0–100). When the reading is longer (the box
    caught a neighbour's text too) the best-matching stretch counts; when it is shorter, the
    missing part counts against it: a truncated or covered text never passes. Both are
    compared as the legal checks compare copy (case, width, punctuation and line breaks aside,
    no break between characters of scripts written without spaces)."""
    want, got = words_key(expected), words_key(read)
    if not want:
        return 100.0
    if len(got) > len(want):
        return float(fuzz.partial_ratio(want, got))
    return float(fuzz.ratio(want, got))


def _ink(image: Image.Image, placed: Placed) -> tuple[np.ndarray, int | None]:
    """The text's region at reading size as a mask of its ink, and the type size there.

    Otsu's threshold splits ink from ground whatever their colours; the ground is the side
    that holds most of the region's edge (a block's margin, a button's face). Ink touching the
    edge is not the text's (a button's corners, a neighbour): the text sits inside its box.
    A short button's rounded ends hold most of its edge, so there the rule takes the button's
    face for ink and leaves nothing inside it: when the other side leaves twice as much
    inside, that side is the text."""
    box = placed.box
    pad = 0 if placed.line else round(box.height * _MARGIN)
    region = Box(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad).clamp(
        image.width, image.height
    )
    grey = np.asarray(image.crop((region.x0, region.y0, region.x1, region.y1)).convert("L"))
    height, width = grey.shape
    scale = _MIN_HEIGHT / max(1, height) if height < _MIN_HEIGHT else 1.0
    if placed.size_px:
        scale = min(2.0, max(0.25, _READ_SIZE_PX / placed.size_px))
    if scale != 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        shrink = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        grey = cv2.resize(grey, size, interpolation=shrink)
    _, light = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    edge = np.concatenate([light[0], light[-1], light[:, 0], light[:, -1]])
    dark_ink = (edge > 0).mean() >= 0.5
    ink, other = _inside(light == 0), _inside(light > 0)
    if not dark_ink:
        ink, other = other, ink
    if ink.sum() < 0.5 * other.sum():
        ink = other
    return ink, round(placed.size_px * scale) if placed.size_px else None


def _inside(mask: np.ndarray) -> np.ndarray:
    """The mask without the shapes that touch its edge."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    x, y, w, h = (stats[:, i] for i in range(4))
    touching = (x == 0) | (y == 0) | (x + w == mask.shape[1]) | (y + h == mask.shape[0])
    touching[0] = True  # label 0: what is not in the mask
    result: np.ndarray = ~touching[labels]
    return result


def _line_spans(ink: np.ndarray, size: int | None) -> list[tuple[int, int]]:
    """Row ranges of the lines of ink, top to bottom. A run of inked rows shorter than a mark
    (Arabic dots, a Devanagari vowel sign above the line) joins the nearer of its neighbours."""
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) > 1)
    runs = [
        [int(rows[s]), int(rows[e]) + 1]
        for s, e in zip(np.r_[0, breaks + 1], np.r_[breaks, rows.size - 1], strict=True)
    ]
    mark = _MARK_RUN * (size or max(e - s for s, e in runs))
    while len(runs) > 1:
        short = next((i for i, (s, e) in enumerate(runs) if e - s < mark), None)
        if short is None:
            break
        above = runs[short][0] - runs[short - 1][1] if short > 0 else None
        below = runs[short + 1][0] - runs[short][1] if short + 1 < len(runs) else None
        other = short - 1 if below is None or (above is not None and above <= below) else short + 1
        lo, hi = sorted((short, other))
        runs[lo : hi + 1] = [[runs[lo][0], runs[hi][1]]]
    return [(s, e) for s, e in runs]


def _lines(image: Image.Image, placed: Placed) -> list[np.ndarray]:
    """Each line of the text as black ink on white, cut to its ink with a white margin."""
    ink, size = _ink(image, placed)
    spans = [(0, ink.shape[0])] if placed.line else _line_spans(ink, size)
    out = []
    for top, bottom in spans:
        line = ink[top:bottom]
        cols = np.flatnonzero(line.any(axis=0))
        if cols.size:
            page = np.where(line[:, cols[0] : cols[-1] + 1], 0, 255).astype(np.uint8)
            out.append(np.pad(page, _LINE_PAD, constant_values=255))
    return out


def read_region(image: Image.Image, placed: Placed, locale: str) -> str:
    """Tesseract's reading of one laid-out text, line by line (lines joined by newlines): the
    reading that holds the text best of the line modes tried, stopping at the first that
    passes. Another mode cannot add what is not on the image, only read what is."""
    pack = tesseract_pack(locale)
    assert pack is not None, "check unavailable(locale) first"
    lines = _lines(image, placed)
    best, best_score = "", -1.0
    for mode in _LINE_MODES:
        read = "\n".join(tesseract.read_text(line, pack, mode).strip() for line in lines)
        score = similarity(placed.text, read)
        if score > best_score:
            best, best_score = read, score
        if score >= READBACK_THRESHOLD:
            break
    return best


def read_back(
    image: Image.Image | np.ndarray,
    texts: Mapping[str, Placed],
    locale: str,
) -> list[Reading]:
    """Each text (field → where and how it was laid out) as OCR reads it on the final image."""
    img = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    out = []
    for field, placed in texts.items():
        read = read_region(img, placed, locale).strip()
        out.append(Reading(field, placed.text, read, similarity(placed.text, read)))
    return out


def readback_findings(
    image: Image.Image | np.ndarray,
    texts: Mapping[str, Placed],
    locale: str,
) -> list[Finding]:
    """One `copy_readback` finding per text: pass at READBACK_THRESHOLD or more, fail below
    (with what was read), skipped (with why) where OCR cannot read the locale here."""
    why = unavailable(locale)
    readings: list[Reading] = []
    if why is None:
        try:
            readings = read_back(image, texts, locale)
        except RuntimeError as exc:  # tesserocr: a language pack that would not load
            why = f"Tesseract could not start: {exc}"
    if why is not None:
        return [
            Finding(check="copy_readback", status="skipped", detail=f"{field}: {why}")
            for field in texts
        ]
    findings = []
    for r in readings:
        ok = r.score >= READBACK_THRESHOLD
        detail = (
            f"{r.field} read back whole"
            if ok
            else f"{r.field} not found whole on the image: read {r.read[:120]!r}"
        )
        findings.append(
            Finding(
                check="copy_readback",
                status="pass" if ok else "fail",
                value=round(r.score, 1),
                threshold=READBACK_THRESHOLD,
                detail=detail,
            )
        )
    return findings


__all__ = [
    "READBACK_THRESHOLD",
    "Placed",
    "Reading",
    "read_back",
    "readback_findings",
    "similarity",
    "tesseract_pack",
    "unavailable",
]
