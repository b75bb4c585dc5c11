"""The metrics collector: service-wide numbers from the store at scrape time (what any worker
wrote), histograms from SQL aggregates, breaker state from Redis."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from api_support import make_service, small_brief
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from backends import require_redis
from creative_automation.errors import ProviderUnavailable
from creative_automation.providers.resilience import ResiliencePolicy, build_guards, close_guards
from creative_automation.service.context import Service
from creative_automation.service.metrics import StoreCollector, build_registry
from creative_automation.storage import CallOutcome, CampaignState, CreativeStatus, MetadataStore
from creative_automation.storage.engine import build_engine

S = CampaignState


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(service: Service) -> Samples:
    registry, _ = build_registry(service)
    text = generate_latest(registry).decode()
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


@pytest.fixture
def clocked(tmp_path: Path) -> tuple[Service, Clock]:
    service = make_service(tmp_path)
    clock = Clock()
    service.store.close()
    service.store = MetadataStore(build_engine(service.settings.metadata_url), clock=clock)
    return service, clock


def finish(service: Service, clock: Clock, seconds: float, final: CampaignState, seed: int) -> str:
    store = service.store
    campaign, _ = store.create_campaign(small_brief(seed=seed), creatives_expected=2)
    store.transition(campaign.id, S.GENERATING)
    clock.moment += timedelta(seconds=seconds)
    if final is not S.FAILED:
        store.transition(campaign.id, S.RENDERING)
        store.transition(campaign.id, S.CHECKING)
    store.transition(campaign.id, final)
    return campaign.id


def test_campaign_durations_are_a_histogram_per_final_state(
    clocked: tuple[Service, Clock],
) -> None:
    service, clock = clocked
    for i, seconds in enumerate((1.5, 4.0, 45.0)):
        finish(service, clock, seconds, S.SUCCEEDED, seed=i)
    finish(service, clock, 700.0, S.FAILED, seed=9)
    service.store.create_campaign(small_brief(seed=10))  # queued: no duration yet
    got = samples(service)
    ok = (("state", "succeeded"),)
    assert got[("cap_campaign_duration_seconds_count", ok)] == 3
    assert got[("cap_campaign_duration_seconds_sum", ok)] == pytest.approx(50.5, abs=0.01)
    assert got[("cap_campaign_duration_seconds_bucket", (("le", "2.0"), *ok))] == 1
    assert got[("cap_campaign_duration_seconds_bucket", (("le", "5.0"), *ok))] == 2
    assert got[("cap_campaign_duration_seconds_bucket", (("le", "60.0"), *ok))] == 3
    assert got[("cap_campaign_duration_seconds_bucket", (("le", "+Inf"), *ok))] == 3
    failed = (("state", "failed"),)
    assert got[("cap_campaign_duration_seconds_bucket", (("le", "600.0"), *failed))] == 0
    assert got[("cap_campaign_duration_seconds_count", failed)] == 1
    assert got[("cap_campaigns", (("state", "queued"),))] == 1
    assert got[("cap_campaigns", (("state", "succeeded"),))] == 3


def test_creatives_and_provider_calls_from_what_workers_wrote(
    clocked: tuple[Service, Clock],
) -> None:
    service, _ = clocked
    store = service.store
    campaign, _ = store.create_campaign(small_brief())
    for i, status in enumerate((CreativeStatus.OK, CreativeStatus.OK, CreativeStatus.FAILED)):
        store.checkpoint_creative(
            campaign.id,
            product_id=f"p{i}",
            aspect_ratio="1:1",
            locale="en-US",
            status=status,
            path=f"p{i}/1x1/en-US.jpg",
        )
    calls = [
        ("openai", 0.8, 0.04, CallOutcome.OK),
        ("openai", 3.0, 0.04, CallOutcome.OK),
        ("openai", 30.5, 0.0, CallOutcome.UNAVAILABLE),
        ("stability", 1.2, 0.03, CallOutcome.OK),
    ]
    for provider, latency, cost, outcome in calls:
        store.record_provider_call(
            campaign.id,
            provider=provider,
            model="m",
            latency_s=latency,
            cost_usd=cost,
            outcome=outcome,
        )
    got = samples(service)
    assert got[("cap_creatives", (("status", "ok"),))] == 2
    assert got[("cap_creatives", (("status", "failed"),))] == 1
    assert got[("cap_creatives", (("status", "needs_review"),))] == 0
    openai_ok = (("outcome", "ok"), ("provider", "openai"))
    assert got[("cap_provider_calls_total", openai_ok)] == 2
    assert (
        got[("cap_provider_calls_total", (("outcome", "unavailable"), ("provider", "openai")))] == 1
    )
    assert got[("cap_provider_latency_seconds_bucket", (("le", "1.0"), *openai_ok))] == 1
    assert got[("cap_provider_latency_seconds_sum", openai_ok)] == pytest.approx(3.8)
    assert got[("cap_provider_cost_usd_total", (("provider", "openai"),))] == pytest.approx(0.08)
    assert got[("cap_provider_cost_usd_total", (("provider", "stability"),))] == pytest.approx(0.03)


def test_no_breaker_metrics_without_redis(tmp_path: Path) -> None:
    # in-memory breakers live in each worker process: this process cannot see them
    got = samples(make_service(tmp_path))
    assert not any(name == "cap_provider_breaker_state" for name, _ in got)


def test_breaker_state_is_read_from_redis(tmp_path: Path) -> None:
    url = require_redis()
    name = f"cap-test-{uuid.uuid4().hex[:8]}"
    closed = f"cap-test-{uuid.uuid4().hex[:8]}"
    policy = ResiliencePolicy(attempts=1, breaker_threshold=1, breaker_ttl_s=60)

    async def open_it() -> None:
        guards = build_guards([name], policy, redis_url=url)

        async def failing() -> None:
            raise ProviderUnavailable("500", status=500)

        with pytest.raises(ProviderUnavailable):
            await guards[name].call(failing)
        await close_guards(guards)

    asyncio.run(open_it())
    service = make_service(tmp_path, redis_url=url, queue="sqlite")
    collector = StoreCollector(service, providers=lambda: [name, closed])
    families = {f.name: f for f in collector.collect()}
    values = {
        (s.labels["provider"], s.labels["state"]): s.value
        for s in families["cap_provider_breaker_state"].samples
    }
    assert values[(name, "opened")] == 1 and values[(name, "closed")] == 0
    assert values[(closed, "closed")] == 1  # never called: closed, and nothing registered


def test_http_metrics_count_per_route_template_not_per_id(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from creative_automation.service.api import create_app

    service = make_service(tmp_path)
    key, _ = service.store.create_key("r")
    with TestClient(create_app(service)) as client:
        for campaign_id in ("cmp_a", "cmp_b"):
            client.get(f"/v1/campaigns/{campaign_id}", headers={"X-API-Key": key})
        text = client.get("/metrics").text
    route = 'route="/v1/campaigns/{campaign_id}"'
    assert f'cap_http_requests_total{{method="GET",{route},status="404"}} 2.0' in text
    assert "cmp_a" not in text
