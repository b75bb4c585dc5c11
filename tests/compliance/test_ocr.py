"""Copy read-back on real creatives with Debian's Tesseract: a whole text passes, a cut or
covered one fails with what was read, and without OCR the check says skipped, never passed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PIL import Image, ImageDraw

from creative_automation.brief import parse_brief
from creative_automation.compliance import ocr
from creative_automation.compliance.ocr import (
    READBACK_THRESHOLD,
    Placed,
    readback_findings,
    similarity,
    unavailable,
)
from creative_automation.imaging.geometry import Box
from creative_automation.pipeline import run_campaign
from creative_automation.providers import build_image_provider
from creative_automation.settings import Settings
from factories import brief_data

needs_english = pytest.mark.skipif(
    unavailable("en-US") is not None, reason=f"no OCR here: {unavailable('en-US')}"
)


def test_similarity_counts_what_is_missing_not_what_is_extra() -> None:
    want = "Summer tastes better cold"
    assert similarity(want, "Summer\ntastes\nbetter cold") == 100  # lines, case
    assert similarity(want, "( SUMMER tastes better cold! |") == 100  # edges, punct
    assert similarity(want, "Summer tastes better cold Shop now") == 100  # a neighbour
    assert similarity(want, "Summer tastes bet") < READBACK_THRESHOLD  # cut short
    assert similarity(want, "Summer tastes") < READBACK_THRESHOLD
    assert similarity(want, "") == 0
    # OCR spaces out CJK characters; that is no difference
    assert similarity("今すぐ購入", "今 すぐ 購 入") == 100


def test_the_language_pack_follows_the_locale() -> None:
    assert ocr.tesseract_pack("en-US") == "eng" and ocr.tesseract_pack("ar-AE") == "ara"
    assert ocr.tesseract_pack("zh-CN") == "chi_sim" and ocr.tesseract_pack("zh-TW") == "chi_tra"
    assert ocr.tesseract_pack("zh-Hant-HK") == "chi_tra" and ocr.tesseract_pack("am-ET") is None


def test_without_tesseract_the_check_is_skipped_not_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr.pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    ocr._installed.cache_clear()
    try:
        texts = {"message": Placed("Hello", Box(0, 0, 10, 10))}
        (finding,) = readback_findings(Image.new("RGB", (20, 20)), texts, "en-US")
    finally:
        monkeypatch.undo()
        ocr._installed.cache_clear()
    assert finding.status == "skipped" and "Tesseract is not installed" in finding.detail


def test_a_locale_without_a_language_pack_is_skipped() -> None:
    texts = {"message": Placed("ሰላም", Box(0, 0, 10, 10))}
    (finding,) = readback_findings(Image.new("RGB", (20, 20)), texts, "am-ET")
    assert finding.status == "skipped" and "am-ET" in finding.detail


@pytest.fixture(scope="module")
def creative(tmp_path_factory: pytest.TempPathFactory) -> tuple[Image.Image, dict[str, Any]]:
    """A real 1:1 creative from the pipeline, and its manifest record (layout boxes, sizes)."""
    out = tmp_path_factory.mktemp("ocr")
    copy = {"message": "Fresh roast, every morning", "call_to_action": "Order now"}
    data = brief_data(formats=["1:1"], locales={"en-US": copy})
    data["brand"].pop("logo")
    data["products"] = [{**p, "assets": []} for p in data["products"][:1]]  # generated
    result = run_campaign(
        parse_brief(data), assets_dir=None, out_dir=out, provider=build_image_provider(),
        settings=Settings(output_dir=out, output_format="png", workers=1),
    )  # fmt: skip
    (record,) = json.loads((result.folder / "manifest.json").read_text())["creatives"]
    return Image.open(result.folder / record["path"]).convert("RGB"), record


def placed(record: dict[str, Any]) -> dict[str, Placed]:
    layout = record["layout"]
    return {
        "message": Placed(record["message"], Box(*layout["headline_box"]),
                          size_px=record["headline_px"]),
        "call_to_action": Placed(record["call_to_action"], Box(*layout["cta_box"]), line=True,
                                 size_px=record["cta_px"]),
    }  # fmt: skip


@needs_english
def test_the_copy_of_a_rendered_creative_reads_back_whole(
    creative: tuple[Image.Image, dict[str, Any]],
) -> None:
    image, record = creative
    findings = readback_findings(image, placed(record), "en-US")
    assert [f.status for f in findings] == ["pass", "pass"], findings
    assert all(f.threshold == READBACK_THRESHOLD for f in findings)


@needs_english
def test_a_covered_headline_fails_saying_what_was_read(
    creative: tuple[Image.Image, dict[str, Any]],
) -> None:
    image, record = creative
    texts = placed(record)
    box = texts["message"].box
    covered = image.copy()
    # a sticker over the right half of the headline: the words under it are gone
    ImageDraw.Draw(covered).rectangle(
        (box.x0 + box.width // 2, box.y0, box.x1, box.y1), fill=(128, 128, 128)
    )
    message, cta = readback_findings(covered, texts, "en-US")
    assert message.status == "fail" and isinstance(message.value, float)
    assert message.value < READBACK_THRESHOLD and "not found whole" in message.detail
    assert cta.status == "pass"  # the CTA was not touched
