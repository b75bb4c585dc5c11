"""The procedural provider: measured properties of real rendered pixels, not snapshots."""

from __future__ import annotations

import asyncio
import colorsys
from itertools import combinations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from creative_automation.imaging.geometry import Box
from creative_automation.providers import PACKAGE_SHAPES, GenerationRequest, PackageShape
from creative_automation.providers.base import parse_hex
from creative_automation.providers.labels import font_for
from creative_automation.providers.procedural import MODEL, ProceduralProvider, infer_shape

GREEN_GOLD = ("#0B3D2E", "#F2C14E", "#FFFFFF")
provider = ProceduralProvider()


def request(**overrides: object) -> GenerationRequest:
    fields: dict[str, object] = {
        "product_id": "citrus-01",
        "product_name": "Citrus Sparkling Water",
        "description": "A crisp sparkling water with real lime.",
        "prompt": "hero shot of a can",
        "palette": GREEN_GOLD,
        "width": 512,
        "height": 512,
        "seed": 0,
    }
    fields.update(overrides)
    return GenerationRequest(**fields)  # type: ignore[arg-type]


def pixels(req: GenerationRequest) -> tuple[np.ndarray, Box]:
    result = provider.render(req)
    assert result.subject_box is not None
    return np.asarray(result.image).astype(np.int16), result.subject_box


def red_disc(size: int = 400) -> Image.Image:
    """A cut-out packshot: an opaque red disc on full transparency."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((20, 20, size - 20, size - 20), fill=(220, 20, 20, 255))
    return image


def inside(box: Box, shape: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(shape[:2], bool)
    mask[box.y0 : box.y1, box.x0 : box.x1] = True
    return mask


def hue_degrees(rgb: np.ndarray | tuple[int, int, int]) -> float:
    r, g, b = (float(v) / 255 for v in rgb)
    return colorsys.rgb_to_hsv(r, g, b)[0] * 360


def hue_distance(a: float, b: float) -> float:
    d = abs(a - b) % 360
    return min(d, 360 - d)


@pytest.mark.parametrize("size", [(1024, 1024), (1536, 1024), (1080, 1920)])
@pytest.mark.parametrize("staged", ["package", "packshot"])
def test_output_is_rgb_at_exactly_the_requested_size(size: tuple[int, int], staged: str) -> None:
    packshot = red_disc() if staged == "packshot" else None
    result = provider.render(request(width=size[0], height=size[1], packshot=packshot))
    assert result.image.mode == "RGB"
    assert result.image.size == size
    box = result.subject_box
    assert box is not None
    margin = round(0.02 * min(size))  # fully inside the frame, not touching an edge
    assert Box(margin, margin, size[0] - margin, size[1] - margin).contains(box)


def test_result_is_honest_about_how_it_was_made() -> None:
    req = request(seed=7)
    result = provider.render(req)
    assert result.provider == "procedural" == provider.name
    assert result.model == MODEL == "procedural-studio-v1"
    assert result.cost_usd == 0.0
    assert result.seed == 7
    assert result.prompt == req.prompt
    assert result.latency_s > 0


def test_generate_runs_through_asyncio_and_matches_render() -> None:
    req = request(seed=3)
    result = asyncio.run(provider.generate(req))
    assert result.provider == "procedural"
    assert result.cost_usd == 0.0
    assert result.image.size == (512, 512)
    assert np.array_equal(np.asarray(result.image), np.asarray(provider.render(req).image))


def test_same_request_and_seed_give_identical_pixels() -> None:
    for req in (request(seed=5), request(seed=5, packshot=red_disc())):
        first = np.asarray(ProceduralProvider().render(req).image)
        second = np.asarray(ProceduralProvider().render(req).image)
        assert first.tobytes() == second.tobytes()


def test_different_seeds_give_visibly_different_compositions() -> None:
    # Film grain alone differs between seeds by ~3.4 levels on average (two independent
    # N(0, 3^2) draws); a moved product, a swapped backdrop colour or a new light changes
    # tens of levels over large areas. 12 is 3.5x the grain-only floor; measured >= 24.
    shots = {seed: pixels(request(seed=seed))[0] for seed in (0, 1, 2)}
    for a, b in combinations(shots, 2):
        difference = float(np.abs(shots[a] - shots[b]).mean())
        assert difference > 12.0, (a, b, difference)
    boxes = {pixels(request(seed=seed))[1].center[0] for seed in (0, 1, 2)}
    assert len(boxes) == 3  # the product stands somewhere else in each


@pytest.mark.parametrize(
    "palette", [GREEN_GOLD, ("#C0392B",), ("#1F3A5F", "#F4A259"), ("#FFFFFF", "#6A1B9A")]
)
def test_backdrop_is_a_brand_colour(palette: tuple[str, ...]) -> None:
    chromatic = [c for c in palette if colorsys.rgb_to_hsv(*parse_hex(c))[1] > 0.15]
    for seed in (0, 1, 2):
        image, _ = pixels(request(palette=palette, seed=seed))
        strip = max(2, image.shape[0] // 32)
        border = np.concatenate(
            [
                image[:strip].reshape(-1, 3),
                image[-strip:].reshape(-1, 3),
                image[:, :strip].reshape(-1, 3),
                image[:, -strip:].reshape(-1, 3),
            ]
        )
        median = np.median(border, axis=0)
        nearest = min(
            hue_distance(hue_degrees(median), hue_degrees(parse_hex(c))) for c in chromatic
        )
        assert nearest < 10.0, (palette, seed, median)


def test_an_empty_palette_gets_a_chromatic_default() -> None:
    image, _ = pixels(request(palette=()))
    corner = np.median(image[:32, :32].reshape(-1, 3), axis=0)
    r, g, b = (float(v) / 255 for v in corner)
    assert colorsys.rgb_to_hsv(r, g, b)[1] > 0.15


def test_subject_box_holds_the_product_and_little_else() -> None:
    for seed in (0, 1, 2):
        image, box = pixels(request(seed=seed))
        gray = image.mean(axis=2)
        edges = np.abs(np.diff(gray, axis=1))[:-1, :] + np.abs(np.diff(gray, axis=0))[:, :-1]
        strong = edges > 40  # package outlines, label edges, text; the set is all soft light
        within = inside(box.expand(2), strong.shape)
        assert strong[within].sum() > 0.9 * strong.sum(), seed
        assert strong[within].mean() > 20 * max(strong[~within].mean(), 1e-4), seed


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_name_is_set_on_the_label_inside_the_subject_box(seed: int) -> None:
    named, box = pixels(request(seed=seed))
    plain, plain_box = pixels(request(seed=seed, product_name=""))
    assert box == plain_box
    changed = np.abs(named - plain).max(axis=2)
    within = inside(box, changed.shape)
    below = np.zeros_like(within)  # the floor mirrors the label under the product
    below[box.y1 :, box.x0 : box.x1] = True
    assert (changed[within] > 60).sum() > 400  # high-contrast glyph strokes
    assert (changed[~within & ~below] > 8).sum() == 0
    # The glyphs sit in the label band: the middle of the package, not its top or bottom.
    rows = np.flatnonzero((changed * within > 60).any(axis=1))
    middle = (rows.mean() - box.y0) / box.height
    assert 0.2 < middle < 0.8


def test_a_name_no_bundled_font_covers_leaves_the_label_plain() -> None:
    assert font_for("🍋🍋") is None
    emoji, _ = pixels(request(product_name="🍋🍋"))
    plain, _ = pixels(request(product_name=""))
    assert np.array_equal(emoji, plain)  # no tofu boxes, nothing at all


def test_cjk_and_arabic_names_are_set_with_bundled_fonts() -> None:
    assert font_for("東京の緑茶") == "NotoSansCJK-Bold.ttc"
    assert font_for("شاي أخضر") == "NotoSansArabic-Bold.ttf"
    for name in ("東京の緑茶", "شاي أخضر"):
        named, box = pixels(request(product_name=name, seed=1))
        plain, _ = pixels(request(product_name="", seed=1))
        assert (np.abs(named - plain).max(axis=2)[inside(box, named.shape)] > 60).sum() > 100


@pytest.mark.parametrize("shape", PACKAGE_SHAPES)
def test_every_shape_renders_with_a_plausible_subject_box(shape: PackageShape) -> None:
    for seed in (0, 1, 2):
        image, box = pixels(request(shape=shape, seed=seed, product_id=f"id-{shape}"))
        aspect = box.width / box.height
        if shape in ("can", "bottle", "tube"):
            assert aspect < 0.75, (shape, seed, box)
        elif shape == "bar":
            assert aspect > 1.5, (shape, seed, box)
        else:
            assert 0.5 < aspect < 1.6, (shape, seed, box)
        area = box.area / (image.shape[0] * image.shape[1])
        assert 0.03 < area < 0.45, (shape, seed, area)
        margin = 0.02 * image.shape[0]
        assert box.x0 > margin and box.y0 > margin
        assert box.x1 < image.shape[1] - margin and box.y1 < image.shape[0] - margin
        # Shaded, not flat clip art: the product spans a real range of tones.
        product = image[box.y0 : box.y1, box.x0 : box.x1].mean(axis=2)
        assert np.percentile(product, 95) - np.percentile(product, 5) > 60


def test_a_packshot_is_staged_with_its_own_colours_inside_the_subject_box() -> None:
    for seed in (0, 1, 2):
        image, box = pixels(request(packshot=red_disc(), seed=seed, width=768, height=768))
        red = (image[..., 0] > 150) & (image[..., 1] < 80) & (image[..., 2] < 80)
        within = inside(box, red.shape)
        assert red[within].sum() > 0.7 * box.area  # a disc fills pi/4 of its box
        assert red[~within].sum() == 0  # shadow and reflection are far weaker than this
        # Not tinted by the key light: the disc keeps its own red (grain is +-a few levels).
        assert np.abs(np.median(image[red], axis=0) - (220, 20, 20)).max() <= 4
        assert 0.5 <= box.height / 768 <= 0.72
        assert abs(box.width - box.height) <= 2  # the box is the disc, tight


def test_an_opaque_packshot_on_white_is_cut_out() -> None:
    photo = Image.new("RGB", (300, 500), "white")
    ImageDraw.Draw(photo).rectangle((80, 40, 219, 469), fill=(30, 90, 200))
    image, box = pixels(request(packshot=photo))
    assert box.width / box.height == pytest.approx(140 / 430, abs=0.03)
    white = (image > 245).all(axis=2)
    assert white.sum() == 0  # the studio backdrop shows instead of the white sweep


@pytest.mark.parametrize(
    ("name", "description", "shape"),
    [
        ("Citrus Sparkling Water", "", "can"),
        ("Cola Zero", "", "can"),
        ("Night Repair Serum", "", "bottle"),
        ("Cold Pressed Olive Oil", "", "bottle"),
        ("Spring Water", "", "bottle"),
        ("Hydra Hand Cream", "", "tube"),
        ("Mint Toothpaste", "", "tube"),
        ("Body Lotion", "", "tube"),
        ("Dark Chocolate 70%", "", "bar"),
        ("Honey Oat Bar", "", "bar"),
        ("Wildflower Honey", "", "jar"),
        ("Strawberry Jam", "", "jar"),
        ("Hazelnut Spread", "with cocoa", "jar"),
        ("Single Origin Coffee Beans", "", "pouch"),
        ("Sea Salt Chips", "", "pouch"),
        ("Morning Oats", "", "box"),
        ("Aurora", "a refreshing sparkling drink in a slim can", "can"),
        ("Aurora", "a rich night serum", "bottle"),
        ("Candle", "", "box"),  # 'can' is a word, not a prefix
        ("Barbecue Rub", "", "box"),  # nor is 'bar'
    ],
)
def test_shape_is_inferred_from_keywords(name: str, description: str, shape: str) -> None:
    assert infer_shape(name, description) == shape


def test_explicit_shape_hint_wins_over_keywords() -> None:
    _, can_box = pixels(request(shape="bar"))
    assert can_box.width > can_box.height  # a bar, though the name says 'Sparkling'


@pytest.mark.parametrize("size", [(1, 1), (33, 17), (1920, 400), (400, 1920)])
def test_tiny_and_extreme_frames_still_come_out_at_their_exact_size(size: tuple[int, int]) -> None:
    for req in (
        request(width=size[0], height=size[1]),
        request(width=size[0], height=size[1], packshot=red_disc()),
    ):
        result = provider.render(req)
        assert result.image.size == size
        box = result.subject_box  # None only when the frame is too small to hold a product
        assert box is None or Box(0, 0, *size).contains(box)
