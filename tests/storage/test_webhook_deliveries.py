"""Webhook delivery rows: enqueued, taken when due (once per lease), delivered or retried."""

from __future__ import annotations

from datetime import timedelta

import pytest
from databases import FakeClock

from creative_automation.errors import NotFound
from creative_automation.storage import DeliveryStatus, MetadataStore

PAYLOAD = {"event": "campaign.succeeded", "campaign_id": "cmp_x", "creatives": 8}


@pytest.fixture
def cid(store: MetadataStore) -> str:
    return store.create_campaign({"campaign_id": "c"})[0].id


def test_an_enqueued_delivery_is_due_at_once(
    store: MetadataStore, cid: str, clock: FakeClock
) -> None:
    made = store.enqueue_webhook(cid, "https://h.example/hook", "campaign.succeeded", PAYLOAD)
    assert made.status is DeliveryStatus.PENDING and made.attempts == 0
    assert made.next_attempt_at == clock.moment and made.payload == PAYLOAD
    (taken,) = store.due_webhooks()
    assert taken.id == made.id and taken.url == "https://h.example/hook"
    with pytest.raises(NotFound):
        store.enqueue_webhook("cmp_missing", "https://h.example", "x", {})


def test_a_taken_delivery_is_not_taken_again_until_its_lease_ends(
    store: MetadataStore, cid: str, clock: FakeClock
) -> None:
    store.enqueue_webhook(cid, "https://h.example", "campaign.succeeded", PAYLOAD)
    assert len(store.due_webhooks(lease=timedelta(minutes=1))) == 1
    assert store.due_webhooks() == []  # another sender finds nothing
    clock.advance(timedelta(minutes=2))  # its sender died without marking it
    assert len(store.due_webhooks()) == 1


def test_delivered_is_final(store: MetadataStore, cid: str) -> None:
    made = store.enqueue_webhook(cid, "https://h.example", "campaign.succeeded", PAYLOAD)
    store.due_webhooks()
    done = store.mark_delivered(made.id)
    assert done.status is DeliveryStatus.DELIVERED and done.attempts == 1
    assert done.next_attempt_at is None
    assert store.due_webhooks() == [] and store.deliveries(cid) == [done]


def test_a_failure_is_retried_when_asked_then_given_up(
    store: MetadataStore, cid: str, clock: FakeClock
) -> None:
    made = store.enqueue_webhook(cid, "https://h.example", "campaign.failed", PAYLOAD)
    store.due_webhooks()
    retry_at = clock.moment + timedelta(seconds=30)
    failed = store.mark_delivery_failed(made.id, "HTTP 503", retry_at=retry_at)
    assert (failed.status, failed.attempts, failed.last_error) == (
        DeliveryStatus.PENDING,
        1,
        "HTTP 503",
    )
    assert store.due_webhooks() == []
    clock.advance(timedelta(seconds=30))
    assert [d.id for d in store.due_webhooks()] == [made.id]
    final = store.mark_delivery_failed(made.id, "connection refused", retry_at=None)
    assert final.status is DeliveryStatus.FAILED and final.attempts == 2
    clock.advance(timedelta(days=1))
    assert store.due_webhooks() == []
    with pytest.raises(NotFound):
        store.mark_delivered("whd_missing")


def test_due_deliveries_come_oldest_first_up_to_the_limit(
    store: MetadataStore, cid: str, clock: FakeClock
) -> None:
    made = []
    for n in range(5):
        made.append(store.enqueue_webhook(cid, f"https://h.example/{n}", "e", {"n": n}).id)
        clock.advance(timedelta(seconds=1))
    assert [d.id for d in store.due_webhooks(limit=3)] == made[:3]
    assert [d.id for d in store.due_webhooks(limit=3)] == made[3:]
