"""Labelled set for the legal checks: prohibited words and claims hidden in several ways in
nine scripts, near-misses that must not match, and required disclaimers present or not."""

from __future__ import annotations

import time

from creative_automation.compliance.legal import check_disclaimers, find_prohibited

from . import Outcome

# (locale, term, text, the original text that must be reported, whether it is obfuscated)
POSITIVES: list[tuple[str, str, str, str, bool]] = [
    # Latin: plain, case, width, claims
    ("en-US", "free", "Get it free today", "free", False),
    ("en-US", "free", "GET IT FREE", "FREE", False),
    ("en-US", "free", "Sugar-free, all day", "free", False),
    ("en-US", "clinically proven", "Clinically proven to work", "Clinically proven", False),
    ("en-US", "clinically proven", "clinically-proven formula", "clinically-proven", False),
    ("en-US", "clinically proven", "clinically\nproven", "clinically\nproven", False),
    ("en-US", "100% natural", "Now 100% natural!", "100% natural", False),
    ("fr-FR", "100% natural", "100 % natural", "100 % natural", False),
    ("en-US", "#1", "The #1 roast", "#1", False),
    ("en-US", "risk-free", "Try it risk free", "risk free", False),
    ("en-US", "risk-free", "Try it riskfree", "riskfree", False),
    ("en-US", "risk free", "Try it risk-free", "risk-free", False),
    ("en-US", "don't miss", "Dont miss it", "Dont miss", False),
    ("en-US", "bet", "Place a b3t", "b3t", True),
    ("de-DE", "Straße", "DIE STRASSE", "STRASSE", False),
    ("en-US", "free", "ＦＲＥＥ coffee", "ＦＲＥＥ", True),  # full-width
    ("en-US", "free", "𝐟𝐫𝐞𝐞 coffee", "𝐟𝐫𝐞𝐞", True),  # mathematical bold
    # leetspeak
    ("en-US", "free", "Get it fr33 now", "fr33", True),
    ("en-US", "free", "FR3E shipping", "FR3E", True),
    ("es-MX", "gratis", "Envío gr@tis hoy", "gr@tis", True),
    ("en-US", "sale", "$ale today", "$ale", True),
    ("en-US", "sale", "5ale today", "5ale", True),
    ("en-US", "lose weight", "L0se weight fast", "L0se weight", True),
    ("en-US", "miracle", "a m!racle cream", "m!racle", True),
    ("en-US", "best", "the be$7 deal", "be$7", True),
    # separators inside a word
    ("en-US", "free", "f.r.e.e gift", "f.r.e.e", True),
    ("en-US", "free", "it's f r e e", "f r e e", True),
    ("en-US", "free", "f-r-e-e gift", "f-r-e-e", True),
    ("en-US", "free", "f_r_e_e gift", "f_r_e_e", True),
    ("en-US", "free", "F. R. E. E. gift", "F. R. E. E", True),
    ("en-US", "free", "f r 3 3 gift", "f r 3 3", True),
    ("en-US", "sale", "S A L E now on", "S A L E", True),
    # elongation: a letter three or more times
    ("en-US", "free", "freeee stuff", "freeee", True),
    ("en-US", "sale", "big saaale", "saaale", True),
    # invisible characters
    ("en-US", "free", "fr\u200bee gift", "fr\u200bee", True),
    ("en-US", "free", "f\u00adree gift", "f\u00adree", True),  # soft hyphen
    ("en-US", "free", "fre\u2060e gift", "fre\u2060e", True),  # word joiner
    # look-alike letters of another alphabet
    ("en-US", "free", "frее gift", "frее", True),  # Cyrillic е
    ("en-US", "sale", "ѕаlе now on", "ѕаlе", True),  # a whole word of Cyrillic look-alikes
    ("en-US", "cure", "a сurе for", "сurе", True),  # Cyrillic с, е
    ("en-US", "guaranteed", "guarαnteed results", "guarαnteed", True),  # Greek α
    ("en-US", "free", "fr\u0435\u200be", "fr\u0435\u200be", True),  # both at once
    # Cyrillic
    ("ru-RU", "бесплатно", "Доставка бесплатно", "бесплатно", False),
    ("ru-RU", "бесплатно", "БЕСПЛАТНО!", "БЕСПЛАТНО", False),
    ("ru-RU", "бесплатно", "мы дарим бecплaтнo", "бecплaтнo", True),  # Latin e, a, o
    ("ru-RU", "бесплатно", "б е с п л а т н о", "б е с п л а т н о", True),
    # Greek: capitals drop the accents
    ("el-GR", "δωρεάν", "Αποστολή δωρεάν", "δωρεάν", False),
    ("el-GR", "δωρεάν", "ΑΠΟΣΤΟΛΗ ΔΩΡΕΑΝ", "ΔΩΡΕΑΝ", False),
    ("el-GR", "δωρεάν", "αποστολή δωpεάν", "δωpεάν", True),  # Latin p for ρ
    # Arabic
    ("ar-AE", "مجاني", "شحن مجاني اليوم", "مجاني", False),
    ("ar-AE", "مجاني", "شحن مجـــاني اليوم", "مجـــاني", True),  # tatweel
    ("ar-AE", "مجاني", "شحن مجا\u200bني", "مجا\u200bني", True),
    # Devanagari
    ("hi-IN", "मुफ़्त", "मुफ़्त डिलीवरी", "मुफ़्त", False),
    ("hi-IN", "मुफ़्त", "आज मुफ़\u200b्त", "मुफ़\u200b्त", True),
    # Japanese, Chinese, Thai, Korean: substrings
    ("ja-JP", "無料", "送料無料でお届け", "無料", False),
    ("ja-JP", "保証", "効果を保\u200b証します", "保\u200b証", True),
    ("ja-JP", "ムリョウ", "ﾑﾘｮｳ", "ﾑﾘｮｳ", True),  # half-width katakana
    ("ja-JP", "free", "今すぐfreeでお届け", "free", False),
    ("zh-Hans-CN", "免费", "今天免费送货", "免费", False),
    ("zh-Hans-CN", "免费", "今天免 费送货", "免 费", True),
    ("th-TH", "ฟรี", "ส่งฟรีวันนี้", "ฟรี", False),
    ("th-TH", "ฟรี", "ส่งฟ\u200bรีวันนี้", "ฟ\u200bรี", True),
    ("ko-KR", "무료", "무료배송", "무료", False),
    ("ko-KR", "무료", "오늘 무\u200b료 배송", "무\u200b료", True),
]

# (locale, term, text): nothing may be reported
NEGATIVES: list[tuple[str, str, str]] = [
    # longer words (the Scunthorpe problem)
    ("en-US", "free", "Freedom in every sip"),
    ("en-US", "free", "Carefree mornings"),
    ("en-GB", "cunt", "Scunthorpe United"),
    ("en-US", "ass", "A classic, first-class assessment"),
    ("en-US", "hell", "Hello from the shell"),
    ("en-GB", "sex", "Made in Sussex"),
    ("en-US", "rapist", "Ask your therapist"),
    ("en-US", "the rapist", "Ask your therapist"),
    ("en-US", "cure", "Secure checkout"),
    ("en-US", "100% natural", "100% naturally sourced"),
    ("en-US", "#1", "Roast #10 is back"),
    ("en-US", "free", "the offer ends"),
    ("en-US", "fr", "the offer ends"),
    # leet must not read numbers, prices or punctuation as words
    ("en-US", "free", "fr33dom fighters"),
    ("en-US", "ssale", "$5 sale"),
    ("en-US", "sssale", "$5 sale"),
    ("en-US", "sale", "$5 ale, tonight"),
    ("en-US", "los", "105 stores"),
    ("en-US", "lol", "Room 101"),
    ("en-US", "ahi", "Ah! Fresh"),
    ("en-US", "bee", "Call 833 now"),
    ("en-US", "ag", "On the 4G network"),
    ("en-US", "it", "Only 1t left"),
    ("en-US", "sale", "5415 units"),
    # a doubled letter is a different word, not an elongation
    ("en-US", "god", "Good morning"),
    ("en-US", "cop", "Join the coop"),
    ("fr-FR", "sale", "Une salle comble"),
    ("en-US", "bet", "Beet salad"),
    ("en-US", "lose", "Loose leaf tea"),
    # spaced letters must spell the whole term, one separator throughout
    ("en-US", "free", "a f r e e gift"),  # read as "afree": an article is not told from a letter
    ("en-US", "sale", "S A L E S team"),
    ("en-US", "rapist", "t h e r a p i s t"),
    ("en-US", "free", "f.r e-e"),
    ("en-US", "usa", "U S A B"),
    # claims need a separator between their words
    ("en-US", "risk free", "riskfree"),
    ("en-US", "clinically proven", "clinicallyproven"),
    # other scripts: a real word is not a look-alike, an inflection is another word
    ("ru-RU", "cop", "Сор на полу"),  # Russian "сор" (litter) in a Russian ad
    ("ru-RU", "бесплатно", "бесплатного"),
    ("el-GR", "opa", "Η ώρα"),
    ("ar-AE", "مجاني", "تجربة مجانية اليوم"),
    ("hi-IN", "मुफ़्त", "मुफ़्तख़ोर"),
    ("ja-JP", "無料", "有料オプション"),
    ("ja-JP", "free", "今すぐfreedomでお届け"),
    ("zh-Hans-CN", "免费", "免税商品"),
    ("th-TH", "ฟรี", "ซิกมันด์ ฟรอยด์"),
    ("ko-KR", "무료", "유료 배송"),
]

# (texts on the creative, the required disclaimer, whether it is missing)
DISCLAIMERS: list[tuple[dict[str, str | None], str, bool]] = [
    ({"message": "Fresh", "disclaimer": "Terms apply."}, "Terms apply.", False),
    ({"message": "Fresh", "disclaimer": "TERMS  APPLY"}, "Terms apply.", False),
    ({"message": "Fresh", "disclaimer": "Terms may apply."}, "Terms apply.", True),
    ({"message": "Fresh", "disclaimer": None}, "Terms apply.", True),
    ({"message": "Terms apply to this offer"}, "Terms apply.", False),
    ({"message": "Fresh", "disclaimer": "Contiene cafeína."}, "Contiene cafeína.", False),
    ({"message": "Fresh", "disclaimer": "Contiene cafeina"}, "Contiene cafeína.", True),
    ({"message": "夏", "disclaimer": "カフェインを含みます。"}, "カフェインを含みます。", False),
    ({"message": "夏", "disclaimer": "カフェインを含む"}, "カフェインを含みます。", True),
    ({"message": "x", "disclaimer": "يحتوي على الكافيين."}, "يحتوي على الكافيين.", False),
    ({"message": "x", "disclaimer": "يحتوي الكافيين"}, "يحتوي على الكافيين.", True),
    ({"message": "x", "call_to_action": "Terms apply."}, "Terms apply.", False),
]


def outcomes(seed: int = 0) -> list[Outcome]:
    """Every labelled text through find_prohibited / check_disclaimers (the set is fixed:
    `seed` is accepted for the common signature)."""
    out = []
    for locale, term, text, *_ in POSITIVES:
        out.append(_prohibited(locale, term, text, expected=True))
    for locale, term, text in NEGATIVES:
        out.append(_prohibited(locale, term, text, expected=False))
    for texts, required, missing in DISCLAIMERS:
        t0 = time.perf_counter()
        (check,) = check_disclaimers(texts, [required])
        ms = (time.perf_counter() - t0) * 1000
        name = f"{required!r} in {texts!r}"
        out.append(Outcome("required_disclaimer", name, missing, not check.present, ms))
    return out


def _prohibited(locale: str, term: str, text: str, *, expected: bool) -> Outcome:
    t0 = time.perf_counter()
    flagged = bool(find_prohibited({"message": text}, [term], locale))
    ms = (time.perf_counter() - t0) * 1000
    return Outcome("prohibited_words", f"{locale} {term!r} in {text!r}", expected, flagged, ms)
