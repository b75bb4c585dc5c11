"""Self-healing, each step an audit event: requeue what lost its worker, move campaigns off a
provider that is down, retry provider-caused failures once the breaker closes; bounded."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import CreativeAutomationError, InvalidTransition
from ..providers.setup import provider_names
from ..service.campaigns import retry
from ..service.context import Service
from ..service.worker import requeue_lost
from ..storage import Campaign, CampaignState
from .monitor import ProviderFacts
from .rules import Rules

log = logging.getLogger(__name__)
HEAL = "heal"
_PROVIDER_WORDS = ("provider", "generat", "breaker", "quota", "rate limit", "timed out")


@dataclass(frozen=True)
class Step:
    """One healing step taken: what, on which campaign, why."""

    step: str
    campaign_id: str
    detail: dict[str, object]


def down(providers: list[ProviderFacts], rules: Rules) -> set[str]:
    """Providers to keep campaigns off: breaker open, or most recent calls failing."""
    r = rules.provider_incident
    return {
        p.name
        for p in providers
        if p.breaker == "opened" or (p.calls >= r.min_calls and p.error_rate >= r.error_rate)
    }


class Healer:
    """Applies the healing steps; `heal()` once per agent tick."""

    def __init__(self, service: Service, rules: Rules) -> None:
        self.service, self.rules = service, rules

    def heal(self, campaigns: list[Campaign], providers: list[ProviderFacts]) -> list[Step]:
        if not self.rules.healing.enabled:
            return []
        steps = [
            self._record("requeue", cid, {"reason": "worker lost"})
            for cid in requeue_lost(self.service)
        ]
        unhealthy = down(providers, self.rules)
        order = provider_names(self.service.settings)
        for c in campaigns:
            try:
                step = self._one(c, unhealthy, order)
            except (InvalidTransition, CreativeAutomationError) as exc:
                log.warning("healing campaign %s: %s", c.id, exc)
                continue
            if step is not None:
                steps.append(step)
        return steps

    def _one(self, c: Campaign, unhealthy: set[str], order: list[str]) -> Step | None:
        current = (c.providers or ",".join(order)).split(",")
        if c.state is CampaignState.QUEUED and unhealthy & set(current):
            return self._switch(c, current, unhealthy)
        if c.state not in (CampaignState.FAILED, CampaignState.PARTIALLY_SUCCEEDED):
            return None
        if not _provider_caused(c):
            return None  # a brief's or an asset's fault: a retry would fail the same way
        attempts = self._attempts(c.id)
        h = self.rules.healing
        if len(attempts) >= h.max_attempts:
            return None
        if attempts:
            wait = timedelta(minutes=h.backoff_minutes * 2 ** (len(attempts) - 1))
            if self.service.store.now() < attempts[-1] + wait:
                return None
        if unhealthy & set(current):
            healthy = [n for n in current if n not in unhealthy]
            if healthy == ["procedural"] and unhealthy & set(order):
                return None  # every paid provider down: wait for a breaker to close
            self._switch(c, current, unhealthy)
        retry(self.service, c.id)
        return self._record(
            "retry",
            c.id,
            {
                "attempt": len(attempts) + 1,
                "of": h.max_attempts,
                "after": c.state.value,
                "error": c.error,
            },
        )

    def _switch(self, c: Campaign, current: list[str], unhealthy: set[str]) -> Step:
        healthy = [n for n in current if n not in unhealthy] or ["procedural"]
        if "procedural" not in healthy:
            healthy.append("procedural")
        self.service.store.set_campaign_providers(c.id, ",".join(healthy))
        return self._record(
            "switch_provider",
            c.id,
            {"from": ",".join(current), "to": ",".join(healthy), "down": sorted(unhealthy)},
        )

    def _attempts(self, campaign_id: str) -> list[datetime]:
        return [
            e.created_at
            for e in self.service.store.events(campaign_id)
            if e.kind == HEAL and e.detail.get("step") == "retry"
        ]

    def _record(self, step: str, campaign_id: str, detail: dict[str, object]) -> Step:
        self.service.store.record_event(HEAL, {"step": step, **detail}, campaign_id=campaign_id)
        log.warning("healing: %s campaign %s %s", step, campaign_id, detail)
        return Step(step, campaign_id, detail)


def _provider_caused(c: Campaign) -> bool:
    error = (c.error or "").lower()
    if c.state is CampaignState.PARTIALLY_SUCCEEDED:
        return True  # some creatives made: the rest failed on their own, worth another go
    return any(word in error for word in _PROVIDER_WORDS)


__all__ = ["HEAL", "Healer", "Step", "down"]
