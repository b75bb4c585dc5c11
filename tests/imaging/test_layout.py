"""Layout rules: safe zones, negative space, subject and logo clear space, measured on boxes."""

from __future__ import annotations

import numpy as np
import pytest

from creative_automation.formats import FORMATS, resolve_format
from creative_automation.imaging.geometry import Box
from creative_automation.imaging.layout import plan_layout
from creative_automation.imaging.rules import rules_for, safe_area
from creative_automation.imaging.stats import BackgroundStats


def background(w: int, h: int, busy: Box | None = None, seed: int = 0) -> np.ndarray:
    img = np.full((h, w, 3), 200, np.uint8)
    if busy is not None:
        noise = np.random.default_rng(seed).integers(
            0, 255, (busy.height, busy.width, 3), dtype=np.uint8
        )
        img[busy.y0 : busy.y1, busy.x0 : busy.x1] = noise
    return img


def test_story_safe_area_keeps_platform_zones() -> None:
    fmt = resolve_format("9:16")
    safe = safe_area(fmt)
    m = rules_for(fmt).margin
    assert m == 54
    assert safe.y0 == round(0.14 * 1920) + m and safe.y1 == 1920 - round(0.35 * 1920) - m
    assert safe.x0 == round(0.06 * 1080) + m


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_minimum_headline_size_per_design_guide(fmt) -> None:  # type: ignore[no-untyped-def]
    rules = rules_for(fmt)
    expected = (
        round(0.04 * fmt.height)
        if fmt.ratio == "9:16"
        else round(0.05 * min(fmt.width, fmt.height))
    )
    assert rules.headline_min == expected
    assert 0.12 * fmt.shorter_side <= rules.logo_width <= 0.20 * fmt.shorter_side


def test_text_goes_to_calm_side_never_over_subject() -> None:
    fmt = resolve_format("16:9")
    subject = Box(760, 300, 1160, 1000)
    # left of the subject is busy, right is calm: text belongs on the right
    bg = background(1920, 1080, busy=Box(0, 0, 760, 1080))
    layout = plan_layout(
        BackgroundStats(bg), fmt, subject, "Summer tastes better cold", "Shop now", "en-US", None
    )
    assert layout is not None
    block = layout.text.box
    assert not block.intersects(subject)
    assert safe_area(fmt).contains(block)
    assert block.x0 >= subject.x1, "text sits in the calm negative space"


def test_logo_clear_space_and_corner() -> None:
    fmt = resolve_format("1:1")
    subject = Box(340, 420, 740, 1000)
    bg = background(1080, 1080)
    layout = plan_layout(
        BackgroundStats(bg), fmt, subject, "Fresh every morning", "Order", "en-US", 3.0
    )
    assert layout is not None and layout.logo_box is not None
    logo = layout.logo_box
    assert 0.12 * 1080 <= max(logo.width, logo.height) <= 0.2 * 1080
    assert not logo.expand(logo.height // 2).intersects(layout.text.box)
    assert not logo.intersects(subject.expand(rules_for(fmt).gap))
    assert safe_area(fmt).contains(logo)


def test_no_room_returns_none() -> None:
    fmt = resolve_format("1:1")
    subject = Box(0, 0, 1080, 1080)
    assert (
        plan_layout(
            BackgroundStats(background(1080, 1080)), fmt, subject, "Hi", None, "en-US", None
        )
        is None
    )


def test_rtl_block_anchored_right() -> None:
    fmt = resolve_format("1:1")
    subject = Box(300, 600, 780, 1080)
    layout = plan_layout(
        BackgroundStats(background(1080, 1080)),
        fmt,
        subject,
        "قهوة طازجة تصلك كل صباح",
        "اطلب الآن",
        "ar-AE",
        None,
    )
    assert layout is not None
    assert layout.text.headline.direction == "rtl"
    assert layout.text.box.x1 == safe_area(fmt).x1
    assert layout.text.cta_box is not None and layout.text.cta_box.x1 == layout.text.box.x1


def test_cta_type_is_35_to_45_percent_of_headline() -> None:
    fmt = resolve_format("9:16")
    subject = Box(300, 900, 780, 1700)
    layout = plan_layout(
        BackgroundStats(background(1080, 1920)), fmt, subject, "Run further", "Join", "en-US", None
    )
    assert layout is not None and layout.text.cta is not None
    ratio = layout.text.cta.size / layout.text.headline.size
    assert 0.35 <= ratio <= 0.45
    assert layout.text.cta_box is not None and layout.text.cta_box.y0 >= layout.text.headline_box.y1


@pytest.mark.parametrize(
    ("locale", "message", "cta"),
    [
        ("en-US", "Cold.", "Discover the full summer range today"),
        ("he-IL", "קר.", "גלו היום את כל מבחר הקיץ המלא שלנו"),
        ("ar-AE", "بارد.", "اكتشف مجموعة الصيف الكاملة اليوم"),
    ],
)
@pytest.mark.parametrize("ratio", ["1:1", "9:16", "16:9", "4:5", "1.91:1"])
def test_long_cta_button_stays_in_the_safe_area(
    locale: str, message: str, cta: str, ratio: str
) -> None:
    fmt = resolve_format(ratio)
    w, h = fmt.width, fmt.height
    subject = Box(w * 2 // 5, h * 2 // 5, w * 3 // 5, h * 4 // 5)
    layout = plan_layout(BackgroundStats(background(w, h)), fmt, subject, message, cta, locale, 3.0)
    if layout is None:  # not fitting is allowed (a finding); running off the canvas is not
        return
    safe = safe_area(fmt)
    block = layout.text
    assert block.cta_box is not None
    for box in (block.box, block.headline_box, block.cta_box):
        assert safe.contains(box), (box, safe)
    assert block.box.contains(block.cta_box) and block.box.contains(block.headline_box)
