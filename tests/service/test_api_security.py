"""API keys, scopes, ownership, rate limits (memory and Redis), body and upload limits, upload
types judged by content, confined file names."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from api_support import (
    Keys,
    assert_problem,
    create,
    image_bytes,
    logo_brief,
    make_service,
    small_brief,
)
from fastapi.testclient import TestClient

from backends import require_redis
from creative_automation.service.api import create_app
from creative_automation.service.context import Service
from factories import logo, photo, png_chunk

ROUTES = [
    ("GET", "/v1/campaigns"),
    ("POST", "/v1/campaigns"),
    ("GET", "/v1/campaigns/{id}"),
    ("GET", "/v1/campaigns/{id}/creatives"),
    ("GET", "/v1/campaigns/{id}/archive"),
    ("GET", "/v1/campaigns/{id}/files/manifest.json"),
    ("POST", "/v1/campaigns/{id}/retry"),
    ("POST", "/v1/campaigns/{id}/cancel"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer cap_not-a-real-key"},
        {"X-API-Key": "cap_not-a-real-key"},
        {"Authorization": "Basic dXNlcjpwdw=="},
        {"Authorization": "Bearer " + "x" * 5000},
    ],
    ids=["none", "wrong-bearer", "wrong-header", "basic", "huge"],
)
def test_every_v1_route_needs_a_valid_key(
    client: TestClient, method: str, route: str, headers: dict[str, str]
) -> None:
    response = client.request(method, route.format(id="cmp_x"), headers=headers)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_key_is_refused(client: TestClient, service: Service, keys: Keys) -> None:
    assert client.get("/v1/campaigns", headers=Keys.header(keys.read)).status_code == 200
    service.store.revoke_key(keys.read[:12])
    assert_problem(client.get("/v1/campaigns", headers=Keys.header(keys.read)), 401)


def test_the_x_api_key_header_works_too(client: TestClient, keys: Keys) -> None:
    response = client.post("/v1/campaigns", json=small_brief(), headers={"X-API-Key": keys.write})
    assert response.status_code == 202


def test_a_read_key_may_read_but_not_write(
    client: TestClient, keys: Keys, writer: dict[str, str]
) -> None:
    reader = Keys.header(keys.read)
    body = assert_problem(
        client.post("/v1/campaigns", json=small_brief(), headers=reader), 403, "forbidden"
    )
    assert "write" in body["detail"]
    assert client.get("/v1/campaigns", headers=reader).status_code == 200


def test_a_key_sees_only_its_own_campaigns_and_admin_sees_all(
    client: TestClient, keys: Keys, writer: dict[str, str]
) -> None:
    mine = create(client, writer)
    theirs = Keys.header(keys.other)
    for path in ("", "/creatives", "/archive", "/files/manifest.json"):
        assert_problem(client.get(f"/v1/campaigns/{mine}{path}", headers=theirs), 404)
    for action in ("cancel", "retry"):
        assert_problem(client.post(f"/v1/campaigns/{mine}/{action}", headers=theirs), 404)
    assert client.get("/v1/campaigns", headers=theirs).json()["items"] == []
    admin = Keys.header(keys.admin)
    assert client.get(f"/v1/campaigns/{mine}", headers=admin).status_code == 200
    assert [c["id"] for c in client.get("/v1/campaigns", headers=admin).json()["items"]] == [mine]


def limited_client(service: Service) -> TestClient:
    return TestClient(create_app(service))


def test_the_rate_limit_is_429_with_retry_after(tmp_path: Path) -> None:
    service = make_service(tmp_path, rate_limit="3/minute")
    key, _ = service.store.create_key("w")
    other, _ = service.store.create_key("o")
    with limited_client(service) as client:
        codes = [
            client.get("/v1/campaigns", headers=Keys.header(key)).status_code for _ in range(3)
        ]
        assert codes == [200, 200, 200]
        response = client.get("/v1/campaigns", headers=Keys.header(key))
        body = assert_problem(response, 429, "rate-limited")
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert body["retry_after"] == int(response.headers["retry-after"])
        # per key: another key still has its whole allowance
        assert client.get("/v1/campaigns", headers=Keys.header(other)).status_code == 200


def test_the_moving_window_frees_slots_as_they_age(tmp_path: Path) -> None:
    service = make_service(tmp_path, rate_limit="2/second")
    key, _ = service.store.create_key("w")
    with limited_client(service) as client:
        for _ in range(2):
            assert client.get("/v1/campaigns", headers=Keys.header(key)).status_code == 200
        refused = client.get("/v1/campaigns", headers=Keys.header(key))
        assert refused.status_code == 429
        time.sleep(1.1)
        assert client.get("/v1/campaigns", headers=Keys.header(key)).status_code == 200


def test_the_rate_limit_is_shared_through_redis(tmp_path: Path) -> None:
    url = require_redis()
    # two app instances (two API replicas) over one Redis: together they allow the rate once
    first = make_service(tmp_path / "a", rate_limit="3/minute", redis_url=url, queue="sqlite")
    second = make_service(tmp_path / "a", rate_limit="3/minute", redis_url=url, queue="sqlite")
    key, _ = first.store.create_key("w")
    with limited_client(first) as a, limited_client(second) as b:
        codes = [c.get("/v1/campaigns", headers=Keys.header(key)).status_code for c in (a, b, a)]
        assert codes == [200, 200, 200]
        response = b.get("/v1/campaigns", headers=Keys.header(key))
        assert_problem(response, 429, "rate-limited")
        assert int(response.headers["retry-after"]) >= 1


def test_a_body_over_the_limit_is_413_before_it_is_read(tmp_path: Path) -> None:
    service = make_service(tmp_path, max_request_bytes=4096)
    key, _ = service.store.create_key("w")
    big = json.dumps(small_brief(audience="x" * 8000)).encode()
    with limited_client(service) as client:
        headers = {**Keys.header(key), "Content-Type": "application/json"}
        response = client.post("/v1/campaigns", content=big, headers=headers)
        assert "CAP_MAX_REQUEST_BYTES" in assert_problem(response, 413, "too-large")["detail"]

        def chunks() -> Any:  # no Content-Length: counted while it arrives
            for start in range(0, len(big), 1000):
                yield big[start : start + 1000]

        response = client.post("/v1/campaigns", content=chunks(), headers=headers)
        assert_problem(response, 413, "too-large")
    assert service.store.list_campaigns().items == []


def test_an_upload_over_the_file_limit_is_413_naming_it(tmp_path: Path) -> None:
    service = make_service(tmp_path, max_upload_bytes=2048)
    key, _ = service.store.create_key("w")
    with limited_client(service) as client:
        response = client.post(
            "/v1/campaigns",
            data={"brief": json.dumps(small_brief())},
            files=[("files", ("hero.jpg", image_bytes(photo(), "JPEG"), "image/jpeg"))],
            headers=Keys.header(key),
        )
    assert "hero.jpg" in assert_problem(response, 413, "too-large")["detail"]


def post_files(client: TestClient, headers: dict[str, str], *files: Any, **brief: Any) -> Any:
    # the brief names logo.png when the request carries one
    make = logo_brief if any(f[0] == "logo.png" for f in files) else small_brief
    return client.post(
        "/v1/campaigns",
        data={"brief": json.dumps(make(**brief))},
        files=[("files", f) for f in files],
        headers=headers,
    )


def test_a_png_that_is_really_text_is_refused(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    response = post_files(client, writer, ("logo.png", b"hello, I am text", "image/png"))
    assert "logo.png" in assert_problem(response, 415, "unsupported-media")["detail"]
    assert service.store.list_campaigns().items == []


def test_image_kind_is_judged_by_content_not_name(
    client: TestClient, writer: dict[str, str]
) -> None:
    # a real PNG under a .jpg name is a usable image; a GIF is not one the pipeline takes
    ok = post_files(client, writer, ("hero.jpg", image_bytes(logo()), "image/jpeg"))
    assert ok.status_code == 202, ok.text
    gif = post_files(client, writer, ("logo.png", image_bytes(logo(), "GIF"), "image/png"))
    assert_problem(gif, 415, "unsupported-media")


def test_an_image_announcing_too_many_pixels_is_refused_from_its_header(
    client: TestClient, writer: dict[str, str]
) -> None:
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")
    response = post_files(client, writer, ("logo.png", bomb, "image/png"))
    detail = assert_problem(response, 422)["detail"]
    assert "logo.png" in detail and "exceeds the limit" in detail


def test_brand_fonts_must_be_fonts(client: TestClient, writer: dict[str, str]) -> None:
    brand = {"name": "B", "fonts": ["brand.ttf"]}
    font = Path(__file__).parents[2] / "src/creative_automation/fonts/NotoSans-Bold.ttf"
    ok = post_files(client, writer, ("brand.ttf", font.read_bytes(), "font/ttf"), brand=brand)
    assert ok.status_code == 202, ok.text
    bad = post_files(
        client, writer, ("brand.ttf", image_bytes(logo()), "font/ttf"), brand=brand, seed=2
    )
    assert "brand.ttf" in assert_problem(bad, 415, "unsupported-media")["detail"]


@pytest.mark.parametrize(
    "name", ["../logo.png", "a/logo.png", "..", ".hidden.png", "a\\b.png", "é" * 130 + ".png"]
)
def test_upload_names_are_plain_file_names(
    client: TestClient, writer: dict[str, str], name: str
) -> None:
    response = post_files(client, writer, (name, image_bytes(logo()), "image/png"))
    assert response.status_code in (422, 415)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_upload_the_brief_does_not_name_is_refused(
    client: TestClient, writer: dict[str, str]
) -> None:
    response = post_files(client, writer, ("stray.png", image_bytes(logo()), "image/png"))
    assert "stray.png" in assert_problem(response, 422, "invalid-asset")["detail"]


def test_multipart_without_a_brief_or_with_unknown_fields_is_422(
    client: TestClient, writer: dict[str, str]
) -> None:
    missing = client.post(
        "/v1/campaigns",
        files=[("files", ("logo.png", image_bytes(logo()), "image/png"))],
        headers=writer,
    )
    assert assert_problem(missing, 422, "invalid-brief")["errors"][0]["path"] == "brief"
    unknown = client.post(
        "/v1/campaigns",
        data={"brief": json.dumps(small_brief()), "colour": "x"},
        files=[("files", ("logo.png", image_bytes(logo()), "image/png"))],
        headers=writer,
    )
    assert assert_problem(unknown, 422)["errors"][0]["path"] == "colour"
