"""Each provider's calls over a window, from every worker's records, and its circuit breaker as
the deployment sees it: the one computation behind the agent's incidents and /v1/providers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from ..providers.chain import OFFLINE
from ..providers.resilience import breaker_states
from ..providers.setup import provider_names
from ..storage import CallOutcome
from ..storage.stats import ProviderTally
from .context import Service

_FAILED_CALLS = frozenset({CallOutcome.UNAVAILABLE, CallOutcome.FAILED})  # a refusal is not one


@dataclass(frozen=True)
class ProviderUsage:
    """One provider's calls in a window. `calls` are those that reached the provider (a cache
    hit did not); latencies are of its successful calls; spend is of every call."""

    name: str
    offline: bool  # the procedural generator: the last resort, never down
    configured: bool  # in the settings' chain
    calls: int
    failures: int
    cached: int
    latency_p50_s: float | None
    latency_p95_s: float | None
    spend_usd: float

    @property
    def error_rate(self) -> float:
        return self.failures / self.calls if self.calls else 0.0


def remote_providers(service: Service) -> list[str]:
    """The configured providers that call out, in the chain's order (the offline one left out)."""
    return [n for n in provider_names(service.settings) if n != OFFLINE]


def _usage(tally: ProviderTally, *, configured: bool) -> ProviderUsage:
    """The provider's numbers from its tally."""
    cached = tally.outcomes.get(CallOutcome.CACHED, 0)
    return ProviderUsage(
        name=tally.provider,
        offline=tally.provider == OFFLINE,
        configured=configured,
        calls=sum(tally.outcomes.values()) - cached,
        failures=sum(n for outcome, n in tally.outcomes.items() if outcome in _FAILED_CALLS),
        cached=cached,
        latency_p50_s=tally.latency_p50_s,
        latency_p95_s=tally.latency_p95_s,
        spend_usd=tally.spend_usd,
    )


def provider_usage(service: Service, window: timedelta) -> list[ProviderUsage]:
    """Every configured provider (in the chain's order, the offline one last) and any other
    that was called in the last `window`, with its numbers."""
    configured = provider_names(service.settings)
    tallies = {t.provider: t for t in service.store.provider_tallies(service.store.now() - window)}
    others = sorted(set(tallies) - set(configured))
    idle = ProviderTally("", {}, 0.0, None, None)  # not called in the window
    return [
        _usage(tallies.get(name) or replace(idle, provider=name), configured=name in configured)
        for name in [*configured, *others]
    ]


def shared_breaker_states(service: Service, names: Sequence[str]) -> dict[str, str] | None:
    """Each provider's breaker (closed | opened | half-opened) as every worker sees it, from
    Redis; None without Redis: then each worker keeps its own breakers in its memory, which
    this process cannot see, and a made-up 'closed' would be a lie. Redis errors propagate."""
    redis_url = service.settings.redis_url
    if not redis_url:
        return None
    return breaker_states(names, redis_url=redis_url) if names else {}


__all__ = ["ProviderUsage", "provider_usage", "remote_providers", "shared_breaker_states"]
