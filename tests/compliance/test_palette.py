"""Palette findings on real pixels: CIEDE2000 against published values, dominant colours and
shares of composed images, the neutral and blend rules, and the labelled set's targets."""

from __future__ import annotations

import io

import numpy as np
import pytest
from bench.cases import misses, scores
from bench.cases import palette as cases
from PIL import Image, ImageDraw

from creative_automation.colour import RGB
from creative_automation.compliance.findings import Finding
from creative_automation.compliance.palette import (
    MAX_DELTA_E,
    MIN_SHARE,
    NEUTRAL_CHROMA,
    _nearest,
    analyse_palette,
    delta_e,
    palette_findings,
    to_lab,
)

BRAND: list[tuple[str, RGB]] = [
    ("primary", (0x2B, 0x1B, 0x17)),
    ("accent", (0xE0, 0x7A, 0x2E)),
    ("light", (0xF4, 0xE9, 0xDC)),
    ("secondary", (0x6B, 0x8F, 0x71)),
]


def flat(colour: RGB, w: int = 1080, h: int = 1920) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(colour, np.uint8), (h, w, 3)))


def jpeg(image: np.ndarray, quality: int = 90) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB"))


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


# Sharma, Wu & Dalal (2005), "The CIEDE2000 colour-difference formula", test data pairs 1, 7,
# 17 and 25: the reference values every implementation is checked against
@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ],
)
def test_delta_e_matches_published_pairs(
    lab1: tuple[float, float, float], lab2: tuple[float, float, float], expected: float
) -> None:
    got = float(delta_e(np.array([lab1]), np.array([lab2]))[0])
    assert got == pytest.approx(expected, abs=1e-4)


def test_lightness_prefilter_never_drops_a_near_colour() -> None:
    # |ΔL| > 1.75·ΔE rules a pair out before CIEDE2000 runs: compare with the full formula
    rng = np.random.default_rng(0)
    colours = to_lab(rng.integers(0, 256, (3000, 3)).astype(np.float64))
    refs = to_lab(rng.integers(0, 256, (12, 3)).astype(np.float64))
    full = delta_e(colours[:, None, :], refs[None, :, :]).min(1)
    for limit in (5.0, 10.0, 20.0):
        fast = _nearest(colours, refs, limit)
        near = full <= limit
        assert np.allclose(fast[near], full[near])
        assert (fast[~near] > limit).all()


def test_lab_of_srgb_primaries() -> None:
    # CIELAB (D65) of sRGB white, red and blue, as published with the sRGB standard's matrix
    white, red, blue = to_lab([(255, 255, 255), (255, 0, 0), (0, 0, 255)])
    assert white == pytest.approx([100.0, 0.0, 0.0], abs=0.01)
    assert red == pytest.approx([53.24, 80.09, 67.20], abs=0.05)
    assert blue == pytest.approx([32.30, 79.19, -107.86], abs=0.05)


def test_off_brand_value_is_the_delta_e_of_the_colour_on_the_image() -> None:
    image = flat((0x2E, 0x86, 0xC1))  # a mid blue: nowhere near a warm palette
    got = by_check(palette_findings(image, BRAND, blends=False))
    off = got["palette_off_brand"]
    lab = to_lab([(0x2E, 0x86, 0xC1)])
    expected = float(delta_e(to_lab([c for _, c in BRAND]), lab).min())
    assert off.status == "warn"
    assert off.value == pytest.approx(expected, abs=0.1)
    assert off.threshold == MAX_DELTA_E
    assert "#2E86C1" in off.detail and "100%" in off.detail
    assert got["palette_share"].value == 0.0


def test_a_brand_colour_after_jpeg_is_on_brand() -> None:
    image = jpeg(flat((0xE0, 0x7A, 0x2E)), 90)
    got = by_check(palette_findings(image, BRAND))
    assert got["palette_off_brand"].status == "pass"
    assert float(got["palette_off_brand"].value or 0) < 2.0  # JPEG moves it by a little
    assert got["palette_share"].value == pytest.approx(1.0, abs=0.01)


def test_share_counts_the_pixels_in_brand_colours() -> None:
    image = flat((0xE0, 0x7A, 0x2E))
    image[960:] = (0x2E, 0x86, 0xC1)  # the lower half off-brand
    got = by_check(palette_findings(image, BRAND))
    assert got["palette_share"].status == "pass"  # informational
    assert got["palette_share"].value == pytest.approx(0.5, abs=0.02)
    assert got["palette_off_brand"].status == "warn"
    assert "50%" in got["palette_off_brand"].detail


def test_neutrals_are_never_off_brand() -> None:
    grey = np.asarray(
        Image.fromarray(
            cases.background("mono-photo", "aurora", 1080, 1920, np.random.default_rng(1))
        )
    )
    black_and_white = flat((0, 0, 0))
    black_and_white[:, 540:] = (250, 250, 250)
    for image in (grey, black_and_white, jpeg(grey, 90)):
        a = analyse_palette(image, BRAND)
        assert a.dominant == []
        assert a.share_neutral > 0.95
        assert by_check(palette_findings(image, BRAND))["palette_off_brand"].status == "pass"


def test_chroma_cut_off_sits_at_the_stated_value() -> None:
    # a warm grey just under the cut-off and a tinted one just over, both off any brand colour
    under, over = (128, 118, 110), (140, 116, 96)
    c_under, c_over = (float(np.hypot(*to_lab([c])[0, 1:])) for c in (under, over))
    assert c_under < NEUTRAL_CHROMA < c_over
    assert analyse_palette(flat(under), BRAND).dominant == []
    assert len(analyse_palette(flat(over), BRAND).dominant) == 1


def test_small_off_brand_colour_is_not_dominant() -> None:
    image = flat((0xF4, 0xE9, 0xDC))
    side = round(np.sqrt(0.02 * image.shape[0] * image.shape[1]))  # 2 % of the canvas
    image[100 : 100 + side, 100 : 100 + side] = (0x2E, 0x86, 0xC1)
    assert by_check(palette_findings(image, BRAND))["palette_off_brand"].status == "pass"
    image[100 : 100 + 2 * side, 100 : 100 + 2 * side] = (0x2E, 0x86, 0xC1)  # 8 %
    assert by_check(palette_findings(image, BRAND))["palette_off_brand"].status == "warn"
    assert MIN_SHARE < 0.08


def test_gradients_between_brand_colours_and_scrims_are_on_brand() -> None:
    t = np.linspace(0, 1, 1920)[:, None, None]
    gradient = np.array((0xE0, 0x7A, 0x2E)) * (1 - t) + np.array((0x6B, 0x8F, 0x71)) * t
    gradient = np.ascontiguousarray(np.broadcast_to(gradient, (1920, 1080, 3)), np.uint8)
    scrim = flat((0xE0, 0x7A, 0x2E))
    scrim[:700] = (scrim[:700] * 0.35).astype(np.uint8)  # under a 65 % dark scrim
    for image in (gradient, scrim):
        assert by_check(palette_findings(image, BRAND))["palette_off_brand"].status == "pass"
    # without the blend rule the middle of the gradient is a colour of its own
    off = by_check(palette_findings(gradient, BRAND, blends=False))["palette_off_brand"]
    assert off.status == "warn"


def test_empty_palette_is_skipped_with_the_reason() -> None:
    found = palette_findings(flat((10, 200, 30)), [])
    assert [f.status for f in found] == ["skipped", "skipped"]
    assert all("palette" in f.detail for f in found)


def test_a_designed_creative_with_an_off_brand_panel() -> None:
    image = Image.fromarray(
        cases.background("duotone", "aurora", 1080, 1920, np.random.default_rng(3))
    )
    d = ImageDraw.Draw(image)
    d.rounded_rectangle((0, 1300, 1079, 1700), radius=20, fill=(120, 40, 200))  # purple, 21 %
    d.rounded_rectangle((80, 200, 400, 300), radius=50, fill=(0xE0, 0x7A, 0x2E))  # the CTA
    got = by_check(palette_findings(jpeg(np.asarray(image), 90), BRAND))
    off = got["palette_off_brand"]
    assert off.status == "warn" and float(off.value or 0) > MAX_DELTA_E
    assert "#78" in off.detail or "#77" in off.detail or "#79" in off.detail  # the purple named


def test_labelled_set_meets_its_targets() -> None:
    outcomes = cases.outcomes(0)
    [s] = scores(outcomes)
    wrong = misses(outcomes)
    assert s.check == "palette_off_brand"
    assert s.cases >= 60, s
    assert s.true_pos >= 25 and s.cases - s.true_pos - s.false_neg >= 25, s  # both kinds
    assert s.precision >= 0.95, (s, wrong)
    assert s.recall >= 0.95, (s, wrong)
