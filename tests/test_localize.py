"""Copy a brief leaves out: translated by the text provider (marked so), or a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from creative_automation.brief import parse_brief
from creative_automation.errors import BriefError
from creative_automation.localize import fill_missing_copy
from creative_automation.pipeline import run_campaign
from creative_automation.providers import build_image_provider
from creative_automation.settings import Settings
from factories import brief_data


def brief_with_gaps() -> dict[str, object]:
    return brief_data(
        formats=["1:1"],
        products=brief_data()["products"][1:],
        locales={
            "en-US": {},  # same language as the brief: the base copy, nothing to translate
            "es-MX": {},  # message and CTA to translate
            "de-DE": {"message": "Frisch geröstet, jeden Morgen"},  # only the CTA
        },
    )


class Echo:
    """A text provider that 'translates' by tagging the text with the target locale."""

    name = "echo"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def translate(
        self, text: str, *, source_locale: str, target_locale: str, context: str = ""
    ) -> str:
        self.calls.append((text, target_locale))
        return f"[{target_locale}] {text}"

    async def alt_text(self, *, product: str, message: str, locale: str) -> str:
        return f"{product}: {message}"


def test_missing_copy_is_listed() -> None:
    brief = parse_brief(brief_with_gaps())
    assert [p for p, _, _ in brief.missing_copy()] == [
        "locales.es-MX.message",
        "locales.es-MX.call_to_action",
        "locales.de-DE.call_to_action",
    ]


def test_without_a_text_provider_it_is_a_clear_error() -> None:
    with pytest.raises(BriefError) as info:
        fill_missing_copy(parse_brief(brief_with_gaps()), None)
    text = str(info.value)
    assert "locales.es-MX.message: missing, and no text provider" in text
    assert "locales.de-DE.call_to_action" in text and "OPENAI_API_KEY" in text


def test_filled_by_the_text_provider_and_marked() -> None:
    echo = Echo()
    brief, translated = fill_missing_copy(parse_brief(brief_with_gaps()), echo)
    assert translated == {"es-MX", "de-DE"}
    assert brief.copy_for("es-MX").message == "[es-MX] Fresh roast, delivered every morning"
    assert brief.copy_for("de-DE").call_to_action == "[de-DE] Order now"
    assert brief.copy_for("de-DE").message == "Frisch geröstet, jeden Morgen"  # given: kept
    assert brief.copy_for("en-US").message == "Fresh roast, delivered every morning"
    assert len(echo.calls) == 3


def test_campaign_through_the_openai_text_provider(
    httpserver_ipv4: HTTPServer, tmp_path: Path, assets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", httpserver_ipv4.url_for("/v1"))
    answer = {
        "id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "Tostado fresco"}}],
    }  # fmt: skip
    httpserver_ipv4.expect_request("/v1/chat/completions").respond_with_json(answer)
    data = brief_with_gaps()
    data["locales"] = {"es-MX": {}}
    settings = Settings(
        data_dir=tmp_path / "d", output_format="png", workers=1, OPENAI_API_KEY="sk-t"
    )
    result = run_campaign(
        parse_brief(data), assets_dir=assets, out_dir=tmp_path / "o", settings=settings,
        provider=build_image_provider(),
    )  # fmt: skip
    rec = result.manifest.creatives[0]
    assert rec.machine_translated and rec.message == "Tostado fresco"
    assert rec.call_to_action == "Tostado fresco"
    assert rec.alt_text == "Tostado fresco" and rec.alt_text_by == "openai"
    assert len(httpserver_ipv4.log) == 3  # the message, the CTA and the alt text


def test_alt_text_from_the_brief_without_a_provider_and_when_it_fails() -> None:
    from creative_automation.errors import ProviderUnavailable
    from creative_automation.localize import alt_texts

    brief = parse_brief(brief_data())
    texts, by = alt_texts(brief, None)
    assert by == "brief" and texts[("made-product", "ja-JP")].startswith("Citrus Tonic: ")

    class Down(Echo):
        async def alt_text(self, *, product: str, message: str, locale: str) -> str:
            raise ProviderUnavailable("503", status=503)

    texts, by = alt_texts(brief, Down())
    assert by.startswith("brief (echo failed") and len(texts) == 2 * 3
    texts, by = alt_texts(brief, Echo())
    assert by == "echo" and texts[("photo-product", "en-US")].startswith("Roast Beans: ")
