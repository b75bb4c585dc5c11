"""Prohibited words: whole words where scripts use spaces, substrings where they do not."""

from __future__ import annotations

import pytest

from creative_automation.brief import parse_brief
from creative_automation.compliance.findings import Finding
from creative_automation.compliance.legal import prohibited_word_findings
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
    return prohibited_word_findings(spec, brief)


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
    assert "2 prohibited words" in finding.detail
    assert not finding.blocking


def test_the_finding_names_every_word_found() -> None:
    (finding,) = findings(["cure", "free", "guaranteed"], "Free and guaranteed to please")
    assert finding.status == "fail"
    assert finding.blocking
    assert finding.value == "free, guaranteed"
    assert "en-US" in finding.detail
