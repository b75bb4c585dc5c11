"""`cap check`: creatives made anywhere judged against a brand kit by the pipeline's own checks.

A creative of this platform (listed in a manifest.json) is checked at its recorded text boxes
against its recorded copy, which OCR must read back off the pixels. A loose image (a designer's
hand-made variant) has no record: its text is found by OCR. Letters are the stable regions of
the grey image (MSER, either polarity, so light-on-dark, dark-on-light and text on a button
are all found), chained into lines by height and spacing; Tesseract reads each line on its own
(its whole-page layout analysis takes a button with text in it for a picture); lines of words
it is sure of are grouped into blocks, the largest block being the headline.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pydantic import ValidationError

from .brandkit import Brand
from .checking import scaled
from .colour import parse_hex
from .compliance import tesseract
from .compliance.brand import find_logo
from .compliance.findings import Finding
from .compliance.image_quality import image_quality_findings
from .compliance.legal import disclaimer_findings, prohibited_findings, terms_for
from .compliance.ocr import readback_findings, similarity, tesseract_pack, unavailable
from .compliance.placement import TextOnImage
from .compliance.suite import CreativeFacts, check_creative
from .errors import AssetError
from .formats import FORMATS, Format, resolve_format
from .imaging.fonts import ARABIC, CJK, DEVANAGARI, parse_locale
from .imaging.geometry import Box
from .imaging.io import load_image, sniff_format, split_alpha
from .imaging.logo import LogoPair
from .manifest import SCHEMA_VERSION, CreativeRecord, Manifest
from .readback import placed_copy
from .sources import load_logo

DEFAULT_LOCALE = "en"
RATIO_TOLERANCE = 0.01  # relative aspect-ratio difference still counted as the format's
_MIN_WORD_CONFIDENCE = 40.0  # words below this are dropped from a line kept
_SHORT_MARGIN = 7.0  # confidence a reading of fewer than 4 letters needs beyond the script's
_READ_HEIGHT = 40  # px: a line is scaled to this height before reading (ocr.py reads at 32–44)
# a locale in a file name: the whole stem ("es-MX.jpg", "en.png"), or after a separator
# when it has a region ("banner_es-MX.jpg")
_LOCALE = r"[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-[A-Z]{2}|-\d{3})"
_STEM_LOCALE = re.compile(rf"(?:^|[_.\s-])({_LOCALE})$|^([a-z]{{2}})$")
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_UNSPACED = re.compile(r"(?<=[\u2e80-\uffef]) (?=[\u2e80-\uffef])")  # between CJK characters
_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # Tesseract's RTL marks
I64 = NDArray[np.int64]
LocaleFrom = Literal["manifest", "--locale", "file name", "default"]


@dataclass(frozen=True)
class Target:
    """One file to check and what is known of it before it is opened."""

    path: Path
    record: CreativeRecord | None = None  # its manifest record, for a creative of this platform
    locale: str = DEFAULT_LOCALE
    locale_from: LocaleFrom = "default"


@dataclass(frozen=True)
class TextRead:
    """A text of the creative: recorded (platform) or read by OCR (confidence 0–100)."""

    field: str
    text: str
    box: Box
    confidence: float | None = None


@dataclass
class Review:
    """Everything `cap check` says about one creative."""

    target: Target
    fmt: Format
    width: int
    height: int
    texts: list[TextRead]
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    ms: float = 0.0

    @property
    def source(self) -> str:
        return "manifest" if self.target.record is not None else "ocr"

    @property
    def failed(self) -> bool:
        return any(f.blocking for f in self.findings)


# -- what to check -----------------------------------------------------------------------------


def locale_tag(value: str) -> str:
    """A --locale value checked for shape ('es-MX', 'zh-Hant-TW'); AssetError otherwise."""
    tag = value.strip()
    if not _TAG.match(tag):
        raise AssetError(f"--locale {value!r} is not a locale tag (e.g. en, es-MX, zh-Hant-TW)")
    return tag


def collect(paths: Sequence[Path], locale: str | None) -> list[Target]:
    """Every creative named: image files, and the creatives of output folders (a folder with
    manifest.json, or one whose campaign folders hold one). Each file is sniffed here, so a
    missing or non-image file stops the command before anything is checked."""
    out: dict[Path, Target] = {}
    for path in paths:
        for target in _targets(path, locale):
            out.setdefault(target.path.resolve(), target)
    return list(out.values())


def _targets(path: Path, locale: str | None) -> list[Target]:
    if not path.exists():
        raise AssetError(f"{path}: file not found")
    if path.is_dir():
        manifests = [path / "manifest.json"] if (path / "manifest.json").is_file() else []
        manifests = manifests or sorted(path.glob("*/manifest.json"))
        if not manifests:
            raise AssetError(
                f"{path}: a folder without manifest.json (not an output folder of `cap run`); "
                f"give its image files instead (e.g. {path}/*.jpg)"
            )
        return [t for m in manifests for t in _manifest_targets(m)]
    _sniff(path)
    record = _record_of(path)
    if record is not None:
        return [Target(path, record, record.locale, "manifest")]
    if locale is not None:
        return [Target(path, None, locale, "--locale")]
    found = _STEM_LOCALE.search(path.stem)
    if found:
        return [Target(path, None, found.group(1) or found.group(2), "file name")]
    return [Target(path, None)]


def _sniff(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(32)
    except OSError as error:
        raise AssetError(f"{path}: cannot read ({error.strerror or error})") from None
    if sniff_format(head) is None:
        raise AssetError(f"{path}: not a JPEG, PNG or WebP image")


def read_manifest(path: Path) -> Manifest:
    try:
        manifest = Manifest.model_validate_json(path.read_bytes())
    except OSError as error:
        raise AssetError(f"{path}: cannot read ({error.strerror or error})") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AssetError(
            f"{path}: not a manifest of this platform ({where}: {first['msg']})"
        ) from None
    if manifest.schema_version > SCHEMA_VERSION:
        raise AssetError(
            f"{path}: schema_version {manifest.schema_version} is newer than this version "
            f"reads ({SCHEMA_VERSION}); upgrade creative-automation"
        )
    return manifest


def _manifest_targets(path: Path) -> list[Target]:
    targets = []
    for record in read_manifest(path).creatives:
        if record.path is None:  # a creative that could not be made has no file to check
            continue
        file = path.parent / record.path
        if not file.is_file():
            raise AssetError(f"{file}: listed in {path} but not found")
        _sniff(file)
        targets.append(Target(file, record, record.locale, "manifest"))
    return targets


def _record_of(path: Path) -> CreativeRecord | None:
    """The manifest record of a file inside an output folder (<campaign>/<product>/<ratio>/)."""
    file = path.resolve()
    for folder in list(file.parents)[:3]:
        manifest = folder / "manifest.json"
        if manifest.is_file():
            for record in read_manifest(manifest).creatives:
                if record.path and (folder / record.path).resolve() == file:
                    return record
    return None


# -- the kit and its logos ---------------------------------------------------------------------


def asset_folder(kit: Brand, kit_path: Path, assets: Path | None) -> Path:
    """Where the kit's logo files are: --assets, else beside the kit, else its assets/ folder."""
    if assets is not None:
        if not assets.is_dir():
            raise AssetError(f"the asset folder {assets} does not exist or is not a folder")
        return assets
    here = kit_path.parent
    names = kit.logo_files()
    for folder in (here, here / "assets"):
        if all((folder / n).is_file() for n in names):
            return folder
    return here


class Logos:
    """The kit's logo pair per locale (a market may have its own), each file pair loaded once."""

    def __init__(self, kit: Brand, folder: Path, max_pixels: int) -> None:
        self.kit, self.folder, self.max_pixels = kit, folder, max_pixels
        self._pairs: dict[tuple[str | None, str | None], LogoPair | None] = {}

    def for_locale(self, locale: str) -> LogoPair | None:
        kit = self.kit.for_locale(locale)
        key = (kit.logo, kit.logo_on_dark)
        if key not in self._pairs:
            try:
                self._pairs[key] = load_logo(kit, self.folder, self.max_pixels)
            except AssetError as error:
                raise AssetError(
                    f"{error} (logos are looked for in --assets, else beside the kit file or "
                    "in its assets/ folder)"
                ) from None
        return self._pairs[key]


# -- format ------------------------------------------------------------------------------------


def format_of(width: int, height: int) -> tuple[Format, Finding]:
    """The format of a width × height image: the nearest aspect ratio, its safe zones and
    type-size rules scaled to this size, and a finding saying how well it matches."""
    ratio = width / height
    nearest = min(FORMATS, key=lambda f: abs(math.log(ratio * f.height / f.width)))
    off = abs(ratio * nearest.height / nearest.width - 1.0)
    fmt = replace(nearest, width=width, height=height)
    named = f"{nearest.name} {nearest.ratio}"
    if off > RATIO_TOLERANCE:
        return fmt, Finding(
            check="format",
            status="warn",
            value=f"{width}x{height}",
            threshold=nearest.ratio,
            detail=f"{width}×{height} ({ratio:.3f}:1) matches no format; checked as the nearest, "
            f"{named}, whose platform may crop it",
        )
    size = f"{width / nearest.width:.0%} of its {nearest.width}×{nearest.height}; sizes scaled"
    if (width, height) == (nearest.width, nearest.height):
        size = "its own size"
    return fmt, Finding(
        check="format",
        status="pass",
        value=f"{width}x{height}",
        threshold=nearest.ratio,
        detail=f"{named} at {size}",
    )


# -- text found by OCR -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    box: Box  # the words read, image pixels
    text: str
    confidence: float
    glyph: float  # median letter height (MSER), to tell type sizes apart


@dataclass(frozen=True)
class _Regions:
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


def _regions(grey: NDArray[np.uint8]) -> _Regions:
    short = min(grey.shape)
    mser = cv2.MSER.create(delta=5, min_area=6, max_area=int((0.25 * short) ** 2))
    found, boxes = mser.detectRegions(grey)
    pixels = [np.asarray(p, np.int32).reshape(-1, 2) for p in found]  # x, y of each
    if not pixels:
        return _Regions(np.zeros((0, 4), np.int64), np.zeros(0, bool), [])
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
    return _Regions(b, np.asarray(light), pixels)


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
class _Chaining:
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


_LATIN_CHAINING = _Chaining()
_BOTH = (tesseract.PSM_LINE, tesseract.PSM_RAW_LINE)
_JOINED = _Chaining(ratio=2.5, offset=0.45, gap=0.8, gap_of_taller=True, widest=8.0, modes=_BOTH)
_CHAINING = {
    # a full-width comma or stop leaves a character's width of gap
    CJK: _Chaining(
        merge=True, square=True, ratio=2.5, offset=0.45, gap=1.3, gap_of_taller=True, widest=12.0
    ),
    # joined letters: a run of them is wide and short beside a tall alef or lam; Tesseract is
    # less sure of Arabic (a clean headline reads at 60–90), and a line's median glyph height
    # depends on how many tall letters it has
    ARABIC: replace(_JOINED, pad_y=0.35, sure=75.0, long_sure=55.0, letters=3, stack=1.6),
    DEVANAGARI: replace(_JOINED, pad_y=0.3),
}


def _chains(letters: NDArray[np.int64], rule: _Chaining) -> list[tuple[Box, float]]:
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
        if not any(_overlap(box, k) > 0.6 and g < 1.6 * glyph for k, g in kept):
            kept.append((box, glyph))
    return kept


def _overlap(box: Box, other: Box) -> float:
    """The share of box's area inside other."""
    inter = box.intersection(other)
    return 0.0 if inter is None else inter.area / max(1, box.area)


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


def _region_ink(regions: _Regions, box: Box, area: Box) -> NDArray[np.bool_]:
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
    rule: _Chaining
    rtl: bool

    def line(
        self, grey: NDArray[np.uint8], regions: _Regions, box: Box, glyph: float
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
        if all(max(_overlap(line.box, k.box), _overlap(k.box, line.box)) < 0.5 for k in kept):
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
    reader = _Reader(pack, _CHAINING.get(info.script or "", _LATIN_CHAINING), info.rtl)
    grey = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), np.uint8)
    regions = _regions(grey)
    letters = regions.letters(reader.rule.widest, min(grey.shape))
    for e in exclude:  # before chaining: a CTA beside the logo is not chained to its wordmark
        cx, cy = letters[:, 0] + letters[:, 2] / 2, letters[:, 1] + letters[:, 3] / 2
        letters = letters[~((cx >= e.x0) & (cx < e.x1) & (cy >= e.y0) & (cy < e.y1))]
    lines = []
    for box, glyph in _chains(letters, reader.rule):
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


# -- the checks --------------------------------------------------------------------------------


def legal_findings(copy: Mapping[str, str | None], kit: Brand, locale: str) -> list[Finding]:
    """Prohibited words and claims and the market's required disclaimers, on the copy."""
    findings = disclaimer_findings(copy, terms_for(kit.disclaimers, locale), locale)
    findings += prohibited_findings(copy, terms_for(kit.prohibited_words, locale), locale)
    claims = terms_for(kit.prohibited_claims, locale)
    return findings + prohibited_findings(copy, claims, locale, check="prohibited_claims")


def _legal_skipped(kit: Brand, locale: str, why: str) -> list[Finding]:
    lists = (
        ("required_disclaimer", kit.disclaimers),
        ("prohibited_words", kit.prohibited_words),
        ("prohibited_claims", kit.prohibited_claims),
    )
    return [
        Finding(check=check, status="skipped", detail=f"{locale}: no text read ({why})")
        for check, table in lists
        if terms_for(table, locale)
    ]


def _variants(logo: LogoPair) -> list[tuple[str, Image.Image]]:
    return [("on_light", logo.on_light), ("on_dark", logo.on_dark)]


def _facts(
    fmt: Format,
    kit: Brand,
    logo: LogoPair | None,
    texts: Iterable[TextOnImage],
    subject: Box | None,
) -> CreativeFacts:
    return CreativeFacts(
        fmt=fmt,
        texts=list(texts),
        logo_variants=_variants(logo) if logo else [],
        logo_min_width=scaled(kit.logo_min_width_px, fmt),
        logo_clear=kit.logo_clear_space,
        subject_box=subject,
        palette=[(c.role, parse_hex(c.hex)) for c in kit.colours],
    )


def review(target: Target, kit: Brand, logos: Logos, max_pixels: int) -> Review:
    """Every check of one creative: legibility of its texts, logo, palette, image quality,
    legal on its copy (a platform creative's recorded copy must also read back off it)."""
    t0 = time.perf_counter()
    image = load_image(target.path, max_pixels=max_pixels)
    rgb, alpha = split_alpha(image)
    height, width = rgb.shape[:2]
    locale = target.locale
    local_kit = kit.for_locale(locale)
    logo = logos.for_locale(locale)
    fmt, fmt_finding = format_of(width, height)
    record, notes = target.record, []
    if record is not None and (record.width, record.height) != (width, height):
        notes.append(
            f"the manifest records {record.width}×{record.height}, the file is {width}×{height}: "
            "its recorded boxes no longer apply, so it is checked as a loose image"
        )
        record = None
    if alpha is not None:  # as a feed shows it: over white
        a = alpha[..., None].astype(np.float32) / 255.0
        rgb = np.asarray(rgb * a + 255.0 * (1.0 - a) + 0.5, np.uint8)
        notes.append("the image has transparent pixels: checked as seen over white")
    findings = [fmt_finding]
    if record is not None:
        with contextlib.suppress(ValueError):  # a format this version does not know
            fmt = replace(resolve_format(record.aspect_ratio), width=width, height=height)
        texts, placed = _recorded(record)
        subject = Box(*record.layout.subject_box) if record.layout.subject_box else None
        findings += check_creative(rgb, _facts(fmt, local_kit, logo, placed, subject))
        copy = {
            "message": record.message,
            "call_to_action": record.call_to_action,
            "disclaimer": record.disclaimer,
        }
        findings += legal_findings(copy, local_kit, locale)
        findings += readback_findings(rgb, placed_copy(record), locale)
    else:
        texts, text_findings = _read_loose(rgb, locale, local_kit, logo, fmt)
        placed = [TextOnImage(t.field, t.box, None) for t in texts]
        findings += text_findings
        findings += check_creative(rgb, _facts(fmt, local_kit, logo, placed, None))
    if logo is None:
        findings.append(
            Finding(check="logo_present", status="skipped", detail="the brand kit names no logo")
        )
    findings += image_quality_findings(rgb)
    ms = (time.perf_counter() - t0) * 1000
    return Review(target, fmt, width, height, texts, findings, notes, round(ms, 1))


def _recorded(record: CreativeRecord) -> tuple[list[TextRead], list[TextOnImage]]:
    """A platform creative's copy where its layout put it (as the pipeline checks it)."""
    lay = record.layout
    where = (
        ("headline", record.message, lay.headline_box, record.headline_px),
        ("cta", record.call_to_action, lay.cta_box, record.cta_px),
        ("disclaimer", record.disclaimer, lay.disclaimer_box, record.disclaimer_px),
    )
    texts, placed = [], []
    for name, text, box, size in where:
        if text and box:
            texts.append(TextRead(name, text, Box(*box)))
            placed.append(TextOnImage(name, Box(*box), size))
    return texts, placed


def _read_loose(
    rgb: NDArray[np.uint8], locale: str, kit: Brand, logo: LogoPair | None, fmt: Format
) -> tuple[list[TextRead], list[Finding]]:
    """The text OCR finds on a loose image, what it read, and the legal checks on that."""
    why = unavailable(locale)
    if why is not None:
        skipped = Finding(
            check="text_found",
            status="skipped",
            detail=f"no text can be read, so legibility is not measured: {why}",
        )
        return [], [skipped, *_legal_skipped(kit, locale, why)]
    exclude = []
    if logo is not None:  # the logo's wordmark is not copy
        smallest = max(8, round(0.6 * scaled(kit.logo_min_width_px, fmt)))
        match = find_logo(rgb, _variants(logo), min_width=smallest)
        exclude = [match.box] if match is not None else []
    texts = find_text(rgb, locale, exclude)
    pack = tesseract_pack(locale)
    if texts:
        read = "; ".join(f"{t.field} “{' / '.join(t.text.splitlines())}”" for t in texts)
        found = Finding(
            check="text_found",
            status="pass",
            value=len(texts),
            detail=f"OCR ({pack}) read {len(texts)} block(s): {read}",
        )
    else:
        found = Finding(
            check="text_found",
            status="warn",
            value=0,
            detail=f"OCR ({pack}) read no text on the image: no copy to measure or check",
        )
    copy = {t.field: t.text for t in texts}
    return texts, [found, *[_closest(f, texts) for f in legal_findings(copy, kit, locale)]]


def _closest(finding: Finding, texts: Sequence[TextRead]) -> Finding:
    """A required disclaimer OCR did not find, with the reading most like it: a reviewer
    tells a misread character from a missing or changed disclaimer (neither is passed)."""
    if finding.check != "required_disclaimer" or finding.status != "fail" or not texts:
        return finding
    wanted = str(finding.value)
    score, text = max((similarity(wanted, t.text), t.text) for t in texts)
    if score < 50:
        return finding
    near = " / ".join(text.splitlines())
    detail = f"{finding.detail}; the closest reading is “{near}” (similarity {score:.0f} of 100)"
    return finding.model_copy(update={"detail": detail})


__all__ = [
    "DEFAULT_LOCALE",
    "Logos",
    "Review",
    "Target",
    "TextRead",
    "asset_folder",
    "collect",
    "find_text",
    "format_of",
    "legal_findings",
    "locale_tag",
    "read_manifest",
    "review",
]
