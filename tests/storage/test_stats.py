"""Monitoring aggregates computed by the database: counts per state and status, histograms of
campaign durations and provider latencies; every test on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from databases import FakeClock

from creative_automation.storage import (
    CallOutcome,
    CampaignState,
    CreativeStatus,
    DeliveryStatus,
    MetadataStore,
)

S = CampaignState
BRIEF = {"campaign_id": "stats", "campaign_name": "Stats"}


def finished(store: MetadataStore, clock: FakeClock, seconds: float, final: CampaignState) -> str:
    campaign, _ = store.create_campaign({**BRIEF, "seconds": seconds, "final": str(final)})
    store.transition(campaign.id, S.GENERATING)
    clock.advance(timedelta(seconds=seconds))
    if final is not S.FAILED:
        store.transition(campaign.id, S.RENDERING)
        store.transition(campaign.id, S.CHECKING)
    store.transition(campaign.id, final)
    return campaign.id


def test_an_empty_store_counts_zero_everywhere(store: MetadataStore) -> None:
    assert set(store.campaign_counts().values()) == {0}
    assert set(store.creative_counts().values()) == {0}
    assert set(store.delivery_counts().values()) == {0}
    assert store.campaign_durations([1.0]) == {}
    assert store.provider_call_stats([1.0]) == []


def test_campaign_counts_and_duration_histograms(store: MetadataStore, clock: FakeClock) -> None:
    for seconds in (0.5, 3.0, 42.25):
        finished(store, clock, seconds, S.SUCCEEDED)
    finished(store, clock, 90.0, S.FAILED)
    store.create_campaign({**BRIEF, "queued": True})
    counts = store.campaign_counts()
    assert counts[S.SUCCEEDED] == 3 and counts[S.FAILED] == 1 and counts[S.QUEUED] == 1
    durations = store.campaign_durations([1.0, 10.0, 60.0])
    ok = durations[S.SUCCEEDED]
    assert ok.count == 3 and ok.total == pytest.approx(45.75, abs=0.01)
    assert ok.buckets == ((1.0, 1), (10.0, 2), (60.0, 3))
    assert durations[S.FAILED].buckets == ((1.0, 0), (10.0, 0), (60.0, 0))
    assert set(durations) == {S.SUCCEEDED, S.FAILED}  # unfinished campaigns have none


def test_creatives_provider_calls_and_deliveries(store: MetadataStore) -> None:
    campaign, _ = store.create_campaign(BRIEF)
    for i, status in enumerate([CreativeStatus.OK] * 2 + [CreativeStatus.NEEDS_REVIEW]):
        store.checkpoint_creative(
            campaign.id, product_id=f"p{i}", aspect_ratio="1:1", locale="en", status=status, path=""
        )
    for provider, latency, cost, outcome in [
        ("openai", 0.5, 0.04, CallOutcome.OK),
        ("openai", 6.0, 0.04, CallOutcome.OK),
        ("openai", 2.0, 0.0, CallOutcome.FAILED),
        ("stability", 1.5, 0.03, CallOutcome.OK),
    ]:
        store.record_provider_call(
            campaign.id, provider=provider, model="m", latency_s=latency, cost_usd=cost,
            outcome=outcome,
        )  # fmt: skip
    delivery = store.enqueue_webhook(campaign.id, "https://h.example/", "campaign.failed", {})
    store.mark_delivered(delivery.id)
    store.enqueue_webhook(campaign.id, "https://h.example/", "campaign.failed", {})
    assert store.creative_counts() == {
        CreativeStatus.OK: 2, CreativeStatus.NEEDS_REVIEW: 1, CreativeStatus.FAILED: 0,
    }  # fmt: skip
    stats = {(s.provider, s.outcome): s for s in store.provider_call_stats([1.0, 5.0])}
    ok = stats[("openai", CallOutcome.OK)]
    assert ok.latency.count == 2 and ok.latency.buckets == ((1.0, 1), (5.0, 1))
    assert ok.latency.total == pytest.approx(6.5) and ok.cost_usd == pytest.approx(0.08)
    assert stats[("openai", CallOutcome.FAILED)].latency.count == 1
    assert set(stats) == {
        ("openai", CallOutcome.OK), ("openai", CallOutcome.FAILED), ("stability", CallOutcome.OK),
    }  # fmt: skip
    assert store.delivery_counts()[DeliveryStatus.DELIVERED] == 1
    assert store.delivery_counts()[DeliveryStatus.PENDING] == 1


def test_provider_tallies_count_spend_and_interpolate_latency_in_the_window(
    store: MetadataStore, clock: FakeClock
) -> None:
    campaign, _ = store.create_campaign(BRIEF)

    def call(provider: str, latency: float, cost: float, outcome: CallOutcome) -> None:
        store.record_provider_call(
            campaign.id, provider=provider, model="m", latency_s=latency, cost_usd=cost,
            outcome=outcome,
        )  # fmt: skip

    call("openai", 99.0, 0.04, CallOutcome.OK)  # before the window: not counted
    clock.advance(timedelta(hours=2))
    since = clock()
    for seconds in (4.0, 1.0, 3.0, 2.0):
        call("openai", seconds, 0.04, CallOutcome.OK)
    call("openai", 30.0, 0.0, CallOutcome.UNAVAILABLE)
    call("openai", 0.0, 0.0, CallOutcome.CACHED)
    call("stability", 6.0, 0.03, CallOutcome.OK)
    call("firefly", 5.0, 0.0, CallOutcome.FAILED)  # no successful call: no latency
    tallies = {t.provider: t for t in store.provider_tallies(since)}
    assert list(tallies) == ["firefly", "openai", "stability"]
    openai = tallies["openai"]
    assert openai.outcomes == {
        CallOutcome.OK: 4, CallOutcome.UNAVAILABLE: 1, CallOutcome.CACHED: 1,
    }  # fmt: skip
    assert openai.spend_usd == pytest.approx(0.16)
    # the same on both backends: PostgreSQL's percentile_cont, or the same interpolation
    assert openai.latency_p50_s == pytest.approx(2.5)
    assert openai.latency_p95_s == pytest.approx(3.85)  # never beyond the slowest call (4 s)
    assert tallies["stability"].latency_p50_s == tallies["stability"].latency_p95_s == 6.0
    assert tallies["firefly"].latency_p50_s is None and tallies["firefly"].spend_usd == 0.0
    assert store.provider_tallies(clock() + timedelta(seconds=1)) == []
