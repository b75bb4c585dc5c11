"""Bundled fonts: locale parsing, script detection, coverage, completed script faces."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import ImageFont

from creative_automation.imaging.fonts import (
    FONT_DIR,
    coverage,
    parse_locale,
)
from creative_automation.imaging.typography import (
    check_coverage,
    detect_script,
    font_for,
    get_font,
)

SAMPLES = [
    ("en-US", "Fresh roast, delivered every morning"),
    ("ru-RU", "Свежая обжарка каждое утро"),
    ("el-GR", "Φρέσκος καφές κάθε πρωί"),
    ("ar-AE", "قهوة طازجة تصلك كل صباح"),
    ("he-IL", "קפה טרי עד הדלת שלך! 50% הנחה"),
    ("hi-IN", "ताज़ा भुनी कॉफ़ी, हर सुबह आपके द्वार"),
    ("ja-JP", "毎朝、挽きたてのコーヒーを。"),
    ("zh-CN", "新鲜烘焙的咖啡，每天早上送到您家。"),
    ("ko-KR", "매일 아침 갓 볶은 커피를 배달합니다"),
]


def test_no_tofu_in_the_drawn_text() -> None:
    # Noto's .notdef is a hollow box as wide as ~0.6 em; "!" in the Hebrew face (which has no
    # "!" of its own) must be the narrow NotoSans exclamation mark instead.
    hebrew, _, _ = font_for("שלום!", "he-IL", "bold")
    mark = get_font(hebrew, 0, 100).getmask("!")
    latin = ImageFont.truetype(FONT_DIR / "NotoSans-Bold.ttf", 100).getmask("!")
    notdef = get_font(hebrew, 0, 100).getmask("\u0e01")  # a Thai letter: really missing
    assert abs(mark.size[0] - latin.size[0]) <= 2 and abs(mark.size[1] - latin.size[1]) <= 2
    assert notdef.size[0] > 2 * mark.size[0]


def test_check_coverage_accepts_every_promised_script_and_mixed_digits() -> None:
    for locale, text, *_ in SAMPLES:
        check_coverage(text, locale)
    check_coverage("خصم 50% على Nike Air!", "ar-EG")  # Latin inside Arabic
    check_coverage("ऑफ़र: ₹499 में (सीमित)", "hi-IN")
    check_coverage("Sale\u200d\u200e!", "en-US")  # invisible format characters are not tofu


def test_font_for_picks_the_regional_cjk_face_by_locale() -> None:
    text = "直骨"  # Han characters drawn differently in each region
    faces = {loc: font_for(text, loc, "bold") for loc in ("ja-JP", "ko-KR", "zh-CN", "zh-TW")}
    assert faces["ja-JP"][2] == "NotoSansCJKjp-Bold"
    assert faces["ko-KR"][2] == "NotoSansCJKkr-Bold"
    assert faces["zh-CN"][2] == "NotoSansCJKsc-Bold"
    assert faces["zh-TW"][2] == "NotoSansCJKtc-Bold"
    assert font_for(text, "zh-HK", "regular")[2] == "NotoSansCJKhk-Regular"
    assert font_for(text, "zh-Hant", "bold")[2] == "NotoSansCJKtc-Bold"
    assert len({index for _, index, _ in faces.values()}) == 4  # four faces of one collection
    # The faces really differ: 直 is drawn differently for Japan and China.
    masks = {
        loc: np.asarray(get_font(path, index, 80).getmask("直"), dtype=np.uint8)
        for loc, (path, index, _) in faces.items()
    }
    assert masks["ja-JP"].shape != masks["zh-CN"].shape or (masks["ja-JP"] != masks["zh-CN"]).any()
    # Without a CJK locale the text decides: kana means Japanese, hangul Korean.
    assert font_for("セール", "en-US", "bold")[2] == "NotoSansCJKjp-Bold"
    assert font_for("세일", "en-US", "bold")[2] == "NotoSansCJKkr-Bold"


def test_get_font_is_cached_and_shapes_with_raqm() -> None:
    path, index, _ = font_for("こんにちは", "ja", "regular")
    font = get_font(path, index, 33)
    assert font is get_font(path, index, 33)
    assert font.layout_engine == ImageFont.Layout.RAQM and font.size == 33


def test_detect_script_counts_letters() -> None:
    assert detect_script("50% off!") == "latin"  # no letters of any script: the default
    assert detect_script("Nike ضخم جدا جدا") == "arabic"
    assert detect_script("新しいiPhoneが登場しました") == "cjk"
    assert detect_script("Привет, world") == "cyrillic"


@pytest.mark.parametrize(
    ("locale", "language", "script", "region", "rtl"),
    [
        ("en-US", "en", "latin", None, False),
        ("ar_EG", "ar", "arabic", None, True),
        ("iw", "he", "hebrew", None, True),
        ("fa-IR", "fa", "arabic", None, True),
        ("hi-IN", "hi", "devanagari", None, False),
        ("sr-Latn-RS", "sr", "latin", None, False),
        ("sr-RS", "sr", "cyrillic", None, False),
        ("zh", "zh-Hans", "cjk", "SC", False),
        ("zh-Hant-TW", "zh-Hant", "cjk", "TC", False),
        ("zh-TW", "zh-Hant", "cjk", "TC", False),
        ("zh-HK", "zh-HK", "cjk", "HK", False),
        ("ja-JP", "ja", "cjk", "JP", False),
        ("ko", "ko", "cjk", "KR", False),
        ("", None, None, None, False),
    ],
)
def test_parse_locale(
    locale: str, language: str | None, script: str | None, region: str | None, rtl: bool
) -> None:
    info = parse_locale(locale)
    assert (info.language, info.script, info.cjk_region, info.rtl) == (
        language, script, region, rtl,
    )  # fmt: skip


@pytest.mark.parametrize("family", ["NotoSansArabic", "NotoSansHebrew", "NotoSansDevanagari"])
def test_script_fonts_are_completed_with_latin_digits_and_punctuation(family: str) -> None:
    path = FONT_DIR / f"{family}-Bold.ttf"
    covered = coverage(path)
    assert set(map(ord, "Nike Air 50%!?.,:;()€")) <= covered
    assert set(map(ord, "Привет Γειά")) <= covered
    # The added glyphs are NotoSans's own outlines and advances; only kerning between them is
    # lost (and the space is the script font's), so Latin sets within 2 % of NotoSans.
    latin = ImageFont.truetype(FONT_DIR / "NotoSans-Bold.ttf", 64)
    completed = get_font(path, 0, 64)
    assert get_font(path, 0, 64).getmask("W").size == latin.getmask("W").size
    expected = latin.getlength("Nike Air 50%")
    assert abs(completed.getlength("Nike Air 50%") - expected) < 0.02 * expected


def test_cjk_coverage_includes_latin_so_mixed_headlines_stay_in_one_face() -> None:
    path, index, name = font_for("新しいiPhone 16 Pro、50%オフ!", "ja-JP", "bold")
    assert name == "NotoSansCJKjp-Bold"
    assert set(map(ord, "iPhone 16 Pro 50%!")) <= coverage(path, index)
