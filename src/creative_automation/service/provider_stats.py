"""Each provider's calls over a window, from every worker's records, and its circuit breaker as
the deployment sees it: the one computation behind the agent's incidents and /v1/providers."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from ..providers.chain import OFFLINE
from ..providers.resilience import breaker_states
from ..providers.setup import provider_names
from ..storage import CallOutcome, ProviderCall
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


def _usage(name: str, mine: Sequence[ProviderCall], *, configured: bool) -> ProviderUsage:
    """`name`'s numbers from its calls `mine`."""
    made = [c for c in mine if c.outcome is not CallOutcome.CACHED]
    latencies = sorted(c.latency_s for c in made if c.outcome is CallOutcome.OK)
    return ProviderUsage(
        name=name,
        offline=name == OFFLINE,
        configured=configured,
        calls=len(made),
        failures=sum(c.outcome in _FAILED_CALLS for c in made),
        cached=len(mine) - len(made),
        latency_p50_s=statistics.median(latencies) if latencies else None,
        latency_p95_s=_p95(latencies),
        spend_usd=sum(c.cost_usd for c in mine),
    )


def _p95(latencies: list[float]) -> float | None:
    """Interpolated between the calls seen (inclusive): never above the slowest of them, as
    the default (exclusive) method's extrapolation is on a handful of calls."""
    if len(latencies) >= 2:
        return statistics.quantiles(latencies, n=20, method="inclusive")[-1]
    return latencies[0] if latencies else None


def provider_usage(service: Service, window: timedelta) -> list[ProviderUsage]:
    """Every configured provider (in the chain's order, the offline one last) and any other
    that was called in the last `window`, with its numbers."""
    configured = provider_names(service.settings)
    by_name: dict[str, list[ProviderCall]] = defaultdict(list)
    for call in service.store.provider_calls_since(service.store.now() - window):
        by_name[call.provider].append(call)
    others = sorted(set(by_name) - set(configured))
    return [
        _usage(name, by_name.get(name, []), configured=name in configured)
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
