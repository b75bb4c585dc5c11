"""Where a prohibited word or claim occurs in one text, written plainly or obfuscated.

Recognised obfuscations, each on top of NFKC, case folding and whole-word matching (substrings
in scripts without spaces): leetspeak ("fr33", "gr@tis", "$ale"), letters standing alone between
one repeated separator ("f.r.e.e", "f r e e", "f-r-e-e", "f_r_e_e"), elongation ("freeee"),
invisible characters ("fr\u200bee", "مجـــاني") and look-alike letters of another alphabet
("frее" with Cyrillic е).

Decisions that keep near-misses out:
- Elongation means a letter written three or more times: "freeee" and "saaale" match, but one
  extra letter does not ("good" is not "god", "salle" is not "sale", "coop" is not "cop").
- Leet needs real letters: as many letters as stand-ins, so "105" is not "los", and "!", "|",
  "(" and "+" are not read as letters at a word's edge ("Oh!" is not "oh i").
- Spaced-out letters are read as one word only when every letter stands alone and the same
  separator joins them all; the run must spell the term exactly. "a f r e e" reads "afree" (an
  article cannot be told from a letter), and "t h e r a p i s t" never contains "rapist".
- The words of a claim need a separator between them: "the rapist" is not in "therapist".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby

from ..imaging.fonts import script_of
from .textnorm import ALPHABETIC, Prepared, boundary, fold_text, plain_words, words_key, wordy

# Digits and symbols written for Latin letters. Only a term's Latin letters take stand-ins.
LEET: dict[str, str] = {
    "a": "4@",
    "b": "8",
    "c": "(¢",
    "e": "3€",
    "g": "9",
    "i": "1!|",
    "l": "1|",
    "o": "0",
    "s": "5$§",
    "t": "7+",
    "z": "2",
}
_LEET_CHARS = frozenset("".join(LEET.values()))
_EDGE_PUNCT = frozenset("!|(+")  # at a word's edge these are punctuation ("free!"), not letters
# Between the words of a claim: any run of spaces and punctuation ("clinically-proven").
_GAP = r"[\s\-‐‑‒–—―_/·.,:;!?'’\"“”()]+"
_JOINING = re.compile(r"[\-‐‑‒–—―_/·.'’]")  # inside a listed term: may be a gap, or nothing
_CHUNK = r"(?:[^\W_]|[" + re.escape("".join(sorted(_LEET_CHARS))) + r"])"
_SPACED = re.compile(  # no letter or apostrophe before the first letter: "it's f r e e"
    rf"(?<![^\W_])(?<!['’]){_CHUNK}(?P<sep>[ .\-_*·•‧∙~/]{{1,3}}){_CHUNK}"
    rf"(?:(?P=sep){_CHUNK})+(?![^\W_])"
)


@dataclass(frozen=True)
class Hit:
    """One occurrence of a term in one text field of a creative."""

    term: str  # as listed
    field: str  # message | call_to_action | disclaimer | ...
    matched: str  # the original text that matched ("fr33")
    obfuscated: bool  # written other than plainly (leet, spacing, look-alikes, invisible chars)
    start: int  # span of `matched` in the field's original text
    end: int


@dataclass(frozen=True)
class Term:
    """A term compiled for matching."""

    text: str
    norm: str  # folded
    key: str  # folded words (what a plain occurrence reduces to)
    script: str | None  # its alphabetic script, toward which look-alikes are mapped
    pattern: re.Pattern[str]
    literal: frozenset[str]  # digits and symbols the term itself contains ("#1", "100%")
    spaced_out: bool  # one word of 3+ characters, which could be spelled letter by letter


def _letter_run(char: str, count: int, group: str) -> str:
    cls = "[" + "".join(re.escape(c) for c in char + LEET.get(char, "")) + "]"
    if count == 1:  # once, or three times or more: "sale", "saaale", never "saale"
        return f"(?P<{group}>{cls})(?:(?P={group}){{2,}})?"
    return f"{cls}{{{count - 1}}}(?P<{group}>{cls})(?P={group})*"


@lru_cache(maxsize=4096)
def compile_term(text: str) -> Term | None:
    """The matcher for one listed term, or None when it folds to nothing."""
    norm = fold_text(text)
    if not any(c != " " and not _JOINING.fullmatch(c) for c in norm):
        return None  # nothing to find: blank, or only hyphens and apostrophes
    parts: list[str] = []
    at = 0
    for i, (char, run) in enumerate(groupby(norm)):
        count = len(list(run))
        prev, at = norm[at - 1] if at else " ", at + count
        if char == " ":
            parts.append(_GAP)
        elif _JOINING.fullmatch(char):  # "risk-free", "don't": also "risk free", "riskfree"
            parts.append(f"(?:{_GAP})?")
        elif char.isalpha() and script_of(char) in ALPHABETIC:
            parts.append(_letter_run(char, count, f"r{i}"))
        elif wordy(char):
            parts.append(re.escape(char * count))
        else:  # a symbol: "100 %" is "100%"
            parts.append((" ?" if wordy(prev) else "") + re.escape(char * count))
    scripts = [s for c in norm if c.isalpha() and (s := script_of(c)) in ALPHABETIC]
    script = max(set(scripts), key=scripts.count) if scripts else None
    literal = frozenset(c for c in norm if not c.isalpha())
    pattern = re.compile("".join(parts))
    spaced_out = " " not in norm and len(norm) >= 3
    return Term(text, norm, words_key(norm), script, pattern, literal, spaced_out)


def _plausible(term: Term, matched: str) -> bool:
    """Leet only with real letters around it, and never punctuation read as an edge letter."""
    stand_ins = sum(1 for c in matched if c in _LEET_CHARS and c not in term.literal)
    if not stand_ins:
        return True
    letters = sum(1 for c in matched if c.isalpha())
    edges = {matched[0], matched[-1]} & _EDGE_PUNCT - term.literal
    # short words need a majority of real letters: "4g" is a network, not "ag"
    enough = letters > stand_ins if len(term.norm) <= 3 else letters >= stand_ins
    return enough and not edges


def _spans(term: Term, text: str) -> Iterator[tuple[int, int]]:
    """Whole-word (or, where unspaced, substring) occurrences of term in a folded text."""
    pos = 0
    while (m := term.pattern.search(text, pos)) is not None:
        start, end = m.span()
        if start == end:  # a term of only joining punctuation ("-") may match nothing
            pos = start + 1
            continue
        before = text[start - 1] if start else None
        after = text[end] if end < len(text) else None
        if (
            boundary(before, term.norm[0])
            and boundary(after, term.norm[-1])
            and _plausible(term, m.group())
        ):
            yield start, end
            pos = end
        else:
            pos = start + 1


def spaced_runs(text: str) -> list[tuple[int, int, str]]:
    """Letters standing alone between one repeated separator ("f.r.e.e"): (start, end, letters)."""
    runs = []
    if "." in text or " " in text or "-" in text or "_" in text or not text.isascii():
        for m in _SPACED.finditer(text):
            runs.append((m.start(), m.end(), m.group()[:: len(m.group("sep")) + 1]))
    return runs


def find_in(
    term: Term, field: str, prepared: Prepared, runs: list[tuple[int, int, str]] | None = None
) -> list[Hit]:
    """Every occurrence of term in one prepared text field (`runs`: its spaced_runs, if known)."""
    spans = [(start, end, False) for start, end in _spans(term, prepared.text)]
    if term.spaced_out:
        for start, end, letters in spaced_runs(prepared.text) if runs is None else runs:
            # the whole run must spell the term
            if term.pattern.fullmatch(letters) and _plausible(term, letters):
                spans.append((start, end, True))
    hits = []
    for start, end, spaced in sorted(spans):
        matched = prepared.span(start, end)
        disguised = (
            spaced
            # a plain occurrence has the term's words, joined by any punctuation or none
            or plain_words(matched).replace(" ", "") != term.key.replace(" ", "")
            or any(start < h < end for h in prepared.hidden)
            or any(start <= k < end for k in prepared.swapped)
        )
        hits.append(
            Hit(
                term.text,
                field,
                matched,
                disguised,
                prepared.starts[start],
                prepared.ends[end - 1],
            )
        )
    return hits
