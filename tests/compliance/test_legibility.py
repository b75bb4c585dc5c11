"""WCAG contrast maths against published values, and contrast measured behind real glyph masks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from creative_automation.compliance.legibility import (
    contrast_finding,
    contrast_ratio,
    relative_luminance,
    text_contrast,
    worst_contrast,
)

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)


def lum(rgb: tuple[int, int, int]) -> float:
    return float(relative_luminance(np.array(rgb, np.float32)))


def ratio(fg: tuple[int, int, int], bg: tuple[int, int, int]) -> float:
    return float(contrast_ratio(lum(fg), lum(bg)))


def reference_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2.x relative luminance written out from the spec, in float64."""
    c = rgb.astype(np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * lin[..., 0] + 0.7152 * lin[..., 1] + 0.0722 * lin[..., 2]


# Published values (WebAIM contrast checker, WCAG 2.x techniques G18/G17).
@pytest.mark.parametrize(
    ("fg", "bg", "expected"),
    [
        (WHITE, BLACK, 21.0),
        (BLACK, WHITE, 21.0),
        ((0x76, 0x76, 0x76), WHITE, 4.54),  # the lightest grey that passes AA on white
        ((0x77, 0x77, 0x77), WHITE, 4.48),
        ((0x80, 0x80, 0x80), WHITE, 3.95),
        ((0xFF, 0x00, 0x00), WHITE, 4.00),
        ((0x00, 0x00, 0xFF), WHITE, 8.59),
        (WHITE, WHITE, 1.0),
    ],
)
def test_contrast_ratio_matches_published_values(
    fg: tuple[int, int, int], bg: tuple[int, int, int], expected: float
) -> None:
    assert ratio(fg, bg) == pytest.approx(expected, abs=0.006)


def test_aa_boundary_greys() -> None:
    assert ratio((0x76, 0x76, 0x76), WHITE) >= 4.5
    assert ratio((0x77, 0x77, 0x77), WHITE) < 4.5


@pytest.mark.parametrize(
    ("rgb", "expected"),
    [
        ((255, 0, 0), 0.2126),
        ((0, 255, 0), 0.7152),
        ((0, 0, 255), 0.0722),
        (WHITE, 1.0),
        (BLACK, 0.0),
    ],
)
def test_luminance_of_primaries(rgb: tuple[int, int, int], expected: float) -> None:
    assert lum(rgb) == pytest.approx(expected, abs=1e-6)
    pixels = np.array([[rgb]], np.uint8)  # the lookup-table path
    assert float(relative_luminance(pixels)[0, 0]) == pytest.approx(expected, abs=1e-6)


def test_lookup_table_path_agrees_with_float_path_and_the_spec() -> None:
    rng = np.random.default_rng(7)
    colours = rng.integers(0, 256, size=(64, 48, 3), dtype=np.uint8)
    via_lut = relative_luminance(colours)
    via_float = relative_luminance(colours.astype(np.float32))
    assert via_lut.shape == via_float.shape == (64, 48)
    assert via_lut.dtype == np.float32
    assert float(np.abs(via_lut - via_float).max()) < 1e-5
    assert float(np.abs(via_lut - reference_luminance(colours)).max()) < 1e-5


def test_contrast_ratio_is_symmetric_and_vectorised() -> None:
    lums = relative_luminance(np.array([[BLACK, (0x80, 0x80, 0x80), WHITE]], np.uint8))[0]
    forward = contrast_ratio(lums, 1.0)
    backward = contrast_ratio(1.0, lums)
    np.testing.assert_allclose(forward, backward)
    np.testing.assert_allclose(forward, [21.0, 3.95, 1.0], atol=0.006)


def half_black_half_grey(h: int = 40, w: int = 80, grey: int = 0x80) -> np.ndarray:
    bg = np.zeros((h, w, 3), np.uint8)
    bg[:, w // 2 :] = grey
    return bg


def test_text_contrast_reports_the_worst_part_behind_the_text() -> None:
    bg = half_black_half_grey()
    ink = np.zeros(bg.shape[:2], bool)
    ink[10:30:4, 4:76] = True  # horizontal strokes across both halves
    value = text_contrast(bg, ink, WHITE)
    # white on black is 21:1 but the grey half (3.95:1) decides legibility
    assert value == pytest.approx(3.95, abs=0.01)
    # the highest percentile is the black half: the measurement really sees both
    assert text_contrast(bg, ink, WHITE, percentile=100.0) == pytest.approx(21.0, abs=0.01)


def test_text_contrast_looks_at_a_halo_around_the_glyphs() -> None:
    bg = half_black_half_grey(h=20, w=40)
    ink = np.zeros(bg.shape[:2], bool)
    ink[5:15, 19] = True  # a stroke on the last black column, touching the grey half
    assert text_contrast(bg, ink, WHITE, halo=0) == pytest.approx(21.0, abs=0.01)
    assert text_contrast(bg, ink, WHITE, halo=2) == pytest.approx(3.95, abs=0.01)


def test_text_contrast_ignores_pixels_far_from_the_glyphs() -> None:
    bg = half_black_half_grey()
    ink = np.zeros(bg.shape[:2], bool)
    ink[10:30, 5:20] = True  # only over the black half, well away from the grey
    assert text_contrast(bg, ink, WHITE) == pytest.approx(21.0, abs=0.01)


def test_empty_selections_are_infinitely_legible() -> None:
    assert worst_contrast(np.array([], np.float32), WHITE) == math.inf
    bg = half_black_half_grey()
    assert text_contrast(bg, np.zeros(bg.shape[:2], bool), WHITE) == math.inf


def test_worst_contrast_percentile() -> None:
    # 95 pixels of black and 5 of mid grey behind white text
    lums = np.array([0.0] * 95 + [lum((0x80, 0x80, 0x80))] * 5, np.float32)
    assert worst_contrast(lums, WHITE, percentile=5.0) == pytest.approx(21.0, abs=0.01)
    assert worst_contrast(lums, WHITE, percentile=4.0) == pytest.approx(3.95, abs=0.01)


@pytest.mark.parametrize(
    ("value", "large", "status", "threshold"),
    [
        (4.5, False, "pass", 4.5),
        (4.49, False, "fail", 4.5),
        (21.0, False, "pass", 4.5),
        (3.0, True, "pass", 3.0),
        (2.99, True, "fail", 3.0),
        (4.0, True, "pass", 3.0),
        (4.0, False, "fail", 4.5),
    ],
)
def test_contrast_finding_at_the_wcag_aa_thresholds(
    value: float, large: bool, status: str, threshold: float
) -> None:
    finding = contrast_finding(value, large_text=large, where="headline")
    assert finding.check == "contrast"
    assert finding.status == status
    assert finding.threshold == threshold
    assert finding.value == pytest.approx(value)
    assert finding.blocking == (status == "fail")
    assert "headline" in finding.detail


def test_contrast_finding_rounds_the_measured_value() -> None:
    assert contrast_finding(7.12345, large_text=False, where="headline").value == 7.12


def test_reported_value_never_rounds_up_across_the_threshold() -> None:
    finding = contrast_finding(4.499, large_text=False, where="headline")
    assert finding.status == "fail" and finding.value == 4.49
