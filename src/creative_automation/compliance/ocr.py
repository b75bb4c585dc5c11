"""Copy read-back: OCR the final creative and confirm each text is on it, whole.

Tesseract (Debian's `tesseract-ocr` and its language packs, through pytesseract) reads the
region each text was laid out in. The text counts as present when the OCR reading covers it at
a similarity of at least READBACK_THRESHOLD (rapidfuzz, 0–100): a truncated or covered headline
reads short and scores low, a reading with a stray character more still passes. Where there is
no Tesseract or no language pack for the locale, the check says so as `skipped`, never `pass`.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytesseract
from PIL import Image, ImageOps
from rapidfuzz import fuzz

from ..imaging.fonts import CJK, parse_locale
from ..imaging.geometry import Box
from .findings import Finding
from .textnorm import words_key

READBACK_THRESHOLD = 90.0  # rapidfuzz similarity (0–100) the reading must reach
_MARGIN = 0.04  # around a text block, as a fraction of its height: descenders, anti-aliasing
_MIN_HEIGHT = 48  # px: smaller crops are enlarged, Tesseract reads best at ~30 px x-height
_READ_SIZE_PX = 48  # type of a known size is scaled to this before reading (headlines run 100+)
_TIMEOUT_S = 20
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


@lru_cache(maxsize=1)
def _installed() -> tuple[frozenset[str], str | None]:
    """(installed language packs, why OCR is unavailable or None)."""
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return frozenset(), "Tesseract is not installed (Debian: apt install tesseract-ocr)"
    try:
        return frozenset(pytesseract.get_languages(config="")), None
    except (pytesseract.TesseractError, OSError) as exc:
        return frozenset(), f"Tesseract cannot run: {exc}"


def unavailable(locale: str) -> str | None:
    """Why copy in `locale` cannot be read back here, or None when it can."""
    packs, why = _installed()
    if why is not None:
        return why
    pack = tesseract_pack(locale)
    if pack is None:
        return f"no Tesseract language pack is known for {locale}"
    if pack not in packs:
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


def _crop(image: Image.Image, placed: Placed) -> Image.Image:
    """The text's region in grey, dark on light (Tesseract's training), enlarged if small. A
    button is cut at its own edge: the background around it only adds shapes to misread."""
    box = placed.box
    pad = 0 if placed.line else round(box.height * _MARGIN)
    region = Box(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad).clamp(
        image.width, image.height
    )
    crop = image.crop((region.x0, region.y0, region.x1, region.y1)).convert("L")
    if float(np.asarray(crop).mean()) < 128:  # light text on a dark ground
        crop = ImageOps.invert(crop)
    scale = _MIN_HEIGHT / max(1, crop.height) if crop.height < _MIN_HEIGHT else 1.0
    if placed.size_px:
        scale = min(2.0, max(0.25, _READ_SIZE_PX / placed.size_px))
    if scale != 1.0:
        size = (max(1, round(crop.width * scale)), max(1, round(crop.height * scale)))
        crop = crop.resize(size, Image.Resampling.LANCZOS)
    return crop


def read_region(image: Image.Image, placed: Placed, locale: str) -> str:
    """Tesseract's reading of one laid-out text (a single line, or a block of lines)."""
    pack = tesseract_pack(locale)
    assert pack is not None, "check unavailable(locale) first"
    # one line; else a block, or sparse text for CJK (its lines read better word by word)
    cjk = parse_locale(locale).script == CJK
    mode = "--psm 7" if placed.line else "--psm 11" if cjk else "--psm 6"
    return str(
        pytesseract.image_to_string(
            _crop(image, placed), lang=pack, config=mode, timeout=_TIMEOUT_S
        )
    )


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
    if why is not None:
        return [
            Finding(check="copy_readback", status="skipped", detail=f"{field}: {why}")
            for field in texts
        ]
    findings = []
    for r in read_back(image, texts, locale):
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
