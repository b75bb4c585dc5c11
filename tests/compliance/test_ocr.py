"""Copy read-back on real creatives with Tesseract (in process, Debian's language data): a whole
text passes, a cut or covered one fails with what was read, and without OCR the check says
skipped, never passed."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from creative_automation.brief import parse_brief
from creative_automation.compliance import ocr, tesseract
from creative_automation.compliance.ocr import (
    READBACK_THRESHOLD,
    Placed,
    readback_findings,
    similarity,
    unavailable,
)
from creative_automation.imaging.fonts import FONT_DIR
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


@pytest.fixture
def fresh_lookup(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The language data looked up again under the test's environment, and again after it."""
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    tesseract.installed.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    tesseract.installed.cache_clear()


def test_without_tesseract_the_check_is_skipped_not_passed(
    fresh_lookup: pytest.MonkeyPatch,
) -> None:
    fresh_lookup.setattr(tesseract, "_SYSTEM_DIRS", ())
    fresh_lookup.setattr(tesseract, "_BINARY", "/nonexistent/tesseract")
    texts = {"message": Placed("Hello", Box(0, 0, 10, 10))}
    (finding,) = readback_findings(Image.new("RGB", (20, 20)), texts, "en-US")
    assert finding.status == "skipped" and "Tesseract is not installed" in finding.detail
    assert "apt install tesseract-ocr" in finding.detail


def test_tessdata_prefix_is_honoured_and_a_wrong_one_said(
    fresh_lookup: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fresh_lookup.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert unavailable("en-US") == f"TESSDATA_PREFIX={tmp_path} holds no language data"
    tesseract.installed.cache_clear()
    # Tesseract 3's convention: the parent of tessdata/
    (tmp_path / "tessdata").mkdir()
    (tmp_path / "tessdata" / "eng.traineddata").write_bytes(b"")
    found = tesseract.installed()
    assert found.tessdata == str(tmp_path / "tessdata") and found.packs == {"eng"}


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract binary to ask")
def test_elsewhere_the_tesseract_binary_says_where_its_data_is(
    fresh_lookup: pytest.MonkeyPatch,
) -> None:
    fresh_lookup.setattr(tesseract, "_SYSTEM_DIRS", ())  # not Debian's layout
    found = tesseract.installed()
    assert found.why_not is None and found.tessdata is not None and "eng" in found.packs


@needs_english
def test_a_missing_language_pack_names_its_debian_package(
    fresh_lookup: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    system = tesseract.installed().tessdata
    assert system is not None
    (tmp_path / "eng.traineddata").symlink_to(Path(system) / "eng.traineddata")
    fresh_lookup.setenv("TESSDATA_PREFIX", str(tmp_path))
    tesseract.installed.cache_clear()
    assert unavailable("en-US") is None
    why = unavailable("zh-TW")
    assert why is not None and "apt install tesseract-ocr-chi-tra" in why


def _line_image(text: str) -> np.ndarray:
    image = Image.new("L", (360, 60), 255)
    ImageDraw.Draw(image).text((12, 10), text, fill=0, font_size=32)
    return np.asarray(image)


@needs_english
def test_each_thread_keeps_its_own_engine_and_reads_alike() -> None:
    page = _line_image("Order now")
    engines: dict[str, set[int]] = {}
    readings: dict[str, list[str]] = {}

    def work(name: str) -> None:
        for psm in (tesseract.PSM_LINE, tesseract.PSM_RAW_LINE, tesseract.PSM_LINE):
            readings.setdefault(name, []).append(tesseract.read_text(page, "eng", psm).strip())
            engines.setdefault(name, set()).add(id(tesseract._engine("eng", psm, ())))

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(ids) == 1 for ids in engines.values())  # reused, whatever the mode
    assert engines["a"] != engines["b"]  # one per thread: an engine is not thread-safe
    assert readings["a"] == readings["b"] and readings["a"][0] == "Order now"


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


def test_lines_are_cut_where_the_ink_stops_marks_staying_with_their_line() -> None:
    ink = np.zeros((120, 50), dtype=bool)
    ink[10:14, 5:9] = True  # the dots above the first line (Arabic ة, ق)
    ink[16:46, :] = True  # first line
    ink[60:92, :] = True  # second line
    ink[94:98, 20:24] = True  # a dot below it
    assert ocr._line_spans(ink, size=36) == [(10, 46), (60, 98)]
    assert ocr._line_spans(ink, size=None) == [(10, 46), (60, 98)]  # size from the lines
    assert ocr._line_spans(np.zeros((5, 5), dtype=bool), size=36) == []


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Image.Image, dict[str, Any]]]:
    """Japanese and Arabic creatives (headlines of one and of two lines) from the pipeline."""
    out = tmp_path_factory.mktemp("ocr-scripts")
    copy = {
        "ja-JP": {"message": "夏は、冷たいコーヒーで。", "call_to_action": "今すぐ購入"},
        "ar-AE": {"message": "الصيف ألذ مع القهوة الباردة", "call_to_action": "تسوّق الآن"},
    }
    data = brief_data(formats=["1:1", "9:16"], locales=copy)
    data["brand"].pop("logo")
    data["products"] = [{**p, "assets": []} for p in data["products"][1:]]  # generated
    result = run_campaign(
        parse_brief(data), assets_dir=None, out_dir=out, provider=build_image_provider(),
        settings=Settings(output_dir=out, output_format="jpeg", workers=1),
    )  # fmt: skip
    records = json.loads((result.folder / "manifest.json").read_text())["creatives"]
    return [(Image.open(result.folder / r["path"]).convert("RGB"), r) for r in records]


def test_japanese_and_arabic_copy_reads_back_whole(
    scripts: list[tuple[Image.Image, dict[str, Any]]],
) -> None:
    if why := unavailable("ja-JP") or unavailable("ar-AE"):
        pytest.skip(f"no OCR for Japanese and Arabic here: {why}")
    assert len(scripts) == 4
    for image, record in scripts:
        findings = readback_findings(image, placed(record), record["locale"])
        assert [f.status for f in findings] == ["pass", "pass"], (record["path"], findings)


def test_a_language_pack_that_will_not_load_is_skipped(
    fresh_lookup: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "eng.traineddata").write_bytes(b"not a model")
    fresh_lookup.setenv("TESSDATA_PREFIX", str(tmp_path))
    texts = {"message": Placed("Order now", Box(0, 0, 360, 60), line=True)}
    image = Image.fromarray(_line_image("Order now")).convert("RGB")
    (finding,) = readback_findings(image, texts, "en-US")
    assert finding.status == "skipped" and "Tesseract could not start" in finding.detail


@needs_english
def test_a_short_call_to_action_on_its_button_reads_back() -> None:
    # a two-letter button is mostly rounded ends: its edge is more ground than face
    image = Image.new("RGB", (300, 160), (236, 226, 205))
    draw = ImageDraw.Draw(image)
    pill = Box(90, 48, 212, 112)
    draw.rounded_rectangle(pill.as_list(), radius=32, fill=(20, 80, 60))
    font = ImageFont.truetype(str(FONT_DIR / "NotoSans-Bold.ttf"), 39)
    draw.text(pill.center, "Go", font=font, fill=(255, 255, 255), anchor="mm")
    texts = {"call_to_action": Placed("Go", pill, line=True, size_px=39)}
    (finding,) = readback_findings(image, texts, "en-US")
    assert finding.status == "pass", finding
