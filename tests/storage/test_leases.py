"""Worker leases: one holder at a time, heartbeats, stale leases found and taken over, and a
presumed-dead worker fenced off; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from databases import FakeClock

from creative_automation.errors import LeaseLost, NotFound
from creative_automation.storage import CampaignState, MetadataStore

S = CampaignState
MINUTE = timedelta(minutes=1)


def queued(store: MetadataStore) -> str:
    return store.create_campaign({"campaign_id": "c"})[0].id


def test_claim_takes_the_lease_and_counts_an_attempt(
    store: MetadataStore, clock: FakeClock
) -> None:
    cid = queued(store)
    claimed = store.claim(cid, "w1")
    assert claimed is not None
    assert (claimed.worker_id, claimed.heartbeat_at, claimed.attempts) == ("w1", clock.moment, 1)
    assert store.events(cid)[-1].kind == "claimed"
    assert store.events(cid)[-1].detail == {"worker_id": "w1", "attempt": 1}


def test_a_live_lease_keeps_other_workers_out(store: MetadataStore, clock: FakeClock) -> None:
    cid = queued(store)
    assert store.claim(cid, "w1") is not None
    clock.advance(MINUTE)
    assert store.claim(cid, "w2", stale_after=2 * MINUTE) is None
    again = store.claim(cid, "w1")  # its own holder may claim again (a retried task)
    assert again is not None and again.attempts == 2
    assert store.get_campaign(cid).worker_id == "w1"


def test_a_finished_campaign_cannot_be_claimed(store: MetadataStore) -> None:
    cid = queued(store)
    store.transition(cid, S.CANCELLED)
    assert store.claim(cid, "w1") is None
    with pytest.raises(NotFound):
        store.claim("cmp_missing", "w1")


def test_heartbeat_renews_the_lease_and_reports_cancellation(
    store: MetadataStore, clock: FakeClock
) -> None:
    cid = queued(store)
    store.claim(cid, "w1")
    store.transition(cid, S.GENERATING)
    clock.advance(MINUTE)
    assert store.heartbeat(cid, "w1").heartbeat_at == clock.moment
    store.request_cancel(cid)
    assert store.heartbeat(cid, "w1").cancel_requested


def test_one_heartbeat_renews_all_of_a_workers_leases(
    store: MetadataStore, clock: FakeClock
) -> None:
    mine, cancelled, taken, ended = (queued(store) for _ in range(4))
    for cid in (mine, cancelled, taken, ended):
        store.claim(cid, "w1")
        store.transition(cid, S.GENERATING)
    store.request_cancel(cancelled)  # running: it stops at its next checkpoint
    clock.advance(3 * MINUTE)
    assert store.claim(taken, "w2", stale_after=2 * MINUTE) is not None  # w1 went quiet
    store.transition(ended, S.CANCELLED)
    clock.advance(MINUTE)
    renewed = store.heartbeat_many([mine, cancelled, taken, ended], "w1")
    assert renewed == {mine: False, cancelled: True}  # the other two are no longer w1's
    assert store.get_campaign(mine).heartbeat_at == clock.moment
    assert store.get_campaign(taken).worker_id == "w2"
    assert store.heartbeat_many([], "w1") == {}


def test_stale_leases_are_found_and_can_be_taken_over(
    store: MetadataStore, clock: FakeClock
) -> None:
    alive, dead, idle = queued(store), queued(store), queued(store)
    for cid, worker in ((alive, "w-alive"), (dead, "w-dead")):
        store.claim(cid, worker)
        store.transition(cid, S.GENERATING)
    clock.advance(3 * MINUTE)
    store.heartbeat(alive, "w-alive")
    assert [c.id for c in store.stale_campaigns(2 * MINUTE)] == [dead]  # never-claimed: not stale
    assert idle not in {c.id for c in store.stale_campaigns(timedelta(0))}

    # the reaper requeues it (which frees the lease), a new worker resumes it
    requeued = store.transition(dead, S.QUEUED, {"reason": "lease expired"})
    assert requeued.worker_id is None and requeued.heartbeat_at is None
    taken = store.claim(dead, "w-new")
    assert taken is not None and taken.attempts == 2
    assert store.stale_campaigns(2 * MINUTE) == []


def test_a_stale_lease_can_also_be_claimed_directly(store: MetadataStore, clock: FakeClock) -> None:
    cid = queued(store)
    store.claim(cid, "w1")
    clock.advance(5 * MINUTE)
    taken = store.claim(cid, "w2", stale_after=2 * MINUTE)
    assert taken is not None and taken.worker_id == "w2"


def test_the_worker_that_lost_its_lease_is_fenced_off(
    store: MetadataStore, clock: FakeClock
) -> None:
    cid = queued(store)
    store.claim(cid, "w1")
    store.transition(cid, S.GENERATING, worker_id="w1")
    clock.advance(5 * MINUTE)
    store.claim(cid, "w2", stale_after=2 * MINUTE)
    # w1 wakes up after a long pause: neither its heartbeat nor its transitions get through
    with pytest.raises(LeaseLost, match="w2"):
        store.heartbeat(cid, "w1")
    with pytest.raises(LeaseLost, match="leased to w2"):
        store.transition(cid, S.RENDERING, worker_id="w1")
    assert store.transition(cid, S.RENDERING, worker_id="w2").state is S.RENDERING


def test_heartbeat_after_the_campaign_ended_is_lease_lost(store: MetadataStore) -> None:
    cid = queued(store)
    store.claim(cid, "w1")
    store.transition(cid, S.FAILED)
    with pytest.raises(LeaseLost, match="failed"):
        store.heartbeat(cid, "w1")


def test_release_frees_the_lease_for_the_next_worker(store: MetadataStore) -> None:
    cid = queued(store)
    store.claim(cid, "w1")
    assert not store.release(cid, "w2")  # not the holder: nothing happens
    assert store.release(cid, "w1")
    assert store.get_campaign(cid).worker_id is None
    assert store.claim(cid, "w2") is not None
    assert [e.kind for e in store.events(cid)] == ["created", "claimed", "released", "claimed"]
    with pytest.raises(NotFound):
        store.release("cmp_missing", "w1")


def test_two_workers_claiming_at_once_never_both_win(store: MetadataStore) -> None:
    import threading

    cid = queued(store)
    barrier = threading.Barrier(8)
    winners: list[str] = []

    def claim(worker: str) -> None:
        barrier.wait()
        if store.claim(cid, worker) is not None:
            winners.append(worker)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(winners) == 1
    assert store.get_campaign(cid).worker_id == winners[0]
