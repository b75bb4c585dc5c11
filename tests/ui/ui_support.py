"""Helpers of the UI's tests: the app's path, a quick brief, the live API's handle."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from creative_automation.service.context import Service
from creative_automation.storage.states import TERMINAL

APP = Path(__file__).resolve().parents[2] / "src" / "creative_automation" / "ui" / "app.py"


def small_brief(**changes: Any) -> dict[str, Any]:
    """One generated product × two locales × two formats: four creatives, quick to make."""
    data: dict[str, Any] = {
        "campaign_id": "ui-test",
        "campaign_name": "UI Test Launch",
        "markets": ["US", "MX"],
        "audience": "Testers",
        "message": "Fresh roast, every morning",
        "call_to_action": "Order",
        "locales": {
            "en-US": {"message": "Fresh roast, every morning", "call_to_action": "Order"},
            "es-MX": {"message": "Café recién tostado", "call_to_action": "Pide ya"},
        },
        "products": [
            {"id": "cold-brew", "name": "Cold Brew", "description": "cold brew in a slim can"}
        ],
        "brand": {"name": "Test Brand", "palette": ["#14503C", "#F2C14E", "#FAF7F0"]},
        "formats": ["1:1", "9:16"],
        "seed": 3,
    }
    data.update(changes)
    return data


@dataclass
class LiveApi:
    """A running API: its URL, its store, and keys of each scope."""

    url: str
    service: Service
    write_key: str
    read_key: str

    def http(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key or self.write_key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def submit(self, brief: dict[str, Any]) -> str:
        with self.http() as http:
            answer = http.post("/v1/campaigns", json=brief)
        assert answer.status_code == 202, answer.text
        campaign_id: str = answer.json()["id"]
        return campaign_id

    def wait_finished(self, campaign_id: str, seconds: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        with self.http() as http:
            while time.monotonic() < deadline:
                body: dict[str, Any] = http.get(f"/v1/campaigns/{campaign_id}").json()
                if body["state"] in {s.value for s in TERMINAL}:
                    return body
                time.sleep(0.2)
        raise AssertionError(f"campaign {campaign_id} did not finish in {seconds:g} s: {body}")
