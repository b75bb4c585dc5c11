"""Per-provider resilience: retries (tenacity), circuit breaker (purgatory), rate and
concurrency limits (limits + a semaphore). Libraries, not home-made loops."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from ..errors import ContentRejected, ProviderFailed, ProviderUnavailable

T = TypeVar("T")


class CircuitOpen(ProviderUnavailable):
    """The provider's breaker is open: it failed repeatedly, calls are skipped until it cools."""


@dataclass(frozen=True)
class ResiliencePolicy:
    attempts: int = 3  # calls per request on one provider, first included
    max_wait_s: float = 30.0  # a longer Retry-After means: fall back instead of waiting
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0
    breaker_threshold: int = 5  # consecutive failures that open the breaker
    breaker_ttl_s: float = 60.0  # how long it stays open before one trial call (half-open)
    requests_per_window: int = 60  # requests per provider per window (moving window)
    window_s: int = 60
    concurrency: int = 4


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderUnavailable) and not isinstance(exc, CircuitOpen)


class _WaitRetryAfter:
    """Honour the provider's Retry-After; exponential backoff with jitter when it gave none."""

    def __init__(self, policy: ResiliencePolicy) -> None:
        self.policy = policy
        self.backoff = wait_exponential_jitter(
            multiplier=policy.backoff_initial_s, max=policy.backoff_max_s
        )

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        after = getattr(exc, "retry_after", None)
        if after is not None:
            return float(min(max(after, 0.0), self.policy.max_wait_s))
        return float(self.backoff(state))


class Guard:
    """Everything between the orchestrator and one provider's client."""

    def __init__(
        self,
        name: str,
        policy: ResiliencePolicy,
        breakers: AsyncCircuitBreakerFactory,
        limiter: MovingWindowRateLimiter,
    ) -> None:
        self.name = name
        self.policy = policy
        self._breakers = breakers
        self._limiter = limiter
        self._rate = RateLimitItemPerSecond(policy.requests_per_window, policy.window_s)
        self._slots = asyncio.Semaphore(policy.concurrency)

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run fn under the breaker, limits and retries; ProviderError subclasses come out."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.policy.attempts),
            wait=_WaitRetryAfter(self.policy),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(fn)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    async def _attempt(self, fn: Callable[[], Awaitable[T]]) -> T:
        breaker = await self._breakers.get_breaker(
            self.name,
            threshold=self.policy.breaker_threshold,
            ttl=self.policy.breaker_ttl_s,
            # a refused prompt says nothing about the provider's health
            exclude=[ContentRejected],
        )
        await self._wait_for_rate()
        async with self._slots:
            try:
                async with breaker:
                    return await fn()
            except OpenedState:
                raise CircuitOpen(f"{self.name}: circuit open after repeated failures") from None

    async def _wait_for_rate(self) -> None:
        while not await self._limiter.hit(self._rate, self.name):
            stats = await self._limiter.get_window_stats(self._rate, self.name)
            await asyncio.sleep(max(0.05, stats.reset_time - time.time()))  # epoch seconds

    async def state(self) -> str:
        """closed | opened | half-opened."""
        breaker = await self._breakers.get_breaker(self.name)
        return str(breaker.context.state)


async def close_guards(guards: dict[str, Guard]) -> None:
    """Close the shared breaker store's connection (Redis), if the guards have one."""
    seen: set[int] = set()
    for guard in guards.values():
        repo = getattr(guard._breakers.uow, "contexts", None)
        client = getattr(repo, "redis", None)
        if client is not None and id(client) not in seen:
            seen.add(id(client))
            await client.aclose()


def build_guards(
    names: list[str],
    policy: ResiliencePolicy,
    *,
    redis_url: str | None = None,
) -> dict[str, Guard]:
    """One guard per provider; breaker state in Redis (shared by workers) when configured."""
    if redis_url:
        from purgatory import AsyncRedisUnitOfWork

        breakers = AsyncCircuitBreakerFactory(uow=AsyncRedisUnitOfWork(redis_url))
    else:
        breakers = AsyncCircuitBreakerFactory()
    storage: Storage = MemoryStorage()
    limiter = MovingWindowRateLimiter(storage)
    return {name: Guard(name, policy, breakers, limiter) for name in names}


__all__ = [
    "CircuitOpen",
    "Guard",
    "ProviderFailed",
    "ResiliencePolicy",
    "build_guards",
    "close_guards",
]
