"""The configured chain end to end: settings → chain → campaign, against a fake OpenAI API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pytest_httpserver import HTTPServer

from creative_automation.brief import parse_brief
from creative_automation.errors import ConfigError
from creative_automation.pipeline import run_campaign
from creative_automation.providers.setup import provider_names
from creative_automation.settings import Settings
from factories import brief_data, studio_png_b64


def settings(tmp_path: Path, **kw: Any) -> Settings:
    kw.setdefault("alt_text", "brief")  # these tests count image calls only
    return Settings(data_dir=tmp_path / "data", output_format="png", workers=1, **kw)


def test_default_order_is_every_provider_with_credentials_then_procedural(tmp_path: Path) -> None:
    assert provider_names(settings(tmp_path)) == ["procedural"]
    with_keys = settings(tmp_path, OPENAI_API_KEY="sk-a", STABILITY_API_KEY="sk-b")
    assert provider_names(with_keys) == ["openai", "stability", "procedural"]


def test_named_provider_without_credentials_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="stability needs STABILITY_API_KEY"):
        provider_names(settings(tmp_path, image_providers="stability"))
    with pytest.raises(ConfigError, match="unknown provider"):
        provider_names(settings(tmp_path, image_providers="midjourney"))


def campaign_brief(**changes: Any) -> dict[str, Any]:
    return brief_data(
        formats=["1:1"],
        locales={"en-US": {"message": "Fresh every morning", "call_to_action": "Order"}},
        products=[{"id": "tonic", "name": "Citrus Tonic", "description": "a can"}],
        **changes,
    )


def test_campaign_through_openai_then_from_cache(
    httpserver_ipv4: HTTPServer, tmp_path: Path, assets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", httpserver_ipv4.url_for("/v1"))
    body = {"created": 1, "data": [{"b64_json": studio_png_b64()}]}
    httpserver_ipv4.expect_request("/v1/images/generations").respond_with_json(body)
    s = settings(tmp_path, OPENAI_API_KEY="sk-e2e-secret", quality_threshold=None)
    first = run_campaign(
        parse_brief(campaign_brief()), assets_dir=assets, out_dir=tmp_path / "o", settings=s
    )
    rec = first.manifest.creatives[0]
    assert (rec.source, rec.provider, rec.model) == ("generated", "openai", "gpt-image-1")
    assert rec.cost_usd == pytest.approx(0.042) and not rec.cached
    assert [c.provider for c in first.manifest.provider_calls] == ["openai/gpt-image-1"]
    assert first.manifest.prices_read_on == "2026-11-23"
    second = run_campaign(
        parse_brief(campaign_brief()), assets_dir=assets, out_dir=tmp_path / "o", settings=s
    )
    assert len(httpserver_ipv4.log) == 1, "the second run made no provider call"
    assert second.manifest.creatives[0].cached and second.manifest.totals.cost_usd == 0.0
    manifest_text = (second.folder / "manifest.json").read_text()
    assert "sk-e2e-secret" not in manifest_text
    with Image.open(second.folder / str(second.manifest.creatives[0].path)) as im:
        assert im.size == (1080, 1080)


def test_zero_budget_means_no_paid_call(
    httpserver_ipv4: HTTPServer, tmp_path: Path, assets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", httpserver_ipv4.url_for("/v1"))
    s = settings(tmp_path, OPENAI_API_KEY="sk-x")
    result = run_campaign(
        parse_brief(campaign_brief(budget_usd=0)),
        assets_dir=assets,
        out_dir=tmp_path / "o",
        settings=s,
    )
    rec = result.manifest.creatives[0]
    assert rec.provider == "procedural" and any("budget" in f for f in rec.fallbacks)
    assert len(httpserver_ipv4.log) == 0 and result.manifest.budget_usd == 0
