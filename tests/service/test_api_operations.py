"""/healthz, /readyz and /metrics: no key needed, real failures of the database and queue."""

from __future__ import annotations

from pathlib import Path

from api_support import Keys, assert_problem, create, make_service, unreachable_queue
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from creative_automation.service.api import create_app
from creative_automation.service.context import Service, build_service
from creative_automation.settings import Settings
from creative_automation.storage import CampaignState


def test_healthz_answers_without_a_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ready_with_a_current_schema_and_a_queue(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "queue": "ok"}}


def test_readyz_is_503_when_the_database_file_is_not_a_database(tmp_path: Path) -> None:
    garbage = tmp_path / "cap.db"
    garbage.write_bytes(b"this is not a SQLite file at all" * 100)
    settings = Settings(
        data_dir=tmp_path / "data", queue="sqlite", database_url=f"sqlite:///{garbage}"
    )
    service = build_service(settings)
    with TestClient(create_app(service)) as client:
        response = client.get("/readyz")
        body = assert_problem(response, 503, "not-ready-to-serve")
        assert body["checks"] == {"database": "unavailable", "queue": "ok"}
        assert response.headers["retry-after"]
        assert client.get("/healthz").status_code == 200  # alive all the same


def test_readyz_is_503_when_the_schema_was_never_migrated(tmp_path: Path) -> None:
    service = build_service(Settings(data_dir=tmp_path / "data", queue="sqlite"))
    with TestClient(create_app(service)) as client:
        body = assert_problem(client.get("/readyz"), 503)
    assert body["checks"]["database"] == "schema missing"


def test_readyz_is_503_when_the_queue_is_unreachable(service: Service) -> None:
    service.queue = unreachable_queue()
    with TestClient(create_app(service)) as client:
        body = assert_problem(client.get("/readyz"), 503)
    assert body["checks"] == {"database": "ok", "queue": "unavailable"}


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_report_the_stores_numbers_and_the_queue_depth(
    client: TestClient, service: Service, writer: dict[str, str]
) -> None:
    ids = [create(client, writer, seed=i) for i in range(3)]
    service.store.transition(ids[0], CampaignState.CANCELLED)
    metrics = scrape(client)
    assert metrics[("cap_campaigns", (("state", "queued"),))] == 2
    assert metrics[("cap_campaigns", (("state", "cancelled"),))] == 1
    assert metrics[("cap_campaigns", (("state", "succeeded"),))] == 0
    assert metrics[("cap_queue_depth", ())] == 3  # the cancelled one's task is still queued
    assert metrics[("cap_store_up", ())] == 1 and metrics[("cap_queue_up", ())] == 1
    created = (
        "cap_http_requests_total",
        (("method", "POST"), ("route", "/v1/campaigns"), ("status", "202")),
    )
    assert metrics[created] == 3


def test_metrics_say_when_the_store_and_queue_are_down(tmp_path: Path) -> None:
    garbage = tmp_path / "cap.db"
    garbage.write_bytes(b"not a database" * 100)
    service = build_service(
        Settings(data_dir=tmp_path / "data", queue="sqlite", database_url=f"sqlite:///{garbage}")
    )
    service.queue = unreachable_queue()
    with TestClient(create_app(service)) as client:
        metrics = scrape(client)
    assert metrics[("cap_store_up", ())] == 0 and metrics[("cap_queue_up", ())] == 0
    assert not any(name == "cap_campaigns" for name, _ in metrics)


def test_metrics_and_health_need_no_key_but_v1_does(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    with TestClient(create_app(service)) as client:
        for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
            assert client.get(path).status_code == 200, path
        assert client.get("/v1/campaigns").status_code == 401
        key, _ = service.store.create_key("r")
        assert client.get("/v1/campaigns", headers=Keys.header(key)).status_code == 200
