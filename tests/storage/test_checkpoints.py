"""Creative checkpoints are written once, whoever writes them, with the campaign's counters
moving with them; provider calls are logged. On SQLite and PostgreSQL, across threads, engines
and processes."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest

from creative_automation.errors import NotFound
from creative_automation.storage import (
    CallOutcome,
    CreativeCheckpoint,
    CreativeStatus,
    MetadataStore,
)
from creative_automation.storage.engine import build_engine

RECORD = {"product_id": "can", "locale": "es-MX", "aspect_ratio": "9:16", "width": 1080}


def checkpoint(store: MetadataStore, cid: str, locale: str = "es-MX", cost: float = 0.04) -> Any:
    return store.checkpoint_creative(
        cid,
        product_id="can",
        aspect_ratio="9:16",
        locale=locale,
        status=CreativeStatus.OK,
        path=f"can/9x16/{locale}.jpg",
        cost_usd=cost,
        record={**RECORD, "locale": locale},
    )


@pytest.fixture
def cid(store: MetadataStore) -> str:
    return store.create_campaign({"campaign_id": "c"}, creatives_expected=4)[0].id


def test_a_checkpoint_counts_the_creative_and_its_cost(store: MetadataStore, cid: str) -> None:
    creative, created = checkpoint(store, cid)
    assert created and creative.id.startswith("crv_")
    assert creative.key == ("can", "9:16", "es-MX") and creative.status is CreativeStatus.OK
    assert creative.record == RECORD
    campaign = store.get_campaign(cid)
    assert (campaign.creatives_done, campaign.cost_usd) == (1, pytest.approx(0.04))
    assert store.creatives(cid) == [creative]


def test_a_group_is_checkpointed_at_once_skipping_what_was_there(
    store: MetadataStore, cid: str
) -> None:
    checkpoint(store, cid, locale="es-MX", cost=0.04)  # an earlier attempt got this far
    group = [
        CreativeCheckpoint("can", "9:16", loc, CreativeStatus.OK, f"can/9x16/{loc}.jpg", cost)
        for loc, cost in (("es-MX", 9.99), ("en-US", 0.0), ("ja-JP", 0.01))
    ]
    assert store.checkpoint_creatives(cid, group) == 2
    campaign = store.get_campaign(cid)
    assert (campaign.creatives_done, campaign.cost_usd) == (3, pytest.approx(0.05))
    assert sorted(c.locale for c in store.creatives(cid)) == ["en-US", "es-MX", "ja-JP"]
    assert store.checkpoint_creatives(cid, group) == 0 and store.checkpoint_creatives(cid, []) == 0
    with pytest.raises(NotFound):
        store.checkpoint_creatives("cmp_missing", group)


def test_checkpointing_twice_is_a_no_op_returning_the_first(store: MetadataStore, cid: str) -> None:
    first, _ = checkpoint(store, cid, cost=0.04)
    again, created = checkpoint(store, cid, cost=9.99)
    assert not created and again == first
    campaign = store.get_campaign(cid)
    assert (campaign.creatives_done, campaign.cost_usd) == (1, pytest.approx(0.04))
    assert len(store.creatives(cid)) == 1


def test_finished_creatives_are_what_a_resumed_run_skips(store: MetadataStore, cid: str) -> None:
    checkpoint(store, cid, "en-US")
    checkpoint(store, cid, "es-MX")
    store.checkpoint_creative(
        cid,
        product_id="can",
        aspect_ratio="1:1",
        locale="en-US",
        status=CreativeStatus.FAILED,
        path="",
    )
    assert store.finished_creatives(cid) == {
        ("can", "9:16", "en-US"),
        ("can", "9:16", "es-MX"),
        ("can", "1:1", "en-US"),
    }
    other, _ = store.create_campaign({"campaign_id": "d"})
    assert store.finished_creatives(other.id) == set()


def test_checkpoint_of_an_unknown_campaign_is_not_found(store: MetadataStore) -> None:
    with pytest.raises(NotFound):
        checkpoint(store, "cmp_missing")


def test_an_unknown_status_is_refused_before_the_database(store: MetadataStore, cid: str) -> None:
    with pytest.raises(ValueError, match="done"):
        store.checkpoint_creative(
            cid,
            product_id="can",
            aspect_ratio="1:1",
            locale="en",
            status="done",  # type: ignore[arg-type]
            path="x",
        )


def _race(stores: list[MetadataStore], cid: str, rounds: int = 10) -> list[bool]:
    """Every store checkpoints the same creatives at the same moment, several times over."""
    created: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(stores))

    def run(store: MetadataStore) -> None:
        for n in range(rounds):
            barrier.wait()
            _, made = checkpoint(store, cid, locale=f"l{n}")
            with lock:
                created.append(made)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return created


def test_two_threads_checkpointing_at_once_write_one_row(store: MetadataStore, cid: str) -> None:
    created = _race([store, store], cid)
    assert len(created) == 20 and sum(created) == 10
    campaign = store.get_campaign(cid)
    assert len(store.creatives(cid)) == 10 == campaign.creatives_done
    assert campaign.cost_usd == pytest.approx(0.4)


def test_two_engines_checkpointing_at_once_write_one_row(store: MetadataStore, cid: str) -> None:
    # two engines, two connection pools: as two API or worker processes would be
    other = MetadataStore(build_engine(store.engine.url.render_as_string(hide_password=False)))
    try:
        created = _race([store, other], cid)
    finally:
        other.close()
    assert sum(created) == 10
    assert len(store.creatives(cid)) == 10 == store.get_campaign(cid).creatives_done


def _checkpoint_all(url: str, cid: str, barrier: Any) -> None:
    with MetadataStore(build_engine(url)) as store:
        barrier.wait()
        for n in range(20):
            checkpoint(store, cid, locale=f"l{n}")


def test_two_processes_checkpointing_at_once_write_one_row(store: MetadataStore, cid: str) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")  # fork in a threaded test process may deadlock
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_checkpoint_all, args=(url, cid, barrier)) for _ in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    campaign = store.get_campaign(cid)
    assert len(store.creatives(cid)) == 20 == campaign.creatives_done
    assert campaign.cost_usd == pytest.approx(0.8)


def test_provider_calls_are_logged_without_touching_the_cost(
    store: MetadataStore, cid: str
) -> None:
    ok = store.record_provider_call(
        cid,
        provider="openai",
        model="gpt-image-1",
        latency_s=8.2,
        cost_usd=0.04,
        outcome=CallOutcome.OK,
    )
    store.record_provider_call(
        cid,
        provider="stability",
        model="core",
        latency_s=30.0,
        cost_usd=0.0,
        outcome=CallOutcome.UNAVAILABLE,
    )
    calls = store.provider_calls(cid)
    assert calls[0] == ok and ok.outcome is CallOutcome.OK
    assert [c.outcome for c in calls] == [CallOutcome.OK, CallOutcome.UNAVAILABLE]
    assert store.get_campaign(cid).cost_usd == 0.0  # the creatives carry the cost
    with pytest.raises(NotFound):
        store.record_provider_call(
            "cmp_missing", provider="x", model="y", latency_s=0, cost_usd=0, outcome=CallOutcome.OK
        )
