"""Logo detection and the logo findings on real pixels: the box found where the logo was
pasted, size / clear space / subject judged from it, and the labelled set's targets."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from bench.cases import logo as cases
from bench.cases import misses, scores
from PIL import Image, ImageDraw, ImageFont

from creative_automation.compliance.brand import (
    DETECTION_THRESHOLD,
    find_logo,
    logo_findings,
    match_logo,
)
from creative_automation.compliance.findings import Finding
from creative_automation.imaging.geometry import Box
from creative_automation.imaging.logo import LogoPair, logo_pair

EXAMPLE_LOGO = Path(__file__).parents[2] / "examples" / "assets" / "aurora-logo.png"
Array = np.ndarray


def variants(pair: LogoPair) -> list[tuple[str, Image.Image]]:
    return [("on_light", pair.on_light), ("on_dark", pair.on_dark)]


def aurora() -> LogoPair:
    return logo_pair(Image.open(EXAMPLE_LOGO), None, "aurora")


def backdrop(kind: str, w: int, h: int) -> Array:
    """A real background: a photo, a gradient or smooth noise."""
    rng = np.random.default_rng(7)
    image, _ = cases.background(kind, w, h, rng)
    return image


def paste(image: Array, pair: LogoPair, box: Box, *, dark: bool, jpeg: int | None = None) -> Array:
    """Paste a variant as render.py does (LANCZOS to size, alpha-composited), maybe JPEG it."""
    canvas = Image.fromarray(image)
    mark = pair.at(box.width, box.height, dark_background=dark)
    canvas.paste(mark, (box.x0, box.y0), mark)
    if jpeg:
        buf = io.BytesIO()
        canvas.save(buf, "JPEG", quality=jpeg)
        canvas = Image.open(buf).convert("RGB")
    return np.asarray(canvas)


def logo_box(pair: LogoPair, x: int, y: int, width: int) -> Box:
    return Box(x, y, x + width, y + round(width * pair.on_light.height / pair.on_light.width))


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


# (brand, background, canvas, x, y, width, dark variant, jpeg)
PLACED = [
    ("aurora", "gradient-light", (1080, 1920), 700, 1650, 170, False, None),
    ("aurora", "rocket", (1080, 1920), 60, 80, 216, True, 90),
    ("lumen", "coffee", (1080, 1080), 830, 40, 120, True, 95),
    ("lumen", "gradient-dark", (1920, 1080), 1500, 900, 330, True, 90),
    ("hexa", "astronaut", (1080, 1080), 40, 700, 90, False, 90),
    ("hexa", "noise-dark", (1080, 1920), 480, 1000, 300, True, None),
    ("koa", "chelsea", (1920, 1080), 90, 60, 200, True, 90),
    ("koa", "noise-light", (1080, 1920), 600, 300, 87, False, 95),
]


def pair_named(name: str) -> LogoPair:
    return (
        aurora()
        if name == "aurora"
        else next(b.pair for b in cases.brands() if b.pair.name == name)
    )


@pytest.mark.parametrize(("brand", "kind", "size", "x", "y", "width", "dark", "jpeg"), PLACED)
def test_finds_the_logo_where_it_was_pasted(
    brand: str,
    kind: str,
    size: tuple[int, int],
    x: int,
    y: int,
    width: int,
    dark: bool,
    jpeg: int | None,
) -> None:
    pair = pair_named(brand)
    box = logo_box(pair, x, y, width)
    image = paste(backdrop(kind, *size), pair, box, dark=dark, jpeg=jpeg)
    found = find_logo(image, variants(pair))
    assert found is not None
    assert found.variant == ("on_dark" if dark else "on_light")
    for got, want in zip(found.box.as_list(), box.as_list(), strict=True):
        assert abs(got - want) <= 3, (found.box, box)
    assert found.score >= DETECTION_THRESHOLD


@pytest.mark.parametrize("kind", ["rocket", "gradient-light", "astronaut"])
def test_an_opaque_lockup_is_found_on_dark_and_light_grounds(kind: str) -> None:
    # a white tile with the wordmark on it, no transparency: one image serves both variants,
    # and a navy sky has the colour of its letters
    tile = Image.new("RGBA", (340, 100), (255, 255, 255, 255))
    word = cases.wordmark("LUMEN", (29, 53, 87))
    tile.alpha_composite(word, (10, 10))
    tile.putalpha(255)
    pair = logo_pair(tile, None, "lockup")
    assert pair.on_light is pair.on_dark
    box = logo_box(pair, 100, 300, 200)
    image = paste(backdrop(kind, 1080, 1920), pair, box, dark=True, jpeg=90)
    found = find_logo(image, variants(pair))
    assert found is not None
    assert max(abs(a - b) for a, b in zip(found.box.as_list(), box.as_list(), strict=True)) <= 3


def test_no_logo_no_match_even_with_lookalikes_and_text() -> None:
    brand = next(b for b in cases.brands() if b.pair.name == "hexa")
    image = Image.fromarray(backdrop("gradient-light", 1080, 1920))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(cases.BOLD), 72)
    draw.text((80, 200), "Summer tastes better cold", font=font, fill=(20, 20, 24))
    for (_, mark), (x, y) in zip(
        brand.lookalikes, [(100, 600), (600, 900), (200, 1400)], strict=True
    ):
        small = mark.resize((240, round(240 * mark.height / mark.width)), Image.Resampling.LANCZOS)
        image.paste(small, (x, y), small)
    rgb = np.asarray(image)
    assert find_logo(rgb, brand.variants) is None
    best = match_logo(rgb, brand.variants)
    assert best is not None and best.score < DETECTION_THRESHOLD


def test_search_width_range_is_respected() -> None:
    pair = pair_named("lumen")
    box = logo_box(pair, 300, 500, 260)
    image = paste(backdrop("gradient-light", 1080, 1080), pair, box, dark=False)
    assert find_logo(image, variants(pair), max_width=150) is None  # the mark is wider
    found = find_logo(image, variants(pair), min_width=200, max_width=300)
    assert found is not None and abs(found.box.width - 260) <= 3
    assert match_logo(image, []) is None


def test_findings_when_the_logo_is_where_it_should_be() -> None:
    pair = aurora()
    box = logo_box(pair, 760, 1500, 200)  # 18.5 % of 1080
    image = paste(backdrop("gradient-light", 1080, 1920), pair, box, dark=False)
    text = Box(80, 1200, 900, 1300)
    subject = Box(200, 300, 880, 1100)
    got = by_check(
        logo_findings(
            image, variants(pair), min_width_px=130, subject_box=subject, other_boxes=[text]
        )
    )
    assert [got[c].status for c in ("logo_present", "logo_size", "logo_clear_space")] == [
        "pass"
    ] * 3
    assert got["logo_subject"].status == "pass" and got["logo_subject"].value == 0.0
    assert got["logo_present"].value >= DETECTION_THRESHOLD
    assert got["logo_present"].threshold == DETECTION_THRESHOLD
    assert abs(float(got["logo_size"].value or 0) - 200) <= 3
    # clearance: 200 px to the text box above (1500 - 1300), 120 to the right edge: the edge
    assert got["logo_clear_space"].value == pytest.approx(120 / box.height, abs=0.1)
    assert "right edge" in got["logo_clear_space"].detail
    assert str(got["logo_present"].detail).count("[") >= 1  # the box is named


def test_too_small_crowded_and_over_the_subject() -> None:
    pair = aurora()
    box = logo_box(pair, 680, 200, 100)  # 9 % of the shorter side: under a 130 px minimum
    image = paste(backdrop("astronaut", 1080, 1920), pair, box, dark=False, jpeg=90)
    text = Box(80, box.y1 + 6, 900, box.y1 + 100)  # 6 px under a 27 px tall logo: 0.22×
    subject = Box(300, 0, 800, 220)  # the astronaut's head: covers the logo's top 20 px
    got = by_check(
        logo_findings(
            image, variants(pair), min_width_px=130, subject_box=subject, other_boxes=[text]
        )
    )
    assert got["logo_present"].status == "pass"
    assert got["logo_size"].status == "fail" and got["logo_size"].threshold == 130
    assert got["logo_clear_space"].status == "fail"
    assert got["logo_clear_space"].value == pytest.approx(6 / box.height, abs=0.08)
    assert "text box" in got["logo_clear_space"].detail
    assert got["logo_subject"].status == "fail"
    share = (220 - 200) / box.height
    assert got["logo_subject"].value == pytest.approx(share, abs=0.08)


def test_close_to_the_canvas_edge_fails_clear_space() -> None:
    pair = aurora()
    box = logo_box(pair, 1080 - 200 - 10, 900, 200)  # 10 px from the right edge
    image = paste(backdrop("gradient-dark", 1080, 1920), pair, box, dark=True)
    got = by_check(logo_findings(image, variants(pair), min_width_px=130))
    assert got["logo_clear_space"].status == "fail"
    assert "right edge" in got["logo_clear_space"].detail
    assert got["logo_subject"].status == "skipped"


def test_missing_logo_is_one_failing_finding() -> None:
    pair = aurora()
    image = backdrop("coffee", 1080, 1080)
    found = logo_findings(image, variants(pair), min_width_px=130, subject_box=Box(0, 0, 9, 9))
    assert [f.check for f in found] == ["logo_present"]
    assert found[0].status == "fail"
    assert float(found[0].value or 0) < DETECTION_THRESHOLD
    assert found[0].threshold == DETECTION_THRESHOLD


def test_labelled_set_meets_its_targets() -> None:
    outcomes = cases.outcomes(0)
    by = {s.check: s for s in scores(outcomes)}
    assert set(by) == {"logo_present", "logo_size", "logo_clear_space", "logo_subject"}
    for s in by.values():
        wrong = [m for m in misses(outcomes) if m.check == s.check]
        assert s.cases >= 60, s
        assert s.true_pos >= 20 and s.cases - s.true_pos - s.false_neg >= 20, s  # both kinds
        assert s.precision >= 0.95, (s, wrong)
    present = by["logo_present"]
    assert present.recall == 1.0, [m for m in misses(outcomes) if m.check == "logo_present"]
