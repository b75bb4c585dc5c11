"""Blur and exposure findings of generated sources, on real photographs and product shots,
their cost, and the labelled set's precision."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import cache

import numpy as np
import pytest
import skimage.data
from bench.cases import misses, scores
from bench.cases import quality as cases

from creative_automation.compliance.findings import Finding
from creative_automation.compliance.image_quality import (
    BLURRED_SHARE,
    SOFT_SHARE,
    image_quality_findings,
)
from creative_automation.imaging.geometry import Box
from creative_automation.imaging.quality import exposure_of, grey_of


def finding(check: str, rgb: np.ndarray, box: Box | None = None) -> Finding:
    return next(f for f in image_quality_findings(rgb, subject_box=box) if f.check == check)


@cache
def product() -> tuple[np.ndarray, Box]:
    """The offline provider's own 1024² shot and its subject box."""
    _, rgb, box = next(s for s in cases.sources() if s[2] is not None)
    assert box is not None
    return rgb, box


def photo(name: str) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(getattr(skimage.data, name)())[..., :3])


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket"])
def test_sharp_photos_pass_and_blurred_copies_fail(name: str) -> None:
    sharp = finding("blur", photo(name))
    assert sharp.status == "pass"
    assert float(sharp.value) >= float(sharp.threshold)  # type: ignore[arg-type]
    blurred = finding("blur", cases.blurred(photo(name), 2.0))
    assert blurred.status == "fail" and "blurred" in blurred.detail
    # the value is the Laplacian variance; the threshold what this image would need to pass
    assert float(blurred.value) < float(blurred.threshold)  # type: ignore[arg-type]


def test_the_rule_holds_across_content_where_a_fixed_variance_cannot() -> None:
    # sharp grass has ~100× the Laplacian variance of a sharp clock face; blurred grass still
    # has more than the sharp clock. The re-blur share tells them apart anyway.
    clock = np.repeat(np.asarray(skimage.data.clock())[..., None], 3, axis=2)
    grass = np.repeat(np.asarray(skimage.data.grass())[..., None], 3, axis=2)
    sharp_clock, soft_grass = finding("blur", clock), finding("blur", cases.blurred(grass, 1.5))
    assert float(soft_grass.value) > float(sharp_clock.value)  # type: ignore[arg-type]
    assert sharp_clock.status == "pass" and soft_grass.status != "pass"


def test_product_shot_soft_from_one_pixel_blurred_from_one_and_a_half() -> None:
    rgb, _ = product()
    statuses = [finding("blur", cases.blurred(rgb, s)).status for s in (0.0, 0.5, 1.0, 1.5)]
    assert statuses == ["pass", "pass", "warn", "fail"]
    assert 0 < SOFT_SHARE < BLURRED_SHARE < 1


def test_the_subject_decides_a_soft_backdrop_is_a_choice() -> None:
    rgb, box = product()
    bokeh = cases._with_sharp_subject(rgb, box)
    with_box = finding("blur", bokeh, box)
    assert with_box.status == "pass" and "the subject" in with_box.detail
    assert finding("blur", cases.blurred(rgb, 1.5), box).status != "pass"


def test_a_featureless_image_fails_blur() -> None:
    f = finding("blur", np.full((512, 512, 3), 140, np.uint8))
    assert f.status == "fail" and "no detail" in f.detail


def test_exposure_of_well_exposed_photos_passes() -> None:
    # the astronaut photo is 14 % black (helmet, collar, plinth) and well exposed
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        assert finding("exposure", photo(name)).status == "pass", name
    assert exposure_of(grey_of(photo("astronaut"))).crushed > 0.1


@pytest.mark.parametrize(
    ("make", "status", "words"),
    [
        (lambda x: cases.blown(x, 0.30), "fail", "blown highlights"),
        (lambda x: cases.blown(x, 0.14), "warn", "blown highlights"),
        (lambda x: cases.crushed(x, 0.40), "fail", "crushed shadows"),
        (lambda x: cases.crushed(x, 0.26), "warn", "crushed shadows"),
        (lambda x: cases.at_mean(x, 0.07), "fail", "too dark"),
        (lambda x: cases.at_mean(x, 0.10), "warn", "too dark"),
        (lambda x: cases.at_mean(x, 0.95), "fail", "blown highlights"),  # and too bright
        (lambda x: cases.blown(x, 0.06), "pass", "well exposed"),
    ],
)
def test_exposure_defects(
    make: Callable[[np.ndarray], np.ndarray], status: str, words: str
) -> None:
    f = finding("exposure", make(photo("chelsea")))
    assert f.status == status and f.detail.startswith(words), f.detail


def test_exposure_value_is_the_deciding_measure_from_imaging_quality() -> None:
    rgb = cases.blown(photo("chelsea"), 0.30)  # 451 px wide: analysed as it is
    f = finding("exposure", rgb)
    assert f.value == pytest.approx(exposure_of(grey_of(rgb)).blown, abs=1e-3)
    assert f.threshold == 0.10


def test_rejects_what_is_not_rgb() -> None:
    with pytest.raises(ValueError, match="HxWx3"):
        image_quality_findings(np.zeros((64, 64), np.uint8))


def test_costs_a_few_ms_on_a_1024_source() -> None:
    rgb, box = product()
    best = math.inf
    for _ in range(15):
        start = time.process_time()
        image_quality_findings(rgb)
        image_quality_findings(rgb, subject_box=box)
        best = min(best, (time.process_time() - start) / 2)
    # CPU time (less inflated by a busy runner than the clock): ~1 ms here, the target 5 ms
    assert best * 1000 < 5.0


def test_labelled_set_precision() -> None:
    outcomes = cases.outcomes()
    for s in scores(outcomes):
        wrong = [m for m in misses(outcomes) if m.check == s.check]
        assert s.precision >= 0.95, (s, wrong)
        assert s.recall >= 0.9, (s, wrong)
        assert s.true_pos >= 20 and s.cases - s.true_pos - s.false_neg >= 20, s  # both kinds
