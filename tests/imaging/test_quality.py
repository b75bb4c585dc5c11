"""Quality score: each component measured on synthetic images whose defect is known."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from creative_automation.imaging.geometry import Box
from creative_automation.imaging.quality import WEIGHTS, QualityScore, quality_score
from creative_automation.providers.base import GenerationRequest
from creative_automation.providers.procedural import ProceduralProvider
from factories import photo


def flat(value: int | tuple[int, int, int], size: int = 512) -> np.ndarray:
    return np.full((size, size, 3), value, np.uint8)


def backdrop_with_square(side: int, size: int = 1024) -> np.ndarray:
    """A soft grey-blue gradient with one textured orange square in the middle."""
    rng = np.random.default_rng(1)
    y = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    img = (np.array([150, 160, 180], np.float32) - 40 * y) * np.ones((size, size, 3), np.float32)
    x0 = (size - side) // 2
    patch = np.array([230, 120, 40], np.float32) + rng.normal(0, 20, (side, side, 3))
    img[x0 : x0 + side, x0 : x0 + side] = patch
    return np.asarray(np.clip(img, 0, 255), dtype=np.uint8)


def test_components_and_score_are_in_range_and_score_is_the_weighted_mean() -> None:
    q = quality_score(np.asarray(photo()))
    parts = {k: getattr(q, k) for k in WEIGHTS}
    assert all(0.0 <= v <= 1.0 for v in [*parts.values(), q.score])
    expected = sum(WEIGHTS[k] * v for k, v in parts.items()) / sum(WEIGHTS.values())
    assert q.score == pytest.approx(expected)


def test_blurred_copy_scores_lower_sharpness() -> None:
    sharp = np.asarray(photo(1024, 1024))
    blurred = cv2.GaussianBlur(sharp, (0, 0), 3)
    q_sharp, q_blur = quality_score(sharp), quality_score(blurred)
    assert q_sharp.sharpness > 0.9
    assert q_blur.sharpness < 0.3 < q_sharp.sharpness - 0.5
    assert any("blurry" in r for r in q_blur.reasons)
    assert not any("blurry" in r for r in q_sharp.reasons)


@pytest.mark.parametrize(
    ("value", "words"), [(0, "crushed shadows"), (255, "blown highlights"), (3, "crushed shadows")]
)
def test_black_or_white_image_fails_exposure(value: int, words: str) -> None:
    q = quality_score(flat(value))
    assert q.exposure == pytest.approx(0.0)
    assert any(words in r for r in q.reasons)


def test_dark_but_unclipped_image_is_penalised_for_its_mean() -> None:
    rng = np.random.default_rng(0)
    dark = np.clip(rng.normal(25, 8, (256, 256, 3)), 5, 255).astype(np.uint8)
    q = quality_score(dark)
    assert q.exposure < 0.5
    assert any("too dark" in r for r in q.reasons)


def test_mid_tones_expose_well() -> None:
    assert quality_score(np.asarray(photo())).exposure == pytest.approx(1.0)


def test_grey_is_dull_and_saturated_colour_is_colourful() -> None:
    grey = quality_score(flat(128))
    blocks = np.zeros((512, 512, 3), np.uint8)
    colours = [(230, 30, 30), (30, 200, 40), (30, 60, 230), (240, 220, 20)]
    for i, colour in enumerate(colours):
        blocks[(i // 2) * 256 : (i // 2 + 1) * 256, (i % 2) * 256 : (i % 2 + 1) * 256] = colour
    colourful = quality_score(blocks)
    assert grey.colourfulness < 0.05
    assert any("dull colours" in r for r in grey.reasons)
    assert colourful.colourfulness > 0.9


def test_tiny_subject_scores_low_fill_and_a_framed_one_full() -> None:
    tiny = quality_score(backdrop_with_square(90))  # under 1 % of the frame
    framed = quality_score(backdrop_with_square(500))  # about 24 %
    assert tiny.subject_fill < 0.35
    assert any("too small" in r for r in tiny.reasons)
    assert framed.subject_fill == pytest.approx(1.0)


def test_subject_filling_the_frame_is_penalised() -> None:
    q = quality_score(np.asarray(photo(1000, 1000)), subject_box=Box(0, 0, 1000, 980))
    assert q.subject_fill < 0.5
    assert any("whole frame" in r for r in q.reasons)


def test_known_subject_box_replaces_saliency() -> None:
    img = np.asarray(photo(1000, 1000))
    small = quality_score(img, subject_box=Box(480, 480, 520, 520))
    large = quality_score(img, subject_box=Box(200, 200, 800, 800))
    assert small.subject_fill == pytest.approx(np.sqrt(0.0016 / 0.15))
    assert large.subject_fill == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("palette", "name", "seed"),
    [
        (("#0B3D2E", "#F2C14E", "#FFFFFF"), "Citrus Sparkling Water", 0),
        ((), "Shampoo bottle", 1),
        (("#000000", "#FFFFFF"), "Chocolate bar", 2),  # a monochrome brand: no colour, still good
        (("#E30613",), "Face cream jar", 3),
    ],
)
def test_procedural_studio_shot_is_usable(palette: tuple[str, ...], name: str, seed: int) -> None:
    request = GenerationRequest(
        product_id="p-1",
        product_name=name,
        description=name,
        prompt="hero shot",
        palette=palette,
        width=1024,
        height=1024,
        seed=seed,
    )
    result = ProceduralProvider().render(request)
    q = quality_score(np.asarray(result.image))
    assert q.score >= 0.6, q
    assert q.sharpness > 0.8 and q.exposure > 0.7


def test_flat_grey_image_is_rejected() -> None:
    # whatever subject box comes with it: there is no subject to see
    assert quality_score(flat(128, 1024), subject_box=Box(300, 300, 700, 700)).subject_fill == 0
    q = quality_score(flat(128, 1024))
    assert q.score < 0.35
    assert q.subject_fill == 0.0
    assert any("no distinct subject" in r for r in q.reasons)


def test_score_does_not_depend_on_output_size() -> None:
    big = np.asarray(photo(1600, 1600))
    small = np.asarray(cv2.resize(big, (800, 800), interpolation=cv2.INTER_AREA))
    assert quality_score(big).score == pytest.approx(quality_score(small).score, abs=0.05)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((10, 10), np.uint8),
        np.zeros((10, 10, 3), np.float32),
        np.zeros((0, 4, 3), np.uint8),
    ],
)
def test_rejects_non_rgb_arrays(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        quality_score(bad)


def test_score_is_frozen() -> None:
    q = quality_score(flat(128, 64))
    assert isinstance(q, QualityScore)
    with pytest.raises(AttributeError):
        q.score = 1.0  # type: ignore[misc]
