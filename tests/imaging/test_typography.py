"""Typography measured on real pixels: every script, coverage, shaping, breaking, fitting."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFont

from creative_automation.errors import FontCoverageError, RenderError
from creative_automation.imaging.fonts import FONT_DIR
from creative_automation.imaging.geometry import Box
from creative_automation.imaging.typography import (
    NO_BREAK_AFTER,
    NO_BREAK_BEFORE,
    FittedText,
    check_coverage,
    detect_script,
    draw_text,
    fit_text,
    font_for,
    get_font,
)

SAMPLES = [
    # locale, text, script, font name, direction
    ("en-US", "Fresh roast, delivered every morning", "latin", "NotoSans-Bold", "ltr"),
    ("ru-RU", "Свежая обжарка каждое утро", "cyrillic", "NotoSans-Bold", "ltr"),
    ("el-GR", "Φρέσκος καφές κάθε πρωί", "greek", "NotoSans-Bold", "ltr"),
    ("ar-AE", "قهوة طازجة تصلك كل صباح", "arabic", "NotoSansArabic-Bold", "rtl"),
    ("he-IL", "קפה טרי עד הדלת שלך! 50% הנחה", "hebrew", "NotoSansHebrew-Bold", "rtl"),
    ("hi-IN", "ताज़ा भुनी कॉफ़ी, हर सुबह आपके द्वार", "devanagari", "NotoSansDevanagari-Bold", "ltr"),
    ("ja-JP", "毎朝、挽きたてのコーヒーを。", "cjk", "NotoSansCJKjp-Bold", "ltr"),
    ("zh-CN", "新鲜烘焙的咖啡，每天早上送到您家。", "cjk", "NotoSansCJKsc-Bold", "ltr"),
    ("ko-KR", "매일 아침 갓 볶은 커피를 배달합니다", "cjk", "NotoSansCJKkr-Bold", "ltr"),
]

BLACK = (0, 0, 0)
WHITE = (255, 255, 255)


def ink_box(canvas: Image.Image, region: Box | None = None) -> Box | None:
    """Bounding box of every non-black pixel (optionally only inside region), canvas coords."""
    a = np.asarray(canvas.convert("L"))
    if region is not None:
        mask = np.zeros_like(a, dtype=bool)
        mask[region.y0 : region.y1, region.x0 : region.x1] = True
        a = np.where(mask, a, 0)
    ys, xs = np.nonzero(a)
    if len(xs) == 0:
        return None
    return Box(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)


def render(fitted: FittedText, box: Box, align: str = "start") -> tuple[Image.Image, list[Box]]:
    canvas = Image.new("RGB", (box.x1 + 40, box.y1 + 40), BLACK)
    lines = draw_text(canvas, fitted, box, fill=WHITE, align=align)  # type: ignore[arg-type]
    return canvas, lines


def fit(text: str, locale: str, width: int = 600, height: int = 400, **kw: int) -> FittedText:
    args = {"max_lines": 3, "min_size": 16, "max_size": 120, **kw}
    fitted = fit_text(text, locale, weight="bold", box_width=width, box_height=height, **args)
    assert fitted is not None
    return fitted


@pytest.mark.parametrize(("locale", "text", "script", "font", "direction"), SAMPLES)
def test_every_promised_script_renders_inside_its_box(
    locale: str, text: str, script: str, font: str, direction: str
) -> None:
    fitted = fit(text, locale, 520, 300)
    assert (fitted.font_name, fitted.script, fitted.direction) == (font, script, direction)
    assert detect_script(text) == script
    box = Box(30, 40, 30 + 520, 40 + 300)
    canvas, lines = render(fitted, box)
    ink = ink_box(canvas)
    assert ink is not None and ink.area > 0.02 * box.area  # real glyphs, not a speck
    assert box.contains(ink)
    # The block occupies exactly what fit_text promised, and each line box holds its ink.
    block = Box(box.x0, box.y0, box.x0 + fitted.width, box.y0 + fitted.height)
    if direction == "rtl":
        block = block.shift(box.width - fitted.width, 0)
    assert block.contains(ink)
    assert (
        ink.height >= fitted.height - 2 and ink.width >= fitted.width - fitted.size // 6
    )  # side bearings
    assert len(lines) == len(fitted.lines)
    for line_box in lines:
        line_ink = ink_box(canvas, line_box.expand(0))
        assert line_ink is not None and line_box.contains(line_ink)
        assert block.contains(line_box)


@pytest.mark.parametrize(
    ("text", "locale", "chars"),
    [
        ("สวัสดี", "th-TH", ["ส", "U+0E2A", "ว", "U+0E27"]),
        ("ሰላም ዓለም", "am-ET", ["ሰ", "U+1230", "ላ", "U+120B"]),
        ("Hello ሰላም", "en-US", ["ሰ", "U+1230"]),
    ],
)
def test_uncovered_text_raises_naming_locale_and_characters(
    text: str, locale: str, chars: list[str]
) -> None:
    with pytest.raises(FontCoverageError) as caught:
        fit_text(
            text, locale, weight="bold", box_width=600, box_height=300,
            max_lines=3, min_size=16, max_size=90,
        )  # fmt: skip
    assert isinstance(caught.value, RenderError)
    message = str(caught.value)
    assert locale in message
    for char in chars:
        assert char in message
    with pytest.raises(FontCoverageError):
        check_coverage(text, locale)
    with pytest.raises(FontCoverageError):
        font_for(text, locale, "regular")


def test_arabic_is_shaped_into_joined_forms() -> None:
    word = "سلام"
    path, index, _ = font_for(word, "ar", "bold")
    raqm = get_font(path, index, 100)
    joined = raqm.getmask(word, direction="rtl", language="ar")
    isolated = sum(raqm.getmask(letter, direction="rtl").size[0] for letter in word)
    assert joined.size[0] < 0.8 * isolated
    # Pillow's basic layout does no shaping: same font, same letters, other glyphs.
    basic = ImageFont.truetype(FONT_DIR / "NotoSansArabic-Bold.ttf", 100, layout_engine=0)
    unshaped = basic.getmask(word[::-1])
    assert unshaped.size[0] != joined.size[0]


def test_devanagari_forms_conjuncts() -> None:
    path, index, _ = font_for("क्ष", "hi", "bold")
    font = get_font(path, index, 100)
    conjunct = font.getlength("क्ष", language="hi")
    parts = sum(font.getlength(c, language="hi") for c in "क्ष")
    assert conjunct < 0.8 * parts


def test_rtl_lines_are_right_aligned_and_ltr_left_aligned() -> None:
    box = Box(20, 20, 620, 420)
    text = "קפה טרי עד הדלת שלך בכל בוקר, בלי לצאת מהבית"
    fitted = fit(text, "he-IL", box.width, box.height, max_size=60)
    assert fitted.direction == "rtl" and len(fitted.lines) >= 2
    canvas, lines = render(fitted, box)
    for line in lines:
        ink = ink_box(canvas, Box(box.x0, line.y0, box.x1, line.y1))
        assert ink is not None and box.x1 - ink.x1 <= 4
    assert min(box.x1 - line.x1 for line in lines) == 0
    # 'end' flips it; 'center' centres each line.
    canvas, lines = render(fitted, box, align="end")
    assert all(line.x0 == box.x0 for line in lines)
    canvas, lines = render(fitted, box, align="center")
    assert all(abs((line.x0 - box.x0) - (box.x1 - line.x1)) <= 1 for line in lines)

    latin = fit("Fresh roast, delivered every morning to your door", "en", 600, 400, max_size=60)
    canvas, lines = render(latin, box)
    for line in lines:
        ink = ink_box(canvas, Box(box.x0, line.y0, box.x1, line.y1))
        assert ink is not None and ink.x0 - box.x0 <= 6


def test_arabic_locale_keeps_rtl_with_latin_words_inside() -> None:
    fitted = fit("خصم 50% على Nike Air", "ar-EG", 900, 200)
    assert fitted.direction == "rtl" and fitted.font_name == "NotoSansArabic-Bold"
    assert fitted.script == "arabic" and fitted.language == "ar"


JAPANESE = (
    "毎朝、焙煎したてのコーヒーを、ご自宅の玄関までお届けします。「新しい朝」を、"
    "あなたに。今なら初回送料無料！ご注文はお早めに（数量限定）。"
)


@pytest.mark.parametrize("width", [260, 330, 410, 530, 610, 700])
def test_cjk_lines_never_start_with_closing_or_end_with_opening_punctuation(width: int) -> None:
    fitted = fit(JAPANESE, "ja-JP", width, 2000, max_lines=12, min_size=24, max_size=48)
    assert len(fitted.lines) >= 3
    assert "".join(fitted.lines) == JAPANESE  # nothing dropped, nothing added
    for line in fitted.lines:
        assert line[0] not in NO_BREAK_BEFORE, fitted.lines
        assert line[-1] not in NO_BREAK_AFTER, fitted.lines
    assert max(fitted.line_widths) <= width


def test_cjk_keeps_latin_words_whole() -> None:
    text = "新しいiPhone 16 Proが登場、Apple Storeで予約受付中"
    for width in (200, 260, 320, 400):
        fitted = fit(text, "ja-JP", width, 2000, max_lines=10, min_size=20, max_size=40)
        joined = "\n".join(fitted.lines)
        for word in ("iPhone", "Pro", "Apple", "Store"):
            assert word in joined


def greedy(text: str, fitted: FittedText, width: int) -> list[str]:
    """First-fit lines at fitted's size: what an unbalanced breaker would produce."""
    font = get_font(fitted.font_path, fitted.font_index, fitted.size)
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


@pytest.mark.parametrize("width", range(160, 700, 45))
def test_lone_punctuation_stays_with_its_word(width: int) -> None:
    text = "« Café frais » chaque matin ! Livré chez vous \u2013 sans frais"
    fitted = fit_text(
        text, "fr-FR", weight="bold", box_width=width, box_height=2000,
        max_lines=12, min_size=20, max_size=40,
    )  # fmt: skip
    assert fitted is not None and " ".join(fitted.lines) == text
    for line in fitted.lines:
        assert line[0] not in "»!\u2013" and line[-1] != "«", fitted.lines


@pytest.mark.parametrize("width", [520, 900])
def test_lines_are_balanced_without_a_widow(width: int) -> None:
    text = "Fresh roast, delivered every morning to your door"
    fitted = fit(text, "en-US", width, 600, max_lines=4, max_size=44)
    assert fitted.size == 44 and len(fitted.lines) >= 2
    assert " ".join(fitted.lines) == text
    # First-fit leaves "door" or "your door" hanging; the balanced lines are even and
    # the last line is never a lone word.
    first_fit = greedy(text, fitted, width)
    assert len(first_fit) == len(fitted.lines)
    assert len(first_fit[-1].split()) <= 2
    assert len(fitted.lines[-1].split()) > 1
    assert min(fitted.line_widths) >= 0.55 * max(fitted.line_widths), fitted.lines
    spread = max(fitted.line_widths) - min(fitted.line_widths)
    font = get_font(fitted.font_path, 0, fitted.size)
    first_fit_widths = [font.getlength(line) for line in first_fit]
    assert spread < max(first_fit_widths) - min(first_fit_widths)


def test_a_word_wider_than_the_box_fails_instead_of_breaking() -> None:
    assert (
        fit_text(
            "Supercalifragilisticexpialidocious", "en", weight="bold", box_width=300,
            box_height=400, max_lines=3, min_size=20, max_size=80,
        )
        is None
    )  # fmt: skip


def test_none_when_it_cannot_fit_at_min_size() -> None:
    text = "Fresh roast, delivered every morning to your door, fast and free"
    args = {"weight": "bold", "max_lines": 2, "min_size": 40, "max_size": 90}
    assert fit_text(text, "en", box_width=400, box_height=300, **args) is None  # type: ignore[arg-type]
    assert fit_text("새 커피", "ko", box_width=40, box_height=300, **args) is None  # type: ignore[arg-type]


def test_larger_box_never_gives_smaller_type() -> None:
    for locale, text, *_ in SAMPLES:
        sizes = []
        for width, height in [(300, 160), (360, 200), (480, 260), (640, 320), (900, 480)]:
            fitted = fit_text(
                text, locale, weight="bold", box_width=width, box_height=height,
                max_lines=3, min_size=12, max_size=200,
            )  # fmt: skip
            assert fitted is not None
            assert fitted.width <= width and fitted.height <= height
            sizes.append(fitted.size)
        assert sizes == sorted(sizes), (locale, sizes)


def test_size_is_the_largest_that_fits() -> None:
    for text, locale in [
        ("Summer sale", "en"),
        ("Fresh roast, delivered daily", "en"),
        *[(t, loc) for loc, t, *_ in SAMPLES],
    ]:
        fitted = fit(text, locale, 500, 300, max_size=300)
        one_more = fit_text(
            text, locale, weight="bold", box_width=500, box_height=300,
            max_lines=3, min_size=fitted.size + 1, max_size=fitted.size + 1,
        )  # fmt: skip
        assert one_more is None, (text, fitted.size)
    assert fit("Summer sale", "en", 500, 300, max_lines=1, max_size=300).width > 480


def test_explicit_newline_is_a_forced_break() -> None:
    fitted = fit("Summer\nsale now on", "en", 1000, 600)
    assert fitted.lines == ("Summer", "sale now on")
    assert fit("Summer\r\n\r\nsale", "en", 1000, 600).lines == ("Summer", "sale")
    assert (
        fit_text("a\nb\nc\nd", "en", weight="bold", box_width=900, box_height=900,
                 max_lines=3, min_size=10, max_size=100)
        is None
    )  # fmt: skip


def test_line_height_and_block_height_match_the_drawing() -> None:
    fitted = fit("Happy days,\nevery day", "en", 800, 500, max_size=80)
    assert fitted.size == 80 and 0.95 * 80 <= fitted.line_height <= 1.25 * 80
    box = Box(10, 10, 810, 510)
    canvas, lines = render(fitted, box)
    assert lines[1].y1 - lines[0].y1 == fitted.line_height  # both lines end on a descender
    ink = ink_box(canvas)
    assert ink is not None and ink.y0 == box.y0 and ink.height == fitted.height
    cjk = fit("新鲜咖啡\n每天早上", "zh-CN", 800, 500, max_size=80)
    assert cjk.line_height > fitted.line_height


def test_draw_text_on_rgba_and_refuses_a_box_too_small() -> None:
    fitted = fit("Order now", "en", 400, 100, max_lines=1, max_size=40)
    canvas = Image.new("RGBA", (500, 200), (0, 0, 0, 0))
    lines = draw_text(canvas, fitted, Box(10, 10, 410, 110), fill=(255, 0, 0, 255))
    alpha = np.asarray(canvas)[..., 3]
    assert alpha.any() and Box(10, 10, 410, 110).contains(lines[0])
    with pytest.raises(ValueError, match="does not fit"):
        draw_text(canvas, fitted, Box(0, 0, fitted.width - 1, 100), fill=(255, 0, 0))
