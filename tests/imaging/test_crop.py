"""Tests for imaging.crop: crop-or-extend decisions, subject placement, no distortion, backdrop."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creative_automation.imaging.crop import FitResult, fit_to_format
from creative_automation.imaging.geometry import Box

FORMATS = [(1080, 1080), (1080, 1920), (1920, 1080), (1080, 1350), (1200, 628)]
RED = (230, 20, 20)


def scene(w: int, h: int, seed: int = 0) -> np.ndarray:
    """A textured, photo-like background (smooth colour noise) without pure red in it."""
    rng = np.random.default_rng(seed)
    small = rng.integers(40, 200, (max(2, h // 64), max(2, w // 64), 3), dtype=np.uint8)
    small[..., 0] = np.minimum(small[..., 0], small[..., 1])  # keep red out of the backdrop
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.asarray(img)


def with_subject(w: int, h: int, subject: Box) -> np.ndarray:
    """Scene with a solid red ellipse filling `subject`, so the subject's pixels are countable."""
    img = scene(w, h)
    centre = (round((subject.x0 + subject.x1 - 1) / 2), round((subject.y0 + subject.y1 - 1) / 2))
    axes = ((subject.width - 1) // 2, (subject.height - 1) // 2)
    cv2.ellipse(img, centre, axes, 0, 0, 360, RED, -1)
    return img


def red_mask(img: np.ndarray) -> np.ndarray:
    r, g, b = (img[..., i].astype(np.int16) for i in range(3))
    return (r > 150) & (g < 90) & (b < 90)


def red_bbox(img: np.ndarray, within: Box) -> Box:
    """Bounding box of the red pixels inside `within` (the backdrop may mirror some outside)."""
    win = within.clamp(img.shape[1], img.shape[0])
    ys, xs = np.nonzero(red_mask(img[win.y0 : win.y1, win.x0 : win.x1]))
    return Box(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1).shift(
        win.x0, win.y0
    )


def red_count(img: np.ndarray, within: Box) -> int:
    win = within.clamp(img.shape[1], img.shape[0])
    return int(red_mask(img[win.y0 : win.y1, win.x0 : win.x1]).sum())


@dataclass(frozen=True)
class Case:
    name: str
    source: tuple[int, int]
    subject: Box
    target: tuple[int, int]
    method: str


CASES = [
    Case("square centred → story", (1024, 1024), Box(312, 312, 712, 712), (1080, 1920), "crop"),
    Case(
        "square wide subject → story", (1024, 1024), Box(60, 300, 964, 800), (1080, 1920), "extend"
    ),
    Case(
        "square tall subject → landscape",
        (1024, 1024),
        Box(300, 60, 700, 964),
        (1920, 1080),
        "extend",
    ),
    Case(
        "square small top-left → landscape",
        (1024, 1024),
        Box(60, 60, 260, 260),
        (1920, 1080),
        "crop",
    ),
    Case(
        "square → link ad, subject fits", (1024, 1024), Box(200, 350, 800, 650), (1200, 628), "crop"
    ),
    Case(
        "landscape centred → square", (1920, 1080), Box(800, 400, 1100, 700), (1080, 1080), "crop"
    ),
    Case(
        "landscape off-centre → portrait",
        (1920, 1080),
        Box(1300, 200, 1700, 900),
        (1080, 1350),
        "crop",
    ),
    Case(
        "landscape wide subject → portrait",
        (1920, 1080),
        Box(200, 200, 1700, 900),
        (1080, 1350),
        "extend",
    ),
    Case(
        "portrait wide subject → landscape",
        (1080, 1920),
        Box(100, 500, 980, 1400),
        (1920, 1080),
        "extend",
    ),
    Case("portrait → square", (1080, 1920), Box(300, 1200, 800, 1700), (1080, 1080), "crop"),
    Case(
        "portrait tall subject → link ad",
        (1080, 1920),
        Box(400, 300, 700, 1600),
        (1200, 628),
        "extend",
    ),
]


def _check_subject(case: Case, result: FitResult, margin_frac: float = 0.04) -> None:
    width, height = case.target
    assert result.image.shape == (height, width, 3)
    assert result.image.dtype == np.uint8
    assert result.method == case.method

    # The subject box is inside the canvas with the margin (every case leaves the source room).
    margin = margin_frac * min(width, height) - 2
    box = result.subject_box
    assert box.x0 >= margin and box.y0 >= margin, box
    assert box.x1 <= width - margin and box.y1 <= height - margin, box

    # The subject's pixels really are there, all of them, where the box says.
    expected_area = math.pi / 4 * case.subject.width * case.subject.height * result.scale**2
    assert red_count(result.image, box.expand(2)) == pytest.approx(expected_area, rel=0.05)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_crop_or_extend_table(case: Case) -> None:
    rgb = with_subject(*case.source, case.subject)
    result = fit_to_format(rgb, case.subject, *case.target)
    _check_subject(case, result)


@pytest.mark.parametrize("target", FORMATS, ids=[f"{w}x{h}" for w, h in FORMATS])
@pytest.mark.parametrize(
    "subject", [Box(312, 312, 712, 712), Box(60, 200, 964, 820)], ids=["centred", "wide"]
)
def test_every_format_has_exact_size_and_keeps_the_subject(
    target: tuple[int, int], subject: Box
) -> None:
    rgb = with_subject(1024, 1024, subject)
    result = fit_to_format(rgb, subject, *target)
    assert result.image.shape == (target[1], target[0], 3)
    expected = math.pi / 4 * subject.width * subject.height * result.scale**2
    assert red_count(result.image, result.subject_box.expand(2)) == pytest.approx(
        expected, rel=0.05
    )


@pytest.mark.parametrize("target", FORMATS, ids=[f"{w}x{h}" for w, h in FORMATS])
def test_a_circle_stays_a_circle(target: tuple[int, int]) -> None:
    subject = Box(62, 262, 962, 762)  # a wide box; the circle inside it is what we measure
    rgb = scene(1024, 1024)
    cv2.circle(rgb, (512, 512), 240, RED, -1)
    result = fit_to_format(rgb, subject, *target)
    seen = red_bbox(result.image, result.subject_box)
    assert seen.width / seen.height == pytest.approx(1.0, abs=0.02), (result.method, seen)
    assert seen.width == pytest.approx(481 * result.scale, rel=0.02)


def test_crop_is_the_largest_window_centred_on_the_subject_and_clamped() -> None:
    rgb = scene(1024, 1024)
    # 9:16 window of a square source is 576 wide; centred on x=800 it would end at 1088: clamp.
    result = fit_to_format(rgb, Box(700, 400, 900, 600), 1080, 1920)
    assert result.method == "crop"
    assert result.scale == pytest.approx(1080 / 576)
    expected = cv2.resize(rgb[:, 448:1024], (1080, 1920), interpolation=cv2.INTER_CUBIC)
    assert np.abs(result.image.astype(int) - expected.astype(int)).max() <= 1


def test_subject_at_the_source_edge_stays_at_the_edge() -> None:
    # There is nothing left of x=0 to give as margin; the crop goes to the edge, no backdrop.
    rgb = with_subject(1024, 1024, Box(0, 400, 200, 600))
    result = fit_to_format(rgb, Box(0, 400, 200, 600), 1080, 1920)
    assert result.method == "crop"
    assert result.subject_box.x0 == 0


def test_upscale_flag() -> None:
    small = with_subject(400, 400, Box(100, 100, 300, 300))
    flagged = fit_to_format(small, Box(100, 100, 300, 300), 1080, 1080)
    assert flagged.scale == pytest.approx(2.7)
    assert flagged.upscaled_too_much

    ok = fit_to_format(
        with_subject(600, 600, Box(100, 100, 500, 500)), Box(100, 100, 500, 500), 1080, 1080
    )
    assert ok.scale == pytest.approx(1.8)
    assert not ok.upscaled_too_much


def test_extend_widens_the_strip_rather_than_upscale_past_2x() -> None:
    # The narrowest strip holding this subject would need 1080/490 = 2.2x; a wider one exists.
    rgb = with_subject(1024, 683, Box(280, 40, 740, 560))
    result = fit_to_format(rgb, Box(280, 40, 740, 560), 1080, 1920)
    assert result.method == "extend"
    assert result.scale == pytest.approx(2.0, abs=0.01)
    assert not result.upscaled_too_much


def test_backdrop_continues_the_image_without_a_visible_seam() -> None:
    rgb = scene(1024, 1024, seed=3)
    result = fit_to_format(rgb, Box(40, 300, 984, 700), 1080, 1920)
    assert result.method == "extend"
    img = result.image.astype(np.float32)
    ph = round(1024 * result.scale)
    top = (1920 - ph) // 2
    # Not an empty fill: the band carries the image's colours (a little darker, greyer).
    band = img[: top - 60]
    assert band.std() > 3
    assert abs(float(band.mean()) - float(rgb.mean())) < 40
    # Across the seam the step is no bigger than between ordinary neighbouring rows.
    seam_step = np.abs(img[top] - img[top - 1]).mean()
    inner_step = np.abs(np.diff(img[top : top + 200], axis=0)).mean(axis=(1, 2)).max()
    assert seam_step <= inner_step + 2


@st.composite
def fit_problems(draw: st.DrawFn) -> tuple[int, int, Box, int, int]:
    """Photo-sized sources (crop windows of integer pixels carry at most 0.5 px of rounding, so
    tiny sources would distort measurably) and output ratios from 1:2 to 2:1."""
    w, h = draw(st.integers(200, 1200)), draw(st.integers(200, 1200))
    x0, y0 = draw(st.integers(0, w - 1)), draw(st.integers(0, h - 1))
    x1, y1 = draw(st.integers(x0 + 1, w)), draw(st.integers(y0 + 1, h))
    width = draw(st.integers(100, 1200))
    height = draw(st.integers(max(50, width // 2), min(1200, width * 2)))
    return w, h, Box(x0, y0, x1, y1), width, height


@settings(max_examples=150, deadline=None)
@given(fit_problems())
def test_fit_properties(problem: tuple[int, int, Box, int, int]) -> None:
    w, h, subject, width, height = problem
    result = fit_to_format(scene(w, h), subject, width, height)
    assert result.image.shape == (height, width, 3)
    box = result.subject_box
    assert Box(0, 0, width, height).contains(box)
    # The whole subject is kept, at one scale for both axes (never stretched or squashed):
    # 2 px for rounding the box outwards, 0.6 % for the integer crop window.
    assert abs(box.width - subject.width * result.scale) <= 2 + 0.006 * width
    assert abs(box.height - subject.height * result.scale) <= 2 + 0.006 * height
    assert result.upscaled_too_much == (result.scale > 2.0)


def test_rejects_bad_input() -> None:
    rgb = scene(100, 100)
    with pytest.raises(ValueError, match="overlap"):
        fit_to_format(rgb, Box(200, 200, 300, 300), 100, 100)
    with pytest.raises(ValueError, match="positive"):
        fit_to_format(rgb, Box(0, 0, 10, 10), 0, 100)
    with pytest.raises(ValueError, match="uint8"):
        fit_to_format(rgb.astype(np.float32), Box(0, 0, 10, 10), 100, 100)


def test_max_scale_zooms_out_with_backdrop() -> None:
    """A scale cap shows the subject smaller than any crop would, extending the backdrop."""
    rgb = np.full((1000, 1000, 3), 90, np.uint8)
    rgb[200:800, 430:570] = (240, 200, 40)  # a tall narrow product
    subject = Box(430, 200, 570, 800)
    free = fit_to_format(rgb, subject, 1080, 1920)
    capped = fit_to_format(rgb, subject, 1080, 1920, max_scale=1.2, anchor=(0.5, 0.66))
    assert capped.image.shape == (1920, 1080, 3)
    assert capped.method == "extend" and capped.scale == pytest.approx(1.2)
    assert capped.subject_box.height < free.subject_box.height
    assert capped.subject_box.height == pytest.approx(600 * 1.2, abs=2)
    # the subject's centre lands at the anchor (66 % down) and it is not distorted
    cy = (capped.subject_box.y0 + capped.subject_box.y1) / 2
    assert cy == pytest.approx(0.66 * 1920, abs=3)
    ratio = capped.subject_box.width / capped.subject_box.height
    assert ratio == pytest.approx(140 / 600, rel=0.02)
    yellow = (capped.image[..., 0] > 200) & (capped.image[..., 2] < 90)
    ys, xs = np.nonzero(yellow)
    assert ys.min() >= capped.subject_box.y0 - 2 and ys.max() <= capped.subject_box.y1 + 2
    assert xs.min() >= capped.subject_box.x0 - 2 and xs.max() <= capped.subject_box.x1 + 2
