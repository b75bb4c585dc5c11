"""Prohibited words in the copy that appears on a creative (NFKC, case-folded, word-aware)."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from ..imaging.fonts import CJK, script_of
from .findings import Finding

if TYPE_CHECKING:
    from ..brief import Brief
    from ..plan import CreativeSpec

# Scripts written without spaces between words (besides CJK, which script_of knows): any
# character boundary may be a word boundary, so a prohibited word is found as a plain substring.
_UNSPACED = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x0F00, 0x0FFF),  # Tibetan (tsheg, not spaces)
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x1950, 0x19FF),  # Tai Le, New Tai Lue, Khmer symbols
    (0x1A20, 0x1AAF),  # Tai Tham
    (0x1B00, 0x1B7F),  # Balinese
    (0xA000, 0xA4CF),  # Yi
    (0xA980, 0xA9FF),  # Javanese, Myanmar extended-B
    (0xAA60, 0xAADF),  # Myanmar extended-A, Tai Viet
)
_JOINERS = frozenset("_\u200c\u200d")  # ZWNJ/ZWJ sit inside Persian and Indic words
_SPACES = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _unspaced(char: str) -> bool:
    # Hangul counts too (script_of calls it CJK): Korean has spaces, but particles and endings
    # attach to the word ("보장합니다"), so a whole-word match would miss nearly every use.
    cp = ord(char)
    return script_of(char) == CJK or any(lo <= cp <= hi for lo, hi in _UNSPACED)


def _wordy(char: str) -> bool:
    # Letters, marks and digits: Python's \w leaves out combining marks, which would end a
    # Devanagari or Thai word in the middle.
    return unicodedata.category(char)[0] in "LMN" or char in _JOINERS


def _boundary(outer: str | None, inner: str) -> bool:
    """Whether a word may start (or end) between `outer` and its edge character `inner`."""
    if outer is None or not _wordy(inner) or not _wordy(outer):
        return True
    return _unspaced(inner) or _unspaced(outer)


def _occurs(word: str, text: str) -> bool:
    """A whole-word occurrence of word in text (both normalised); substrings where unspaced."""
    start = text.find(word)
    while start != -1:
        end = start + len(word)
        before = text[start - 1] if start else None
        after = text[end] if end < len(text) else None
        if _boundary(before, word[0]) and _boundary(after, word[-1]):
            return True
        start = text.find(word, start + 1)
    return False


def prohibited_word_findings(spec: CreativeSpec, brief: Brief) -> list[Finding]:
    words = brief.brand.prohibited_words if brief.brand else []
    if not words:
        return []
    text = _norm(" ".join(filter(None, (spec.message, spec.call_to_action))))
    hits = [w for w in words if (n := _norm(w)) and _occurs(n, text)]
    return [
        Finding(
            check="prohibited_words",
            status="fail" if hits else "pass",
            value=", ".join(hits) if hits else None,
            detail=f"prohibited by the brand kit, found in the {spec.locale} copy"
            if hits
            else f"{len(words)} prohibited words checked",
        )
    ]
