"""`cap check` on real files: a campaign made by `cap run`, hand-made creatives drawn here with
the bundled fonts and the example logo, and unusable inputs; its exit codes and its findings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import skimage.data
import yaml
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner, Result

from creative_automation import review
from creative_automation.cli import app
from creative_automation.compliance.ocr import unavailable

runner = CliRunner()
ROOT = Path(__file__).parents[1]
KIT = ROOT / "examples/aurora-kit.yaml"
FONTS = ROOT / "src/creative_automation/fonts"
LOGO = ROOT / "examples/assets/aurora-logo.png"
needs_ocr = pytest.mark.skipif(unavailable("en") is not None, reason=str(unavailable("en")))

CREAM, BROWN, ORANGE = (244, 233, 220), (43, 27, 23), (224, 122, 46)  # the kit's palette


def check(*args: str | Path) -> Result:
    return runner.invoke(app, ["check", *map(str, args)], env={"COLUMNS": "200"})


def findings(result: Result) -> list[dict[str, Any]]:
    """The findings of the one creative of a `--json` run."""
    (only,) = json.loads(result.stdout)
    return list(only["findings"])


def failing(result: Result) -> set[str]:
    return {f["check"] for f in findings(result) if f["status"] == "fail"}


def hand_made(
    path: Path,
    *,
    headline: str = "Slow mornings,\nbold coffee",
    ink: tuple[int, int, int] = CREAM,
    logo: bool = True,
    disclaimer: str | None = "Contains caffeine.",
) -> Path:
    """A designer's 1080² variant: a real photo, a brown panel with the headline, an orange
    CTA button and the small print, the brand logo on a cream band at the top."""
    img = Image.fromarray(skimage.data.coffee()).resize((1080, 1080), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 1080, 200), fill=CREAM)
    draw.rectangle((0, 680, 1080, 1080), fill=BROWN)
    bold = ImageFont.truetype(FONTS / "NotoSans-Bold.ttf", 72)
    draw.multiline_text((90, 715), headline, font=bold, fill=ink, spacing=8)
    draw.rounded_rectangle((90, 905, 400, 975), 20, fill=ORANGE)
    cta = ImageFont.truetype(FONTS / "NotoSans-Bold.ttf", 40)
    draw.text((120, 913), "Order now", font=cta, fill=BROWN)
    if disclaimer:
        small = ImageFont.truetype(FONTS / "NotoSans-Regular.ttf", 36)
        draw.text((520, 930), disclaimer, font=small, fill=CREAM)
    if logo:
        mark = Image.open(LOGO).convert("RGBA")
        mark = mark.resize((260, round(260 * mark.height / mark.width)), Image.Resampling.LANCZOS)
        img.paste(mark, (80, 66), mark)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


@needs_ocr
def test_a_campaign_made_by_cap_run_passes_cap_check(tmp_path: Path) -> None:
    brief = {
        "campaign_id": "check-me",
        "campaign_name": "Check me",
        "markets": ["GB"],
        "audience": "Testers",
        "message": "Summer tastes better cold",
        "call_to_action": "Shop now",
        "locales": {
            "en-GB": {"message": "Summer tastes better cold", "call_to_action": "Shop now"}
        },
        "products": [{"id": "espresso", "name": "Espresso", "assets": ["espresso-cup.png"]}],
        "brand": str(KIT),
        "formats": ["1:1"],
        "seed": 7,
    }
    (tmp_path / "brief.yaml").write_text(yaml.safe_dump(brief))
    out = tmp_path / "out"
    made = runner.invoke(
        app,
        ["run", str(tmp_path / "brief.yaml"), "--assets", str(ROOT / "examples/assets"),
         "--out", str(out)],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    folder = out / "check-me"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [c["status"] for c in manifest["creatives"]] == ["ok"]

    result = check(folder, "--brand", KIT)
    assert result.exit_code == 0, result.output
    assert "ok: every check passed" in result.output and "1 of 1 creatives ok" in result.output
    assert "recorded layout and copy (manifest)" in result.output

    # the creative's file on its own is still known by its manifest record
    creative = folder / manifest["creatives"][0]["path"]
    result = check(creative, "--brand", KIT, "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert report["source"] == "manifest" and report["locale"] == "en-GB"
    assert report["verdict"] == "ok" and report["format"] == "square"
    assert [t["field"] for t in report["texts"]] == ["headline", "cta"]
    checks = {f["check"]: f["status"] for f in report["findings"]}
    for name in ("contrast_measured", "logo_present", "copy_readback", "blur", "palette_share"):
        assert checks[name] == "pass", report["findings"]


@needs_ocr
def test_a_hand_made_creative_on_brand_passes(tmp_path: Path) -> None:
    result = check(hand_made(tmp_path / "en-US.png"), "--brand", KIT, "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert report["source"] == "ocr" and report["locale_from"] == "file name"
    read = {t["field"]: t["text"] for t in report["texts"]}
    assert read["headline"] == "Slow mornings,\nbold coffee" and read["cta"] == "Order now"
    assert "Contains caffeine." in read.values()  # the US disclaimer, found on the image
    statuses = {f["check"]: f["status"] for f in report["findings"]}
    assert statuses["required_disclaimer"] == statuses["logo_present"] == "pass"


@needs_ocr
@pytest.mark.parametrize(
    ("change", "failed", "detail"),
    [
        ({"logo": False}, "logo_present", "no logo variant matches"),
        ({"ink": (78, 58, 50)}, "contrast_measured", "headline"),
        ({"headline": "Guaranteed fresh,\nbold coffee"}, "prohibited_words", '"Guaranteed"'),
        ({"disclaimer": None}, "required_disclaimer", "en-US: missing"),
    ],
    ids=["missing-logo", "low-contrast", "prohibited-word", "missing-disclaimer"],
)
def test_a_hand_made_creative_off_brand_needs_review(
    tmp_path: Path, change: dict[str, Any], failed: str, detail: str
) -> None:
    image = hand_made(tmp_path / "en-US.png", **change)
    result = check(image, "--brand", KIT, "--json")
    assert result.exit_code == 3, result.output
    assert failing(result) == {failed}
    assert any(detail in f["detail"] for f in findings(result) if f["check"] == failed)
    table = check(image, "--brand", KIT)  # the same, as the table a reviewer reads
    assert table.exit_code == 3 and f"needs review: {failed} failed" in table.output


@needs_ocr
def test_the_locale_decides_the_market_rules(tmp_path: Path) -> None:
    # no disclaimer is required in the default locale (en), Mexico's is in Spanish
    plain = hand_made(tmp_path / "variant.png", disclaimer=None)
    assert check(plain, "--brand", KIT).exit_code == 0
    result = check(plain, "--brand", KIT, "--locale", "es-MX", "--json")
    assert result.exit_code == 3 and failing(result) == {"required_disclaimer"}
    assert any(f["value"] == "Contiene cafeína." for f in findings(result))


def test_without_ocr_text_checks_are_skipped_never_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review, "unavailable", lambda locale: "Tesseract is not installed")
    result = check(hand_made(tmp_path / "en-US.png", disclaimer=None), "--brand", KIT, "--json")
    assert result.exit_code == 0, result.output
    statuses = {f["check"]: f for f in findings(result)}
    for name in ("text_found", "required_disclaimer", "prohibited_words", "prohibited_claims"):
        assert statuses[name]["status"] == "skipped"
        assert "Tesseract is not installed" in statuses[name]["detail"]
    assert not any(f["check"] in ("contrast_measured", "text_height") for f in findings(result))
    assert statuses["logo_present"]["status"] == "pass"  # the pixel checks still run


def assert_one_block_error(result: Result, *expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == "" and "Traceback" not in result.output
    assert result.output.startswith("error: ") and result.output.count("error:") == 1
    for part in expected:
        assert part in result.output.replace("\n", " ")


def test_unusable_inputs_are_one_block_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 64), CREAM).save(good)
    assert_one_block_error(check(good, tmp_path / "nope.png", "--brand", KIT), "file not found")
    notes = tmp_path / "notes.png"
    notes.write_text("not an image, whatever its name says")
    assert_one_block_error(check(notes, "--brand", KIT), "notes.png: not a JPEG, PNG or WebP")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(good.read_bytes()[:60])
    assert_one_block_error(check(truncated, "--brand", KIT), "cut.png")
    assert_one_block_error(check(tmp_path, "--brand", KIT), "without manifest.json")
    assert_one_block_error(check(good, "--brand", tmp_path / "kit.yaml"), "not found")
    bad_kit = tmp_path / "bad-kit.yaml"
    bad_kit.write_text("name: Aurora\nlogo_min_widht_px: 150\n")
    assert_one_block_error(check(good, "--brand", bad_kit), "bad-kit.yaml", "logo_min_widht_px")
    no_logo = tmp_path / "kit.yaml"
    no_logo.write_text("name: Aurora\nlogo: missing-logo.png\n")
    assert_one_block_error(check(good, "--brand", no_logo), "missing-logo.png", "--assets")
    assert_one_block_error(check(good, "--brand", KIT, "--locale", "no way!"), "--locale")
    manifest = tmp_path / "campaign" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text('{"schema_version": 1}')
    assert_one_block_error(check(manifest.parent, "--brand", KIT), "not a manifest")


def test_brand_is_required() -> None:
    result = check("x.png")
    assert result.exit_code == 2 and "--brand" in result.output


def test_as_a_process_an_error_is_a_line_not_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "creative_automation", "check", str(tmp_path / "gone.png"),
         "--brand", str(KIT)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and "gone.png: file not found" in proc.stderr
    assert "Traceback" not in proc.stderr
