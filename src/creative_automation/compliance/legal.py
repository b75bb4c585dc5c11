"""Legal text checks on the copy of a creative: prohibited words and claims, required disclaimers.

Pure functions over the texts that appear on a creative, keyed by field (message,
call_to_action, disclaimer, ...). Matching rules and the obfuscations recognised are described
in matching.py; normalisation in textnorm.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .findings import Finding
from .matching import Hit, Term, compile_term, find_in, spaced_runs
from .textnorm import Prepared, boundary, prepare, unspoof, words_key

__all__ = [
    "DisclaimerCheck",
    "Hit",
    "check_disclaimers",
    "describe",
    "disclaimer_findings",
    "find_prohibited",
    "missing_disclaimers",
    "prohibited_findings",
    "terms_for",
]


def terms_for(table: Mapping[str, Sequence[str]], locale: str) -> list[str]:
    """The entries of a market/locale table that apply to `locale`, in table order.

    Keys match case-insensitively: "*" (everywhere), the language ("es"), the market ("MX")
    and the whole tag ("es-MX"); a script subtag is skipped ("zh-Hant-TW" is "zh", "TW",
    "zh-TW")."""
    tags = [t.lower() for t in locale.replace("_", "-").split("-") if t]
    wanted = {"*", "-".join(tags)}
    if tags:
        regions = [t for t in tags[1:] if len(t) == 2 or t.isdigit()]
        wanted.add(tags[0])
        wanted.update(regions)
        wanted.update(f"{tags[0]}-{r}" for r in regions)  # "zh-TW" applies to "zh-Hant-TW"
    found: dict[str, None] = {}
    for key, entries in table.items():
        if key.replace("_", "-").lower() in wanted:
            found.update(dict.fromkeys(entries))
    return list(found)


def find_prohibited(
    texts: Mapping[str, str | None], terms: Sequence[str], locale: str
) -> list[Hit]:
    """Every occurrence of every term (a word or a multi-word claim) in every text field."""
    unique: dict[str, Term] = {}  # "FREE" and "free" are one term: the first listed names it
    for term in map(compile_term, terms):
        if term is not None:
            unique.setdefault(term.norm, term)
    compiled = list(unique.values())
    hits: list[Hit] = []
    for field, text in texts.items():
        if not text:
            continue
        views: dict[str | None, tuple[Prepared, list[tuple[int, int, str]]]] = {}
        for term in compiled:
            if term.script not in views:
                view = unspoof(text, term.script, locale) if term.script else prepare(text)
                views[term.script] = (view, spaced_runs(view.text))
            view, runs = views[term.script]
            if term.pattern.search(view.text) or (runs and term.spaced_out):  # cheap pre-check
                hits += find_in(term, field, view, runs)
    return hits


def _where(field: str) -> str:
    return "the " + field.replace("_", " ")


def describe(hit: Hit) -> str:
    """Why a hit was reported: 'found "fr33" (= "free") in the message'."""
    if hit.obfuscated:
        return f'found "{hit.matched}" (= "{hit.term}") in {_where(hit.field)}'
    return f'found "{hit.matched}" in {_where(hit.field)}'


def prohibited_findings(
    texts: Mapping[str, str | None],
    terms: Sequence[str],
    locale: str,
    check: str = "prohibited_words",
) -> list[Finding]:
    """One failing finding per term and field it occurs in, or one passing finding; none when
    there is nothing to check. `check` names the list ("prohibited_claims" for claims)."""
    if not terms:
        return []
    hits = find_prohibited(texts, terms, locale)
    if not hits:
        fields = ", ".join(f.replace("_", " ") for f, t in texts.items() if t)
        return [
            Finding(
                check=check,
                status="pass",
                detail=f"{len(set(terms))} terms checked in the {locale} {fields or 'copy'}",
            )
        ]
    grouped: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        grouped.setdefault((hit.term, hit.field), []).append(hit)
    return [
        Finding(
            check=check,
            status="fail",
            value=term,
            detail=f"{locale}: " + "; ".join(describe(h) for h in group),
        )
        for (term, _), group in grouped.items()
    ]


@dataclass(frozen=True)
class DisclaimerCheck:
    """Whether one required disclaimer appears, and in which field."""

    text: str
    field: str | None  # the first field it appears in, None when missing

    @property
    def present(self) -> bool:
        return self.field is not None


def _contains(text_key: str, wanted: str) -> bool:
    start = text_key.find(wanted)
    while start != -1:
        end = start + len(wanted)
        before = text_key[start - 1] if start else None
        after = text_key[end] if end < len(text_key) else None
        if boundary(before, wanted[0]) and boundary(after, wanted[-1]):
            return True
        start = text_key.find(wanted, start + 1)
    return False


def check_disclaimers(
    texts: Mapping[str, str | None], required: Sequence[str]
) -> list[DisclaimerCheck]:
    """Each required disclaimer, found in a field if all its words appear there in order.

    Compared as folded words: case, width, spacing and punctuation may differ ("Terms apply."
    is "terms  apply"); a missing, extra or changed word may not."""
    keys = {field: words_key(text) for field, text in texts.items() if text}
    checks = []
    for disclaimer in dict.fromkeys(required):
        wanted = words_key(disclaimer)
        field = next((f for f, k in keys.items() if wanted and _contains(k, wanted)), None)
        checks.append(DisclaimerCheck(disclaimer, field))
    return checks


def missing_disclaimers(texts: Mapping[str, str | None], required: Sequence[str]) -> list[str]:
    """The required disclaimers that appear in none of the texts."""
    return [c.text for c in check_disclaimers(texts, required) if not c.present]


def disclaimer_findings(
    texts: Mapping[str, str | None], required: Sequence[str], locale: str
) -> list[Finding]:
    """One finding per required disclaimer: pass where it appears, fail where it is missing."""
    fields = ", ".join(f.replace("_", " ") for f, t in texts.items() if t) or "no text"
    return [
        Finding(
            check="required_disclaimer",
            status="pass" if c.present else "fail",
            value=c.text,
            detail=f"{locale}: present in {_where(c.field)}"
            if c.field
            else f"{locale}: missing (looked in {fields})",
        )
        for c in check_disclaimers(texts, required)
    ]
