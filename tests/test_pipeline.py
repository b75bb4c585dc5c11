"""End to end on real pixels: a small campaign rendered and measured from the files written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from creative_automation.brief import parse_brief
from creative_automation.compliance.legibility import contrast_ratio, relative_luminance
from creative_automation.errors import AssetError, FontCoverageError
from creative_automation.formats import resolve_format
from creative_automation.imaging.geometry import Box
from creative_automation.pipeline import CampaignResult, _executor, run_campaign
from creative_automation.providers import build_image_provider
from creative_automation.settings import Settings
from factories import brief_data, logo, photo


def run(data: dict[str, Any], assets: Path | None, out: Path, **settings: Any) -> CampaignResult:
    s = Settings(
        output_dir=out, output_format=settings.pop("output_format", "png"), workers=2, **settings
    )
    return run_campaign(
        parse_brief(data),
        assets_dir=assets,
        out_dir=out,
        provider=build_image_provider(),
        settings=s,
    )


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[CampaignResult, dict[str, Any]]:
    root = tmp_path_factory.mktemp("campaign")
    assets = root / "assets"
    assets.mkdir()
    photo().save(assets / "hero.jpg", quality=92)
    logo().save(assets / "logo.png")
    data = brief_data()
    return run(data, assets, root / "out"), json.loads(
        (root / "out" / "test-campaign" / "manifest.json").read_text()
    )


def outer_contrast(img: np.ndarray, box: list[int], text_hex: str) -> float:
    """Contrast of the text colour against the pixels around its glyphs, measured on the output.

    Glyph pixels are those within a small distance of the recorded text colour; the background
    behind them is sampled in a 2–4 px ring around the glyphs (anti-aliased edges excluded).
    """
    import cv2

    x0, y0, x1, y1 = box
    region = img[y0:y1, x0:x1].astype(np.int32)
    text = np.array([int(text_hex[i : i + 2], 16) for i in (1, 3, 5)])
    glyph = (np.abs(region - text).sum(axis=-1) < 30).astype(np.uint8)
    assert glyph.sum() > 50, "no text pixels found in the headline box"
    near = cv2.dilate(glyph, np.ones((3, 3), np.uint8))
    ring = cv2.dilate(glyph, np.ones((9, 9), np.uint8)) & ~near.astype(bool)
    bg = region[ring.astype(bool)]
    ratios = contrast_ratio(
        relative_luminance(bg), float(relative_luminance(text.astype(np.float32)))
    )
    return float(np.percentile(ratios, 5))


def test_every_creative_written_at_its_own_path(
    campaign: tuple[CampaignResult, dict[str, Any]],
) -> None:
    result, manifest = campaign
    assert manifest["schema_version"] == 1
    creatives = manifest["creatives"]
    assert len(creatives) == 2 * 3 * 3 == manifest["totals"]["creatives"]
    paths = [c["path"] for c in creatives]
    assert len(set(paths)) == len(paths)
    on_disk = sorted(str(p.relative_to(result.folder)) for p in result.folder.rglob("*.png"))
    assert on_disk == sorted(paths)
    for c in creatives:
        assert (
            c["path"]
            == f"{c['product_id']}/{c['aspect_ratio'].replace(':', 'x')}/{c['locale']}.png"
        )


def test_exact_sizes(campaign: tuple[CampaignResult, dict[str, Any]]) -> None:
    result, manifest = campaign
    for c in manifest["creatives"]:
        fmt = resolve_format(c["aspect_ratio"])
        with Image.open(result.folder / c["path"]) as im:
            assert im.size == (fmt.width, fmt.height) == (c["width"], c["height"])
            assert im.mode == "RGB"


def test_reuse_vs_generation(campaign: tuple[CampaignResult, dict[str, Any]]) -> None:
    _, manifest = campaign
    by_product = {c["product_id"]: c for c in manifest["creatives"]}
    assert by_product["photo-product"]["source"] == "asset"
    assert by_product["photo-product"]["asset"] == "hero.jpg"
    assert by_product["photo-product"]["provider"] is None
    assert by_product["made-product"]["source"] == "generated"
    assert by_product["made-product"]["provider"] == "procedural"


def test_layout_in_safe_zone_and_off_the_subject(
    campaign: tuple[CampaignResult, dict[str, Any]],
) -> None:
    _, manifest = campaign
    for c in manifest["creatives"]:
        assert c["status"] == "ok", c
        fmt = resolve_format(c["aspect_ratio"])
        margin = round(0.05 * min(fmt.width, fmt.height))
        safe = Box(
            round(fmt.width * fmt.safe_left) + margin,
            round(fmt.height * fmt.safe_top) + margin,
            fmt.width - round(fmt.width * fmt.safe_right) - margin,
            fmt.height - round(fmt.height * fmt.safe_bottom) - margin,
        )
        text = Box(*c["layout"]["text_box"])
        subject = Box(*c["layout"]["subject_box"])
        assert safe.contains(text), (c["path"], text, safe)
        assert not text.intersects(subject), c["path"]
        if c["aspect_ratio"] == "9:16":  # Stories/Reels: top 14 % and bottom 35 % stay clear
            assert text.y0 >= 0.14 * 1920 and text.y1 <= 0.65 * 1920
        logo_box = c["layout"]["logo_box"]
        assert logo_box is not None, c["path"]
        lb = Box(*logo_box)
        assert safe.contains(lb) and not lb.intersects(subject)
        assert not lb.expand(lb.height // 2).intersects(text), "logo clear space overlaps the text"
        assert text.area <= 0.25 * fmt.width * fmt.height
        minimum = (
            round(0.04 * fmt.height) if fmt.ratio == "9:16" else round(0.05 * fmt.shorter_side)
        )
        assert c["headline_px"] >= minimum, "headline never below the minimum legible size"
        assert 0.35 <= c["cta_px"] / c["headline_px"] <= 0.45, "CTA type is 35–45 % of the headline"


def test_measured_contrast_on_output_pixels(
    campaign: tuple[CampaignResult, dict[str, Any]],
) -> None:
    result, manifest = campaign
    for c in manifest["creatives"]:
        img = np.asarray(Image.open(result.folder / c["path"]).convert("RGB"))
        measured = outer_contrast(img, c["layout"]["headline_box"], c["text_color"])
        assert measured >= 4.5, (c["path"], measured)
        recorded = next(f for f in c["compliance"] if f["check"] == "contrast")
        assert recorded["status"] == "pass" and recorded["value"] >= 4.5


def test_scripts_get_their_fonts_and_rtl_aligns_right(
    campaign: tuple[CampaignResult, dict[str, Any]],
) -> None:
    _, manifest = campaign
    for c in manifest["creatives"]:
        fonts = " ".join(c["fonts"])
        if c["locale"] == "ar-AE":
            assert "Arabic" in fonts
            hb = Box(*c["layout"]["headline_box"])
            tb = Box(*c["layout"]["text_box"])
            assert hb.x1 == tb.x1, "RTL headline is right-aligned in its block"
        elif c["locale"] == "ja-JP":
            assert "CJK" in fonts
        else:
            assert fonts.startswith("NotoSans-")


def test_report_lists_every_creative(campaign: tuple[CampaignResult, dict[str, Any]]) -> None:
    result, manifest = campaign
    html = (result.folder / "report.html").read_text()
    for c in manifest["creatives"]:
        assert f'src="{c["path"]}"' in html
    assert "procedural" in html


def test_same_seed_same_pixels_different_seed_differs(tmp_path: Path, assets: Path) -> None:
    data = brief_data(
        formats=["1:1"], locales={"en-US": {"message": "Hello", "call_to_action": "Go"}}
    )
    a = run(data, assets, tmp_path / "a").folder
    b = run(data, assets, tmp_path / "b").folder
    c = run({**data, "seed": 2}, assets, tmp_path / "c").folder
    rel = "made-product/1x1/en-US.png"
    pa, pb, pc = (np.asarray(Image.open(f / rel)) for f in (a, b, c))
    assert np.array_equal(pa, pb)
    assert np.abs(pa.astype(int) - pc.astype(int)).mean() > 5


def test_rerun_replaces_folder_atomically(tmp_path: Path, assets: Path) -> None:
    data = brief_data(
        formats=["1:1"], locales={"en-US": {"message": "Hello", "call_to_action": "Go"}}
    )
    run(data, assets, tmp_path / "o")
    (tmp_path / "o" / "test-campaign" / "stale.txt").write_text("old")
    run(data, assets, tmp_path / "o")
    assert not (tmp_path / "o" / "test-campaign" / "stale.txt").exists()
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["test-campaign"]


def test_uncovered_script_fails_before_writing(tmp_path: Path, assets: Path) -> None:
    data = brief_data(locales={"am-ET": {"message": "ሰላም ለዓለም", "call_to_action": "ግዛ"}})
    with pytest.raises(FontCoverageError, match="am-ET"):
        run(data, assets, tmp_path / "o")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_bomb_asset_rejected_cleanly(tmp_path: Path, assets: Path) -> None:
    Image.new("L", (12000, 12000)).save(assets / "bomb.png", optimize=True)
    data = brief_data(products=[{"id": "p", "name": "P", "assets": ["bomb.png"]}])
    with pytest.raises(AssetError, match=r"bomb\.png"):
        run(data, assets, tmp_path / "o", max_asset_pixels=100_000_000 // 2)
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_symlink_escape_rejected(tmp_path: Path, assets: Path) -> None:
    outside = tmp_path / "secret.jpg"
    photo().save(outside)
    (assets / "link.jpg").symlink_to(outside)
    data = brief_data(products=[{"id": "p", "name": "P", "assets": ["link.jpg"]}])
    with pytest.raises(AssetError):
        run(data, assets, tmp_path / "o")


def test_missing_asset_is_generated_and_said(tmp_path: Path, assets: Path) -> None:
    data = brief_data(
        formats=["1:1"],
        locales={"en-US": {"message": "Hello", "call_to_action": "Go"}},
        products=[{"id": "p", "name": "P", "assets": ["absent.png"]}],
    )
    manifest = run(data, assets, tmp_path / "o").manifest
    rec = manifest.creatives[0]
    assert rec.source == "generated" and any("absent.png" in n for n in rec.fallbacks)


def test_packshot_with_alpha_is_staged(tmp_path: Path, assets: Path) -> None:
    cut = Image.new("RGBA", (300, 500), (0, 0, 0, 0))
    cut.paste((200, 30, 30, 255), (60, 40, 240, 460))
    cut.save(assets / "cutout.png")
    data = brief_data(
        formats=["1:1"],
        locales={"en-US": {"message": "Hello", "call_to_action": "Go"}},
        products=[{"id": "p", "name": "P", "assets": ["cutout.png"]}],
    )
    result = run(data, assets, tmp_path / "o")
    rec = result.manifest.creatives[0]
    assert rec.source == "generated" and rec.provider == "procedural"
    img = np.asarray(Image.open(result.folder / rec.path))
    red = (img[..., 0] > 170) & (img[..., 1] < 70) & (img[..., 2] < 70)
    assert red.sum() > 5000, "the packshot's red product is in the creative"


def test_jpeg_output(tmp_path: Path, assets: Path) -> None:
    data = brief_data(
        formats=["9:16"], locales={"en-US": {"message": "Hello", "call_to_action": "Go"}}
    )
    result = run(data, assets, tmp_path / "o", output_format="jpeg")
    for rec in result.manifest.creatives:
        assert rec.path is not None and rec.path.endswith(".jpg")
        with Image.open(result.folder / rec.path) as im:
            assert im.format == "JPEG" and im.size == (1080, 1920) and im.info.get("icc_profile")


@pytest.mark.parametrize("fmt", ["4:5", "1.91:1"])
def test_formats_by_name_exact_and_laid_out(tmp_path: Path, assets: Path, fmt: str) -> None:
    data = brief_data(
        formats=[fmt],
        locales={"en-US": {"message": "Fresh every morning", "call_to_action": "Order"}},
    )
    result = run(data, assets, tmp_path / "o")
    spec = resolve_format(fmt)
    for rec in result.manifest.creatives:
        assert rec.status == "ok", rec.compliance
        with Image.open(result.folder / str(rec.path)) as im:
            assert im.size == (spec.width, spec.height)
        assert rec.layout.text_box is not None and rec.layout.subject_box is not None
        assert not Box(*rec.layout.text_box).intersects(Box(*rec.layout.subject_box))


def test_every_promised_script_renders(tmp_path: Path, assets: Path) -> None:
    locales = {
        "ru-RU": {"message": "Свежая обжарка каждое утро", "call_to_action": "Заказать"},
        "el-GR": {"message": "Φρέσκος καφές κάθε πρωί", "call_to_action": "Παραγγελία"},
        "he-IL": {"message": "קפה טרי בכל בוקר", "call_to_action": "להזמנה"},
        "hi-IN": {"message": "हर सुबह ताज़ी कॉफ़ी", "call_to_action": "अभी ऑर्डर करें"},
        "zh-CN": {"message": "每天早上新鲜烘焙", "call_to_action": "立即订购"},
        "ko-KR": {"message": "매일 아침 신선한 커피", "call_to_action": "지금 주문"},
    }
    data = brief_data(formats=["1:1"], locales=locales, products=brief_data()["products"][1:])
    result = run(data, assets, tmp_path / "o")
    fonts = {rec.locale: rec.fonts[0] for rec in result.manifest.creatives}
    assert all(rec.status == "ok" for rec in result.manifest.creatives)
    assert "Hebrew" in fonts["he-IL"] and "Devanagari" in fonts["hi-IN"]
    assert "CJK" in fonts["zh-CN"] and "CJK" in fonts["ko-KR"]
    assert fonts["ru-RU"].startswith("NotoSans-") and fonts["el-GR"].startswith("NotoSans-")
    he = next(r for r in result.manifest.creatives if r.locale == "he-IL")
    assert he.layout.headline_box is not None and he.layout.text_box is not None
    assert he.layout.headline_box[2] == he.layout.text_box[2], "Hebrew is right-aligned"


def test_exif_rotated_cmyk_and_alpha_assets(tmp_path: Path, assets: Path) -> None:
    # a portrait photo stored landscape with EXIF orientation 6, and a CMYK JPEG
    tall = photo(600, 900)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    tall.rotate(90, expand=True).save(assets / "rotated.jpg", exif=exif.tobytes())
    photo().convert("CMYK").save(assets / "cmyk.jpg")
    data = brief_data(
        formats=["1:1"],
        locales={"en-US": {"message": "Hello", "call_to_action": "Go"}},
        products=[
            {"id": "rot", "name": "Rotated", "assets": ["rotated.jpg"]},
            {"id": "cmyk", "name": "Cmyk", "assets": ["cmyk.jpg"]},
        ],
    )
    result = run(data, assets, tmp_path / "o")
    assert [r.source for r in result.manifest.creatives] == ["asset", "asset"]
    cmyk = np.asarray(Image.open(result.folder / "cmyk/1x1/en-US.png"))
    # the yellow object of the test photo keeps its colour through CMYK → RGB
    yellow = (cmyk[..., 0] > 190) & (cmyk[..., 1] > 150) & (cmyk[..., 2] < 120)
    assert yellow.sum() > 20000


def brand_font(path: Path) -> None:
    """A 'brand' font: NotoSans Bold subset to ASCII, renamed, so its use is visible."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from creative_automation.imaging.fonts import FONT_DIR

    font = TTFont(FONT_DIR / "NotoSans-Bold.ttf")
    options = subset.Options()
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=range(0x20, 0x7F))
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID == 6:
            record.string = "AuroraSans-Bold"
    font.save(path)


def test_brand_font_used_where_it_covers_the_text(tmp_path: Path, assets: Path) -> None:
    brand_font(assets / "AuroraSans-Bold.ttf")
    data = brief_data(formats=["1:1"], products=brief_data()["products"][1:])
    data["brand"]["fonts"] = ["AuroraSans-Bold.ttf"]
    result = run(data, assets, tmp_path / "o")
    fonts = {rec.locale: rec.fonts for rec in result.manifest.creatives}
    assert fonts["en-US"] == ["AuroraSans-Bold"]
    assert "Arabic" in fonts["ar-AE"][0] and "CJK" in fonts["ja-JP"][0]  # not covered: Noto


def test_brand_font_that_is_not_a_font(tmp_path: Path, assets: Path) -> None:
    (assets / "fake.ttf").write_bytes(b"not a font at all")
    data = brief_data()
    data["brand"]["fonts"] = ["fake.ttf"]
    with pytest.raises(AssetError, match=r"fake\.ttf: not a usable font"):
        run(data, assets, tmp_path / "o")


class Counting:
    """Wraps the offline generator and records the sizes it is asked for."""

    name = "procedural"

    def __init__(self) -> None:
        from creative_automation.providers.procedural import ProceduralProvider

        self.inner = ProceduralProvider()
        self.sizes: list[tuple[int, int]] = []

    async def generate(self, request):  # type: ignore[no-untyped-def]
        self.sizes.append((request.width, request.height))
        return await self.inner.generate(request)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("once", [(1024, 1024)]), ("native", [(1024, 1024), (576, 1024), (1024, 576)])],
)
def test_generation_policy(
    tmp_path: Path, assets: Path, policy: str, expected: list[tuple[int, int]]
) -> None:
    data = brief_data(
        locales={"en-US": {"message": "Hello", "call_to_action": "Go"}},
        products=[{"id": "p", "name": "Tonic", "description": "a can"}],
    )
    provider = Counting()
    s = Settings(output_dir=tmp_path, output_format="png", workers=1, generation_policy=policy)
    result = run_campaign(
        parse_brief(data), assets_dir=assets, out_dir=tmp_path / "o", settings=s, provider=provider
    )
    assert sorted(provider.sizes) == sorted(expected)
    assert all(r.status == "ok" for r in result.manifest.creatives)
    assert len({r.seed for r in result.manifest.creatives}) == 1


def test_render_workers_run_their_image_kernels_on_one_thread_each() -> None:
    """One worker process per core renders one group at a time: OpenCV's own pool on top
    would only put two threads on each core."""
    pool = _executor(2, 2)
    try:
        assert pool.submit(cv2.getNumThreads).result(timeout=120) == 1
    finally:
        pool.shutdown()
