"""OpenAI providers against a fake OpenAI API on 127.0.0.1: requests, results, error mapping."""

from __future__ import annotations

import asyncio
import json
import time
import traceback
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from fake_openai import (
    CHAT,
    IMAGES,
    chat_completion,
    keepalive_chat_server,
    png_b64,
    requests_to,
    serve_chat,
    serve_error,
    serve_images,
    serve_raw,
    serve_slow,
)
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from creative_automation.errors import (
    ConfigError,
    ContentRejected,
    ProviderError,
    ProviderFailed,
    ProviderUnavailable,
)
from creative_automation.providers.base import GenerationRequest
from creative_automation.providers.http import retry_after
from creative_automation.providers.openai import OpenAIImageProvider, native_size
from creative_automation.providers.openai_text import OpenAITextProvider, unquote

KEY_TEXT = "sk-proj-FAKEkey0123456789abcdefSECRET"
KEY = SecretStr(KEY_TEXT)


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK reads these itself; a developer's shell must not steer the tests.
    for name in ("OPENAI_BASE_URL", "OPENAI_CUSTOM_HEADERS", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server(httpserver_ipv4: HTTPServer) -> HTTPServer:
    return httpserver_ipv4  # bound to 127.0.0.1 explicitly, never "localhost"


def image_provider(server: HTTPServer, **kwargs: Any) -> OpenAIImageProvider:
    return OpenAIImageProvider(KEY, base_url=server.url_for("/v1"), **kwargs)


def text_provider(server: HTTPServer) -> OpenAITextProvider:
    return OpenAITextProvider(KEY, base_url=server.url_for("/v1"))


def request(width: int = 1080, height: int = 1080) -> GenerationRequest:
    return GenerationRequest(
        product_id="p1",
        product_name="Citrus Sparkling Water",
        description="lime and yuzu",
        prompt="a can of citrus sparkling water on a marble counter, no text",
        palette=("#0B3D2E",),
        width=width,
        height=height,
        seed=7,
    )


def fails(coro: Coroutine[Any, Any, object], kind: type[ProviderError]) -> ProviderError:
    """Run coro, expect `kind`, and check the key appears nowhere in the error or its traceback."""
    with pytest.raises(kind) as info:
        asyncio.run(coro)
    error = info.value
    printed = "".join(traceback.format_exception(error))
    for text in (str(error), repr(error), printed):
        assert KEY_TEXT not in text
        assert "FAKEkey" not in text
    return error


def wait_for_log(server: HTTPServer, seconds: float = 3.0) -> int:
    """Entries in the server's log once a slow handler has finished (it logs when done), so
    that it cannot leak into the next test's log."""
    deadline = time.monotonic() + seconds
    while not server.log and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)  # a second request, were there one, would arrive right after
    return len(server.log)


# --- images: success ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "size", "cost"),
    [(1080, 1080, "1024x1024", 0.042), (1920, 1080, "1536x1024", 0.063),
     (1080, 1920, "1024x1536", 0.063)],
)  # fmt: skip
def test_gpt_image_success(
    server: HTTPServer, width: int, height: int, size: str, cost: float
) -> None:
    serve_images(server)
    result = asyncio.run(image_provider(server).generate(request(width, height)))

    (sent,) = server.log
    assert sent[0].path == IMAGES and sent[0].method == "POST"
    assert sent[0].headers["Authorization"] == f"Bearer {KEY_TEXT}"
    body = json.loads(sent[0].get_data())
    assert body["model"] == "gpt-image-1"
    assert body["prompt"] == request().prompt
    assert (body["size"], body["quality"], body["n"]) == (size, "medium", 1)
    # JPEG creatives (the default) get JPEG sources: a fifth of PNG's bytes, visually lossless
    assert (body["output_format"], body["output_compression"]) == ("jpeg", 95)
    assert "response_format" not in body  # GPT image models reject it
    assert result.encoded is not None and result.encoded[:3] == b"\xff\xd8\xff"  # the JPEG
    assert result.image.mode == "RGB"
    assert result.image.size == tuple(int(s) for s in size.split("x"))
    assert result.cost_usd == pytest.approx(cost)
    assert (result.provider, result.model, result.seed) == ("openai", "gpt-image-1", 7)
    assert result.subject_box is None and result.prompt == request().prompt
    assert 0 < result.latency_s < 30


def test_lossless_creatives_get_png_sources(server: HTTPServer) -> None:
    serve_images(server)
    result = asyncio.run(image_provider(server, source_format="png").generate(request()))
    body = json.loads(server.log[0][0].get_data())
    assert body["output_format"] == "png" and "output_compression" not in body
    assert result.encoded is not None and result.encoded[:8] == b"\x89PNG\r\n\x1a\n"


def test_dalle3_landscape_asks_for_base64_at_its_own_sizes(server: HTTPServer) -> None:
    serve_images(server)
    provider = image_provider(server, model="dall-e-3")  # quality "medium" → dall-e's "standard"
    result = asyncio.run(provider.generate(request(1920, 1080)))

    body = json.loads(server.log[0][0].get_data())
    assert body["response_format"] == "b64_json"
    assert (body["model"], body["size"], body["quality"]) == ("dall-e-3", "1792x1024", "standard")
    assert "output_format" not in body and "background" not in body  # GPT-image-only fields
    assert result.image.size == (1792, 1024)
    assert result.cost_usd == pytest.approx(0.08)


def test_dalle3_hd_quality_is_priced_as_hd(server: HTTPServer) -> None:
    serve_images(server)
    result = asyncio.run(
        image_provider(server, model="dall-e-3", quality="high").generate(request())
    )
    assert json.loads(server.log[0][0].get_data())["quality"] == "hd"
    assert result.cost_usd == pytest.approx(0.08)


@pytest.mark.parametrize(
    ("width", "height", "family", "size"),
    [(1080, 1080, "gpt-image", "1024x1024"), (1080, 1350, "gpt-image", "1024x1536"),
     (1200, 628, "gpt-image", "1536x1024"), (1080, 1920, "dall-e-3", "1024x1792"),
     (1100, 1000, "dall-e-3", "1024x1024"), (1920, 1080, "dall-e-3", "1792x1024")],
)  # fmt: skip
def test_native_size_nearest_aspect_ratio(width: int, height: int, family: str, size: str) -> None:
    assert native_size(width, height, family) == size


@pytest.mark.parametrize("close", [True, False])
def test_one_provider_serves_successive_event_loops(close: bool) -> None:
    # The CLI and workers run campaigns in successive asyncio.run() calls. A pooled connection
    # belongs to the loop that opened it; reusing it from the next loop fails with
    # "Event loop is closed", so each loop gets its own client, reused within that loop.
    with keepalive_chat_server("Hallo") as (url, ports):
        provider = OpenAITextProvider(KEY, base_url=url)

        async def twice() -> list[str]:
            first = await provider.translate("Hi", source_locale="en", target_locale="de")
            second = await provider.translate("Hi", source_locale="en", target_locale="de")
            if close:
                await provider.aclose()
            return [first, second]

        for _ in range(3):
            assert asyncio.run(twice()) == ["Hallo", "Hallo"]
    assert len(ports) == 6
    assert [ports[i] == ports[i + 1] for i in (0, 2, 4)] == [True] * 3  # reused within a loop
    assert len(set(ports)) == 3  # a new connection per loop


def test_base_url_none_lets_the_sdk_read_openai_base_url(
    server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_images(server)
    monkeypatch.setenv("OPENAI_BASE_URL", server.url_for("/v1"))
    asyncio.run(OpenAIImageProvider(KEY).generate(request()))
    assert len(requests_to(server, IMAGES)) == 1


def test_concurrent_generations(server: HTTPServer) -> None:
    serve_images(server)
    provider = image_provider(server)

    async def three() -> list[tuple[int, int]]:
        results = await asyncio.gather(*(provider.generate(request()) for _ in range(3)))
        return [r.image.size for r in results]

    assert asyncio.run(three()) == [(1024, 1024)] * 3


# --- images: errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "type_"),
    [("content_policy_violation", "invalid_request_error"),
     ("moderation_blocked", "image_generation_user_error")],
)  # fmt: skip
def test_content_policy_is_final(server: HTTPServer, code: str, type_: str) -> None:
    message = "Your request was rejected by the safety system. safety_violations=[violence]"
    serve_error(server, 400, code=code, type_=type_, message=message)
    error = fails(image_provider(server).generate(request()), ContentRejected)
    assert "refused the prompt" in str(error)
    assert request().prompt not in str(error)
    assert len(server.log) == 1


def test_401_names_the_key_problem_but_never_the_key(server: HTTPServer) -> None:
    # The real API quotes the offending key in its message; it must not reach our error.
    message = f"Incorrect API key provided: {KEY_TEXT}. You can find your API key at ..."
    serve_error(server, 401, code="invalid_api_key", message=message)
    error = fails(image_provider(server).generate(request()), ProviderFailed)
    assert "rejected the API key" in str(error)
    assert isinstance(error, ProviderFailed) and error.status == 401


def test_403_is_permanent_and_scrubbed(server: HTTPServer) -> None:
    message = f"Project with key {KEY_TEXT[:10]}***{KEY_TEXT[-4:]} must be verified for gpt-image-1"
    serve_error(server, 403, type_="permission_error", message=message)
    error = fails(image_provider(server).generate(request()), ProviderFailed)
    assert isinstance(error, ProviderFailed) and error.status == 403
    assert "must be verified" in str(error) and KEY_TEXT[:10] not in str(error)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [({"retry-after": "7"}, 7.0), ({"retry-after-ms": "1500"}, 1.5),
     ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5), ({}, None)],
)  # fmt: skip
def test_rate_limit_is_transient_with_the_servers_wait(
    server: HTTPServer, headers: dict[str, str], wait: float | None
) -> None:
    serve_error(
        server, 429, code="rate_limit_exceeded", type_="requests", headers=headers,
        message="Rate limit reached for images per minute (ipm): Limit 5, Used 5, Requested 1.",
    )  # fmt: skip
    error = fails(image_provider(server).generate(request()), ProviderUnavailable)
    assert isinstance(error, ProviderUnavailable)
    assert (error.retry_after, error.status) == (wait, 429)
    assert len(server.log) == 1  # the SDK's own retries are off


def test_insufficient_quota_is_permanent(server: HTTPServer) -> None:
    serve_error(
        server, 429, code="insufficient_quota", type_="insufficient_quota",
        message="You exceeded your current quota, please check your plan and billing details.",
    )  # fmt: skip
    error = fails(image_provider(server).generate(request()), ProviderFailed)
    assert isinstance(error, ProviderFailed) and error.status == 429
    assert len(server.log) == 1


@pytest.mark.parametrize("status", [408, 409, 500, 502, 503])
def test_server_errors_are_transient_and_sent_once(server: HTTPServer, status: int) -> None:
    serve_error(server, status, type_="server_error", headers={"retry-after": "3"})
    error = fails(image_provider(server).generate(request()), ProviderUnavailable)
    assert isinstance(error, ProviderUnavailable)
    assert (error.status, error.retry_after) == (status, 3.0)
    assert len(server.log) == 1


@pytest.mark.parametrize(("status", "code"), [(400, "invalid_value"), (404, None), (422, None)])
def test_bad_requests_are_permanent(server: HTTPServer, status: int, code: str | None) -> None:
    serve_error(server, status, code=code, message="Invalid value: 'banana'.")
    error = fails(image_provider(server).generate(request()), ProviderFailed)
    assert isinstance(error, ProviderFailed) and error.status == status
    assert "Invalid value: 'banana'." in str(error)  # the server's reason, for the operator


def test_timeout_is_transient(server: HTTPServer) -> None:
    serve_slow(server, 1.0)
    error = fails(image_provider(server, timeout_s=0.5).generate(request()), ProviderUnavailable)
    assert "timeout" in str(error)
    assert wait_for_log(server) == 1  # exactly one request, no SDK retry


def test_unreachable_server_is_transient(server: HTTPServer) -> None:
    provider = OpenAIImageProvider(KEY, base_url="http://127.0.0.1:9/v1", timeout_s=2)
    fails(provider.generate(request()), ProviderUnavailable)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("this is not json", "application/json"),
     ("<html>Bad gateway</html>", "text/html"),
     (json.dumps({"created": 1, "data": []}), "application/json"),
     (json.dumps({"created": 1}), "application/json"),
     (json.dumps({"created": 1, "data": "oops"}), "application/json"),
     (json.dumps({"created": 1, "data": [{"b64_json": "aGVsbG8gd29ybGQ="}]}), "application/json"),
     (json.dumps({"created": 1, "data": [{"b64_json": "%%% not base64"}]}), "application/json"),
     (json.dumps({"created": 1, "data": [{"b64_json": png_b64(64, 64)[:200]}]}),
      "application/json"),
     (json.dumps({"created": 1, "data": [{"url": "https://example.invalid/a.png"}]}),
      "application/json")],
    ids=["not-json", "html", "empty-data", "no-data", "data-not-list", "not-an-image",
         "not-base64", "truncated-png", "url-only"],
)  # fmt: skip
def test_malformed_bodies_are_transient(server: HTTPServer, body: str, content_type: str) -> None:
    serve_raw(server, body, content_type)
    error = fails(image_provider(server).generate(request()), ProviderUnavailable)
    assert "malformed response" in str(error)
    assert len(server.log) == 1


# --- configuration and secrets --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [({"model": "dall-e-2"}, "not supported"), ({"model": "stable-diffusion"}, "not supported"),
     ({"model": "gpt-image-9"}, "no price"), ({"quality": "auto"}, "no price"),
     ({"model": "dall-e-3", "quality": "ultra"}, "no price")],
)  # fmt: skip
def test_unusable_configuration_fails_at_construction(kwargs: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        OpenAIImageProvider(KEY, **kwargs)


def test_empty_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIImageProvider(SecretStr(" "))


def test_providers_never_show_the_key(server: HTTPServer) -> None:
    serve_images(server)
    image, text = image_provider(server), text_provider(server)
    asyncio.run(image.generate(request()))  # the SDK client now exists too
    for provider in (image, text):
        assert KEY_TEXT not in str(provider) and KEY_TEXT not in repr(provider)
        assert provider.name == "openai"


# --- text -----------------------------------------------------------------------------------


def test_translate_sends_the_copy_and_returns_it_unquoted(server: HTTPServer) -> None:
    serve_chat(server, chat_completion('  "¡Refréscate con Citrus!"\n'))
    out = asyncio.run(
        text_provider(server).translate(
            "Stay fresh with Citrus!", source_locale="en-US", target_locale="es-MX",
            context="summer launch of Citrus Sparkling Water",
        )
    )  # fmt: skip
    assert out == "¡Refréscate con Citrus!"
    (sent,) = requests_to(server, CHAT)
    assert sent.headers["Authorization"] == f"Bearer {KEY_TEXT}"
    body = json.loads(sent.get_data())
    assert body["model"] == "gpt-4.1-mini" and body["temperature"] == 0
    system, user = body["messages"]
    assert system["role"] == "system" and user == {
        "role": "user",
        "content": "Stay fresh with Citrus!",
    }
    assert "en-US" in system["content"] and "es-MX" in system["content"]
    assert "summer launch" in system["content"] and "brand" in system["content"]


def test_alt_text(server: HTTPServer) -> None:
    serve_chat(server, chat_completion("Lata de Citrus Sparkling Water con el texto ¡Refréscate!"))
    out = asyncio.run(
        text_provider(server).alt_text(
            product="Citrus Sparkling Water", message="¡Refréscate!", locale="es-MX"
        )
    )
    assert out.startswith("Lata de Citrus")
    body = json.loads(requests_to(server, CHAT)[0].get_data())
    assert "es-MX" in body["messages"][0]["content"]
    assert "Citrus Sparkling Water" in body["messages"][1]["content"]


@pytest.mark.parametrize(
    ("completion", "kind"),
    [(chat_completion(None, refusal="I can't help with that."), ContentRejected),
     (chat_completion(None, finish_reason="content_filter"), ContentRejected),
     (chat_completion('""'), ProviderUnavailable),
     (chat_completion("   "), ProviderUnavailable),
     (chat_completion("¡Refrés", finish_reason="length"), ProviderFailed),
     ({"id": "x", "object": "chat.completion", "choices": []}, ProviderUnavailable)],
    ids=["refusal", "content-filter", "only-quotes", "blank", "cut-off", "no-choices"],
)  # fmt: skip
def test_text_answers_that_are_not_usable(
    server: HTTPServer, completion: dict, kind: type[ProviderError]
) -> None:
    serve_chat(server, completion)
    translate = text_provider(server).translate("Hi", source_locale="en", target_locale="de")
    fails(translate, kind)


@pytest.mark.parametrize(
    ("status", "code", "headers", "kind"),
    [(401, "invalid_api_key", {}, ProviderFailed),
     (429, "rate_limit_exceeded", {"retry-after-ms": "250"}, ProviderUnavailable),
     (429, "insufficient_quota", {}, ProviderFailed),
     (503, None, {}, ProviderUnavailable), (400, "invalid_value", {}, ProviderFailed)],
)  # fmt: skip
def test_text_errors_translate_like_image_errors(
    server: HTTPServer, status: int, code: str | None, headers: dict[str, str],
    kind: type[ProviderError],
) -> None:  # fmt: skip
    serve_error(server, status, code=code, headers=headers, path=CHAT,
                message=f"Incorrect API key provided: {KEY_TEXT}")  # fmt: skip
    alt = text_provider(server).alt_text(product="Citrus", message="Hi", locale="de-DE")
    error = fails(alt, kind)
    assert getattr(error, "status", None) == status
    if headers:
        assert isinstance(error, ProviderUnavailable) and error.retry_after == 0.25
    assert len(server.log) == 1


def test_text_timeout(server: HTTPServer) -> None:
    serve_slow(server, 1.0, path=CHAT)
    provider = OpenAITextProvider(KEY, base_url=server.url_for("/v1"), timeout_s=0.5)
    fails(provider.translate("Hi", source_locale="en", target_locale="fr"), ProviderUnavailable)
    assert wait_for_log(server) == 1


# --- small parts ----------------------------------------------------------------------------


def test_retry_after() -> None:
    assert retry_after({"retry-after": "2.5"}) == 2.5
    assert retry_after({"retry-after-ms": "40"}) == pytest.approx(0.04)
    assert retry_after({"retry-after-ms": "soon", "retry-after": "4"}) == 4.0
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({"retry-after": "-3"}) == 0.0
    assert retry_after({}) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (retry_after({"retry-after": later}) or 0) <= 30
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert retry_after({"retry-after": earlier}) == 0.0


@pytest.mark.parametrize(
    ("raw", "clean"),
    [('"Hola"', "Hola"), ("«Bonjour»", "Bonjour"), ("「こんにちは」", "こんにちは"),
     ("  'Hallo'  \n", "Hallo"), ('"\'Ciao\'"', "Ciao"), ('Say "hi" now', 'Say "hi" now'),
     ("Citrus’", "Citrus’")],
)  # fmt: skip
def test_unquote(raw: str, clean: str) -> None:
    assert unquote(raw) == clean
