"""Helpers of the API tests: services over a tmp dir, keys, briefs, problem checks."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from huey import RedisHuey
from PIL import Image

from creative_automation.service.context import Service, build_service
from creative_automation.service.queue import JobQueue
from creative_automation.settings import Settings
from factories import brief_data

Publish = Callable[[str], dict[str, Any]]  # the `publish` fixture: campaign id → manifest


def make_service(tmp_path: Path, **settings: Any) -> Service:
    """A service on a SQLite store (migrated) and a SQLite Huey queue under `tmp_path`."""
    options: dict[str, Any] = {"data_dir": tmp_path / "data", "queue": "sqlite"}
    options.update(settings)
    service = build_service(Settings(**options))
    service.store.upgrade()
    return service


def unreachable_queue() -> JobQueue:
    """A Redis queue at a port where nothing listens: every enqueue and ping fails."""
    return JobQueue(RedisHuey("cap", url="redis://127.0.0.1:1/0", results=False), "redis")


@dataclass(frozen=True)
class Keys:
    """One live key per scope, and the headers that send it."""

    read: str
    write: str
    admin: str
    other: str  # a second write key: sees none of `write`'s campaigns

    @staticmethod
    def header(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


def small_brief(**changes: Any) -> dict[str, Any]:
    """The test brief cut to 2 products × 1 format × 1 locale: quick to render for real. Its
    brand names no logo (a JSON brief cannot carry the file; multipart tests add one)."""
    data = brief_data(
        formats=["9:16"],
        locales={"en-US": {"message": "Fresh roast, every morning", "call_to_action": "Order"}},
    )
    data["brand"].pop("logo")
    data.update(changes)
    return data


def logo_brief(**changes: Any) -> dict[str, Any]:
    """small_brief whose brand names logo.png: for multipart requests that upload it."""
    data = small_brief(**changes)
    data["brand"] = {**data["brand"], "logo": "logo.png"}
    return data


def image_bytes(image: Image.Image, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


def create(client: TestClient, headers: dict[str, str], **changes: Any) -> str:
    """Submit a small brief; the new campaign's id."""
    response = client.post("/v1/campaigns", json=small_brief(**changes), headers=headers)
    assert response.status_code == 202, response.text
    campaign_id: str = response.json()["id"]
    return campaign_id


def assert_problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem of `status` (and type `slug`); its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    assert body["detail"] and body["title"]
    if slug is not None:
        assert body["type"] == f"/problems/{slug}"
    return body
