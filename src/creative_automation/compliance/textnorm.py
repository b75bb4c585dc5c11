"""Copy as the legal checks compare it: NFKC, case-folded, invisible characters dropped, look-alike
letters from another script mapped back, with every character traced to its original position."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from ..imaging.fonts import CJK, CYRILLIC, GREEK, LATIN, parse_locale, script_of

# Scripts written without spaces between words (besides CJK, which script_of knows): any
# character boundary may be a word boundary, so a term is found as a plain substring.
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
# Scripts whose letters are confused with each other's (homoglyph spoofing happens between them).
ALPHABETIC = frozenset({LATIN, CYRILLIC, GREEK})
# ZWNJ/ZWJ sit inside Persian and Indic words: dropped for comparison, but not a sign of evasion.
_JOINERS = frozenset("\u200c\u200d")
_IRREGULAR_SPACE = re.compile(r"^\s|\s$|\s\s|[^\S ]")  # leading, trailing, doubled, not " "
_TATWEEL = "\u0640"  # Arabic elongation stroke: "مجـــاني" is مجاني drawn longer
_GREEK_MARKS = frozenset("\u0301\u0308\u0342\u0313\u0314\u0345")  # caps drop tonos, dialytika


def unspaced(char: str) -> bool:
    """Whether char belongs to a script written without spaces between words."""
    # Hangul counts too (script_of calls it CJK): Korean has spaces, but particles and endings
    # attach to the word ("보장합니다"), so a whole-word match would miss nearly every use.
    cp = ord(char)
    return script_of(char) == CJK or any(lo <= cp <= hi for lo, hi in _UNSPACED)


def wordy(char: str) -> bool:
    """Letters, marks and digits: Python's \\w leaves out combining marks, which would end a
    Devanagari or Thai word in the middle."""
    return unicodedata.category(char)[0] in "LMN"


def boundary(outer: str | None, inner: str) -> bool:
    """Whether a word may start (or end) between `outer` and its edge character `inner`."""
    if outer is None or not wordy(inner) or not wordy(outer):
        return True
    if unicodedata.category(outer)[0] == "M":  # a mark continues the letter before it
        return False
    return unspaced(inner) or unspaced(outer)


def _invisible(char: str) -> bool:
    # Format characters (zero-width space, word joiner, BOM, soft hyphen, bidi marks),
    # variation selectors and the tatweel change how a word looks, never which word it is.
    return (
        unicodedata.category(char) == "Cf"
        or char == _TATWEEL
        or 0xFE00 <= ord(char) <= 0xFE0F
        or 0xE0100 <= ord(char) <= 0xE01EF
    )


def fold(cluster: str) -> str:
    """NFKC case folding of one character with its marks (Greek without its accents)."""
    out = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", cluster).casefold())
    if out and script_of(out[0]) == GREEK:
        out = unicodedata.normalize(
            "NFC", "".join(c for c in unicodedata.normalize("NFD", out) if c not in _GREEK_MARKS)
        )
    return out


def fold_text(text: str) -> str:
    """The folded form of a term or span: fold() per cluster, whitespace runs as one space."""
    return prepare(text).text


def words_key(text: str) -> str:
    """Folded words joined by single spaces, punctuation dropped: "Terms apply." -> "terms apply".

    Between two characters of unspaced scripts the break is dropped too ("個人の感想です。")."""
    folded = prepare(text).text
    out: list[str] = []
    gap = False
    for char in folded:
        if wordy(char):
            if gap and out and not (unspaced(out[-1]) and unspaced(char)):
                out.append(" ")
            out.append(char)
            gap = False
        else:
            gap = True
    return "".join(out)


def plain_words(text: str) -> str:
    """Case-folded words of text as written (no NFKC, no look-alike mapping): what a term found
    without any obfuscation looks like after words_key."""
    text = unicodedata.normalize("NFC", text).casefold()
    if any(script_of(c) == GREEK for c in text):
        nfd = unicodedata.normalize("NFD", text)
        text = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in _GREEK_MARKS))
    return " ".join("".join(c if wordy(c) else " " for c in text).split())


@dataclass(frozen=True)
class Prepared:
    """A normalised text; starts[i]/ends[i] give the original span of text[i]."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    hidden: frozenset[int]  # positions in text that had an invisible character removed before
    swapped: frozenset[int]  # positions in text holding a letter mapped from a look-alike
    scripts: frozenset[str]  # the alphabetic scripts its letters are in

    def span(self, start: int, end: int) -> str:
        """The original text behind text[start:end]."""
        return self.original[self.starts[start] : self.ends[end - 1]]


def _clusters(text: str) -> list[tuple[int, int]]:
    """(start, end) of each character with the combining marks that follow it."""
    out: list[tuple[int, int]] = []
    for i, char in enumerate(text):
        if char.isascii():
            out.append((i, i + 1))
        elif (
            out
            and (
                (unicodedata.category(char)[0] == "M" and not _invisible(char))
                # an invisible character between a letter and its mark ("फ़\u200b्त") is inside it
                or (_invisible(char) and unicodedata.category(text[i + 1 : i + 2] or " ")[0] == "M")
            )
        ):
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


@lru_cache(maxsize=4096)
def prepare(text: str) -> Prepared:
    """Fold text character by character, keeping where each folded character came from.

    Whitespace runs become one space; whitespace between two characters of unspaced scripts
    ("免 费") is dropped like an invisible character, since it cannot end a word there."""
    if text.isascii() and not _IRREGULAR_SPACE.search(text):  # most copy: a straight lowering
        folded = text.lower()
        n = len(text)
        latin = frozenset({LATIN}) if any(c.isalpha() for c in folded) else frozenset()
        return Prepared(
            text, folded, tuple(range(n)), tuple(range(1, n + 1)), frozenset(), frozenset(), latin
        )
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    hidden: set[int] = set()
    pending_space: int | None = None
    for lo, hi in _clusters(text):
        cluster = text[lo:hi]
        if cluster.isascii() and not cluster.isspace():  # the common case, without unicodedata
            if chars and pending_space is not None:
                chars.append(" ")
                starts.append(pending_space)
                ends.append(pending_space + 1)
            pending_space = None
            chars.append(cluster.lower())
            starts.append(lo)
            ends.append(hi)
            continue
        if _invisible(cluster[0]):
            if cluster[0] not in _JOINERS:
                hidden.add(len(chars))
            continue
        visible = "".join(c for c in cluster if not _invisible(c))
        piece = fold(visible)
        if not piece:
            continue
        if len(visible) < len(cluster) and any(c not in _JOINERS for c in cluster if _invisible(c)):
            hidden.add(len(chars) + max(1, len(piece) - 1))
        if piece.isspace():
            if pending_space is None and chars:
                pending_space = lo
            continue
        if pending_space is not None:
            if unspaced(chars[-1]) and unspaced(piece[0]):
                hidden.add(len(chars))
            else:
                chars.append(" ")
                starts.append(pending_space)
                ends.append(pending_space + 1)
            pending_space = None
        for c in piece:
            chars.append(c)
            starts.append(lo)
            ends.append(hi)
    folded = "".join(chars)
    scripts = {LATIN} if any(c.isalpha() and c.isascii() for c in folded) else set()
    scripts.update(s for c in folded if not c.isascii() and (s := script_of(c)) in ALPHABETIC)
    return Prepared(
        text, folded, tuple(starts), tuple(ends), frozenset(hidden), frozenset(), frozenset(scripts)
    )


@cache
def _lookalikes() -> dict[str, dict[str, str]]:
    """folded letter -> {script: its look-alike letter in that script}, from Unicode's
    confusables data (UTS #39) as packaged by confusable-homoglyphs."""
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    table: dict[str, dict[str, str]] = {}

    def add(a: str, b: str) -> None:
        fa, fb = fold(a), fold(b)
        if len(fa) != 1 or len(fb) != 1 or fa == fb:
            return
        sa, sb = script_of(fa), script_of(fb)
        if sa in ALPHABETIC and sb in ALPHABETIC and sa != sb and fa.isalpha() and fb.isalpha():
            table.setdefault(fa, {}).setdefault(sb, fb)

    for char, homoglyphs in data.items():
        for entry in homoglyphs:
            add(char, entry["c"])
            add(entry["c"], char)
    return table


def locale_script(locale: str) -> str | None:
    """The alphabetic script a locale's copy is written in (None for the others)."""
    script = parse_locale(locale).script
    return script if script in ALPHABETIC else None


@lru_cache(maxsize=4096)
def unspoof(original: str, target: str, locale: str) -> Prepared:
    """Map look-alike letters back to the `target` script, word by word.

    A word mixing target letters with others ("frее" with Cyrillic е) has the others mapped;
    a word wholly in another alphabet, every letter of which has a target look-alike ("ѕаlе"),
    is mapped too unless that alphabet is the locale's own (a Russian "сор" stays Russian)."""
    prepared = prepare(original)
    home = locale_script(locale)
    scripts = prepared.scripts
    if (target not in scripts or len(scripts) == 1) and scripts <= {target, home}:
        return prepared  # no word can mix the target with another alphabet or be foreign
    table = _lookalikes()
    text = list(prepared.text)
    swapped: set[int] = set()
    i, n = 0, len(text)
    while i < n:
        if not wordy(text[i]):
            i += 1
            continue
        j = i
        while j < n and wordy(text[j]):
            j += 1
        in_word = {s for c in text[i:j] if c.isalpha() and (s := script_of(c)) in ALPHABETIC}
        others = in_word - {target}
        if others:
            foreign = [k for k in range(i, j) if text[k].isalpha() and script_of(text[k]) != target]
            whole = (
                target not in in_word
                and home not in others
                and all(target in table.get(text[k], {}) for k in foreign)
            )
            if target in in_word or whole:
                for k in foreign:
                    if (mapped := table.get(text[k], {}).get(target)) is not None:
                        text[k] = mapped
                        swapped.add(k)
        i = j
    if not swapped:
        return prepared
    return Prepared(
        prepared.original,
        "".join(text),
        prepared.starts,
        prepared.ends,
        prepared.hidden,
        frozenset(swapped),
        prepared.scripts,
    )
