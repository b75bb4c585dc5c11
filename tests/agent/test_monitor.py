"""The monitor on real campaigns run by the service's runner: the insufficient-variants alert
with its numbers, throttling through the webhook, resolution, budget and due-date rules."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from creative_automation import pipeline
from creative_automation.agent.alerts import campaign_alerts
from creative_automation.agent.channels import LogChannel, WebhookChannel
from creative_automation.agent.loop import Agent
from creative_automation.agent.monitor import VariantHashes, campaign_facts, distinct
from creative_automation.agent.rules import Healing, Rules, load_rules
from creative_automation.errors import ConfigError, ProviderUnavailable
from creative_automation.providers.base import GenerationRequest, GenerationResult
from creative_automation.providers.procedural import ProceduralProvider
from creative_automation.service import campaigns as actions
from creative_automation.service.context import Service, build_service
from creative_automation.service.runner import CampaignRunner
from creative_automation.settings import Settings
from creative_automation.storage import AlertStatus, CampaignState, Severity
from factories import brief_data, logo, photo


class NoGeneration:
    """An image provider that is down for `product` (its name in the prompt), procedural for
    the rest: a product with no asset then has no source at all."""

    name = "flaky"

    def __init__(self, product: str) -> None:
        self.product, self.inner = product, ProceduralProvider()

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        if self.product in request.prompt:
            raise ProviderUnavailable("flaky: HTTP 503 (provisioning: no quota for this key)")
        return await self.inner.generate(request)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    built = build_service(Settings(data_dir=tmp_path / "data", queue="sqlite", workers=1))
    built.store.upgrade()
    yield built
    built.close()


def submit(service: Service, tmp_path: Path, **changes: Any) -> str:
    data = brief_data(
        formats=["1:1", "9:16", "16:9"],
        locales={"en-US": {"message": "Fresh roast, every morning", "call_to_action": "Order"}},
        **changes,
    )
    uploads = {"hero.jpg": _jpeg(), "logo.png": _png()}
    made = actions.submit(service, data, creatives=6, uploads=uploads)
    return made.campaign.id


def _jpeg() -> bytes:
    import io

    buf = io.BytesIO()
    photo().save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _png() -> bytes:
    import io

    buf = io.BytesIO()
    logo().save(buf, "PNG")
    return buf.getvalue()


def run(service: Service, campaign_id: str, monkeypatch: pytest.MonkeyPatch, down: str) -> None:
    """Run the campaign with the service's own runner, generation down for `down`."""
    failing = functools.partial(pipeline.run_campaign, provider=NoGeneration(down))
    monkeypatch.setattr("creative_automation.service.runner.run_campaign", failing)
    runner = CampaignRunner(service, "test-worker")
    try:
        runner(campaign_id)
    finally:
        runner.close()


def test_a_product_with_no_asset_and_failing_generation_raises_insufficient_variants(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = submit(service, tmp_path)
    run(service, cid, monkeypatch, down="Citrus Tonic")
    campaign = service.store.get_campaign(cid)
    assert campaign.state is CampaignState.FAILED and "flaky: HTTP 503" in (campaign.error or "")

    rules = Rules(healing=Healing(enabled=False))  # healing has tests of its own
    tick = Agent(service, rules, [LogChannel()]).tick()
    alerts = {(a.rule, a.evidence.get("product")): a for a in tick.raised}
    short = alerts[("insufficient_variants", "made-product")]
    assert short.campaign_id == cid and short.severity is Severity.WARNING
    assert short.evidence["variants"] == 0 and short.evidence["min_variants"] == 3
    assert short.evidence["expected"] == 3 and short.evidence["produced"] == 0
    assert short.evidence["has_asset"] is False and "HTTP 503" in short.evidence["error"]
    assert "made-product has 0 of the 3 variants" in short.summary
    assert "no asset, and its generation failed" in short.summary
    assert "asset" in short.action
    assert ("campaign_failed", None) in alerts
    # stored, listed, and sent once: a second pass counts a repeat and sends nothing
    assert short.id in tick.notified
    again = Agent(service, rules, [LogChannel()]).tick()
    assert not again.notified
    stored = service.store.get_alert(short.id)
    assert stored.occurrences == 2 and stored.status is AlertStatus.OPEN


def test_distinct_variants_come_from_perceptual_hashes(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = submit(service, tmp_path, min_variants=3)
    run(service, cid, monkeypatch, down="nothing")
    assert service.store.get_campaign(cid).state is CampaignState.SUCCEEDED
    facts = campaign_facts(
        service,
        service.store.get_campaign(cid),
        VariantHashes(service),
        duplicate_distance=2,
        can_translate=False,
    )
    photo_facts = next(p for p in facts.products if p.product_id == "photo-product")
    # three formats of one photograph: three distinct crops
    assert photo_facts.produced == 3 and photo_facts.variants == 3
    assert photo_facts.min_distance is not None and photo_facts.min_distance > 2
    assert not [d for d in campaign_alerts(facts, Rules(), datetime.now(UTC))
                if d.rule == "insufficient_variants"]  # fmt: skip
    # with a looser duplicate threshold the same creatives count as fewer variants
    hashes = VariantHashes(service)
    found = [hashes.of(c) for c in service.store.creatives(cid) if c.product_id == "photo-product"]
    assert distinct([h for h in found if h is not None], 64)[0] == 1


def test_alerts_reach_the_webhook_once_per_throttle_and_resolve_when_cleared(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    cid = submit(service, tmp_path, budget_usd=0.01)
    run(service, cid, monkeypatch, down="Citrus Tonic")
    webhook = WebhookChannel(httpserver.url_for("/hook"), backoff_s=0.01)
    agent = Agent(service, Rules(healing=Healing(enabled=False)), [webhook])
    first = agent.tick()
    posts = [json.loads(r.get_data()) for r, _ in httpserver.log]
    assert len(posts) == len(first.notified) >= 2
    texts = " ".join(p["text"] for p in posts)
    assert "made-product has 0 of the 3 variants" in texts
    for _ in range(3):
        agent.tick()
    assert len(httpserver.log) == len(posts)  # throttled: repeats are counted, not sent

    # the variants alert clears once the campaign is retried and finished with generation back
    actions.retry(service, cid)
    run(service, cid, monkeypatch, down="nothing")
    assert service.store.get_campaign(cid).state is CampaignState.SUCCEEDED
    later = agent.tick()
    resolved = {a.rule for a in later.resolved}
    assert {"insufficient_variants", "campaign_failed"} <= resolved
    open_rules = {a.rule for a in service.store.list_alerts(status=AlertStatus.OPEN)}
    assert "insufficient_variants" not in open_rules


def test_due_date_and_budget_rules_fire_with_their_numbers(
    service: Service, tmp_path: Path
) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=6)).date()
    cid = submit(service, tmp_path, due=soon.isoformat(), budget_usd=1.0)
    # a campaign still queued, six hours or less from its launch date
    facts = campaign_facts(
        service,
        service.store.get_campaign(cid),
        VariantHashes(service),
        duplicate_distance=2,
        can_translate=False,
    )
    drafts = {d.rule: d for d in campaign_alerts(facts, Rules(), datetime.now(UTC))}
    due = drafts["due_date"]
    assert due.severity is Severity.CRITICAL and due.evidence["hours_left"] <= 6
    assert due.evidence["produced"] == 0 and due.evidence["expected"] == 6
    assert "budget" not in drafts  # nothing spent yet


def test_rules_come_from_a_yaml_file_with_errors_that_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("insufficient_variants:\n  duplicate_distance: 6\nbudget:\n  warn_at: 0.5\n")
    rules = load_rules(path)
    assert rules.insufficient_variants.duplicate_distance == 6 and rules.budget.warn_at == 0.5
    assert rules.due_date.warn_hours == 48  # left out: the default
    path.write_text("budget:\n  warn_at: -1\n  colour: red\n")
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    assert "budget.warn_at" in str(caught.value) and "budget.colour" in str(caught.value)
