"""Real `cap worker` processes: two on one queue share 20 campaigns, each creative made once;
a worker killed with SIGKILL mid-campaign is replaced and the campaign finishes unpaid twice."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from image_api import FakeImageAPI
from test_runner import service_brief, submit

from backends import require_redis
from creative_automation.service.context import Service, build_service
from creative_automation.settings import Settings
from creative_automation.storage import CampaignState
from live import cap_process, wait_until


@contextmanager
def worker_process(
    env: dict[str, str], log: Path, concurrency: int = 2
) -> Iterator[subprocess.Popen[bytes]]:
    with cap_process(["worker", "--concurrency", str(concurrency)], env, log) as proc:
        yield proc


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "CAP_DATA_DIR": str(tmp_path / "data"), "CAP_ALT_TEXT": "brief", **extra,
    }  # fmt: skip


def service_for(env: dict[str, str]) -> Service:
    settings = Settings(
        data_dir=Path(env["CAP_DATA_DIR"]), redis_url=env.get("CAP_REDIS_URL"),
        queue=env.get("CAP_QUEUE"),  # type: ignore[arg-type]
        queue_name=env.get("CAP_QUEUE_NAME", "cap"),
        lease_s=float(env.get("CAP_LEASE_S", 60)),
    )  # fmt: skip
    service = build_service(settings)
    service.store.upgrade()
    return service


def test_two_workers_on_one_redis_queue_make_each_creative_once(tmp_path: Path) -> None:
    url = require_redis()
    # a queue of its own: other tests (and other runs) share the Redis server
    env = environment(tmp_path, CAP_REDIS_URL=url, CAP_QUEUE_NAME=f"t{os.getpid()}{time.time_ns()}")
    service = service_for(env)
    ids = [submit(service, service_brief(campaign_id=f"c{i}")) for i in range(20)]
    log = tmp_path / "workers.log"
    with worker_process(env, log) as one, worker_process(env, log) as two:
        for cid in ids:
            service.queue.enqueue_campaign(cid)
        wait_until(
            lambda: all(service.store.get_campaign(c).state.terminal for c in ids), 240,
            "20 campaigns", log, (one, two),
        )  # fmt: skip
    workers = set()
    for cid in ids:
        campaign = service.store.get_campaign(cid)
        assert campaign.state is CampaignState.SUCCEEDED, campaign.error
        creatives = service.store.creatives(cid)
        assert len(creatives) == len({c.key for c in creatives}) == 6
        claims = [e for e in service.store.events(cid) if e.kind == "claimed"]
        assert len(claims) == 1, "each campaign was run by exactly one worker"
        workers.add(claims[0].detail["worker_id"])
        assert len(service.store.provider_calls(cid)) == 2  # one source per product, once
        assert service.files.exists(cid)
    assert len(workers) == 2, "both workers took campaigns"


def test_a_worker_killed_mid_campaign_is_replaced_without_paying_twice(tmp_path: Path) -> None:
    api = FakeImageAPI({"Cold Brew": 0.0, "Espresso Tonic": 6.0})
    env = environment(
        tmp_path, CAP_QUEUE="sqlite", CAP_LEASE_S="2", OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=api.base_url, CAP_IMAGE_PROVIDERS="openai",
    )  # fmt: skip
    service = service_for(env)
    cid = submit(service)
    service.queue.enqueue_campaign(cid)
    log = tmp_path / "workers.log"
    try:
        with worker_process(env, log, concurrency=1) as first:
            wait_until(lambda: service.store.get_campaign(cid).creatives_done >= 3, 60,
                       "the first product's creatives", log, (first,))  # fmt: skip
            first.send_signal(signal.SIGKILL)
            first.wait()
        assert service.store.get_campaign(cid).state is CampaignState.GENERATING
        with worker_process(env, log, concurrency=1) as second:
            wait_until(lambda: service.store.get_campaign(cid).state.terminal, 60,
                       "the campaign to finish on the second worker", log, (second,))  # fmt: skip
        campaign = service.store.get_campaign(cid)
        assert campaign.state is CampaignState.SUCCEEDED, campaign.error
        assert len(service.store.creatives(cid)) == 6 and campaign.creatives_done == 6
        assert api.calls["Cold Brew"] == 1, "the finished product was not generated again"
        assert api.calls["Espresso Tonic"] == 2  # in flight when the worker died, then again
        kinds = [e.kind for e in service.store.events(cid)]
        assert kinds.count("claimed") == 2
        assert service.files.exists(cid)
    finally:
        api.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_finishes_the_campaign_in_hand_and_ctrl_c_stops_at_once(
    tmp_path: Path, signum: int
) -> None:
    api = FakeImageAPI({"Cold Brew": 1.5, "Espresso Tonic": 1.5})
    env = environment(
        tmp_path, CAP_QUEUE="sqlite", OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=api.base_url,
        CAP_IMAGE_PROVIDERS="openai",
    )  # fmt: skip
    service = service_for(env)
    cid = submit(service)
    service.queue.enqueue_campaign(cid)
    log = tmp_path / "worker.log"
    try:
        with worker_process(env, log, concurrency=1) as proc:
            wait_until(lambda: service.store.get_campaign(cid).state is CampaignState.GENERATING,
                       30, "the campaign to start", log, (proc,))  # fmt: skip
            proc.send_signal(signum)
            proc.wait(30)
        state = service.store.get_campaign(cid).state
        if signum == signal.SIGTERM:  # what docker and Kubernetes send: finish, then exit
            assert state is CampaignState.SUCCEEDED
        else:  # Ctrl-C: stop now; the lease runs out and another worker resumes it
            assert state is CampaignState.GENERATING
    finally:
        api.close()
