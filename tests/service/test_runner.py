"""A campaign run by a worker: lease, states, checkpoints, files, resume, cancel, requeue."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from image_api import FakeImageAPI
from PIL import Image
from sqlalchemy import event

from creative_automation import pipeline
from creative_automation.errors import LeaseLost
from creative_automation.service.context import Service, build_service
from creative_automation.service.runner import CampaignRunner, Heartbeats, StoreCheckpoints
from creative_automation.service.worker import requeue_lost
from creative_automation.settings import Settings
from creative_automation.storage import CampaignState
from factories import logo

S = CampaignState


def service_brief(**changes: Any) -> dict[str, Any]:
    brief: dict[str, Any] = {
        "campaign_id": "svc", "campaign_name": "Service", "region": "Global",
        "audience": "Coffee drinkers", "message": "Summer tastes better cold",
        "call_to_action": "Shop now", "formats": ["1:1", "9:16", "16:9"],
        "products": [
            {"id": "cold-brew", "name": "Cold Brew", "description": "a can of cold brew"},
            {"id": "tonic", "name": "Espresso Tonic", "description": "a bottle of tonic"},
        ],
        "brand": {"name": "Bench", "logo": "logo.png", "palette": ["#2B1B17", "#E07A2E"]},
    }  # fmt: skip
    brief.update(changes)
    return brief


def make_service(tmp_path: Path, **kw: Any) -> Service:
    settings = Settings(
        data_dir=tmp_path / "data", queue="sqlite", alt_text="brief", quality_threshold=None,
        **kw,
    )  # fmt: skip
    service = build_service(settings)
    service.store.upgrade()
    return service


def submit(service: Service, brief: dict[str, Any] | None = None) -> str:
    campaign, _ = service.store.create_campaign(brief or service_brief(), creatives_expected=6)
    buf = io.BytesIO()
    logo().save(buf, "PNG")
    service.files.put_input(campaign.id, "logo.png", buf.getvalue())
    return campaign.id


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeImageAPI]:
    fake = FakeImageAPI({"Cold Brew": 0.0, "Espresso Tonic": 1.5})
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    yield fake
    fake.close()


def states(service: Service, campaign_id: str) -> list[str]:
    return [e.to_state for e in service.store.events(campaign_id) if e.kind == "state"]


def test_a_campaign_runs_to_success_with_its_files_and_trail(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    cid = submit(service)
    CampaignRunner(service, "w1")(cid)
    campaign = service.store.get_campaign(cid)
    assert campaign.state is S.SUCCEEDED and campaign.worker_id is None
    assert states(service, cid) == ["generating", "rendering", "checking", "succeeded"]
    assert campaign.creatives_done == 6 and campaign.output_uri == service.files.uri(cid)
    manifest = json.loads(service.files.read(cid, "manifest.json"))
    assert len(manifest["creatives"]) == 6
    for creative in manifest["creatives"]:
        image = Image.open(io.BytesIO(service.files.read(cid, creative["path"])))
        assert image.size == (creative["width"], creative["height"])
    assert b"<html" in service.files.read(cid, "report.html")
    calls = service.store.provider_calls(cid)
    assert [(c.provider, c.outcome) for c in calls] == [("procedural", "ok")] * 2


def test_a_duplicate_delivery_of_a_finished_campaign_does_nothing(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    cid = submit(service)
    CampaignRunner(service, "w1")(cid)
    events = len(service.store.events(cid))
    CampaignRunner(service, "w2")(cid)
    assert len(service.store.events(cid)) == events


class Crash(BaseException):
    """Stands for the worker process dying: nothing after it runs, not even a release."""


def test_a_crashed_campaign_resumes_without_paying_again_for_finished_work(
    tmp_path: Path, api: FakeImageAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = make_service(tmp_path, OPENAI_API_KEY="sk-test", image_providers="openai",
                           lease_s=1.0)  # fmt: skip
    cid = submit(service)
    done_groups: list[int] = []
    real_group_done = StoreCheckpoints.group_done

    def crash_after_the_first_product(self: StoreCheckpoints, records: Any, folder: Path) -> None:
        real_group_done(self, records, folder)
        done_groups.append(len(records))
        if len(done_groups) == 3:  # Cold Brew's three formats are checkpointed
            raise Crash

    monkeypatch.setattr(StoreCheckpoints, "group_done", crash_after_the_first_product)
    monkeypatch.setattr(service.store, "release", lambda *a: True)  # a dead worker releases nothing
    with pytest.raises(Crash):
        CampaignRunner(service, "w1")(cid)
    monkeypatch.undo()
    monkeypatch.setenv("OPENAI_BASE_URL", api.base_url)
    crashed = service.store.get_campaign(cid)
    assert crashed.state is S.GENERATING and crashed.creatives_done == 3  # Tonic still pending
    assert api.calls["Cold Brew"] == 1
    time.sleep(1.1)  # the lease goes stale
    assert requeue_lost(service) == [cid]
    assert service.store.get_campaign(cid).state is S.QUEUED
    CampaignRunner(service, "w2")(cid)
    campaign = service.store.get_campaign(cid)
    assert campaign.state is S.SUCCEEDED and campaign.creatives_done == 6
    assert len(service.store.creatives(cid)) == 6  # each creative written once
    assert api.calls["Cold Brew"] == 1, "a finished product is not generated again"
    manifest = json.loads(service.files.read(cid, "manifest.json"))
    assert len(manifest["creatives"]) == 6
    # the source's cost is booked once, on its first creative, across both attempts
    costs = [c["cost_usd"] for c in manifest["creatives"] if c["product_id"] == "cold-brew"]
    assert sorted(costs) == [0.0, 0.0, pytest.approx(0.042)]
    assert states(service, cid)[-5:] == ["queued", "generating", "rendering", "checking",
                                         "succeeded"]  # fmt: skip


def test_a_cancel_stops_the_run_at_the_next_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the heartbeat sees the cancel within 3 s; the tonic's source takes longer than that
    api = FakeImageAPI({"Cold Brew": 0.0, "Espresso Tonic": 5.0})
    monkeypatch.setenv("OPENAI_BASE_URL", api.base_url)
    service = make_service(tmp_path, OPENAI_API_KEY="sk-test", image_providers="openai")
    cid = submit(service)
    runner = threading.Thread(target=CampaignRunner(service, "w1"), args=(cid,))
    runner.start()
    deadline = time.monotonic() + 10
    while service.store.get_campaign(cid).creatives_done < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    service.store.request_cancel(cid)
    runner.join(15)
    api.close()
    campaign = service.store.get_campaign(cid)
    assert campaign.state is S.CANCELLED and campaign.creatives_done < 6
    assert not service.files.exists(cid), "a cancelled campaign publishes no manifest"


def test_a_workers_campaigns_share_its_render_thread_and_a_cancel_spares_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = FakeImageAPI({"Cold Brew": 0.0, "Espresso Tonic": 2.5})
    monkeypatch.setenv("OPENAI_BASE_URL", api.base_url)
    rendered_on: list[str] = []
    real = pipeline.render_group

    def recording(*args: Any) -> Any:
        rendered_on.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(pipeline, "render_group", recording)
    # heartbeats every second: the cancel is seen while the tonic is still being generated
    service = make_service(tmp_path, OPENAI_API_KEY="sk-test", image_providers="openai",
                           lease_s=4)  # fmt: skip
    runner = CampaignRunner(service, "w1")
    try:
        doomed, kept = submit(service), submit(service)
        threads = [threading.Thread(target=runner, args=(c,)) for c in (doomed, kept)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while service.store.get_campaign(doomed).creatives_done < 1:
            assert time.monotonic() < deadline, "the first product was never rendered"
            time.sleep(0.02)
        service.store.request_cancel(doomed)
        for t in threads:
            t.join(20)
        assert service.store.get_campaign(doomed).state is S.CANCELLED
        # the cancelled campaign's groups were dropped, not the pool: the others go on
        later = submit(service)
        runner(later)
        for cid in (kept, later):
            campaign = service.store.get_campaign(cid)
            assert campaign.state is S.SUCCEEDED, campaign.error
            assert campaign.creatives_done == 6
        # 2 products × 3 formats: 6 groups each for the two whole campaigns, the doomed one's
        # first; every one on the worker's one render thread (CAP_RENDER_THREADS=1)
        assert len(rendered_on) >= 6 + 6 + 1
        assert set(rendered_on) == {"render_0"}
    finally:
        runner.close()
        api.close()


def test_a_worker_that_lost_its_lease_does_not_overwrite_its_successor(tmp_path: Path) -> None:
    service = make_service(tmp_path, lease_s=1.0)
    cid = submit(service)
    assert service.store.claim(cid, "w1") is not None
    service.store.transition(cid, S.GENERATING, worker_id="w1")
    time.sleep(1.1)  # w1 stops heartbeating
    assert requeue_lost(service) == [cid]
    CampaignRunner(service, "w2")(cid)
    with pytest.raises(LeaseLost):
        service.store.heartbeat(cid, "w1")
    assert service.store.get_campaign(cid).state is S.SUCCEEDED


def test_one_heartbeat_statement_renews_every_campaign_in_hand(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    ids = [submit(service) for _ in range(3)]
    for cid in ids:
        service.store.claim(cid, "w1")
        service.store.transition(cid, S.GENERATING, worker_id="w1")
    beats = Heartbeats(service, "w1")
    updates: list[str] = []

    def listen(conn: object, cursor: object, statement: str, *rest: object) -> None:
        if statement.startswith("UPDATE"):
            updates.append(statement)

    event.listen(service.store.engine, "before_cursor_execute", listen)
    try:
        with beats.held(ids[0]) as a, beats.held(ids[1]) as b, beats.held(ids[2]) as c:
            service.store.request_cancel(ids[1])
            assert service.store.claim(ids[2], "w2", stale_after=timedelta(0)) is not None
            updates.clear()
            beats.renew()
            assert len(updates) == 1  # three leases, one round trip
            assert (a.cancelled, a.lost, b.cancelled, b.lost, c.lost) == (
                False, False, True, False, True
            )  # fmt: skip
        updates.clear()
        beats.renew()  # nothing in hand: nothing sent
        assert updates == []
    finally:
        event.remove(service.store.engine, "before_cursor_execute", listen)
        beats.close()


def test_a_bad_input_fails_the_campaign_with_the_reason(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    campaign, _ = service.store.create_campaign(service_brief(), creatives_expected=6)
    CampaignRunner(service, "w1")(campaign.id)  # its logo was never uploaded
    failed = service.store.get_campaign(campaign.id)
    assert failed.state is S.FAILED and failed.error is not None and "logo.png" in failed.error


def test_a_process_exiting_under_a_campaign_is_not_its_failure() -> None:
    from creative_automation.service.runner import _exiting

    shutdown = RuntimeError("cannot schedule new futures after shutdown")
    assert _exiting(shutdown)
    try:
        try:
            raise shutdown
        except RuntimeError as inner:
            raise ValueError("wrapped") from inner
    except ValueError as outer:
        assert _exiting(outer)
    assert not _exiting(RuntimeError("a real bug"))
