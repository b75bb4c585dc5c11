"""Legal text checks: prohibited words and claims (plain or obfuscated), required disclaimers."""

from __future__ import annotations

import pytest
from bench.cases.legal import NEGATIVES, POSITIVES
from hypothesis import given, settings
from hypothesis import strategies as st

from creative_automation.brief import parse_brief
from creative_automation.checking import legal_checks
from creative_automation.compliance.findings import Finding
from creative_automation.compliance.legal import (
    check_disclaimers,
    disclaimer_findings,
    find_prohibited,
    missing_disclaimers,
    prohibited_findings,
    terms_for,
)
from creative_automation.plan import make_plan
from factories import brief_data


def findings(
    words: list[str], message: str, locale: str = "en-US", cta: str | None = None
) -> list[Finding]:
    """The prohibited-word findings for one creative whose copy (in `locale`) is `message`."""
    data = brief_data(
        language=locale,
        message=message,
        call_to_action=cta,
        locales={locale: {"message": message, "call_to_action": cta}},
        products=[{"id": "p", "name": "Product"}],
        formats=["1:1"],
        brand={"name": "Brand", "palette": ["#14503C"], "prohibited_words": words},
    )
    brief = parse_brief(data)
    (spec,) = make_plan(brief)
    assert spec.locale == locale and spec.message == message
    assert brief.brand is not None
    _, found, _ = legal_checks(spec, brief.brand.for_locale(locale))
    return [f for f in found if f.check == "prohibited_words"]


def status(words: list[str], message: str, locale: str = "en-US") -> str:
    (finding,) = findings(words, message, locale)
    assert finding.check == "prohibited_words"
    return finding.status


@pytest.mark.parametrize(
    ("word", "message", "expected"),
    [
        ("free", "Get it free today", "fail"),
        ("free", "Freedom in every sip", "pass"),  # not inside a longer word
        ("free", "Sugar-free, all day", "fail"),  # hyphen and comma are word boundaries
        ("free", "Carefree mornings", "pass"),
        ("risk free", "Try it risk   free", "fail"),  # runs of spaces are one space
    ],
)
def test_whole_words_in_latin(word: str, message: str, expected: str) -> None:
    assert status([word], message) == expected


@pytest.mark.parametrize("message", ["FREE coffee", "Get it Free", "ＦＲＥＥ coffee"])
def test_case_and_width_are_folded(message: str) -> None:
    # ＦＲＥＥ is full-width Latin: NFKC makes it "FREE", casefold makes it "free"
    assert status(["free"], message) == "fail"


def test_prohibited_word_written_in_capitals_or_full_width_still_matches() -> None:
    assert status(["ＦＲＥＥ"], "get it free") == "fail"
    assert status(["Straße"], "DIE STRASSE") == "fail"  # casefold: ß → ss


def test_word_inside_japanese_copy_without_spaces() -> None:
    assert status(["保証"], "効果を保証します", "ja-JP") == "fail"
    assert status(["保証"], "毎朝、挽きたてのコーヒーを。", "ja-JP") == "pass"


def test_word_inside_chinese_and_thai_copy() -> None:
    assert status(["免费"], "今天免费送货", "zh-Hans-CN") == "fail"
    assert status(["ฟรี"], "ส่งฟรีวันนี้", "th-TH") == "fail"  # "free delivery today"


def test_latin_word_touching_cjk_copy_matches_but_not_inside_a_latin_word() -> None:
    assert status(["free"], "今すぐfreeでお届け", "ja-JP") == "fail"
    assert status(["free"], "今すぐfreedomでお届け", "ja-JP") == "pass"


def test_arabic_whole_words() -> None:
    # مجاني "free"; مجانية is a different (feminine) word, as freedom is to free
    assert status(["مجاني"], "شحن مجاني اليوم", "ar-AE") == "fail"
    assert status(["مجاني"], "تجربة مجانية اليوم", "ar-AE") == "pass"


def test_call_to_action_is_checked_too() -> None:
    (finding,) = findings(["guaranteed"], "Fresh every morning", cta="Guaranteed!")
    assert finding.status == "fail"
    assert finding.value == "guaranteed"


def test_word_with_punctuation_edges() -> None:
    assert status(["#1"], "The #1 roast in town") == "fail"
    assert status(["#1"], "Roast #10 is back") == "pass"


def test_no_prohibited_words_gives_no_finding() -> None:
    assert findings([], "Get it free today") == []


def test_clean_copy_passes_and_says_how_many_words_were_checked() -> None:
    (finding,) = findings(["free", "cure"], "Fresh roast, delivered every morning")
    assert finding.status == "pass"
    assert finding.value is None
    assert "2 terms checked" in finding.detail
    assert not finding.blocking


def test_each_word_found_is_its_own_finding_naming_it() -> None:
    found = findings(["cure", "free", "guaranteed"], "Free and guaranteed to please")
    assert [f.value for f in found] == ["free", "guaranteed"]
    assert all(f.status == "fail" and f.blocking and "en-US" in f.detail for f in found)
    assert 'found "Free" in the message' in found[0].detail


# --- find_prohibited: a labelled set of positives and near-misses --------------------------------

# the labelled set lives with the benchmark that reports on it (bench/compliance.py)


@pytest.mark.parametrize(("locale", "term", "text", "matched", "obfuscated"), POSITIVES)
def test_every_labelled_positive_is_found(
    locale: str, term: str, text: str, matched: str, obfuscated: bool
) -> None:
    hits = find_prohibited({"message": text}, [term], locale)
    assert [(h.term, h.field, h.matched, h.obfuscated) for h in hits] == [
        (term, "message", matched, obfuscated)
    ]
    (hit,) = hits
    assert text[hit.start : hit.end] == matched


@pytest.mark.parametrize(("locale", "term", "text"), NEGATIVES)
def test_no_labelled_negative_is_found(locale: str, term: str, text: str) -> None:
    assert find_prohibited({"message": text}, [term], locale) == []


def test_recall_and_precision_over_the_labelled_set() -> None:
    def hit(locale: str, term: str, text: str) -> bool:
        return bool(find_prohibited({"message": text}, [term], locale))

    found = sum(hit(locale, term, text) for locale, term, text, *_ in POSITIVES)
    false = sum(hit(locale, term, text) for locale, term, text in NEGATIVES)
    assert (found / len(POSITIVES), false) == (1.0, 0)
    scripts = {loc.split("-")[0] for loc, *_ in POSITIVES}
    assert {"en", "ru", "el", "ar", "hi", "ja", "zh", "th", "ko"} <= scripts


# --- where, which and why ---------------------------------------------------------------------


def test_every_field_is_checked_and_named() -> None:
    texts = {
        "message": "Fresh every morning",
        "call_to_action": "Get it FR33",
        "disclaimer": "Results are clinically proven.",
        "generated_copy": None,
    }
    hits = find_prohibited(texts, ["free", "clinically proven"], "en-US")
    assert [(h.field, h.term, h.matched, h.obfuscated) for h in hits] == [
        ("call_to_action", "free", "FR33", True),
        ("disclaimer", "clinically proven", "clinically proven", False),
    ]


def test_every_occurrence_is_a_hit() -> None:
    hits = find_prohibited({"message": "Free, free, fr33!"}, ["free"], "en-US")
    assert [(h.matched, h.start) for h in hits] == [("Free", 0), ("free", 6), ("fr33", 12)]


def test_a_term_listed_twice_is_reported_once_under_its_first_spelling() -> None:
    hits = find_prohibited({"message": "free"}, ["Free", "free", "ＦＲＥＥ"], "en-US")
    assert [h.term for h in hits] == ["Free"]


def test_empty_terms_are_ignored() -> None:
    blank = ["", "  ", "\u200b", "-", "'"]
    assert find_prohibited({"message": "free - it's"}, blank, "en-US") == []


def test_findings_say_which_word_where_and_why() -> None:
    texts = {"message": "Get it fr33 today", "call_to_action": "Free trial"}
    found = prohibited_findings(texts, ["free", "cure"], "en-US")
    assert [(f.check, f.status, f.value) for f in found] == [
        ("prohibited_words", "fail", "free"),
        ("prohibited_words", "fail", "free"),
    ]
    assert found[0].detail == 'en-US: found "fr33" (= "free") in the message'
    assert found[1].detail == 'en-US: found "Free" in the call to action'


def test_claims_findings_carry_their_own_check_name() -> None:
    (finding,) = prohibited_findings(
        {"disclaimer": "100 % Natural"}, ["100% natural"], "fr-FR", check="prohibited_claims"
    )
    assert (finding.check, finding.status, finding.value) == (
        "prohibited_claims",
        "fail",
        "100% natural",
    )


def test_clean_texts_give_one_passing_finding_and_no_terms_give_none() -> None:
    (finding,) = prohibited_findings({"message": "Fresh", "cta": None}, ["free", "cure"], "en-US")
    assert (finding.status, finding.value) == ("pass", None)
    assert finding.detail == "2 terms checked in the en-US message"
    assert prohibited_findings({"message": "free"}, [], "en-US") == []


def test_the_pipeline_finding_explains_an_obfuscated_word() -> None:
    (finding,) = findings(["free"], "Get it fr33 today")
    assert finding.status == "fail"
    assert finding.value == "free"
    assert 'found "fr33" (= "free") in the message' in finding.detail


# --- required disclaimers ------------------------------------------------------------------------

TERMS = "Terms and conditions apply."


@pytest.mark.parametrize(
    "text",
    [
        "Terms and conditions apply.",
        "*terms and conditions apply",
        "TERMS  AND\nCONDITIONS APPLY!",
        "Offer ends Sunday. Terms and conditions apply. See site.",
        "Terms, and conditions, apply",
        "Ｔｅｒｍｓ and conditions apply",
    ],
)
def test_a_disclaimer_is_present_despite_case_space_and_punctuation(text: str) -> None:
    (check,) = check_disclaimers({"message": "Fresh", "disclaimer": text}, [TERMS])
    assert check.present and check.field == "disclaimer"


@pytest.mark.parametrize(
    "text",
    [
        "Terms apply.",  # a word missing
        "Terms and some conditions apply.",  # a word inserted
        "Terms and conditions applying",  # a word changed
        "Conditions and terms apply",  # reordered
        "",
    ],
)
def test_a_disclaimer_with_different_words_is_missing(text: str) -> None:
    assert missing_disclaimers({"disclaimer": text}, [TERMS]) == [TERMS]


def test_disclaimers_in_unspaced_scripts_ignore_the_punctuation_around_them() -> None:
    texts = {"disclaimer": "※個人の感想です。効果には個人差があります"}
    assert missing_disclaimers(texts, ["個人の感想です", "効果を保証するものではありません"]) == [
        "効果を保証するものではありません"
    ]


def test_disclaimer_findings_pass_and_fail_one_by_one() -> None:
    texts = {"message": "Fresh roast", "disclaimer": "Terms and conditions apply"}
    found = disclaimer_findings(texts, [TERMS, "18+ only"], "en-GB")
    assert [(f.check, f.status, f.value) for f in found] == [
        ("required_disclaimer", "pass", TERMS),
        ("required_disclaimer", "fail", "18+ only"),
    ]
    assert found[0].detail == "en-GB: present in the disclaimer"
    assert found[1].detail == "en-GB: missing (looked in message, disclaimer)"


def test_tables_per_market_and_locale() -> None:
    table = {
        "*": ["Terms apply"],
        "MX": ["Consulte a su médico"],
        "es-MX": ["Promoción válida en México"],
        "es": ["Consulte a su médico", "IVA incluido"],
        "fr": ["Mangez cinq fruits et légumes par jour"],
        "us": ["Not available in all states"],
    }
    assert terms_for(table, "es-MX") == [
        "Terms apply",
        "Consulte a su médico",
        "Promoción válida en México",
        "IVA incluido",
    ]
    assert terms_for(table, "en_US") == ["Terms apply", "Not available in all states"]
    script_table = {"tw": ["x"], "zh": ["y"], "hant": ["z"], "zh-TW": ["w"]}
    assert terms_for(script_table, "zh-Hant-TW") == ["x", "y", "w"]


# --- properties ----------------------------------------------------------------------------------

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60), terms=st.lists(st.text(max_size=12), max_size=4))
def test_any_text_and_terms_give_hits_that_point_into_the_text(text: str, terms: list[str]) -> None:
    for hit in find_prohibited({"message": text}, terms, "en-US"):
        assert text[hit.start : hit.end] == hit.matched
        assert hit.matched


@settings(max_examples=200, deadline=None)
@given(word=_WORD, before=_WORD, after=_WORD)
def test_a_word_between_spaces_is_found_and_inside_a_word_is_not(
    word: str, before: str, after: str
) -> None:
    hits = find_prohibited({"message": f"{before} {word.upper()} {after}"}, [word], "en-US")
    assert (len(before) + 1, False) in [(h.start, h.obfuscated) for h in hits]
    # glued to other letters it is only ever found as an elongation ("aaa" in "aaaaaaaaa")
    inside = find_prohibited({"message": f"{before}{word}{after}"}, [word], "en-US")
    assert all(h.obfuscated and len(h.matched) > len(word) for h in inside)
