"""Stability v2beta client against a real local HTTP server speaking the documented contract."""

from __future__ import annotations

import asyncio
import io
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from PIL import Image
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from creative_automation.errors import (
    ConfigError,
    ContentRejected,
    ProviderFailed,
    ProviderUnavailable,
)
from creative_automation.prompts import negative_prompt
from creative_automation.providers import GenerationRequest, GenerationResult
from creative_automation.providers.prices import price
from creative_automation.providers.stability import StabilityImageProvider, aspect_ratio_for
from factories import generation_request

KEY = "sk-test-0123456789abcdef"
CORE = "/v2beta/stable-image/generate/core"
RED = (200, 30, 40)


def png(width: int = 72, height: int = 72, colour: tuple[int, int, int] = RED) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def request(**overrides: Any) -> GenerationRequest:
    result: GenerationRequest = generation_request(**overrides)
    return result


def provider(server: HTTPServer, **kwargs: Any) -> StabilityImageProvider:
    kwargs.setdefault("timeout_s", 5.0)
    return StabilityImageProvider(SecretStr(KEY), base_url=server.url_for("/"), **kwargs)


def run(client: StabilityImageProvider, req: GenerationRequest | None = None) -> GenerationResult:
    async def go() -> GenerationResult:
        try:
            return await client.generate(req or request())
        finally:
            await client.aclose()

    return asyncio.run(go())


def error_body(name: str, *errors: str) -> dict[str, Any]:
    return {"id": "4d9f4d0e-1b7a-4c7e-9d55-1f0c2b1d9a11", "name": name, "errors": list(errors)}


def image_reply(server: HTTPServer, path: str = CORE, **headers: str) -> None:
    server.expect_request(path, method="POST").respond_with_data(
        png(), content_type="image/png", headers={"finish-reason": "SUCCESS", **headers}
    )


def assert_no_secret(error: Exception, client: StabilityImageProvider) -> None:
    for text in (str(error), repr(error), repr(client), str(error.__cause__ or "")):
        assert KEY not in text


@pytest.mark.parametrize(
    ("width", "height", "ratio"), [(270, 480, "9:16"), (480, 270, "16:9"), (96, 96, "1:1")]
)
def test_success_sends_the_documented_multipart_form(
    httpserver: HTTPServer, width: int, height: int, ratio: str
) -> None:
    image_reply(httpserver, seed="987654")
    result = run(provider(httpserver), request(width=width, height=height))

    assert len(httpserver.log) == 1
    sent = httpserver.log[0][0]
    assert (sent.method, sent.path) == ("POST", CORE)
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["accept"] == "image/*"
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert sent.form.to_dict() == {
        "prompt": "a can of sparkling water on a marble counter",
        "negative_prompt": negative_prompt(),
        "aspect_ratio": ratio,
        "seed": "42",
        "output_format": "jpeg",  # JPEG creatives (the default) get JPEG sources
    }
    assert not sent.files  # plain fields only, no stray file part
    lossless = provider(httpserver, source_format="png").form_fields(request())
    assert lossless["output_format"] == "png"

    assert result.image.mode == "RGB"
    assert result.image.size == (width, height)  # GenerationResult: exactly the request's size
    assert result.image.getpixel((width // 2, height // 2)) == RED
    assert result.provider == "stability"
    assert result.model == "core"
    assert result.seed == 987654  # the seed the service reports, not the one sent
    assert result.cost_usd == price("stability", "core")
    assert result.subject_box is None
    assert result.prompt == request().prompt
    assert result.latency_s > 0


def test_sd3_models_use_the_sd3_endpoint_with_a_model_field(httpserver: HTTPServer) -> None:
    image_reply(httpserver, "/v2beta/stable-image/generate/sd3")
    result = run(provider(httpserver, model="sd3.5-large"))
    form = httpserver.log[0][0].form
    assert form["model"] == "sd3.5-large"
    assert form["negative_prompt"] == negative_prompt()
    assert result.cost_usd == price("stability", "sd3.5-large") == 0.065


def test_turbo_models_get_no_negative_prompt(httpserver: HTTPServer) -> None:
    image_reply(httpserver, "/v2beta/stable-image/generate/sd3")
    run(provider(httpserver, model="sd3.5-large-turbo"))
    assert "negative_prompt" not in httpserver.log[0][0].form


def test_ultra_has_its_own_endpoint(httpserver: HTTPServer) -> None:
    image_reply(httpserver, "/v2beta/stable-image/generate/ultra")
    assert run(provider(httpserver, model="ultra")).cost_usd == price("stability", "ultra")
    assert "model" not in httpserver.log[0][0].form


def test_seed_is_folded_into_range_and_reported_when_the_header_is_missing(
    httpserver: HTTPServer,
) -> None:
    image_reply(httpserver)
    result = run(provider(httpserver), request(seed=4_294_967_295 + 7))
    assert httpserver.log[0][0].form["seed"] == "7"
    assert result.seed == 7


@pytest.mark.parametrize(
    ("width", "height", "ratio"),
    [(1200, 628, "16:9"), (1080, 1350, "4:5"), (2560, 1080, "21:9"), (1080, 1920, "9:16")],
)
def test_nearest_documented_aspect_ratio(width: int, height: int, ratio: str) -> None:
    assert aspect_ratio_for(width, height) == ratio


def test_unknown_or_unpriced_models_are_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="dalle"):
        StabilityImageProvider(SecretStr(KEY), model="dalle")
    with pytest.raises(ConfigError, match="price"):
        StabilityImageProvider(SecretStr(KEY), model="sd3-large")


def test_a_packshot_is_refused_without_a_call(httpserver: HTTPServer) -> None:
    with pytest.raises(ProviderFailed, match="packshot"):
        run(provider(httpserver), request(packshot=Image.new("RGBA", (8, 8))))
    assert httpserver.log == []


def test_403_content_moderation_is_content_rejected(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CORE, method="POST").respond_with_json(
        error_body("content_moderation", "Your request was flagged by our content moderation"),
        status=403,
    )
    with pytest.raises(ContentRejected, match="flagged"):
        run(provider(httpserver))
    assert len(httpserver.log) == 1


def test_content_filtered_output_is_content_rejected(httpserver: HTTPServer) -> None:
    image_reply(httpserver, **{"finish-reason": "CONTENT_FILTERED"})
    with pytest.raises(ContentRejected, match="blurred"):
        run(provider(httpserver))


def test_401_is_a_permanent_failure_that_never_shows_the_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CORE, method="POST").respond_with_json(
        error_body("unauthorized", f"authorization: bad key {KEY}", "check your API key"),
        status=401,
    )
    client = provider(httpserver)
    with pytest.raises(ProviderFailed) as info:
        run(client)
    assert info.value.status == 401
    assert "unauthorized" in str(info.value)
    assert "check your API key" in str(info.value)
    assert "[redacted]" in str(info.value)  # the server echoed the key; we did not
    assert_no_secret(info.value, client)
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "bad_request"),
        (402, "payment_required"),
        (403, "forbidden"),
        (404, "not_found"),
        (413, "payload_too_large"),
        (422, "invalid_prompt"),
    ],
)
def test_client_errors_are_permanent_failures(
    httpserver: HTTPServer, status: int, name: str
) -> None:
    httpserver.expect_request(CORE, method="POST").respond_with_json(
        error_body(name, "the provider's explanation"), status=status
    )
    with pytest.raises(ProviderFailed, match="the provider's explanation") as info:
        run(provider(httpserver))
    assert info.value.status == status
    assert len(httpserver.log) == 1


def http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize(
    ("header", "low", "high"), [("7", 7.0, 7.0), (None, None, None), ("date", 100.0, 120.0)]
)
def test_429_is_transient_and_carries_retry_after(
    httpserver: HTTPServer, header: str | None, low: float | None, high: float | None
) -> None:
    headers = (
        {} if header is None else {"retry-after": http_date(120) if header == "date" else header}
    )
    httpserver.expect_request(CORE, method="POST").respond_with_json(
        error_body("rate_limit_exceeded", "You have exceeded the rate limit"),
        status=429,
        headers=headers,
    )
    with pytest.raises(ProviderUnavailable, match="rate limit") as info:
        run(provider(httpserver))
    assert info.value.status == 429
    if low is None:
        assert info.value.retry_after is None
    else:
        assert info.value.retry_after is not None
        assert low <= info.value.retry_after <= (high or low)
    assert len(httpserver.log) == 1  # no hidden retry: the router decides


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request(CORE, method="POST").respond_with_json(
        error_body("internal_error", "An unexpected server error occurred"), status=status
    )
    with pytest.raises(ProviderUnavailable) as info:
        run(provider(httpserver))
    assert info.value.status == status
    assert len(httpserver.log) == 1


def test_a_server_slower_than_the_timeout_is_transient(httpserver: HTTPServer) -> None:
    def slow(_: Request) -> Response:
        time.sleep(1.0)
        return Response(png(), content_type="image/png")

    httpserver.expect_request(CORE, method="POST").respond_with_handler(slow)
    started = time.perf_counter()
    with pytest.raises(ProviderUnavailable, match=r"no response within 0\.5 s"):
        run(provider(httpserver, timeout_s=0.5))
    assert time.perf_counter() - started < 0.95


def test_a_refused_connection_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = StabilityImageProvider(SecretStr(KEY), base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ProviderUnavailable, match="ConnectError"):
        run(client)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"\x89PNG\r\n\x1a\n truncated", "image/png"), (b'{"image": "abc"}', "application/json")],
)
def test_a_malformed_success_body_is_transient(
    httpserver: HTTPServer, body: bytes, content_type: str
) -> None:
    httpserver.expect_request(CORE, method="POST").respond_with_data(
        body, content_type=content_type, headers={"finish-reason": "SUCCESS"}
    )
    with pytest.raises(ProviderUnavailable, match="malformed"):
        run(provider(httpserver))


def test_an_error_body_that_is_not_json_is_still_translated(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CORE, method="POST").respond_with_data(
        "<html>Bad Gateway</html>", status=502, content_type="text/html"
    )
    with pytest.raises(ProviderUnavailable, match="HTTP 502"):
        run(provider(httpserver))


def test_one_provider_serves_successive_event_loops(httpserver: HTTPServer) -> None:
    # The CLI runs one asyncio.run per campaign with the same provider object.
    image_reply(httpserver)
    client = provider(httpserver)
    first = asyncio.run(client.generate(request()))
    second = asyncio.run(client.generate(request()))
    assert first.image.size == second.image.size == (96, 96)
    assert len(httpserver.log) == 2
