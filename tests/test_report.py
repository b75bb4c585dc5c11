"""report.html from a real small campaign: every creative once, grouped, measured, escaped."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from creative_automation.brief import parse_brief
from creative_automation.compliance.findings import Finding
from creative_automation.manifest import (
    ContentCredentialsRecord,
    CreativeRecord,
    LayoutRecord,
    Manifest,
    ReviewRecord,
    Totals,
)
from creative_automation.pipeline import run_campaign
from creative_automation.prompts import template
from creative_automation.providers import build_image_provider
from creative_automation.report import render_report
from creative_automation.settings import Settings
from factories import brief_data, logo, photo

NAME = "Summer <b>Bold</b> & Co"
MESSAGE = "Fresh <b>roast</b> & more"
VOID = {"meta", "img", "br", "hr", "link", "input", "source", "wbr"}
STATUSES = ("pass", "warn", "fail", "skipped")
C2PA = "Content Credentials"


@dataclass
class Figure:
    src: str
    h2: str
    h3: str
    badges: list[str] = field(default_factory=list)  # each badge's classes but "badge"
    labels: list[str] = field(default_factory=list)  # each badge's text
    titles: list[str] = field(default_factory=list)  # each badge's tooltip ("" for none)
    text: str = ""


class ReportParser(HTMLParser):
    """Collects headings, figures (image, section, badges, text) and tag-nesting problems."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.imgs: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self.figures: list[Figure] = []
        self.summary: list[list[str]] = []  # the summary table's rows of cell texts
        self._in_summary = self._in_badge = False
        self._cell: list[str] | None = None
        self.tags_in_h1: list[str] = []
        self.h1 = self.title = ""
        self._text: list[str] | None = None
        self._h2 = self._h3 = ""
        self._figure: Figure | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "h1" in self.stack:
            self.tags_in_h1.append(tag)
        if tag not in VOID:
            self.stack.append(tag)
        if tag in ("h1", "h2", "h3", "title"):
            self._text = []
        elif tag == "figure":
            self._figure = Figure(src="", h2=self._h2, h3=self._h3)
        elif tag == "img":
            self.imgs.append(a.get("src") or "")
            if self._figure is not None:
                self._figure.src = a.get("src") or ""
        classes = (a.get("class") or "").split()
        if self._figure is not None and "badge" in classes:
            self._figure.badges += [c for c in classes if c != "badge"]
            self._figure.labels.append("")
            self._figure.titles.append(a.get("title") or "")
            self._in_badge = True
        if tag == "table" and "summary" in classes:
            self._in_summary = True
        elif self._in_summary and tag == "tr":
            self.summary.append([])
        elif self._in_summary and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()
        if tag == "span":
            self._in_badge = False
        elif tag == "table":
            self._in_summary = False
        elif tag in ("th", "td") and self._cell is not None:
            self.summary[-1].append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None
        if tag in ("h1", "h2", "h3", "title") and self._text is not None:
            text = "".join(self._text).strip()
            if tag == "h1":
                self.h1 = text
            elif tag == "title":
                self.title = text
            else:
                self.headings.append((tag, text))
                if tag == "h2":
                    self._h2, self._h3 = text, ""
                else:
                    self._h3 = text
            self._text = None
        elif tag == "figure" and self._figure is not None:
            self.figures.append(self._figure)
            self._figure = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._figure is not None:
            self._figure.text += data
            if self._in_badge:
                self._figure.labels[-1] += data
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    root = tmp_path_factory.mktemp("report")
    assets = root / "assets"
    assets.mkdir()
    photo().save(assets / "hero.jpg", quality=92)
    logo().save(assets / "logo.png")
    data = brief_data(
        campaign_name=NAME,
        message=MESSAGE,
        formats=["1:1", "9:16"],
        locales={
            "en-US": {"message": MESSAGE, "call_to_action": "Order now"},
            "ja-JP": {"message": "毎朝、挽きたてのコーヒーを。", "call_to_action": "今すぐ注文"},
        },
    )
    out = root / "out"
    result = run_campaign(
        parse_brief(data),
        assets_dir=assets,
        out_dir=out,
        provider=build_image_provider(),
        settings=Settings(output_dir=out, output_format="jpeg", workers=2),
    )
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    html = (result.folder / "report.html").read_text(encoding="utf-8")
    return result.folder, manifest, html


@pytest.fixture(scope="module")
def parsed(campaign: tuple[Path, dict[str, Any], str]) -> ReportParser:
    parser = ReportParser()
    parser.feed(campaign[2])
    parser.close()
    return parser


def test_report_is_well_formed(
    campaign: tuple[Path, dict[str, Any], str], parsed: ReportParser
) -> None:
    html = campaign[2]
    assert html.lower().startswith("<!doctype html>")
    assert parsed.problems == []
    assert parsed.stack == []  # every element closed
    assert parsed.title.startswith(NAME)


def test_every_creative_appears_exactly_once(
    campaign: tuple[Path, dict[str, Any], str], parsed: ReportParser
) -> None:
    folder, manifest, _ = campaign
    paths = [c["path"] for c in manifest["creatives"]]
    assert len(paths) == 2 * 2 * 2
    assert all(paths)
    assert sorted(parsed.imgs) == sorted(paths)  # each exactly once, nothing else
    for src in parsed.imgs:
        assert (folder / src).is_file()  # relative to the report, like the manifest


def test_products_in_brief_order_with_formats_under_them(
    campaign: tuple[Path, dict[str, Any], str], parsed: ReportParser
) -> None:
    assert parsed.headings == [
        ("h2", "Roast Beans"),
        ("h3", "square · 1:1"),
        ("h3", "story · 9:16"),
        ("h2", "Citrus Tonic"),
        ("h3", "square · 1:1"),
        ("h3", "story · 9:16"),
    ]
    names = {"photo-product": "Roast Beans", "made-product": "Citrus Tonic"}
    folders = {"1x1": "square · 1:1", "9x16": "story · 9:16"}
    for fig in parsed.figures:
        product, folder, _ = fig.src.split("/")
        assert (fig.h2, fig.h3) == (names[product], folders[folder])


def test_each_figure_shows_status_and_measured_contrast(
    campaign: tuple[Path, dict[str, Any], str], parsed: ReportParser
) -> None:
    _, manifest, _ = campaign
    figures = {f.src: f for f in parsed.figures}
    assert len(figures) == len(manifest["creatives"])
    for c in manifest["creatives"]:
        fig = figures[c["path"]]
        assert fig.badges[0] == c["status"]  # the creative's own badge comes first
        assert c["locale"] in fig.text
        assert f"{c['width']}×{c['height']}" in fig.text
        contrast = [f for f in c["compliance"] if f["check"] == "contrast"]
        assert len(contrast) == 1
        value = contrast[0]["value"]
        assert isinstance(value, float) and value > 1.0
        assert f"contrast {value} (threshold {contrast[0]['threshold']})" in fig.text
        assert fig.badges[1] == f"c2pa-{credentials_state(c)}"  # then its signature's
        assert fig.badges[2] == "review-pending"  # then its sign-off: nobody has reviewed it
        assert fig.labels[2] == "awaiting review"
        # then one badge per finding: what failed first, then warnings, then the rest
        rank = {"fail": 0, "warn": 1}
        expected = sorted((f["status"] for f in c["compliance"]), key=lambda s: rank.get(s, 2))
        assert fig.badges[3:] == expected


def test_totals_are_shown(campaign: tuple[Path, dict[str, Any], str]) -> None:
    _, manifest, html = campaign
    totals = manifest["totals"]
    assert f"<b>{totals['creatives']}</b> creatives" in html
    assert f"{totals['ok']} ok" in html
    assert (totals["approved"], totals["rejected"]) == (0, 0)
    assert f"{totals['creatives'] - totals['failed']} awaiting review" in html


def test_user_text_is_escaped(
    campaign: tuple[Path, dict[str, Any], str], parsed: ReportParser
) -> None:
    html = campaign[2]
    assert "<b>Bold</b>" not in html and "<b>roast</b>" not in html
    assert "Summer &lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html
    assert parsed.h1 == NAME  # read back as text...
    assert parsed.tags_in_h1 == []  # ...with no markup injected into the heading
    en = [f for f in parsed.figures if f.src.endswith("/en-US.jpg")]
    assert en
    # the message is the image's alt text: escaped inside the attribute
    assert html.count('alt="Fresh &lt;b&gt;roast&lt;/b&gt; &amp; more"') == len(en)


def credentials_state(creative: dict[str, Any]) -> str:
    cc = creative.get("content_credentials")
    if not cc or not cc["signed"]:
        return "unsigned"
    return "development" if cc["development"] else "signed"


def expected_summary(manifest: dict[str, Any]) -> dict[str, list[str]]:
    """The summary table's rows as the manifest says they must read, by row heading."""
    counts: dict[str, Counter[str]] = {}
    for c in manifest["creatives"]:
        for f in c["compliance"]:
            counts.setdefault(f["check"], Counter())[f["status"]] += 1
    rows = {check: [str(n[s]) for s in STATUSES] for check, n in counts.items()}
    states = Counter(credentials_state(c) for c in manifest["creatives"])
    rows[C2PA] = [
        f"{states['signed']} signed {states['development']} development CA "
        f"{states['unsigned']} unsigned"
    ]
    return rows


def test_summary_table_counts_every_check_over_all_creatives(
    campaign: tuple[Path, dict[str, Any], str], parsed: ReportParser
) -> None:
    _, manifest, _ = campaign
    head, *rows = parsed.summary
    assert head == ["check", *STATUSES]
    table = {row[0]: row[1:] for row in rows}
    assert len(table) == len(rows)  # one row per check
    assert table == expected_summary(manifest)
    assert "contrast" in table and rows[-1][0] == C2PA
    assert sum(map(int, table["contrast"])) == len(manifest["creatives"])


def record(locale: str, **changes: Any) -> CreativeRecord:
    fields: dict[str, Any] = {
        "product_id": "photo-product",
        "locale": locale,
        "format": "square",
        "aspect_ratio": "1:1",
        "width": 1080,
        "height": 1080,
        "path": f"photo-product/1x1/{locale}.jpg",
        "source": "generated",
        "provider": "openai",
        "model": "gpt-image-1",
        "seed": 1,
        "cost_usd": 0.04,
        "status": "ok",
        "layout": LayoutRecord(text_box=None, logo_box=None, subject_box=None),
        "fonts": [],
    }
    return CreativeRecord(**(fields | changes))


SIGNED = ContentCredentialsRecord(
    signed=True,
    issuer='Brand Co "signing" <CA>',
    digital_source_type="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
    actions=["c2pa.created", "c2pa.cropped", "c2pa.resized", "c2pa.edited"],
)
DEVELOPMENT = ContentCredentialsRecord(
    signed=True,
    issuer="Creative Automation (development, untrusted)",
    development=True,
    digital_source_type="algorithmicMedia",
    actions=["c2pa.opened", "c2pa.cropped"],
    ingredient="hero.jpg",
)
NOT_SIGNED = ContentCredentialsRecord(signed=False, detail="signing is switched off")
SCRIPT = "<script>alert('x')</script>"
APPROVED = ReviewRecord(
    decision="approved",
    reviewer="Ana <Brand>",
    recorded_by="key ui (cap_Ab3dE6gH)",
    reviewed_at="2026-11-24T09:30:00+00:00",
)
REJECTED = ReviewRecord(
    decision="rejected",
    reviewer="Bo",
    recorded_by="key ui (cap_Ab3dE6gH)",
    reviewed_at="2026-11-24T10:00:00+00:00",
    comment=f"logo too small {SCRIPT}",
)


@pytest.fixture(scope="module")
def synthetic() -> tuple[Manifest, str, ReportParser]:
    """A manifest with every credentials state, findings in every status and every review
    state, with markup in a finding and a review."""
    findings = [
        Finding(check="contrast", status="pass", value=7.1, threshold=4.5),
        Finding(check="legibility", status="skipped", detail="no OCR engine"),
        Finding(check="upscale", status="warn", value=2.4, threshold=2.0, detail="soft"),
        Finding(check="prohibited_words", status="fail", detail=f"found {SCRIPT}"),
    ]
    creatives = [
        record("en-US", content_credentials=SIGNED, compliance=findings[:1], review=APPROVED),
        record(
            "es-MX",
            content_credentials=DEVELOPMENT,
            status="needs_review",
            compliance=findings,
            review=REJECTED,
        ),
        record("fr-FR", content_credentials=NOT_SIGNED, compliance=findings[1:3]),
        record("de-DE", content_credentials=None, compliance=[findings[0]]),
        record("ja-JP", content_credentials=None, status="failed", path=None),
    ]
    manifest = Manifest(
        campaign_id="test-campaign",
        campaign_name="Test",
        created_at="2026-11-23T00:00:00Z",
        output_format="jpeg",
        creatives=creatives,
        totals=Totals(
            creatives=5,
            ok=3,
            needs_review=1,
            failed=1,
            approved=1,
            rejected=1,
            cost_usd=0.2,
            duration_s=1,
        ),
    )
    html = render_report(manifest, parse_brief(brief_data()))
    parser = ReportParser()
    parser.feed(html)
    parser.close()
    return manifest, html, parser


def test_each_credentials_state_has_its_badge_and_tooltip(
    synthetic: tuple[Manifest, str, ReportParser],
) -> None:
    _, _, parsed = synthetic
    assert parsed.problems == [] and parsed.stack == []
    badge = {
        f.src.rsplit("/", 1)[-1]: (f.badges[1], f.labels[1], f.titles[1]) for f in parsed.figures
    }
    state, label, title = badge["en-US.jpg"]
    assert (state, label) == ("c2pa-signed", "C2PA ✓")
    assert 'signed by Brand Co "signing" <CA>' in title  # an attribute, read back as text
    assert "generated by a trained AI model" in title and "cropped" in title
    state, label, title = badge["es-MX.jpg"]
    assert (state, label) == ("c2pa-development", "C2PA dev")
    assert "signed by Creative Automation (development, untrusted)" in title
    assert "not trusted outside this installation" in title
    assert "generated by a program (not a trained model)" in title and "hero.jpg" in title
    state, label, title = badge["fr-FR.jpg"]
    assert (state, label) == ("c2pa-unsigned", "unsigned")
    assert "signing is switched off" in title
    state, label, title = badge["de-DE.jpg"]
    assert (state, label) == ("c2pa-unsigned", "unsigned")
    assert title == "no Content Credentials recorded for this creative"
    not_rendered = [f for f in parsed.figures if not f.src]
    assert len(not_rendered) == 1 and not_rendered[0].badges[:2] == ["failed", "c2pa-unsigned"]


def test_summary_of_a_manifest_with_every_state(
    synthetic: tuple[Manifest, str, ReportParser],
) -> None:
    manifest, _, parsed = synthetic
    table = {row[0]: row[1:] for row in parsed.summary[1:]}
    assert table == expected_summary(json.loads(manifest.model_dump_json()))
    assert table["contrast"] == ["3", "0", "0", "0"]
    assert table["upscale"] == ["0", "2", "0", "0"]
    assert table[C2PA] == ["1 signed 1 development CA 3 unsigned"]


def test_failures_and_warnings_are_listed_first(
    synthetic: tuple[Manifest, str, ReportParser],
) -> None:
    _, _, parsed = synthetic
    es = next(f for f in parsed.figures if f.src.endswith("/es-MX.jpg"))
    assert es.badges == [
        "needs_review",
        "c2pa-development",
        "review-rejected",
        "fail",
        "warn",
        "pass",
        "skipped",
    ]
    assert es.text.index("prohibited_words") < es.text.index("upscale") < es.text.index("contrast")


def test_finding_details_are_escaped(synthetic: tuple[Manifest, str, ReportParser]) -> None:
    _, html, parsed = synthetic
    assert "<script" not in html.lower()
    assert "found &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    es = next(f for f in parsed.figures if f.src.endswith("/es-MX.jpg"))
    assert f"found {SCRIPT}" in es.text  # shown as the text it is


def test_each_figure_shows_its_review_state(synthetic: tuple[Manifest, str, ReportParser]) -> None:
    _, html, parsed = synthetic
    figures = {f.src.rsplit("/", 1)[-1]: f for f in parsed.figures if f.src}
    en, es = figures["en-US.jpg"], figures["es-MX.jpg"]
    assert (en.badges[2], en.labels[2]) == ("review-approved", "approved")
    assert "approved by Ana <Brand> · 2026-11-24T09:30:00+00:00" in en.text  # escaped, read back
    assert "key ui (cap_Ab3dE6gH)" in en.text
    assert (es.badges[2], es.labels[2]) == ("review-rejected", "rejected")
    assert "rejected by Bo · 2026-11-24T10:00:00+00:00" in es.text
    assert f"logo too small {SCRIPT}" in es.text
    assert "logo too small &lt;script&gt;" in html and "Ana &lt;Brand&gt;" in html
    for name in ("fr-FR.jpg", "de-DE.jpg"):
        fig = figures[name]
        assert (fig.badges[2], fig.labels[2]) == ("review-pending", "awaiting review")
        assert "approved by" not in fig.text and "rejected by" not in fig.text
    (failed,) = [f for f in parsed.figures if not f.src]
    assert failed.badges == ["failed", "c2pa-unsigned"]  # nothing to review: no sign-off badge


def test_totals_count_the_sign_off(synthetic: tuple[Manifest, str, ReportParser]) -> None:
    manifest, html, _ = synthetic
    assert manifest.totals.awaiting_review == 2  # 5 creatives, 1 failed, 1 approved, 1 rejected
    assert '<span class="badge review-approved">1 approved</span>' in html
    assert '<span class="badge review-rejected">1 rejected</span>' in html
    assert '<span class="badge review-pending">2 awaiting review</span>' in html


def test_review_badges_are_styled() -> None:
    css = template("report.css")
    for state in ("approved", "rejected", "pending"):
        assert f".review-{state} {{" in css
