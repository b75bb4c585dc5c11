"""Every error is problem+json (RFC 9457), mapped in one place; a crash tells nothing inside."""

from __future__ import annotations

import logging

import pytest
from api_support import assert_problem
from fastapi.testclient import TestClient

from creative_automation.errors import StorageUnavailable
from creative_automation.service.api import create_app
from creative_automation.service.api.problems import KINDS, kind_of
from creative_automation.service.context import Service


def test_an_unknown_route_and_a_wrong_method_are_problems(
    client: TestClient, writer: dict[str, str]
) -> None:
    missing = assert_problem(client.get("/v2/nothing"), 404)
    assert missing["type"] == "about:blank" and missing["instance"] == "/v2/nothing"
    wrong = client.delete("/v1/campaigns", headers=writer)
    assert_problem(wrong, 405)
    assert "POST" in wrong.headers["allow"]


def test_a_crash_is_a_500_problem_that_tells_nothing_inside(
    service: Service,
    writer: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals: /etc/cap/password")

    monkeypatch.setattr(service.store, "list_campaigns", broken)
    with (
        TestClient(create_app(service), raise_server_exceptions=False) as client,
        caplog.at_level(logging.ERROR),
    ):
        response = client.get("/v1/campaigns", headers=writer)
    body = assert_problem(response, 500, "internal")
    assert "secret" not in response.text
    assert body["error_id"] in caplog.text and "secret internals" in caplog.text


def test_an_unavailable_database_is_503_without_its_address(
    service: Service, writer: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise StorageUnavailable("the metadata database at postgresql://db-7:5432 is down")

    monkeypatch.setattr(service.store, "list_campaigns", down)
    with TestClient(create_app(service)) as client:
        response = client.get("/v1/campaigns", headers=writer)
    assert_problem(response, 503, "storage-unavailable")
    assert "db-7" not in response.text and response.headers["retry-after"]


def test_problem_types_are_documented_at_their_url(client: TestClient) -> None:
    body = client.get("/problems/invalid-brief").json()
    assert body == {
        "type": "/problems/invalid-brief",
        "title": "The brief is invalid",
        "status": 422,
    }
    assert_problem(client.get("/problems/nope"), 404)


def test_every_error_class_maps_to_a_4xx_or_5xx_kind() -> None:
    for cls, kind in KINDS.items():
        assert 400 <= kind.status < 600, cls
    assert kind_of(StorageUnavailable("x")).status == 503


def test_the_openapi_document_has_the_brief_and_problem_schemas(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"Brief", "BriefProduct", "ProblemDetail", "CampaignPublic"} <= set(schemas)
    create = document["paths"]["/v1/campaigns"]["post"]
    assert set(create["requestBody"]["content"]) == {
        "application/json",
        "application/yaml",
        "multipart/form-data",
    }
    assert "application/problem+json" in create["responses"]["422"]["content"]
    security = {next(iter(s)) for s in document["paths"]["/v1/campaigns"]["get"]["security"]}
    assert security == {"HTTPBearer", "APIKeyHeader"}
