"""GET /v1/providers: every worker's recorded calls per provider over a window, and breakers
seen only where they really can be (Redis), on a real store and, for breakers, a real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from api_support import Keys, assert_problem, make_service
from fastapi.testclient import TestClient

from backends import require_redis
from creative_automation.errors import ProviderUnavailable
from creative_automation.providers.resilience import ResiliencePolicy, build_guards, close_guards
from creative_automation.service.api import create_app
from creative_automation.service.api.routes.providers import LOCAL_NOTE, OFFLINE_NOTE
from creative_automation.service.context import Service
from creative_automation.storage import CallOutcome, Scope


@pytest.fixture
def paid(tmp_path: Path) -> Iterator[Service]:
    """A service whose chain is OpenAI (never called: nothing here generates) then procedural."""
    built = make_service(
        tmp_path, rate_limit="100000/minute", openai_api_key="sk-test", image_providers="openai"
    )
    yield built
    built.close()


def campaign(service: Service) -> str:
    made, _ = service.store.create_campaign({"campaign_id": "c", "campaign_name": "C"})
    return made.id


def record(service: Service, campaign_id: str, provider: str, *calls: tuple[Any, ...]) -> None:
    """What the workers record: (outcome, latency_s, cost_usd) per call."""
    for outcome, latency, cost in calls:
        service.store.record_provider_call(
            campaign_id, provider=provider, model="m", latency_s=latency, cost_usd=cost,
            outcome=outcome,
        )  # fmt: skip


def listing(service: Service, **params: Any) -> dict[str, Any]:
    key, _ = service.store.create_key("reader", Scope.READ)
    with TestClient(create_app(service)) as client:
        response = client.get("/v1/providers", params=params, headers=Keys.header(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_counts_latency_and_spend_per_provider_from_the_recorded_calls(paid: Service) -> None:
    cid = campaign(paid)
    ok = CallOutcome.OK
    record(paid, cid, "openai", *((ok, s, 0.04) for s in (1.0, 2.0, 3.0, 4.0)),
           (CallOutcome.UNAVAILABLE, 30.0, 0.0), (CallOutcome.FAILED, 0.5, 0.0),
           (CallOutcome.REJECTED, 0.7, 0.0),  # a refused prompt: a call, not a failure
           (CallOutcome.CACHED, 0.0, 0.0), (CallOutcome.CACHED, 0.0, 0.0))  # fmt: skip
    record(paid, cid, "procedural", (ok, 0.2, 0.0), (ok, 0.4, 0.0))
    record(paid, cid, "stability", (ok, 6.0, 0.03))  # called before: no longer in the chain
    body = listing(paid)
    assert body["window_hours"] == 24 and body["redis_shared"] is False
    by_name = {p["name"]: p for p in body["items"]}
    assert list(by_name) == ["openai", "procedural", "stability"]  # the chain's order, then seen
    openai = by_name["openai"]
    assert openai["configured"] is True and openai["offline"] is False
    assert (openai["calls"], openai["failures"], openai["cached"]) == (7, 2, 2)
    assert openai["error_rate"] == pytest.approx(2 / 7)
    assert openai["latency_p50_s"] == pytest.approx(2.5)  # of the successful calls only
    assert openai["latency_p95_s"] == pytest.approx(3.85)  # interpolated, ≤ the slowest call
    assert openai["spend_usd"] == pytest.approx(0.16)
    # without Redis each worker's breakers are its own: null, and why, never a made-up closed
    assert openai["breaker"] is None and openai["breaker_note"] == LOCAL_NOTE
    procedural = by_name["procedural"]
    assert procedural["offline"] is True and procedural["configured"] is True
    assert procedural["calls"] == 2 and procedural["latency_p50_s"] == pytest.approx(0.3)
    assert procedural["breaker"] is None and procedural["breaker_note"] == OFFLINE_NOTE
    stability = by_name["stability"]
    assert stability["configured"] is False and stability["spend_usd"] == pytest.approx(0.03)
    assert stability["latency_p50_s"] == stability["latency_p95_s"] == pytest.approx(6.0)


def test_an_idle_chain_lists_its_providers_with_nothing_measured(paid: Service) -> None:
    items = listing(paid)["items"]
    assert [p["name"] for p in items] == ["openai", "procedural"]
    for p in items:
        assert (p["calls"], p["failures"], p["cached"], p["spend_usd"]) == (0, 0, 0, 0.0)
        assert p["error_rate"] == 0.0 and p["latency_p50_s"] is p["latency_p95_s"] is None


def test_the_window_leaves_older_calls_out(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = campaign(service)
    now = service.store.now()
    monkeypatch.setattr(service.store, "now", lambda: now - timedelta(hours=3))
    record(service, cid, "procedural", (CallOutcome.OK, 1.0, 0.0))  # three hours ago
    monkeypatch.setattr(service.store, "now", lambda: now)
    record(service, cid, "procedural", (CallOutcome.OK, 2.0, 0.0))
    (recent,) = listing(service, hours=2)["items"]
    assert recent["name"] == "procedural" and recent["calls"] == 1
    assert recent["latency_p50_s"] == pytest.approx(2.0)
    (both,) = listing(service, hours=4)["items"]
    assert both["calls"] == 2 and listing(service)["window_hours"] == 24


@pytest.mark.parametrize("hours", ["0", "721", "a day"])
def test_a_window_out_of_range_is_a_422(client: TestClient, keys: Keys, hours: str) -> None:
    response = client.get("/v1/providers", params={"hours": hours}, headers=Keys.header(keys.read))
    assert_problem(response, 422)


def test_it_needs_a_key(client: TestClient) -> None:
    assert_problem(client.get("/v1/providers"), 401, "unauthenticated")


def test_with_redis_an_open_breaker_is_seen_by_every_process(tmp_path: Path) -> None:
    url = require_redis()
    tripped = f"cap-test-{uuid.uuid4().hex[:8]}"  # unique: the Redis database is shared
    quiet = f"cap-test-{uuid.uuid4().hex[:8]}"
    policy = ResiliencePolicy(attempts=1, breaker_threshold=1, breaker_ttl_s=60)

    async def open_it() -> None:  # a worker's guard, failing for real
        guards = build_guards([tripped], policy, redis_url=url)

        async def failing() -> None:
            raise ProviderUnavailable("500", status=500)

        with pytest.raises(ProviderUnavailable):
            await guards[tripped].call(failing)
        await close_guards(guards)

    asyncio.run(open_it())
    service = make_service(tmp_path, redis_url=url, rate_limit="100000/minute")
    try:
        cid = campaign(service)
        record(service, cid, tripped, (CallOutcome.UNAVAILABLE, 0.3, 0.0))
        record(service, cid, quiet, (CallOutcome.OK, 1.0, 0.02))
        body = listing(service)
    finally:
        service.close()
    assert body["redis_shared"] is True
    by_name = {p["name"]: p for p in body["items"]}
    assert by_name[tripped]["breaker"] == "open" and by_name[tripped]["breaker_note"] is None
    assert by_name[tripped]["failures"] == 1 and by_name[tripped]["configured"] is False
    assert by_name[quiet]["breaker"] == "closed"  # never tripped: closed, as Redis says
    assert by_name["procedural"]["breaker"] is None  # the offline one has none, Redis or not
