"""Per-provider resilience: retries (tenacity), circuit breaker (purgatory), rate and
concurrency limits (limits + a semaphore). Libraries, not home-made loops.

A provider's breaker and request rate are one per provider, not per campaign: in memory they
are shared by every campaign of the process (the service runs many at once), in Redis by every
process of the deployment. The concurrency cap is per process.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from purgatory import SyncCircuitBreakerFactory, SyncRedisUnitOfWork
from purgatory.domain.model import OpenedState
from purgatory.service._sync.circuitbreaker import SyncCircuitBreaker
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from ..errors import ContentRejected, ProviderFailed, ProviderUnavailable
from .cache import connect_redis

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

    def __init__(self, name: str, policy: ResiliencePolicy, shared: _Shared) -> None:
        self.name = name
        self.policy = policy
        self._shared = shared
        self._rate = RateLimitItemPerSecond(policy.requests_per_window, policy.window_s)
        self._slots = shared.slots(name, policy.concurrency)

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

    def _breaker(self) -> SyncCircuitBreaker:
        return self._shared.breakers.get_breaker(
            self.name,
            threshold=self.policy.breaker_threshold,
            ttl=self.policy.breaker_ttl_s,
            # a refused prompt says nothing about the provider's health
            exclude=[ContentRejected],
        )

    async def _attempt(self, fn: Callable[[], Awaitable[T]]) -> T:
        breaker = self._breaker()
        await self._wait_for_rate()
        while not self._slots.acquire(blocking=False):  # never block the event loop's thread
            await asyncio.sleep(0.02)
        try:
            # the breaker's bookkeeping is a dict in memory or one Redis round trip
            with breaker:
                return await fn()
        except OpenedState:
            raise CircuitOpen(f"{self.name}: circuit open after repeated failures") from None
        finally:
            self._slots.release()

    async def _wait_for_rate(self) -> None:
        limiter = self._shared.limiter
        while not limiter.hit(self._rate, self.name):
            stats = limiter.get_window_stats(self._rate, self.name)
            await asyncio.sleep(max(0.05, stats.reset_time - time.time()))  # epoch seconds

    async def state(self) -> str:
        """closed | opened | half-opened."""
        return str(self._breaker().context.state)


class _Shared:
    """One breaker store, one request-window store and one slot semaphore per provider for
    the whole process, whatever the campaign or thread: in memory, or in Redis (then shared
    with every process of the deployment). Both libraries' synchronous stores are
    thread-safe and tied to no event loop, so every campaign's loop can use them."""

    def __init__(self, redis_url: str | None) -> None:
        self.redis_url = redis_url
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}
        if redis_url:
            client = connect_redis(redis_url)  # a ConfigError naming the extra if redis is absent
            uow = SyncRedisUnitOfWork(redis_url)
            # purgatory 3's synchronous Redis repository is generated from the async one and
            # still builds an asyncio client; its code calls the client synchronously, so it
            # gets the synchronous client it was written for
            uow.contexts.redis = client  # type: ignore[attr-defined]
            self.breakers = SyncCircuitBreakerFactory(uow=uow)
            storage = storage_from_string(redis_url, key_prefix="cap-limits")
            assert isinstance(storage, Storage)  # a redis:// URL names the synchronous store
            self.storage: Storage = storage
        else:
            self.breakers = SyncCircuitBreakerFactory()
            self.storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)

    def slots(self, name: str, cap: int) -> threading.BoundedSemaphore:
        """The process's cap on calls in flight to `name` (a thread semaphore: the campaigns
        sharing it each run their own event loop)."""
        with self._lock:
            return self._slots.setdefault((name, cap), threading.BoundedSemaphore(cap))

    def close(self) -> None:
        """Disconnect from Redis (a later call reconnects)."""
        contexts = getattr(self.breakers.uow, "contexts", None)
        client = getattr(contexts, "redis", None)
        if client is not None:
            client.close()
        pool = getattr(getattr(self.storage, "storage", None), "connection_pool", None)
        if pool is not None:
            pool.disconnect()


_registry_lock = threading.Lock()
_registry: dict[str | None, _Shared] = {}


def _shared_for(redis_url: str | None) -> _Shared:
    with _registry_lock:
        if redis_url not in _registry:
            _registry[redis_url] = _Shared(redis_url)
        return _registry[redis_url]


def breaker_states(names: Sequence[str], *, redis_url: str | None = None) -> dict[str, str]:
    """Each provider's breaker state as this process's guards see it (for `redis_url`: as every
    worker sees it), read without registering a breaker; "closed" for one never tripped."""
    contexts = _shared_for(redis_url).breakers.uow.contexts
    found = {name: contexts.get(name) for name in names}
    return {name: "closed" if c is None else str(c.state) for name, c in found.items()}


def forget_shared_state() -> None:
    """Drop the process's breakers, rate windows and slots (tests start from a clean state)."""
    with _registry_lock:
        for shared in _registry.values():
            shared.close()
        _registry.clear()


async def close_guards(guards: dict[str, Guard]) -> None:
    """Disconnect the Redis clients these guards share (the process's; they reconnect when
    used again): for a process that is shutting down, or a test that is finished."""
    for shared in {id(g._shared): g._shared for g in guards.values()}.values():
        shared.close()


def build_guards(
    names: list[str],
    policy: ResiliencePolicy,
    *,
    redis_url: str | None = None,
) -> dict[str, Guard]:
    """One guard per provider. Breaker state and request windows live in Redis when it is
    configured (shared by every worker of the deployment), else in this process's memory
    (shared by its campaigns)."""
    shared = _shared_for(redis_url)
    return {name: Guard(name, policy, shared) for name in names}


__all__ = [
    "CircuitOpen",
    "Guard",
    "ProviderFailed",
    "ResiliencePolicy",
    "breaker_states",
    "build_guards",
    "close_guards",
    "forget_shared_state",
]
