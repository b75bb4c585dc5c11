"""Stray text in generated images, read with Tesseract: a photo with words nobody asked for is
flagged with the words and where they are, the product's own name on its packshot is not, and
without OCR the check says skipped, never passed."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from bench.cases import artefacts as cases
from bench.cases import misses, scores
from PIL import Image

from creative_automation.compliance import tesseract
from creative_automation.compliance.artefacts import artefact_findings
from creative_automation.compliance.ocr import unavailable
from creative_automation.imaging.geometry import Box

needs_english = pytest.mark.skipif(
    unavailable("en") is not None, reason=f"no OCR here: {unavailable('en')}"
)


def coffee() -> Image.Image:
    return cases._square(skimage.data.coffee())  # type: ignore[no-untyped-call]


def drawn_box(before: Image.Image, after: Image.Image) -> Box:
    changed = np.abs(np.asarray(after, int) - np.asarray(before, int)).max(axis=2) > 40
    ys, xs = np.nonzero(changed)
    return Box(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)


@needs_english
def test_a_photo_without_text_passes() -> None:
    (finding,) = artefact_findings(np.asarray(coffee()))
    assert finding.status == "pass" and finding.value == 0


@needs_english
def test_stray_words_are_flagged_with_where_they_are() -> None:
    photo = coffee()
    rng = np.random.default_rng(5)
    marked = cases.draw(photo, "Quemsy Brantol", rng, size=80, where=(0.1, 0.1))
    (finding,) = artefact_findings(np.asarray(marked), expected=("Signature Espresso",))
    assert finding.status == "warn" and isinstance(finding.value, float) and finding.value >= 1
    assert "Brantol" in finding.detail or "Quemsy" in finding.detail
    # the boxes listed are on the drawn words
    text = drawn_box(photo, marked)
    listed = finding.detail.split(" at ", 1)[1].split("]")[0].lstrip("[").split(", ")
    assert Box(*map(int, listed)).intersects(text)


@needs_english
def test_the_products_own_name_on_its_packshot_is_expected() -> None:
    name, brand, shot = cases.packshots()[1]  # the can, its name on the label
    (expected,) = artefact_findings(np.asarray(shot), expected=(name, brand))
    assert expected.status == "pass"
    (unexpected,) = artefact_findings(np.asarray(shot), expected=("Another Product",))
    assert unexpected.status == "warn"  # read, and set aside only because it was expected
    assert any(word in unexpected.detail for word in name.split())


@needs_english
def test_the_labelled_set_meets_the_precision_target() -> None:
    outcomes = cases.outcomes(seed=0)
    (score,) = scores(outcomes)
    assert score.cases >= 60 and score.true_pos + score.false_neg == score.cases // 2
    assert score.precision >= 0.95, [o.case for o in misses(outcomes) if not o.expected]
    assert score.recall >= 0.6, [o.case for o in misses(outcomes) if o.expected]


def test_without_tesseract_the_check_is_skipped_not_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    monkeypatch.setattr(tesseract, "_SYSTEM_DIRS", ())
    monkeypatch.setattr(tesseract, "_BINARY", "/nonexistent/tesseract")
    tesseract.installed.cache_clear()
    try:
        (finding,) = artefact_findings(np.zeros((64, 64, 3), np.uint8))
    finally:
        monkeypatch.undo()
        tesseract.installed.cache_clear()
    assert finding.status == "skipped" and "Tesseract is not installed" in finding.detail
