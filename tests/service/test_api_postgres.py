"""The API on PostgreSQL (the metadata store at scale): create, idempotency, read back, list.
Runs where CAP_TEST_DATABASE_URL names a server; skips with the reason elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Keys, make_service, small_brief
from fastapi.testclient import TestClient

from creative_automation.service.api import create_app
from creative_automation.service.context import Service
from storage.databases import postgres_schema


@pytest.fixture
def pg_service(tmp_path: Path) -> Iterator[Service]:
    with postgres_schema() as url:
        service = make_service(tmp_path, database_url=url)
        yield service
        service.close()


def test_create_and_read_back_on_postgresql(pg_service: Service) -> None:
    assert pg_service.store.dialect == "postgresql"
    key, _ = pg_service.store.create_key("pg")
    headers = {**Keys.header(key), "Idempotency-Key": "pg-1"}
    with TestClient(create_app(pg_service)) as client:
        first = client.post("/v1/campaigns", json=small_brief(), headers=headers)
        again = client.post("/v1/campaigns", json=small_brief(), headers=headers)
        assert first.status_code == 202 and again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        got = client.get(first.headers["location"], headers=headers).json()
        assert got["state"] == "queued" and got["progress"]["creatives_expected"] == 2
        listed = client.get("/v1/campaigns", headers=headers).json()
        assert [c["id"] for c in listed["items"]] == [got["id"]]
        assert client.get("/readyz").json()["checks"]["database"] == "ok"
        assert 'cap_campaigns{state="queued"} 1.0' in client.get("/metrics").text
    assert [t.args[0] for t in pg_service.queue.huey.pending()] == [got["id"]]
