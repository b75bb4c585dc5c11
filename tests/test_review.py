"""review.py: what a creative is taken to be (format, locale, manifest record) and the text
OCR finds on a loose image, measured on images drawn here with the bundled fonts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageDraw, ImageFont

from creative_automation.brandkit import Brand
from creative_automation.brief import load_brand_kit
from creative_automation.compliance.ocr import unavailable
from creative_automation.errors import AssetError
from creative_automation.imaging.geometry import Box
from creative_automation.manifest import (
    CreativeRecord,
    LayoutRecord,
    Manifest,
    Totals,
    write_manifest,
)
from creative_automation.review import (
    Logos,
    Target,
    asset_folder,
    collect,
    find_text,
    format_of,
    locale_tag,
    review,
)

ROOT = Path(__file__).parents[1]
KIT = ROOT / "examples/aurora-kit.yaml"
FONTS = ROOT / "src/creative_automation/fonts"
needs_ocr = pytest.mark.skipif(unavailable("en") is not None, reason=str(unavailable("en")))


@pytest.mark.parametrize(
    ("size", "name", "status", "says"),
    [
        ((1080, 1080), "square", "pass", "its own size"),
        ((540, 540), "square", "pass", "50% of its 1080×1080"),
        ((1080, 1920), "story", "pass", "its own size"),
        ((1200, 628), "link", "pass", "its own size"),
        ((1080, 1350), "portrait", "pass", "its own size"),
        ((1000, 700), "landscape", "warn", "matches no format"),
    ],
)
def test_the_format_is_the_nearest_ratio_at_the_image_size(
    size: tuple[int, int], name: str, status: str, says: str
) -> None:
    fmt, finding = format_of(*size)
    assert (fmt.name, fmt.width, fmt.height) == (name, *size)
    assert finding.status == status and says in finding.detail


def _png(path: Path, size: tuple[int, int] = (32, 32)) -> Path:
    Image.new("RGB", size, (200, 180, 160)).save(path)
    return path


@pytest.mark.parametrize(
    ("name", "locale", "source"),
    [
        ("es-MX.jpg", "es-MX", "file name"),
        ("banner_ja-JP.png", "ja-JP", "file name"),
        ("story.zh-Hant-TW.png", "zh-Hant-TW", "file name"),
        ("de.png", "de", "file name"),
        ("hero.png", "en", "default"),
        ("cat.png", "en", "default"),  # three letters alone are a word, not a language
        ("hero-v2.png", "en", "default"),
    ],
)
def test_the_locale_of_a_loose_image_comes_from_its_name(
    tmp_path: Path, name: str, locale: str, source: str
) -> None:
    (target,) = collect([_png(tmp_path / name)], None)
    assert (target.locale, target.locale_from, target.record) == (locale, source, None)
    (given,) = collect([tmp_path / name], "fr-CA")
    assert (given.locale, given.locale_from) == ("fr-CA", "--locale")


def test_a_locale_option_must_be_a_tag() -> None:
    assert locale_tag(" pt-BR ") == "pt-BR"
    with pytest.raises(AssetError, match="not a locale tag"):
        locale_tag("Spanish please")


def _manifest(folder: Path, image: Image.Image, **layout: list[int] | None) -> Path:
    """An output folder of one creative, with the manifest record the pipeline would write."""
    path = folder / "espresso" / "1x1" / "en-GB.png"
    path.parent.mkdir(parents=True)
    image.save(path)
    record = CreativeRecord(
        product_id="espresso", locale="en-GB", format="square", aspect_ratio="1:1",
        width=image.width, height=image.height, path="espresso/1x1/en-GB.png",
        source="asset", provider=None, model=None, seed=None, cost_usd=0.0, status="ok",
        layout=LayoutRecord(text_box=None, logo_box=None, subject_box=None, **layout),
        fonts=[], message="Bold coffee", headline_px=120,
    )  # fmt: skip
    totals = Totals(creatives=1, ok=1, needs_review=0, failed=0, cost_usd=0.0, duration_s=0.0)
    manifest = Manifest(
        campaign_id="c", campaign_name="C", created_at="2026-01-01T00:00:00Z",
        output_format="png", creatives=[record], totals=totals,
    )  # fmt: skip
    return write_manifest(manifest, folder)


def _lettered(text: str = "Bold coffee", size: int = 120) -> tuple[Image.Image, Box]:
    img = Image.new("RGB", (1080, 1080), (43, 27, 23))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONTS / "NotoSans-Bold.ttf", size)
    draw.text((100, 200), text, font=font, fill=(244, 233, 220))
    return img, Box(*map(int, draw.textbbox((100, 200), text, font=font)))


def test_an_output_folder_gives_each_creative_its_record(tmp_path: Path) -> None:
    img, box = _lettered()
    campaign = tmp_path / "out" / "campaign"
    _manifest(campaign, img, headline_box=box.as_list())
    (target,) = collect([campaign], "fr-FR")  # --locale is for loose images only
    assert target.record is not None and target.locale == "en-GB"
    assert target.locale_from == "manifest"
    # the output folder above its campaigns, and a creative named on its own, find it too
    assert collect([tmp_path / "out"], None) == [target]
    (inside,) = collect([campaign / "espresso/1x1/en-GB.png"], None)
    assert inside == target


def test_a_manifest_listing_a_missing_file_is_an_error(tmp_path: Path) -> None:
    img, box = _lettered()
    _manifest(tmp_path, img, headline_box=box.as_list())
    (tmp_path / "espresso/1x1/en-GB.png").unlink()
    with pytest.raises(AssetError, match=r"listed in .* but not found"):
        collect([tmp_path], None)


def _kit() -> tuple[Brand, Logos]:
    kit = load_brand_kit(KIT)
    return kit, Logos(kit, asset_folder(kit, KIT, None), 40_000_000)


def test_the_example_kit_finds_its_logo_in_its_assets_folder() -> None:
    kit = load_brand_kit(KIT)
    assert asset_folder(kit, KIT, None) == ROOT / "examples/assets"
    logo = Logos(kit, asset_folder(kit, KIT, None), 40_000_000).for_locale("ja-JP")
    assert logo is not None and logo.name == "aurora-logo.png"


@needs_ocr
def test_a_recorded_creative_is_checked_at_its_boxes_with_its_copy(tmp_path: Path) -> None:
    img, box = _lettered()
    _manifest(tmp_path, img, headline_box=box.as_list())
    kit, logos = _kit()
    (target,) = collect([tmp_path], None)
    result = review(target, kit, logos, 40_000_000)
    assert [(t.field, t.text, t.box) for t in result.texts] == [("headline", "Bold coffee", box)]
    by_check = {f.check: f for f in result.findings}
    assert by_check["text_height"].value == 120.0  # the recorded size, not an estimate
    assert by_check["copy_readback"].status == "pass"
    assert by_check["logo_present"].status == "fail"  # nothing was drawn


@needs_ocr
def test_a_resized_platform_creative_is_checked_as_a_loose_image(tmp_path: Path) -> None:
    img, box = _lettered()
    _manifest(tmp_path, img, headline_box=box.as_list())
    path = tmp_path / "espresso/1x1/en-GB.png"
    Image.open(path).resize((720, 720), Image.Resampling.LANCZOS).save(path)
    kit, logos = _kit()
    (target,) = collect([tmp_path], None)
    result = review(target, kit, logos, 40_000_000)
    assert any("no longer apply" in note for note in result.notes)
    assert [t.text for t in result.texts] == ["Bold coffee"]  # found by OCR instead
    assert result.fmt.width == 720


def test_a_transparent_image_is_seen_over_white(tmp_path: Path) -> None:
    path = tmp_path / "cutout.png"
    Image.new("RGBA", (1080, 1080), (0, 0, 0, 0)).save(path)
    kit, logos = _kit()
    result = review(Target(path), kit, logos, 40_000_000)
    assert any("over white" in note for note in result.notes)
    exposure = next(f for f in result.findings if f.check == "exposure")
    assert exposure.status != "pass"  # all white: blown, as a feed would show it


@needs_ocr
def test_text_is_found_light_on_dark_dark_on_light_and_on_a_button() -> None:
    img = Image.fromarray(skimage.data.astronaut()).resize((1080, 1080))
    draw = ImageDraw.Draw(img)
    bold = ImageFont.truetype(FONTS / "NotoSans-Bold.ttf", 80)
    regular = ImageFont.truetype(FONTS / "NotoSans-Regular.ttf", 34)
    draw.rectangle((60, 640, 1020, 1020), fill=(20, 30, 60))
    draw.text((100, 670), "Made for the stars", font=bold, fill=(250, 250, 250))
    draw.rounded_rectangle((100, 820, 420, 900), 24, fill=(250, 200, 40))
    draw.text((135, 832), "Book now", font=ImageFont.truetype(FONTS / "NotoSans-Bold.ttf", 44),
              fill=(20, 30, 60))  # fmt: skip
    draw.rectangle((560, 930, 1000, 990), fill=(240, 240, 240))
    draw.text((575, 935), "Terms apply.", font=regular, fill=(30, 30, 30))
    ink = Image.new("L", img.size)
    ImageDraw.Draw(ink).text((100, 670), "Made for the stars", font=bold, fill=255)
    drawn = Box(*(ink.getbbox() or (0, 0, 0, 0)))  # where the glyphs' ink is

    texts = find_text(np.asarray(img), "en")
    read = {t.field: t for t in texts}
    assert read["headline"].text == "Made for the stars"
    assert read["cta"].text == "Book now"
    assert [t.text for t in texts if t.field.startswith("text")] == ["Terms apply."]
    head = read["headline"].box
    assert max(abs(a - b) for a, b in zip(head.as_list(), drawn.as_list(), strict=True)) <= 3


@needs_ocr
@pytest.mark.parametrize("photo", ["astronaut", "chelsea", "coffee", "rocket"])
def test_a_photo_without_text_reads_no_text(photo: str) -> None:
    assert find_text(np.ascontiguousarray(getattr(skimage.data, photo)()), "en") == []


@needs_ocr
def test_a_logo_box_is_not_read_as_copy() -> None:
    img, box = _lettered("AURORA")
    assert [t.text for t in find_text(np.asarray(img), "en")] == ["AURORA"]
    assert find_text(np.asarray(img), "en", exclude=[box.expand(10)]) == []


def _panel(lines: list[str], small: str, bold: str, regular: str, lang: str) -> np.ndarray:
    """A photo with a dark panel: a two-line headline and a line of small print, set with
    the bundled faces (raqm shapes Arabic and sets it right to left)."""
    img = Image.fromarray(skimage.data.coffee()).resize((1080, 1080))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 640, 1080, 1080), fill=(43, 27, 23))
    rtl = lang == "ar"
    x, anchor = (980, "ra") if rtl else (90, "la")
    options = {"language": lang, "anchor": anchor, "fill": (244, 233, 220)}
    for n, line in enumerate(lines):
        font = ImageFont.truetype(FONTS / bold, 72)
        draw.text((x, 680 + 94 * n), line, font=font, **options)  # type: ignore[arg-type]
    font = ImageFont.truetype(FONTS / regular, 36)
    draw.text((x, 980), small, font=font, **options)  # type: ignore[arg-type]
    return np.asarray(img)


@needs_ocr
@pytest.mark.parametrize(
    ("locale", "lines", "small", "bold", "regular"),
    [
        ("es-MX", ["El verano sabe", "mejor en frío"], "Contiene cafeína.",
         "NotoSans-Bold.ttf", "NotoSans-Regular.ttf"),
        ("ja-JP", ["夏は、冷たい", "コーヒーで。"], "カフェインを含みます。",
         "NotoSansCJK-Bold.ttc", "NotoSansCJK-Regular.ttc"),
        ("ar-AE", ["الصيف ألذ مع", "القهوة الباردة"], "يحتوي على الكافيين.",
         "NotoSansArabic-Bold.ttf", "NotoSansArabic-Regular.ttf"),
    ],
)  # fmt: skip
def test_text_is_found_in_the_scripts_of_the_markets(
    locale: str, lines: list[str], small: str, bold: str, regular: str
) -> None:
    if unavailable(locale) is not None:
        pytest.skip(str(unavailable(locale)))
    texts = find_text(_panel(lines, small, bold, regular, locale[:2]), locale)
    assert [(t.field, t.text) for t in texts] == [("headline", "\n".join(lines)), ("text 1", small)]
