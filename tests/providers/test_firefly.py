"""Firefly v3 client and IMS token cache against a real local HTTP server (documented contract)."""

from __future__ import annotations

import asyncio
import io
import json
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
from creative_automation.providers.firefly import IMS_SCOPE, FireflyImageProvider, size_for
from creative_automation.providers.prices import price
from factories import generation_request

CLIENT_ID = "ff-client-id-5f1e2d3c"
CLIENT_SECRET = "p8e-SECRET-a1b2c3d4e5"
TOKEN_PATH = "/ims/token/v3"
GENERATE = "/v3/images/generate"
IMAGE = "/storage/out-1.png"
GREEN = (20, 160, 90)


def png(width: int = 64, height: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), GREEN).save(out, "PNG")
    return out.getvalue()


def request(**overrides: Any) -> GenerationRequest:
    result: GenerationRequest = generation_request(**overrides)
    return result


class FakeFirefly:
    """IMS token endpoint, generate endpoint and pre-signed image store on one server."""

    def __init__(self, server: HTTPServer, *, expires_in: float = 86399) -> None:
        self.server = server
        self.expires_in = expires_in
        self.tokens_issued = 0
        server.expect_request(TOKEN_PATH, method="POST").respond_with_handler(self.token)

    def token(self, _: Request) -> Response:
        self.tokens_issued += 1
        body = {
            "access_token": f"tok-{self.tokens_issued}",
            "token_type": "bearer",
            "expires_in": self.expires_in,
        }
        return Response(json.dumps(body), content_type="application/json")

    def succeed(self, seed: int = 1234) -> None:
        self.server.expect_request(GENERATE, method="POST").respond_with_json(
            {
                "size": {"width": 2048, "height": 2048},
                "outputs": [{"seed": seed, "image": {"url": self.server.url_for(IMAGE)}}],
                "contentClass": "photo",
                "promptHasDeniedWords": False,
                "promptHasBlockedArtists": False,
            }
        )
        self.server.expect_request(IMAGE, method="GET").respond_with_data(
            png(), content_type="image/png"
        )

    def fail(self, status: int, error_code: str, message: str = "", **headers: str) -> None:
        body = {"error_code": error_code, "message": message or f"{error_code} happened"}
        self.server.expect_request(GENERATE, method="POST").respond_with_json(
            body, status=status, headers=headers
        )

    def calls(self, path: str) -> list[Request]:
        return [req for req, _ in self.server.log if req.path == path]


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeFirefly:
    return FakeFirefly(httpserver)


def provider(server: HTTPServer, **kwargs: Any) -> FireflyImageProvider:
    kwargs.setdefault("timeout_s", 5.0)
    return FireflyImageProvider(
        SecretStr(CLIENT_ID),
        SecretStr(CLIENT_SECRET),
        base_url=server.url_for("/"),
        ims_url=server.url_for("/"),
        **kwargs,
    )


def run(client: FireflyImageProvider, *requests: GenerationRequest) -> list[GenerationResult]:
    async def go() -> list[GenerationResult]:
        try:
            return [await client.generate(r) for r in requests or (request(),)]
        finally:
            await client.aclose()

    return asyncio.run(go())


def assert_no_secret(error: Exception, client: FireflyImageProvider) -> None:
    for text in (str(error), repr(error), repr(client), str(error.__cause__ or "")):
        assert CLIENT_SECRET not in text
        assert CLIENT_ID not in text


@pytest.mark.parametrize(
    ("width", "height", "size"), [(270, 480, (1440, 2560)), (480, 270, (2688, 1536))]
)
def test_success_follows_the_documented_contract(
    fake: FakeFirefly, httpserver: HTTPServer, width: int, height: int, size: tuple[int, int]
) -> None:
    fake.succeed(seed=1234)
    [result] = run(provider(httpserver), request(width=width, height=height))

    [ims] = fake.calls(TOKEN_PATH)
    assert ims.headers["content-type"] == "application/x-www-form-urlencoded"
    assert ims.form.to_dict() == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": IMS_SCOPE,
    }
    assert IMS_SCOPE == "openid,AdobeID,read_organizations,firefly_api,ff_apis"

    [sent] = fake.calls(GENERATE)
    assert sent.method == "POST"
    assert sent.headers["authorization"] == "Bearer tok-1"
    assert sent.headers["x-api-key"] == CLIENT_ID
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["x-model-version"] == "image4_standard"
    assert sent.get_json() == {
        "prompt": "a can of sparkling water on a marble counter",
        "negativePrompt": negative_prompt(),
        "numVariations": 1,
        "seeds": [42],
        "size": {"width": size[0], "height": size[1]},
        "contentClass": "photo",
    }

    [download] = fake.calls(IMAGE)
    assert "authorization" not in download.headers  # the token never goes to the storage host
    assert "x-api-key" not in download.headers
    assert len(httpserver.log) == 3

    assert result.image.mode == "RGB"
    assert result.image.size == (width, height)
    assert result.image.getpixel((width // 2, height // 2)) == GREEN
    assert (result.provider, result.model, result.seed) == ("firefly", "image4_standard", 1234)
    assert result.cost_usd == price("firefly", "image4_standard")
    assert result.subject_box is None
    assert result.latency_s > 0


@pytest.mark.parametrize(
    ("model", "width", "height", "size"),
    [
        ("image3", 1080, 1920, (1792, 2304)),  # image3 has no 9:16; 3:4 is nearest
        ("image3", 1920, 1080, (2688, 1512)),  # the exact 16:9, large enough
        ("image3", 1024, 1024, (1024, 1024)),  # smallest exact size that covers the request
        ("image3", 2000, 2000, (2048, 2048)),
        ("image3", 1200, 628, (1344, 756)),  # 1.91:1 → 16:9, the smaller one covers it
        ("image4_standard", 1080, 1080, (2048, 2048)),
        ("image4_standard", 1080, 1350, (1792, 2304)),
    ],
)
def test_size_is_the_documented_one_nearest_the_aspect(
    model: str, width: int, height: int, size: tuple[int, int]
) -> None:
    assert size_for(model, width, height) == size


def test_presigned_url_field_of_the_older_schema_is_accepted(
    fake: FakeFirefly, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(GENERATE, method="POST").respond_with_json(
        {"outputs": [{"image": {"presignedUrl": httpserver.url_for(IMAGE)}}]}
    )
    httpserver.expect_request(IMAGE).respond_with_data(png(), content_type="image/png")
    [result] = run(provider(httpserver), request(seed=2**31 + 5))
    assert fake.calls(GENERATE)[0].get_json()["seeds"] == [5]  # int32 per the SDK schema
    assert result.seed == 5  # no seed in the reply: the one sent


def test_token_is_cached_across_generates(fake: FakeFirefly, httpserver: HTTPServer) -> None:
    fake.succeed()
    run(provider(httpserver), request(), request())
    assert len(fake.calls(TOKEN_PATH)) == 1
    assert [r.headers["authorization"] for r in fake.calls(GENERATE)] == ["Bearer tok-1"] * 2


def test_concurrent_generates_share_one_token_fetch(
    fake: FakeFirefly, httpserver: HTTPServer
) -> None:
    fake.succeed()
    client = provider(httpserver)

    async def go() -> list[GenerationResult]:
        try:
            return list(await asyncio.gather(*(client.generate(request()) for _ in range(3))))
        finally:
            await client.aclose()

    assert len(asyncio.run(go())) == 3
    assert len(fake.calls(TOKEN_PATH)) == 1


def test_token_is_refreshed_near_expiry(httpserver: HTTPServer) -> None:
    fake = FakeFirefly(httpserver, expires_in=1)  # refreshed after half its life: 0.5 s
    fake.succeed()
    client = provider(httpserver)

    async def go() -> None:
        try:
            await client.generate(request())
            await asyncio.sleep(0.6)
            await client.generate(request())
        finally:
            await client.aclose()

    asyncio.run(go())
    assert len(fake.calls(TOKEN_PATH)) == 2
    auth = [r.headers["authorization"] for r in fake.calls(GENERATE)]
    assert auth == ["Bearer tok-1", "Bearer tok-2"]


def test_a_401_refreshes_the_token_once_and_retries(
    fake: FakeFirefly, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(GENERATE, method="POST").respond_with_json(
        {"error_code": "401013", "message": "Oauth token is not valid"}, status=401
    )
    fake.succeed()
    [result] = run(provider(httpserver))
    assert result.image.size == (96, 96)
    assert len(fake.calls(TOKEN_PATH)) == 2
    auth = [r.headers["authorization"] for r in fake.calls(GENERATE)]
    assert auth == ["Bearer tok-1", "Bearer tok-2"]


def test_a_second_401_is_a_permanent_failure(fake: FakeFirefly, httpserver: HTTPServer) -> None:
    fake.fail(401, "401013", "Oauth token is not valid")
    client = provider(httpserver)
    with pytest.raises(ProviderFailed, match="Oauth token is not valid") as info:
        run(client)
    assert info.value.status == 401
    assert_no_secret(info.value, client)
    assert len(fake.calls(GENERATE)) == 2  # the one retry with a fresh token, no more
    assert len(fake.calls(TOKEN_PATH)) == 2


@pytest.mark.parametrize("status", [400, 401])
def test_ims_rejecting_the_credentials_is_a_permanent_failure(
    httpserver: HTTPServer, status: int
) -> None:
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_json(
        {"error": "invalid_client", "error_description": f"invalid client_id {CLIENT_ID}"},
        status=status,
    )
    client = provider(httpserver)
    with pytest.raises(ProviderFailed, match="Firefly credentials rejected") as info:
        run(client)
    assert info.value.status == status
    assert_no_secret(info.value, client)
    assert [r.path for r, _ in httpserver.log] == [TOKEN_PATH]


def test_ims_outage_is_transient(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_data(
        "unavailable", status=503, headers={"retry-after": "30"}
    )
    with pytest.raises(ProviderUnavailable, match="IMS") as info:
        run(provider(httpserver))
    assert info.value.retry_after == 30.0


def test_ims_reply_without_a_token_is_transient(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_json({"token_type": "x"})
    with pytest.raises(ProviderUnavailable, match="malformed token response"):
        run(provider(httpserver))


@pytest.mark.parametrize("code", ["prompt_unsafe", "input_media_unsafe", "output_media_unsafe"])
def test_422_unsafe_content_is_content_rejected(
    fake: FakeFirefly, httpserver: HTTPServer, code: str
) -> None:
    fake.fail(422, code, "The prompt was flagged as unsafe")
    with pytest.raises(ContentRejected, match=code):
        run(provider(httpserver))
    assert len(fake.calls(GENERATE)) == 1


@pytest.mark.parametrize(
    ("status", "code", "headers", "expect"),
    [
        (400, "bad_request", {}, "bad_request"),
        (403, "access_error", {"x-access-error": "quota_exhausted"}, "quota_exhausted"),
        (415, "invalid_content_type", {}, "invalid_content_type"),
        (422, "validation_error", {}, "validation_error"),
        (422, "language_not_supported", {}, "language_not_supported"),
    ],
)
def test_client_errors_are_permanent_failures(
    fake: FakeFirefly,
    httpserver: HTTPServer,
    status: int,
    code: str,
    headers: dict[str, str],
    expect: str,
) -> None:
    fake.fail(status, code, **headers)
    with pytest.raises(ProviderFailed, match=expect) as info:
        run(provider(httpserver))
    assert info.value.status == status
    assert len(fake.calls(GENERATE)) == 1


def test_validation_messages_are_reported(fake: FakeFirefly, httpserver: HTTPServer) -> None:
    httpserver.expect_request(GENERATE, method="POST").respond_with_json(
        {
            "error_code": "validation_error",
            "message": "Request body is invalid",
            "validation_errors": [
                {"loc": ["body", "size"], "msg": "size not supported", "type": "value_error"}
            ],
        },
        status=422,
    )
    with pytest.raises(ProviderFailed, match="size not supported"):
        run(provider(httpserver))


def http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize(("form", "low", "high"), [("12", 12.0, 12.0), ("date", 100.0, 120.0)])
def test_429_is_transient_and_carries_retry_after(
    fake: FakeFirefly, httpserver: HTTPServer, form: str, low: float, high: float
) -> None:
    value = http_date(120) if form == "date" else form
    fake.fail(429, "rate_limited", **{"retry-after": value, "x-access-rate-limit-level": "org"})
    with pytest.raises(ProviderUnavailable, match="rate_limited") as info:
        run(provider(httpserver))
    assert info.value.status == 429
    assert info.value.retry_after is not None
    assert low <= info.value.retry_after <= high
    assert len(fake.calls(GENERATE)) == 1  # no hidden retry


@pytest.mark.parametrize(
    ("status", "code"), [(408, "timeout_error"), (500, "runtime_error"), (503, "model_not_loaded")]
)
def test_server_side_failures_are_transient(
    fake: FakeFirefly, httpserver: HTTPServer, status: int, code: str
) -> None:
    fake.fail(status, code)
    with pytest.raises(ProviderUnavailable, match=code) as info:
        run(provider(httpserver))
    assert info.value.status == status
    assert len(fake.calls(GENERATE)) == 1


def test_a_generate_slower_than_the_timeout_is_transient(
    fake: FakeFirefly, httpserver: HTTPServer
) -> None:
    def slow(_: Request) -> Response:
        time.sleep(1.0)
        return Response("{}", content_type="application/json")

    httpserver.expect_request(GENERATE, method="POST").respond_with_handler(slow)
    started = time.perf_counter()
    with pytest.raises(ProviderUnavailable, match=r"no response within 0\.5 s"):
        run(provider(httpserver, timeout_s=0.5))
    assert time.perf_counter() - started < 0.95


@pytest.mark.parametrize(
    "body",
    [
        b"<html>not json</html>",
        b'{"outputs": []}',
        b'{"outputs": [{"image": {}}]}',
        b'{"outputs": [{"image": {"url": "file:///etc/passwd"}}]}',
    ],
)
def test_a_malformed_generate_reply_is_transient(
    fake: FakeFirefly, httpserver: HTTPServer, body: bytes
) -> None:
    httpserver.expect_request(GENERATE, method="POST").respond_with_data(
        body, content_type="application/json"
    )
    with pytest.raises(ProviderUnavailable, match="malformed"):
        run(provider(httpserver))


def test_an_undecodable_image_is_transient(fake: FakeFirefly, httpserver: HTTPServer) -> None:
    httpserver.expect_request(GENERATE, method="POST").respond_with_json(
        {"outputs": [{"seed": 1, "image": {"url": httpserver.url_for(IMAGE)}}]}
    )
    httpserver.expect_request(IMAGE).respond_with_data(b"GIF89a....", content_type="image/png")
    with pytest.raises(ProviderUnavailable, match="malformed"):
        run(provider(httpserver))


def test_an_expired_download_link_is_transient(fake: FakeFirefly, httpserver: HTTPServer) -> None:
    httpserver.expect_request(GENERATE, method="POST").respond_with_json(
        {"outputs": [{"seed": 1, "image": {"url": httpserver.url_for(IMAGE) + "?X-Sig=abc"}}]}
    )
    httpserver.expect_request(IMAGE).respond_with_data("AccessDenied", status=403)
    with pytest.raises(ProviderUnavailable, match="download failed with HTTP 403") as info:
        run(provider(httpserver))
    assert "X-Sig" not in str(info.value)  # a signed link is a credential too


def test_requests_the_api_cannot_serve_fail_without_a_call(httpserver: HTTPServer) -> None:
    with pytest.raises(ProviderFailed, match="1024"):
        run(provider(httpserver), request(prompt="x" * 1025))
    with pytest.raises(ProviderFailed, match="packshot"):
        run(provider(httpserver), request(packshot=Image.new("RGBA", (8, 8))))
    assert httpserver.log == []


def test_unsupported_models_are_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="customModelId"):
        FireflyImageProvider(SecretStr(CLIENT_ID), SecretStr(CLIENT_SECRET), model="image4_custom")
    with pytest.raises(ConfigError, match="price"):
        FireflyImageProvider(SecretStr(CLIENT_ID), SecretStr(CLIENT_SECRET), model="image9")


def test_repr_shows_no_credentials() -> None:
    client = FireflyImageProvider(SecretStr(CLIENT_ID), SecretStr(CLIENT_SECRET))
    assert CLIENT_ID not in repr(client)
    assert CLIENT_SECRET not in repr(client)
    assert "image4_standard" in repr(client)
