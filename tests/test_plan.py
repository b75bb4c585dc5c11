"""Brief → plan: every product × format × locale, in order, each at its own path and size."""

from __future__ import annotations

import itertools

import pytest

from creative_automation.brief import parse_brief
from creative_automation.formats import resolve_format
from creative_automation.plan import make_plan
from factories import brief_data

ALL_FORMATS = [
    # key by name, key by ratio, canvas, folder
    ("square", "1:1", (1080, 1080), "1x1"),
    ("story", "9:16", (1080, 1920), "9x16"),
    ("landscape", "16:9", (1920, 1080), "16x9"),
    ("portrait", "4:5", (1080, 1350), "4x5"),
    ("link", "1.91:1", (1200, 628), "1.91x1"),
]


def test_product_then_format_then_locale() -> None:
    brief = parse_brief(brief_data())
    plan = make_plan(brief)
    expected = list(
        itertools.product(
            ["photo-product", "made-product"],
            ["1:1", "9:16", "16:9"],
            ["en-US", "ar-AE", "ja-JP"],
        )
    )
    assert [(s.product.id, s.format.ratio, s.locale) for s in plan] == expected


def test_relpaths_are_unique_and_follow_the_output_contract() -> None:
    plan = make_plan(parse_brief(brief_data(formats=[ratio for _, ratio, _, _ in ALL_FORMATS])))
    assert len(plan) == 2 * 5 * 3
    paths = [s.relpath("png") for s in plan]
    assert len(set(paths)) == len(paths)
    assert "photo-product/9x16/ar-AE.png" in paths
    assert "made-product/1.91x1/ja-JP.png" in paths
    for spec, path in zip(plan, paths, strict=True):
        assert path == f"{spec.product.id}/{spec.format.folder}/{spec.locale}.png"
    assert plan[0].relpath("jpg") == "photo-product/1x1/en-US.jpg"


def test_copy_comes_from_each_locale() -> None:
    brief = parse_brief(brief_data())
    by_locale = {s.locale: s for s in make_plan(brief) if s.product.id == "made-product"}
    assert by_locale["ar-AE"].message == "قهوة طازجة تصلك كل صباح"
    assert by_locale["ar-AE"].call_to_action == "اطلب الآن"
    assert by_locale["ja-JP"].message == "毎朝、挽きたてのコーヒーを。"
    assert by_locale["ja-JP"].call_to_action == "今すぐ注文"
    assert by_locale["en-US"].message == "Fresh roast, delivered every morning"


def test_base_language_without_locales_uses_the_base_copy() -> None:
    brief = parse_brief(
        brief_data(language="en", locales={}, message="Base message", call_to_action="Buy")
    )
    plan = make_plan(brief)
    assert {s.locale for s in plan} == {"en"}
    assert len(plan) == 2 * 3
    assert all(s.message == "Base message" and s.call_to_action == "Buy" for s in plan)


def test_base_language_locale_without_its_own_cta_inherits_the_base_cta() -> None:
    brief = parse_brief(
        brief_data(
            language="en-US",
            call_to_action="Order now",
            locales={
                "en-US": {"message": "Morning roast"},
                "ja-JP": {"message": "毎朝のコーヒー", "call_to_action": "今すぐ注文"},
            },
        )
    )
    by_locale = {s.locale: s for s in make_plan(brief)}
    assert by_locale["en-US"].message == "Morning roast"
    assert by_locale["en-US"].call_to_action == "Order now"
    assert by_locale["ja-JP"].call_to_action == "今すぐ注文"


@pytest.mark.parametrize(("name", "ratio", "size", "folder"), ALL_FORMATS)
def test_formats_by_name_and_ratio(
    name: str, ratio: str, size: tuple[int, int], folder: str
) -> None:
    for key in (name, ratio, name.upper(), f" {ratio} "):
        fmt = resolve_format(key)
        assert (fmt.name, fmt.ratio, (fmt.width, fmt.height), fmt.folder) == (
            name,
            ratio,
            size,
            folder,
        )
    # the canvas really has the ratio it is named after
    w, h = (float(x) for x in ratio.split(":"))
    assert size[0] / size[1] == pytest.approx(w / h, rel=0.005)


@pytest.mark.parametrize(("name", "ratio", "size", "folder"), ALL_FORMATS)
def test_plan_uses_the_exact_canvas(
    name: str, ratio: str, size: tuple[int, int], folder: str
) -> None:
    for key in (name, ratio):
        plan = make_plan(parse_brief(brief_data(formats=[key])))
        assert {(s.format.width, s.format.height) for s in plan} == {size}
        assert {s.relpath("png").split("/")[1] for s in plan} == {folder}


def test_unknown_format_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown format 'banner'.*story \(9:16\)"):
        resolve_format("banner")
