"""The real server: uvicorn on 127.0.0.1 at a free port, spoken to over HTTP with httpx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from api_support import make_service, small_brief

from creative_automation.service.api import create_app
from creative_automation.service.context import Service
from live import uvicorn_thread


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Service]]:
    service = make_service(tmp_path, max_request_bytes=64 * 1024)
    with uvicorn_thread(create_app(service)) as base:
        yield base, service
    service.close()


def test_submit_and_read_back_over_real_http(server: tuple[str, Service]) -> None:
    base, service = server
    key, _ = service.store.create_key("e2e")
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.get("/readyz").status_code == 200
        created = http.post(
            "/v1/campaigns",
            content=yaml.safe_dump(small_brief()).encode(),
            headers={"Content-Type": "application/yaml", "Idempotency-Key": "e2e-1"},
        )
        assert created.status_code == 202
        status_url = created.headers["location"]
        assert status_url.startswith(base)
        got = http.get(status_url).json()
        assert got["id"] == created.json()["id"] and got["state"] == "queued"
        assert got["progress"]["creatives_expected"] == 2
        listed = http.get("/v1/campaigns").json()
        assert [c["id"] for c in listed["items"]] == [got["id"]]
        assert service.queue.depth() == 1
        metrics = http.get("/metrics").text
        assert 'cap_campaigns{state="queued"} 1.0' in metrics


def test_a_large_chunked_body_is_cut_off_with_413(server: tuple[str, Service]) -> None:
    base, service = server
    key, _ = service.store.create_key("e2e")

    def endless() -> Iterator[bytes]:  # 8 MiB, far past the 64 KiB limit, no Content-Length
        yield b'{"campaign_id": "big", "audience": "'
        for _ in range(2000):
            yield b"x" * 4096

    with httpx.Client(base_url=base, headers={"X-API-Key": key}) as http:
        try:
            response = http.post(
                "/v1/campaigns", content=endless(), headers={"Content-Type": "application/json"}
            )
        except httpx.HTTPError:  # the server may close the connection while we still send
            pass
        else:
            assert response.status_code == 413
            assert response.headers["content-type"] == "application/problem+json"
    assert service.store.list_campaigns().items == []
