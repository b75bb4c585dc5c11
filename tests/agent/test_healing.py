"""Self-healing on real campaigns: a killed worker's campaign is requeued by the agent and
finishes on another worker; campaigns move off a provider that is down; retries are bounded."""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from creative_automation import pipeline
from creative_automation.agent.channels import LogChannel
from creative_automation.agent.healing import HEAL
from creative_automation.agent.loop import Agent
from creative_automation.agent.rules import Healing, Rules
from creative_automation.service.context import Service, build_service
from creative_automation.service.runner import CampaignRunner
from creative_automation.settings import Settings
from creative_automation.storage import CallOutcome, CampaignState

# the service tests' real-process helpers and fake image API
sys.path.insert(0, str(Path(__file__).parents[1] / "service"))
from image_api import FakeImageAPI
from test_monitor import NoGeneration, submit
from test_processes import environment, service_for, wait_until, worker_process
from test_runner import submit as submit_service_brief


def heal_steps(service: Service, cid: str) -> list[str]:
    return [str(e.detail["step"]) for e in service.store.events(cid) if e.kind == HEAL]


def test_a_killed_workers_campaign_is_requeued_by_the_agent_and_finishes(tmp_path: Path) -> None:
    api = FakeImageAPI({"Cold Brew": 0.0, "Espresso Tonic": 6.0})
    env = environment(
        tmp_path, CAP_QUEUE="sqlite", CAP_LEASE_S="2", OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=api.base_url, CAP_IMAGE_PROVIDERS="openai",
    )  # fmt: skip
    service = service_for(env)
    cid = submit_service_brief(service)
    service.queue.enqueue_campaign(cid)
    log = tmp_path / "workers.log"
    agent = Agent(service, Rules(), [LogChannel()])
    try:
        with worker_process(env, log, concurrency=1) as first:
            wait_until(lambda: service.store.get_campaign(cid).creatives_done >= 3, 60,
                       "the first product's creatives", log, (first,))  # fmt: skip
            first.send_signal(signal.SIGKILL)
            first.wait()
        assert service.store.get_campaign(cid).state is CampaignState.GENERATING
        # no worker is running: only the agent can notice the lease going stale
        wait_until(lambda: "requeue" in {s.step for s in agent.tick().healed}, 30,
                   "the agent to requeue the campaign")  # fmt: skip
        assert service.store.get_campaign(cid).state is CampaignState.QUEUED
        assert heal_steps(service, cid) == ["requeue"]
        with worker_process(env, log, concurrency=1) as second:
            wait_until(lambda: service.store.get_campaign(cid).state.terminal, 60,
                       "the campaign to finish on the second worker", log, (second,))  # fmt: skip
        campaign = service.store.get_campaign(cid)
        assert campaign.state is CampaignState.SUCCEEDED, campaign.error
        assert campaign.creatives_done == 6 and api.calls["Cold Brew"] == 1
    finally:
        api.close()
        service.close()


@pytest.fixture
def paid(tmp_path: Path) -> Iterator[Service]:
    """A service configured with OpenAI (at a port where nothing answers) before procedural."""
    settings = Settings(
        data_dir=tmp_path / "data", queue="sqlite", workers=1,
        openai_api_key="sk-test", image_providers="openai",  # type: ignore[arg-type]
    )  # fmt: skip
    built = build_service(settings)
    built.store.upgrade()
    yield built
    built.close()


def test_a_queued_campaign_is_moved_off_a_provider_that_is_down(
    paid: Service, tmp_path: Path
) -> None:
    cid = submit(paid, tmp_path)
    for _ in range(6):  # what the workers recorded: openai failing
        paid.store.record_provider_call(
            cid, provider="openai", model="gpt-image-1", latency_s=0.4, cost_usd=0.0,
            outcome=CallOutcome.UNAVAILABLE,
        )  # fmt: skip
    tick = Agent(paid, Rules(), [LogChannel()]).tick()
    incident = next(a for a in tick.raised if a.rule == "provider_incident")
    assert incident.evidence["failures"] == 6 and incident.evidence["error_rate"] == 1.0
    assert [s.step for s in tick.healed] == ["switch_provider"]
    campaign = paid.store.get_campaign(cid)
    assert campaign.providers == "procedural"
    # the runner honours it: the campaign is made without a single call to openai
    runner = CampaignRunner(paid, "w")
    try:
        runner(cid)
    finally:
        runner.close()
    done = paid.store.get_campaign(cid)
    assert done.state is CampaignState.SUCCEEDED, done.error
    assert {c.record["provider"] for c in paid.store.creatives(cid)} <= {"procedural", None}
    calls = paid.store.provider_calls(cid)
    assert [c.provider for c in calls].count("openai") == 6  # only the six recorded above
    assert {c.provider for c in calls} == {"openai", "procedural"}


def test_provider_caused_failures_are_retried_a_bounded_number_of_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = build_service(Settings(data_dir=tmp_path / "data", queue="sqlite", workers=1))
    service.store.upgrade()
    failing = functools.partial(pipeline.run_campaign, provider=NoGeneration("Citrus Tonic"))
    monkeypatch.setattr("creative_automation.service.runner.run_campaign", failing)
    rules = Rules(healing=Healing(max_attempts=2, backoff_minutes=0))
    agent = Agent(service, rules, [LogChannel()])
    cid = submit(service, tmp_path)
    try:
        for _ in range(4):
            runner = CampaignRunner(service, "w")
            try:
                runner(cid)  # fails again: generation is still down for one product
            finally:
                runner.close()
            agent.tick()
        assert heal_steps(service, cid) == ["retry", "retry"]  # two, then it stops
        assert service.store.get_campaign(cid).state is CampaignState.FAILED
        claims = [e for e in service.store.events(cid) if e.kind == "claimed"]
        assert len(claims) == 3  # the first run and two retries
    finally:
        service.close()


def test_retries_wait_their_backoff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = build_service(Settings(data_dir=tmp_path / "data", queue="sqlite", workers=1))
    service.store.upgrade()
    failing = functools.partial(pipeline.run_campaign, provider=NoGeneration("Citrus Tonic"))
    monkeypatch.setattr("creative_automation.service.runner.run_campaign", failing)
    agent = Agent(service, Rules(healing=Healing(backoff_minutes=60)), [LogChannel()])
    cid = submit(service, tmp_path)
    try:
        for _ in range(2):
            runner = CampaignRunner(service, "w")
            try:
                runner(cid)
            finally:
                runner.close()
            agent.tick()
        assert heal_steps(service, cid) == ["retry"]  # the second waits an hour
        retried = next(e for e in service.store.events(cid) if e.kind == HEAL)
        assert retried.created_at + timedelta(minutes=60) > service.store.now()
    finally:
        service.close()


def test_a_failed_campaign_waits_while_its_providers_are_down_then_is_retried(
    paid: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from creative_automation.agent.rules import ProviderRule

    failing = functools.partial(pipeline.run_campaign, provider=NoGeneration("Citrus Tonic"))
    monkeypatch.setattr("creative_automation.service.runner.run_campaign", failing)
    cid = submit(paid, tmp_path)
    runner = CampaignRunner(paid, "w")
    try:
        runner(cid)
    finally:
        runner.close()
    assert paid.store.get_campaign(cid).state is CampaignState.FAILED
    for _ in range(5):  # openai, the only paid provider, is failing right now
        paid.store.record_provider_call(
            cid, provider="openai", model="gpt-image-1", latency_s=0.4, cost_usd=0.0,
            outcome=CallOutcome.UNAVAILABLE,
        )  # fmt: skip
    rules = Rules(
        provider_incident=ProviderRule(window_minutes=0.02),  # 1.2 s of recent calls
        healing=Healing(backoff_minutes=0),
    )
    agent = Agent(paid, rules, [LogChannel()])
    assert not agent.tick().healed  # every paid provider down: retrying now would fail again
    assert paid.store.get_campaign(cid).state is CampaignState.FAILED
    time.sleep(1.3)  # the failing calls leave the window: the provider is back
    assert [s.step for s in agent.tick().healed] == ["retry"]
    assert paid.store.get_campaign(cid).state is CampaignState.QUEUED
