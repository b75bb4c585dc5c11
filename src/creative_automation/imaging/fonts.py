"""Bundled Noto fonts: scripts, locales, glyph coverage and the cached face for a text."""

from __future__ import annotations

import bisect
import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from fontTools.ttLib import TTCollection, TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph
from PIL import ImageFont

from creative_automation.errors import AssetError, FontCoverageError

Weight = Literal["bold", "regular"]

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"

LATIN, CYRILLIC, GREEK = "latin", "cyrillic", "greek"
ARABIC, HEBREW, DEVANAGARI, CJK = "arabic", "hebrew", "devanagari", "cjk"
RTL_SCRIPTS = frozenset({ARABIC, HEBREW})

# Inclusive code point ranges per script, sorted by start (searched with bisect).
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x005A, LATIN), (0x0061, 0x007A, LATIN), (0x00C0, 0x02AF, LATIN),
    (0x0370, 0x03FF, GREEK), (0x0400, 0x052F, CYRILLIC), (0x0590, 0x05FF, HEBREW),
    (0x0600, 0x06FF, ARABIC), (0x0750, 0x077F, ARABIC), (0x0870, 0x08FF, ARABIC),
    (0x0900, 0x097F, DEVANAGARI), (0x1100, 0x11FF, CJK), (0x1C80, 0x1C8F, CYRILLIC),
    (0x1CD0, 0x1CFF, DEVANAGARI), (0x1E00, 0x1EFF, LATIN), (0x1F00, 0x1FFF, GREEK),
    (0x2C60, 0x2C7F, LATIN), (0x2DE0, 0x2DFF, CYRILLIC), (0x2E80, 0x2FDF, CJK),
    (0x3000, 0x33FF, CJK), (0x3400, 0x4DBF, CJK), (0x4E00, 0x9FFF, CJK),
    (0xA640, 0xA69F, CYRILLIC), (0xA720, 0xA7FF, LATIN), (0xA8E0, 0xA8FF, DEVANAGARI),
    (0xA960, 0xA97F, CJK), (0xAC00, 0xD7FF, CJK), (0xF900, 0xFAFF, CJK),
    (0xFB1D, 0xFB4F, HEBREW), (0xFB50, 0xFDFF, ARABIC), (0xFE30, 0xFE4F, CJK),
    (0xFE70, 0xFEFF, ARABIC), (0xFF00, 0xFFEF, CJK), (0x20000, 0x3FFFF, CJK),
)  # fmt: skip
_STARTS = [r[0] for r in _RANGES]
_HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF))
_KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
# Format characters HarfBuzz does not hide: they print a visible sign, so they need a glyph.
_VISIBLE_FORMAT = frozenset({0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x08E2})

_LANGUAGE_SCRIPT = {
    **dict.fromkeys(("ar", "fa", "ur", "ps", "ug", "ckb", "sd"), ARABIC),
    **dict.fromkeys(("he", "iw", "yi"), HEBREW),
    **dict.fromkeys(("hi", "mr", "ne", "sa", "mai", "bho", "kok", "doi"), DEVANAGARI),
    **dict.fromkeys(("ru", "uk", "bg", "be", "sr", "mk", "kk", "ky", "mn", "tg"), CYRILLIC),
    "el": GREEK,
    **dict.fromkeys(("ja", "zh", "ko"), CJK),
}
_SCRIPT_SUBTAG = {
    "latn": LATIN, "cyrl": CYRILLIC, "grek": GREEK, "arab": ARABIC, "hebr": HEBREW,
    "deva": DEVANAGARI, "hans": CJK, "hant": CJK, "jpan": CJK, "kore": CJK,
}  # fmt: skip
# Script fonts are published without Latin letters, digits or punctuation (Noto expects the
# platform to fall back); a headline like "מבצע! 50%" needs them, so NotoSans completes them.
_FAMILY = {
    LATIN: "NotoSans", CYRILLIC: "NotoSans", GREEK: "NotoSans", ARABIC: "NotoSansArabic",
    HEBREW: "NotoSansHebrew", DEVANAGARI: "NotoSansDevanagari", CJK: "NotoSansCJK",
}  # fmt: skip
_COMPLETED_BY_LATIN = ("NotoSansArabic", "NotoSansHebrew", "NotoSansDevanagari")
_CANDIDATE_ORDER = (LATIN, ARABIC, HEBREW, DEVANAGARI, CJK)


@dataclass(frozen=True)
class LocaleInfo:
    """What a locale tag means for type: raqm language tag, preferred script, CJK region."""

    language: str | None
    script: str | None
    cjk_region: str | None  # "JP" | "KR" | "SC" | "TC" | "HK"
    rtl: bool


def script_of(char: str) -> str | None:
    """The script of one character, or None for digits, punctuation and unknown scripts."""
    cp = ord(char)
    i = bisect.bisect_right(_STARTS, cp) - 1
    if i >= 0 and _RANGES[i][1] >= cp:
        return _RANGES[i][2]
    return None


def _in(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def is_hangul(char: str) -> bool:
    return _in(ord(char), _HANGUL)


def detect_script(text: str) -> str:
    """The dominant script of text by letter (and mark) counts; "latin" when there are none."""
    counts: dict[str, int] = {}
    for char in text:
        if unicodedata.category(char)[0] in "LM":
            script = script_of(char)
            if script is not None:
                counts[script] = counts.get(script, 0) + 1
    if not counts:
        return LATIN
    return max(counts, key=lambda s: counts[s])  # ties: the script seen first


@lru_cache(maxsize=256)
def parse_locale(locale: str) -> LocaleInfo:
    """Read a BCP 47-ish tag ("ar-EG", "zh_Hant_TW", "sr-Latn") into what typography needs."""
    tags = [t for t in locale.replace("_", "-").split("-") if t]
    lang = tags[0].lower() if tags and tags[0].isalpha() else None
    subtags = [t.lower() for t in tags[1:]]
    script = _LANGUAGE_SCRIPT.get(lang or "", LATIN if lang else None)
    script = next((_SCRIPT_SUBTAG[t] for t in subtags if t in _SCRIPT_SUBTAG), script)
    region: str | None = None
    if lang == "ja":
        region = "JP"
    elif lang == "ko":
        region = "KR"
    elif lang == "zh":
        if "hk" in subtags or "mo" in subtags:
            region = "HK"
        elif "hant" in subtags or "tw" in subtags:
            region = "TC"
        else:
            region = "SC"
    if lang == "zh":
        raqm_language: str | None = {"TC": "zh-Hant", "HK": "zh-HK"}.get(region or "", "zh-Hans")
    else:
        raqm_language = "he" if lang == "iw" else lang
    return LocaleInfo(raqm_language, script, region, script in RTL_SCRIPTS)


def _cjk_region(text: str, info: LocaleInfo) -> str:
    if info.cjk_region:
        return info.cjk_region
    if any(_in(ord(c), _KANA) for c in text):
        return "JP"
    return "KR" if any(is_hangul(c) for c in text) else "SC"


@dataclass(frozen=True)
class Face:
    """One bundled face: file, index within a collection, PostScript name."""

    path: Path
    index: int
    name: str


@lru_cache(maxsize=8)
def _collection_faces(path: Path) -> dict[str, tuple[int, str]]:
    """Family name -> (index, PostScript name) for every face of a .ttc, read from the fonts."""
    with TTCollection(path, lazy=True) as collection:
        return {
            str(font["name"].getDebugName(1)): (i, str(font["name"].getDebugName(6)))
            for i, font in enumerate(collection.fonts)
        }


@lru_cache(maxsize=32)
def _face(script: str, weight: Weight, region: str = "SC") -> Face:
    suffix = "Bold" if weight == "bold" else "Regular"
    if script == CJK:
        path = FONT_DIR / f"NotoSansCJK-{suffix}.ttc"
        index, name = _collection_faces(path)[f"Noto Sans CJK {region}"]
        return Face(path, index, name)
    path = FONT_DIR / f"{_FAMILY[script]}-{suffix}.ttf"
    with TTFont(path, lazy=True) as font:
        return Face(path, 0, str(font["name"].getDebugName(6)))


def _completion_for(path: Path) -> Path | None:
    """The NotoSans file whose glyphs complete a bundled script font, if it needs one."""
    path = path.resolve()
    if path.parent != FONT_DIR or not path.name.startswith(_COMPLETED_BY_LATIN):
        return None
    return FONT_DIR / f"NotoSans-{path.stem.rsplit('-', 1)[1]}.ttf"


def _is_collection(path: Path) -> bool:
    with path.open("rb") as fh:  # by content: a brand's .otc/.ttc may carry any suffix
        return fh.read(4) == b"ttcf"


@lru_cache(maxsize=16)
def _cmap(path: Path, index: int) -> frozenset[int]:
    if _is_collection(path):
        with TTCollection(path, lazy=True) as collection:
            return frozenset(collection.fonts[index].getBestCmap())
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


@lru_cache(maxsize=16)
def coverage(path: Path, index: int = 0) -> frozenset[int]:
    """Code points the face draws (as get_font loads it: completed script fonts included)."""
    completion = _completion_for(Path(path))
    own = _cmap(Path(path), index)
    return own | _cmap(completion, 0) if completion else own


def _needs_glyph(char: str) -> bool:
    # Line breaks are layout, and HarfBuzz hides default-ignorable format characters (ZWJ,
    # bidi marks, variation selectors) that a font lacks, so none of them can become tofu.
    cp = ord(char)
    if char in "\n\r\t" or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return False
    return unicodedata.category(char) != "Cf" or cp in _VISIBLE_FORMAT


def text_script(text: str, locale: str) -> str:
    """The script typography follows: the locale's own when the text uses it, else dominant."""
    script = parse_locale(locale).script
    if script and script != LATIN and any(script_of(c) == script for c in text):
        return script
    return detect_script(text)


def _candidates(text: str, locale: str, weight: Weight) -> list[Face]:
    info = parse_locale(locale)
    region = _cjk_region(text, info)
    order = [text_script(text, locale), info.script or LATIN, *_CANDIDATE_ORDER]
    faces: list[Face] = []
    for script in order:
        face = _face(LATIN if _FAMILY[script] == "NotoSans" else script, weight, region)
        if face not in faces:
            faces.append(face)
    return faces


@lru_cache(maxsize=32)
def brand_face(path: Path) -> Face:
    """A brand's own font file (first face of a collection); AssetError if it is not a font."""
    try:
        # from bytes: fontTools leaves its file open when it rejects one
        data = io.BytesIO(path.read_bytes())
        is_collection = data.getvalue()[:4] == b"ttcf"
        font = TTCollection(data).fonts[0] if is_collection else TTFont(data)
        name = font["name"].getDebugName(6)
        if not font.getBestCmap():
            raise ValueError("it has no Unicode character map")
    except Exception as exc:  # fontTools raises many types for a damaged or foreign file
        raise AssetError(f"{path.name}: not a usable font file ({exc})") from None
    return Face(path, 0, str(name or path.stem))


@lru_cache(maxsize=4096)  # layout asks again for every candidate box of the same copy
def font_for(
    text: str, locale: str, weight: Weight, preferred: tuple[Path, ...] = ()
) -> tuple[Path, int, str]:
    """(path, face index, font name) of the first font covering every char of text: the
    brand's own fonts (preferred) first, then the bundled ones."""
    needed = {ord(c) for c in text if _needs_glyph(c)}
    faces = [brand_face(p) for p in preferred] + _candidates(text, locale, weight)
    for face in faces:
        if needed <= coverage(face.path, face.index):
            return face.path, face.index, face.name
    anywhere = frozenset().union(*(coverage(f.path, f.index) for f in faces))
    missing, together = needed - anywhere, ""
    if not missing:  # each character has a font, but no single font has them all
        missing, together = needed - coverage(faces[0].path, faces[0].index), " together"
    listed = ", ".join(f"{chr(cp)!r} (U+{cp:04X})" for cp in sorted(missing))
    raise FontCoverageError(
        f"no bundled font covers the text{together} for locale {locale!r}: missing {listed}"
        f" in {text!r}"
    )


def check_coverage(text: str, locale: str, preferred: tuple[Path, ...] = ()) -> None:
    """Raise FontCoverageError unless some font (either weight) covers all of text."""
    for weight in ("bold", "regular"):
        font_for(text, locale, weight, preferred)


def _strip_instructions(data: bytes) -> bytes:
    # Hinting programs call functions defined in their own font's fpgm; moved into another
    # font they would run someone else's functions, so the copied outlines go unhinted.
    contours = int.from_bytes(data[:2], "big", signed=True)
    if contours <= 0:
        return data
    at = 10 + 2 * contours
    length = int.from_bytes(data[at : at + 2], "big")
    return data[:at] + b"\0\0" + data[at + 2 + length :]


def _contours(data: bytes) -> int:
    return int.from_bytes(data[:2], "big", signed=True) if data else 0


def _copy_glyph(data: bytes, glyf_in: Any, renamed: dict[str, str]) -> Glyph:
    if _contours(data) >= 0:
        return Glyph(_strip_instructions(data))
    glyph = Glyph(data)
    glyph.expand(glyf_in)
    for component in glyph.components:
        component.glyphName = renamed[component.glyphName]
    if hasattr(glyph, "program"):
        del glyph.program
    return glyph


@lru_cache(maxsize=8)
def _completed_font(path: Path, completion: Path) -> bytes:
    """path plus completion's glyphs for the code points path lacks (outlines, no kerning)."""
    # Built with fontTools' lazy tables and recalcBBoxes=False so the script font's own glyphs
    # and layout tables are copied as raw bytes: ~0.1 s instead of ~1 s for fontTools.merge.
    with (
        TTFont(path, lazy=True, recalcBBoxes=False, recalcTimestamp=False) as base,
        TTFont(completion, lazy=True) as extra,
    ):
        base_cmap = base.getBestCmap()
        wanted = {cp: g for cp, g in extra.getBestCmap().items() if cp not in base_cmap}
        glyf_in, glyf_out = extra["glyf"], base["glyf"]
        order = list(base.getGlyphOrder())
        taken, renamed = set(order), {}
        todo = sorted(set(wanted.values()))
        while todo:  # composites pull in their components
            name = todo.pop()
            if name in renamed:
                continue
            new = name
            while new in taken:
                new += ".latn"
            renamed[name] = new
            taken.add(new)
            order.append(new)
            data = getattr(glyf_in.glyphs[name], "data", b"")
            if _contours(data) < 0:
                probe = Glyph(data)
                probe.expand(glyf_in)
                todo.extend(c.glyphName for c in probe.components)
        hmtx_in, hmtx_out = extra["hmtx"].metrics, base["hmtx"].metrics
        for name, new in renamed.items():
            data = getattr(glyf_in.glyphs[name], "data", b"")
            glyf_out.glyphs[new] = _copy_glyph(data, glyf_in, renamed)
            hmtx_out[new] = hmtx_in[name]
        base.setGlyphOrder(order)
        glyf_out.glyphOrder = order
        for table in base["cmap"].tables:
            if table.isUnicode() and table.format in (4, 12):
                limit = 0xFFFF if table.format == 4 else 0x10FFFF
                table.cmap.update({cp: renamed[g] for cp, g in wanted.items() if cp <= limit})
        base["post"].formatType = 3.0  # no glyph names: the new glyphs need none
        _merge_limits(base, extra)
        if "DSIG" in base:
            del base["DSIG"]  # the signature no longer matches
        out = io.BytesIO()
        base.save(out)
        return out.getvalue()


def _merge_limits(base: Any, extra: Any) -> None:
    # FreeType sizes its glyph loader from maxp and clips with head's box: keep the larger.
    limits = ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours")
    for field in (*limits, "maxComponentElements", "maxComponentDepth"):
        setattr(
            base["maxp"], field, max(getattr(base["maxp"], field), getattr(extra["maxp"], field))
        )
    head, other = base["head"], extra["head"]
    head.xMin, head.yMin = min(head.xMin, other.xMin), min(head.yMin, other.yMin)
    head.xMax, head.yMax = max(head.xMax, other.xMax), max(head.yMax, other.yMax)
    hhea = base["hhea"]
    hhea.advanceWidthMax = max(hhea.advanceWidthMax, extra["hhea"].advanceWidthMax)


@lru_cache(maxsize=128)
def get_font(path: Path, index: int, size: int) -> ImageFont.FreeTypeFont:
    """The face at size px through raqm; bundled script fonts come completed with NotoSans."""
    path = Path(path)
    completion = _completion_for(path)
    source: Path | io.BytesIO = path
    if completion is not None:
        # BytesIO over immutable bytes shares the buffer, so every size reuses one copy.
        source = io.BytesIO(_completed_font(path, completion))
    return ImageFont.truetype(source, size, index=index, layout_engine=ImageFont.Layout.RAQM)
