"""report.html from a real small campaign: every creative once, grouped, measured, escaped."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from creative_automation.brief import parse_brief
from creative_automation.pipeline import run_campaign
from creative_automation.providers import build_image_provider
from creative_automation.settings import Settings
from factories import brief_data, logo, photo

NAME = "Summer <b>Bold</b> & Co"
MESSAGE = "Fresh <b>roast</b> & more"
VOID = {"meta", "img", "br", "hr", "link", "input", "source", "wbr"}


@dataclass
class Figure:
    src: str
    h2: str
    h3: str
    badges: list[str] = field(default_factory=list)
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

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()
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
        # one badge per finding after the creative's own
        assert fig.badges[1:] == [f["status"] for f in c["compliance"]]


def test_totals_are_shown(campaign: tuple[Path, dict[str, Any], str]) -> None:
    _, manifest, html = campaign
    totals = manifest["totals"]
    assert f"<b>{totals['creatives']}</b> creatives" in html
    assert f"{totals['ok']} ok" in html


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
