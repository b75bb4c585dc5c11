"""The queue and its consumer for real: campaigns enqueued on SQLite (and Redis) run to the end."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cv2
import pytest
from pytest_httpserver import HTTPServer
from test_runner import service_brief, submit
from threadpoolctl import threadpool_info, threadpool_limits

from backends import require_redis
from creative_automation.service.worker import EmbeddedWorker
from creative_automation.settings import Settings
from creative_automation.storage import CampaignState


def wait_for(check: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def run_three(settings: Settings) -> None:
    worker = EmbeddedWorker(settings, concurrency=2).start()
    service = worker.service
    try:
        ids = [submit(service, service_brief(campaign_id=f"c{i}")) for i in range(3)]
        for cid in ids:
            service.queue.enqueue_campaign(cid)
        assert service.queue.depth() >= 1 or True  # a fast worker may have taken them all
        wait_for(lambda: all(service.store.get_campaign(c).state.terminal for c in ids))
        for cid in ids:
            campaign = service.store.get_campaign(cid)
            assert campaign.state is CampaignState.SUCCEEDED, campaign.error
            assert service.files.exists(cid) and campaign.creatives_done == 6
        assert service.queue.depth() == 0
    finally:
        worker.stop()


def test_campaigns_on_the_sqlite_queue_are_run_by_the_consumer(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", queue="sqlite", alt_text="brief")
    from creative_automation.storage import build_metadata_store

    build_metadata_store(settings).upgrade()
    run_three(settings)


def test_a_worker_runs_its_image_kernels_on_one_thread_each(tmp_path: Path) -> None:
    """Its campaigns are its parallelism: OpenCV's and BLAS's own pools would only contend."""
    cv2.setNumThreads(2)
    threadpool_limits(limits=2)
    assert cv2.getNumThreads() == 2
    settings = Settings(data_dir=tmp_path / "data", queue="sqlite", alt_text="brief")
    worker = EmbeddedWorker(settings)
    try:
        assert cv2.getNumThreads() == 1
        pools = threadpool_info()
        assert pools and {pool["num_threads"] for pool in pools} == {1}, pools
    finally:
        worker.service.close()


def test_campaigns_on_the_redis_queue_are_run_by_the_consumer(tmp_path: Path) -> None:
    url = require_redis()
    name = f"t{os.getpid()}{time.time_ns()}"  # its own queue: other tests share the server
    settings = Settings(data_dir=tmp_path / "data", redis_url=url, alt_text="brief",
                        queue_name=name)  # fmt: skip
    from creative_automation.storage import build_metadata_store

    build_metadata_store(settings).upgrade()
    run_three(settings)


def test_the_queue_is_unreachable_is_a_clear_error(tmp_path: Path) -> None:
    from creative_automation.errors import QueueUnavailable
    from creative_automation.service.queue import build_queue

    settings = Settings(data_dir=tmp_path / "d", redis_url="redis://127.0.0.1:1/0")
    queue = build_queue(settings)
    with pytest.raises(QueueUnavailable, match="redis queue"):
        queue.enqueue_campaign("cmp_x")
    with pytest.raises(QueueUnavailable):
        queue.ping()


def test_a_finished_campaign_calls_its_webhook_signed(
    tmp_path: Path, httpserver_ipv4: HTTPServer
) -> None:
    from creative_automation.service.webhooks import verify
    from creative_automation.storage import build_metadata_store

    secret = "whsec-0123456789abcdef"
    httpserver_ipv4.expect_request("/hook", method="POST").respond_with_data("ok")
    settings = Settings(data_dir=tmp_path / "data", queue="sqlite", alt_text="brief",
                        webhook_secret=secret, webhook_allow_private=True)  # fmt: skip
    build_metadata_store(settings).upgrade()
    worker = EmbeddedWorker(settings, concurrency=1).start()
    service = worker.service
    try:
        campaign, _ = service.store.create_campaign(
            service_brief(brand=None), webhook_url=httpserver_ipv4.url_for("/hook")
        )
        service.queue.enqueue_campaign(campaign.id)
        wait_for(lambda: len(httpserver_ipv4.log) == 1, 30)
    finally:
        worker.stop()
    request, _ = httpserver_ipv4.log[0]
    body = request.get_data()
    assert verify(secret.encode(), request.headers["X-Cap-Signature"], body)
    assert request.headers["X-Cap-Event"] == "campaign.succeeded"
    sent = json.loads(body)
    assert sent["data"]["campaign"]["id"] == campaign.id
    (delivery,) = service.store.deliveries(campaign.id)
    assert delivery.status.value == "delivered"
