"""Alert rows: one per unresolved condition, repeats counted, notifications throttled,
acknowledged and resolved; on both databases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from databases import FakeClock

from creative_automation.errors import NotFound
from creative_automation.storage import (
    AlertDraft,
    AlertStatus,
    MetadataStore,
    Severity,
)

THROTTLE = timedelta(minutes=30)


@pytest.fixture
def cid(store: MetadataStore) -> str:
    return store.create_campaign({"campaign_id": "c"})[0].id


def draft(cid: str | None, severity: Severity = Severity.WARNING, **changes: object) -> AlertDraft:
    values: dict[str, object] = {
        "rule": "insufficient_variants",
        "severity": severity,
        "summary": "espresso has 0 of 3 variants",
        "action": "add an asset for espresso",
        "evidence": {"product": "espresso", "variants": 0, "minimum": 3},
        "campaign_id": cid,
        "subject": "espresso",
    }
    values.update(changes)
    return AlertDraft(**values)  # type: ignore[arg-type]


def test_a_new_condition_opens_an_alert_and_notifies(store: MetadataStore, cid: str) -> None:
    raised = store.raise_alert(draft(cid), throttle=THROTTLE)
    assert raised.new and raised.notify
    a = raised.alert
    assert a.status is AlertStatus.OPEN and a.severity is Severity.WARNING
    assert a.fingerprint == f"insufficient_variants:{cid}:espresso"
    assert a.evidence == {"product": "espresso", "variants": 0, "minimum": 3}
    assert a.occurrences == 1 and a.notified_at == a.first_seen_at
    assert [e.kind for e in store.events(cid)][-1] == "alert"


def test_repeats_are_counted_and_throttled(
    store: MetadataStore, cid: str, clock: FakeClock
) -> None:
    first = store.raise_alert(draft(cid), throttle=THROTTLE).alert
    clock.advance(timedelta(minutes=10))
    again = store.raise_alert(draft(cid, evidence={"variants": 1}), throttle=THROTTLE)
    assert not again.new and not again.notify  # within the throttle: counted, not sent
    assert again.alert.id == first.id and again.alert.occurrences == 2
    assert again.alert.evidence == {"variants": 1}  # the latest numbers
    clock.advance(timedelta(minutes=21))  # 31 min since the last notification
    later = store.raise_alert(draft(cid), throttle=THROTTLE)
    assert later.notify and later.alert.notified_at == clock.moment
    clock.advance(timedelta(minutes=1))
    assert not store.raise_alert(draft(cid), throttle=THROTTLE).notify
    assert len(store.list_alerts()) == 1


def test_a_repeat_that_got_worse_notifies_at_once(
    store: MetadataStore, cid: str, clock: FakeClock
) -> None:
    store.raise_alert(draft(cid), throttle=THROTTLE)
    clock.advance(timedelta(minutes=1))
    worse = store.raise_alert(draft(cid, Severity.CRITICAL), throttle=THROTTLE)
    assert worse.notify and worse.alert.severity is Severity.CRITICAL
    # a milder repeat neither notifies nor lowers the severity
    milder = store.raise_alert(draft(cid, Severity.INFO), throttle=THROTTLE)
    assert not milder.notify and milder.alert.severity is Severity.CRITICAL


def test_an_acknowledged_alert_stays_quiet_until_it_gets_worse(
    store: MetadataStore, cid: str, clock: FakeClock
) -> None:
    made = store.raise_alert(draft(cid), throttle=THROTTLE).alert
    acked = store.acknowledge_alert(made.id, "ana@brand.example")
    assert acked.status is AlertStatus.ACKNOWLEDGED and acked.acknowledged_by == "ana@brand.example"
    clock.advance(timedelta(hours=5))
    assert not store.raise_alert(draft(cid), throttle=THROTTLE).notify
    worse = store.raise_alert(draft(cid, Severity.CRITICAL), throttle=THROTTLE)
    assert worse.notify and worse.alert.status is AlertStatus.OPEN
    with pytest.raises(NotFound):
        store.acknowledge_alert("alr_missing", "x")


def test_cleared_conditions_are_resolved_and_a_recurrence_opens_a_new_alert(
    store: MetadataStore, cid: str
) -> None:
    kept = store.raise_alert(draft(cid, subject="latte"), throttle=THROTTLE).alert
    gone = store.raise_alert(draft(cid), throttle=THROTTLE).alert
    other = store.raise_alert(
        draft(None, rule="provider_down", subject="openai"), throttle=THROTTLE
    )
    scope = [f"insufficient_variants:{cid}:"]
    resolved = store.resolve_cleared(scope, {kept.fingerprint})
    assert [a.id for a in resolved] == [gone.id]
    assert store.get_alert(gone.id).status is AlertStatus.RESOLVED
    assert store.get_alert(kept.id).status is AlertStatus.OPEN
    assert store.get_alert(other.alert.id).status is AlertStatus.OPEN  # outside the scope
    again = store.raise_alert(draft(cid), throttle=THROTTLE)
    assert again.new and again.alert.id != gone.id


def test_alerts_are_listed_newest_first_and_filtered(store: MetadataStore, cid: str) -> None:
    second = store.create_campaign({"campaign_id": "d"})[0].id
    a = store.raise_alert(draft(cid), throttle=THROTTLE).alert
    b = store.raise_alert(draft(second), throttle=THROTTLE).alert
    c = store.raise_alert(draft(None, rule="provider_down", subject="x"), throttle=THROTTLE).alert
    store.acknowledge_alert(b.id, "me")
    assert [x.id for x in store.list_alerts()] == [c.id, b.id, a.id]
    assert [x.id for x in store.list_alerts(status=AlertStatus.OPEN)] == [c.id, a.id]
    assert [x.id for x in store.list_alerts(campaign_id=second)] == [b.id]
    assert [x.id for x in store.list_alerts(campaign_ids=[cid, second])] == [b.id, a.id]
    with pytest.raises(ValueError, match="limit"):
        store.list_alerts(limit=0)
    with pytest.raises(NotFound):
        store.raise_alert(draft("cmp_missing"), throttle=THROTTLE)


def test_two_agents_raising_at_once_make_one_alert(store: MetadataStore, cid: str) -> None:
    barrier = threading.Barrier(4)
    results = []

    def raise_one() -> None:
        barrier.wait()
        results.append(store.raise_alert(draft(cid), throttle=THROTTLE))

    threads = [threading.Thread(target=raise_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.new for r in results) == 1
    (only,) = store.list_alerts()
    assert only.occurrences == 4


def test_a_campaign_can_be_given_its_own_provider_order(store: MetadataStore, cid: str) -> None:
    assert store.get_campaign(cid).providers is None
    store.set_campaign_providers(cid, "stability,procedural")
    assert store.get_campaign(cid).providers == "stability,procedural"
    store.record_event("heal", {"step": "switch_provider"}, campaign_id=cid)
    assert store.events(cid)[-1].detail == {"step": "switch_provider"}


def test_campaign_ids_are_every_campaign_of_one_key(store: MetadataStore) -> None:
    _, mine = store.create_key("mine")
    _, theirs = store.create_key("theirs")
    made = [store.create_campaign({"campaign_id": f"c{i}"}, api_key_id=mine.id)[0].id
            for i in range(3)]  # fmt: skip
    store.create_campaign({"campaign_id": "x"}, api_key_id=theirs.id)
    store.create_campaign({"campaign_id": "cli"})
    assert store.campaign_ids(api_key_id=mine.id) == made[::-1]
