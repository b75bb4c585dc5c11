"""Text that fits a box: font per script, raqm shaping, balanced line breaks, size by measure."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw

from creative_automation.imaging.fonts import (
    CJK,
    RTL_SCRIPTS,
    Weight,
    check_coverage,
    detect_script,
    font_for,
    get_font,
    is_hangul,
    parse_locale,
    script_of,
    text_script,
)
from creative_automation.imaging.geometry import Box

__all__ = [
    "FittedText",
    "Weight",
    "check_coverage",
    "detect_script",
    "draw_text",
    "fit_text",
    "font_for",
    "get_font",
]

# Advances scale linearly with size under raqm (unhinted, fractional), so every unit is
# measured once at this size and the size search is arithmetic; the chosen size is then
# measured for real before it is returned.
REF_SIZE = 256
# Baseline-to-baseline distance per script, as a multiple of the size: Arabic and Devanagari
# stack marks above and below the letters and CJK sets ideographs on a full em, so they need
# more air than Latin to keep lines from touching.
LINE_HEIGHT = {"arabic": 1.35, "devanagari": 1.35, "cjk": 1.3}
DEFAULT_LINE_HEIGHT = 1.2

# CJK line breaking (after JIS X 4051 / UAX #14): never start a line with closing punctuation,
# small kana or the prolonged sound mark, never end one with opening punctuation.
NO_BREAK_BEFORE = frozenset(
    "、。，．,.：；:;！？!?)]}）］｝〕〉》」』】〙〗〟’”｠»‐゠–〜～…‥・ー゛゜ヽヾゝゞ々〻%％℃"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
)
NO_BREAK_AFTER = frozenset("([{（［｛〔〈《「『【〘〖〝‘“｟«")
# Spaces that may break a line: any whitespace except the no-break ones.
_BREAKING_SPACE = re.compile(r"[^\S\u00a0\u2007\u202f]+")

Align = Literal["start", "center", "end"]


@dataclass(frozen=True)
class FittedText:
    """A text set at one size in one face, broken into lines that fit a box."""

    text: str
    lines: tuple[str, ...]  # in logical order
    font_name: str  # PostScript name, e.g. "NotoSansArabic-Bold"
    font_path: Path
    font_index: int  # face index within a .ttc, else 0
    size: int  # px
    line_height: int  # baseline to baseline, px
    width: int  # widest line as Pillow measures it with raqm (ink, at least the advance)
    height: int  # the whole block as draw_text draws it, first ink row to last
    line_widths: tuple[int, ...]
    direction: Literal["ltr", "rtl"]
    language: str | None  # raqm/HarfBuzz language tag
    script: str


@dataclass(frozen=True)
class _Paragraph:
    """Unbreakable units and what separates each from the next (" " or "")."""

    units: tuple[str, ...]
    glues: tuple[str, ...]

    def line(self, start: int, stop: int) -> str:
        parts = [self.units[start]]
        for i in range(start + 1, stop):
            parts += [self.glues[i - 1], self.units[i]]
        return "".join(parts)


def _attaches(char: str) -> bool:
    # Combining marks and format characters belong to the character before them.
    return unicodedata.category(char) in ("Mn", "Mc", "Me", "Cf") or 0xFE00 <= ord(char) <= 0xFE0F


def _cjk_units(paragraph: str) -> _Paragraph:
    """Atoms are single CJK characters and runs of other letters; rules glue some together."""
    atoms: list[str] = []
    spaced: list[bool] = []  # a breaking space stood before the atom
    pending_space = False
    for char in paragraph:
        if _BREAKING_SPACE.fullmatch(char):
            pending_space = True
            continue
        in_run = bool(atoms) and not pending_space and script_of(atoms[-1][0]) != CJK
        if atoms and not pending_space and (_attaches(char) or (in_run and script_of(char) != CJK)):
            atoms[-1] += char
        else:
            atoms.append(char)
            spaced.append(pending_space)
        pending_space = False
    units: list[str] = []
    glues: list[str] = []
    for atom, space in zip(atoms, spaced, strict=True):
        glued = units and not space
        if glued and (atom[0] in NO_BREAK_BEFORE or units[-1][-1] in NO_BREAK_AFTER):
            units[-1] += atom
            continue
        if units:
            glues.append(" " if space else "")
        units.append(atom)
    return _Paragraph(tuple(units), tuple(glues))


def _paragraphs(text: str, by_character: bool) -> tuple[_Paragraph, ...]:
    """Explicit newlines are forced breaks; blank lines and extra spaces collapse."""
    result = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = _BREAKING_SPACE.sub(" ", raw).strip(" ")
        if not stripped:
            continue
        result.append(_cjk_units(stripped) if by_character else _word_units(stripped))
    return tuple(result)


def _word_units(paragraph: str) -> _Paragraph:
    """Words between spaces; a lone closing mark ("!", "»", a dash) stays with the word before
    it and a lone opening one ("«") with the word after it, so no line starts or ends on it."""
    units: list[str] = []
    opening = ""
    for word in paragraph.split(" "):
        kinds = {unicodedata.category(c) for c in word}
        if units and not opening and kinds <= {"Pe", "Pf", "Po", "Pd"}:
            units[-1] += " " + word
        elif kinds <= {"Ps", "Pi"}:
            opening += word + " "
        else:
            units.append(opening + word)
            opening = ""
    if opening:
        units.append(opening.rstrip())
    return _Paragraph(tuple(units), (" ",) * (len(units) - 1))


def _breaks_by_character(text: str) -> bool:
    # Korean sets words apart with spaces and breaks there (CSS keep-all), like Latin.
    cjk = [c for c in text if script_of(c) == CJK and unicodedata.category(c)[0] == "L"]
    return bool(cjk) and sum(map(is_hangul, cjk)) * 2 < len(cjk)


@dataclass(frozen=True)
class _Shaping:
    """Everything raqm needs besides the text and the size."""

    path: Path
    index: int
    direction: Literal["ltr", "rtl"]
    language: str | None

    def bbox(self, text: str, size: int) -> tuple[int, int, int, int]:
        """Box of text relative to its left end on the baseline, as it will be drawn."""
        font = get_font(self.path, self.index, size)
        box = font.getbbox(text, anchor="ls", direction=self.direction, language=self.language)
        return int(box[0]), int(box[1]), int(box[2]), int(box[3])


@lru_cache(maxsize=8192)
def _ref_metrics(shaping: _Shaping, text: str) -> tuple[float, int, int]:
    """Advance, ink top and ink bottom (baseline-relative) of text at REF_SIZE."""
    font = get_font(shaping.path, shaping.index, REF_SIZE)
    advance = font.getlength(text, direction=shaping.direction, language=shaping.language)
    _, top, _, bottom = shaping.bbox(text, REF_SIZE)
    return float(advance), top, bottom


@lru_cache(maxsize=1024)
def _line_boxes(
    shaping: _Shaping, size: int, lines: tuple[str, ...]
) -> tuple[tuple[int, int, int, int], ...]:
    return tuple(shaping.bbox(line, size) for line in lines)


def _block(boxes: tuple[tuple[int, int, int, int], ...], line_height: int) -> tuple[int, int]:
    """(first baseline below the block top, block height) for lines line_height apart."""
    top = min(t + i * line_height for i, (_, t, _, _) in enumerate(boxes))
    bottom = max(b + i * line_height for i, (_, _, _, b) in enumerate(boxes))
    return -top, bottom - top


class _Measured:
    """A paragraph's units measured at REF_SIZE, with prefix sums for line widths."""

    def __init__(self, para: _Paragraph, shaping: _Shaping) -> None:
        metrics = [_ref_metrics(shaping, unit) for unit in para.units]
        glues = [_ref_metrics(shaping, g)[0] if g else 0.0 for g in para.glues]
        self.para = para
        self.widths = [m[0] for m in metrics]
        self.tops = [m[1] for m in metrics]
        self.bottoms = [m[2] for m in metrics]
        self.trailing = [*glues, 0.0]  # glue after unit i (none after the last)
        self.prefix = [0.0]
        for w, g in zip(self.widths, self.trailing, strict=True):
            self.prefix.append(self.prefix[-1] + w + g)

    def width(self, start: int, stop: int) -> float:
        """Advance of units[start:stop] set on one line, at REF_SIZE."""
        return self.prefix[stop] - self.prefix[start] - self.trailing[stop - 1]

    def greedy(self, limit: float) -> list[int] | None:
        """Where each of the fewest lines at most limit wide starts (first fit finds the fewest);
        None if a unit alone is wider."""
        if max(self.widths) > limit:
            return None
        starts = [0]
        for stop in range(1, len(self.widths) + 1):
            if self.width(starts[-1], stop) > limit:
                starts.append(stop - 1)
        return starts

    def balanced(self, limit: float, count: int) -> list[tuple[int, int]]:
        """The breaking into count lines with the most even widths and no widow if avoidable."""
        n = len(self.widths)
        inf = math.inf
        cost = [[inf] * (n + 1) for _ in range(count + 1)]
        back = [[0] * (n + 1) for _ in range(count + 1)]
        cost[0][0] = 0.0
        for m in range(1, count + 1):
            for stop in range(m, n + 1):
                for start in range(stop - 1, m - 2, -1):
                    width = self.width(start, stop)
                    if width > limit:
                        break
                    # Squared widths: for a near-constant total, smallest when lines are equal.
                    c = cost[m - 1][start] + width * width
                    if stop == n and stop - start == 1 and n > 1:
                        # A lone word on the last line costs more than any imbalance can
                        # (the squares sum to at most count * limit²): avoided when possible.
                        c += count * limit * limit
                    if c < cost[m][stop]:
                        cost[m][stop], back[m][stop] = c, start
        spans, stop = [], n
        for m in range(count, 0, -1):
            spans.append((back[m][stop], stop))
            stop = back[m][stop]
        return spans[::-1]


class _Setter:
    """One text in one face and box; sets it at any size (advances scale with the size)."""

    def __init__(
        self,
        text: str,
        locale: str,
        weight: Weight,
        box_width: int,
        box_height: int,
        fonts: tuple[Path, ...] = (),
    ):
        self.text, self.box_width, self.box_height = text, box_width, box_height
        path, index, self.font_name = font_for(text, locale, weight, fonts)
        self.script = text_script(text, locale)
        info = parse_locale(locale)
        # An Arabic or Hebrew locale keeps its right-to-left paragraph around Latin brand names.
        rtl = any(script_of(c) in RTL_SCRIPTS for c in text) and (
            info.rtl or self.script in RTL_SCRIPTS
        )
        self.shaping = _Shaping(path, index, "rtl" if rtl else "ltr", info.language)
        by_character = self.script == CJK and _breaks_by_character(text)
        self.paragraphs = [_Measured(p, self.shaping) for p in _paragraphs(text, by_character)]
        if not self.paragraphs:
            raise ValueError("fit_text got no text to set")
        self.factor = LINE_HEIGHT.get(self.script, DEFAULT_LINE_HEIGHT)

    def starts(self, size: int, max_lines: int) -> list[list[int]] | None:
        """Line starts of the fewest lines per paragraph; None beyond max_lines or too wide."""
        limit = self.box_width * REF_SIZE / size
        starts = [p.greedy(limit) for p in self.paragraphs]
        fitting = [s for s in starts if s is not None]
        if len(fitting) < len(starts) or sum(map(len, fitting)) > max_lines:
            return None
        return fitting

    def estimate_fits(self, size: int, max_lines: int) -> bool:
        """Arithmetic only: would first-fit lines at size fit the box?"""
        starts = self.starts(size, max_lines)
        if starts is None:
            return False
        first, last = self.paragraphs[0], self.paragraphs[-1]
        top = min(first.tops[: starts[0][1] if len(starts[0]) > 1 else None])
        bottom = max(last.bottoms[starts[-1][-1] :])
        lines = sum(map(len, starts))
        ink = math.ceil((bottom - top) * size / REF_SIZE) + 1
        return (lines - 1) * round(self.factor * size) + ink <= self.box_height

    def measure(self, size: int, max_lines: int) -> FittedText | None:
        """Balanced lines at size, measured as drawn; None if they do not fit the box."""
        starts = self.starts(size, max_lines)
        if starts is None:
            return None
        limit = self.box_width * REF_SIZE / size
        lines = tuple(
            p.para.line(start, stop)
            for p, found in zip(self.paragraphs, starts, strict=True)
            for start, stop in p.balanced(limit, len(found))
        )
        line_height = round(self.factor * size)
        boxes = _line_boxes(self.shaping, size, lines)
        widths = tuple(right - left for left, _, right, _ in boxes)
        _, height = _block(boxes, line_height)
        if max(widths) > self.box_width or height > self.box_height:
            return None
        sh = self.shaping
        return FittedText(
            self.text, lines, self.font_name, sh.path, sh.index, size, line_height, max(widths),
            height, widths, sh.direction, sh.language, self.script,
        )  # fmt: skip


def fit_text(
    text: str,
    locale: str,
    *,
    weight: Weight,
    box_width: int,
    box_height: int,
    max_lines: int,
    min_size: int,
    max_size: int,
    fonts: tuple[Path, ...] = (),
) -> FittedText | None:
    """Largest size in [min_size, max_size] at which text fits box_width x box_height in at
    most max_lines balanced lines; None if it cannot fit even at min_size (never truncated).

    `fonts` are the brand's own font files, used when one covers the whole text.
    Raises FontCoverageError when no font covers the text.
    """
    if box_width <= 0 or box_height <= 0 or max_lines < 1 or not 0 < min_size <= max_size:
        raise ValueError(
            f"fit_text needs a positive box, max_lines ≥ 1 and 0 < min_size ≤ max_size; got "
            f"{box_width}x{box_height}, {max_lines} lines, sizes {min_size}..{max_size}"
        )
    return _fit(text, locale, weight, box_width, box_height, max_lines, min_size, max_size, fonts)


@lru_cache(maxsize=1024)
def _fit(
    text: str,
    locale: str,
    weight: Weight,
    box_width: int,
    box_height: int,
    max_lines: int,
    min_size: int,
    max_size: int,
    fonts: tuple[Path, ...],
) -> FittedText | None:
    setter = _Setter(text, locale, weight, box_width, box_height, fonts)
    low, high = min_size, max_size
    if setter.estimate_fits(low, max_lines):
        while low < high:  # binary search on the arithmetic estimate
            mid = (low + high + 1) // 2
            if setter.estimate_fits(mid, max_lines):
                low = mid
            else:
                high = mid - 1
    # Then measure as drawn; the estimate is usually right or a px or two off either way.
    best, size = setter.measure(low, max_lines), low
    if best is not None:
        while size < max_size and (bigger := setter.measure(size + 1, max_lines)) is not None:
            best, size = bigger, size + 1
    while best is None and size > min_size:
        size -= 1
        best = setter.measure(size, max_lines)
    return best


def draw_text(
    canvas: Image.Image,
    fitted: FittedText,
    box: Box,
    *,
    fill: int | tuple[int, int, int] | tuple[int, int, int, int],  # int: an "L" canvas
    align: Align = "start",
) -> list[Box]:
    """Draw the block at the top of box ('start' is left for LTR, right for RTL).

    Returns the ink box of each line in canvas pixels. Raises ValueError if the block does not
    fit box, rather than spilling outside it.
    """
    if fitted.width > box.width or fitted.height > box.height:
        raise ValueError(
            f"text block {fitted.width}x{fitted.height} does not fit box {box.width}x{box.height}"
        )
    font = get_font(fitted.font_path, fitted.font_index, fitted.size)
    shaping = _Shaping(fitted.font_path, fitted.font_index, fitted.direction, fitted.language)
    boxes = _line_boxes(shaping, fitted.size, fitted.lines)
    first_baseline, _ = _block(boxes, fitted.line_height)
    side = {"start": 0, "center": 1, "end": 2}[align]
    if fitted.direction == "rtl" and side != 1:
        side = 2 - side
    draw = ImageDraw.Draw(canvas)
    drawn = []
    for i, (line, (left, top, right, bottom)) in enumerate(zip(fitted.lines, boxes, strict=True)):
        width = right - left
        x0 = box.x0 + (box.width - width) * side // 2  # where this line's box starts
        x = x0 - left
        y = box.y0 + first_baseline + i * fitted.line_height
        draw.text(
            (x, y), line, fill=fill, font=font, anchor="ls",
            direction=fitted.direction, language=fitted.language,
        )  # fmt: skip
        drawn.append(Box(x + left, y + top, x + right, y + bottom))
    return drawn
