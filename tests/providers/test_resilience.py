"""Retries, Retry-After, circuit breaker, rate and concurrency limits, on real async calls."""

from __future__ import annotations

import asyncio
import time

import pytest

from creative_automation.errors import ContentRejected, ProviderFailed, ProviderUnavailable
from creative_automation.providers.resilience import (
    CircuitOpen,
    ResiliencePolicy,
    build_guards,
    close_guards,
)

FAST = ResiliencePolicy(backoff_initial_s=0.01, backoff_max_s=0.02, breaker_ttl_s=0.3)


class Flaky:
    """Fails `failures` times with the given error, then answers."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "image"


def guard(policy: ResiliencePolicy = FAST):  # type: ignore[no-untyped-def]
    return build_guards(["p"], policy)["p"]


def test_transient_errors_are_retried_until_success() -> None:
    fn = Flaky(2, ProviderUnavailable("503", status=503))
    assert asyncio.run(guard().call(fn)) == "image" and fn.calls == 3


def test_gives_up_after_the_attempts() -> None:
    fn = Flaky(9, ProviderUnavailable("503", status=503))
    with pytest.raises(ProviderUnavailable):
        asyncio.run(guard().call(fn))
    assert fn.calls == FAST.attempts


@pytest.mark.parametrize("error", [ContentRejected("policy"), ProviderFailed("401", status=401)])
def test_final_errors_are_not_retried(error: Exception) -> None:
    fn = Flaky(1, error)
    with pytest.raises(type(error)):
        asyncio.run(guard().call(fn))
    assert fn.calls == 1


def test_retry_after_is_honoured() -> None:
    fn = Flaky(1, ProviderUnavailable("429", retry_after=0.4, status=429))
    started = time.perf_counter()
    assert asyncio.run(guard().call(fn)) == "image"
    assert time.perf_counter() - started >= 0.4


def test_breaker_opens_then_half_opens() -> None:
    policy = ResiliencePolicy(attempts=1, breaker_threshold=3, breaker_ttl_s=0.3)
    g = guard(policy)

    async def scenario() -> tuple[int, str, str]:
        fn = Flaky(100, ProviderUnavailable("500", status=500))
        for _ in range(3):
            with pytest.raises(ProviderUnavailable):
                await g.call(fn)
        opened = await g.state()
        with pytest.raises(CircuitOpen):
            await g.call(fn)  # skipped: the provider is not called while open
        calls_while_open = fn.calls
        await asyncio.sleep(0.35)
        healthy = Flaky(0, ProviderUnavailable("x"))
        assert await g.call(healthy) == "image"  # the trial call after the TTL closes it again
        return calls_while_open, opened, await g.state()

    calls, opened, after = asyncio.run(scenario())
    assert calls == 3 and opened == "opened" and after == "closed"


def test_content_rejections_do_not_open_the_breaker() -> None:
    g = guard(ResiliencePolicy(attempts=1, breaker_threshold=2))

    async def scenario() -> str:
        for _ in range(4):
            with pytest.raises(ContentRejected):
                await g.call(Flaky(1, ContentRejected("policy")))
        return await g.state()

    assert asyncio.run(scenario()) == "closed"


def test_rate_limit_spaces_calls() -> None:
    g = guard(ResiliencePolicy(requests_per_window=2, window_s=1))

    async def scenario() -> float:
        started = time.perf_counter()
        for _ in range(3):
            await g.call(Flaky(0, ProviderUnavailable("x")))
        return time.perf_counter() - started

    assert asyncio.run(scenario()) >= 0.9  # the third call waited for the window to move


def test_concurrency_limit() -> None:
    g = guard(ResiliencePolicy(concurrency=1))
    running = peak = 0

    async def slow() -> str:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return "image"

    async def scenario() -> None:
        await asyncio.gather(*(g.call(slow) for _ in range(4)))

    asyncio.run(scenario())
    assert peak == 1


def test_breaker_state_is_shared_through_redis() -> None:
    """Two workers (two sets of guards) on one Redis: one opens the breaker, the other sees it."""
    import uuid

    from backends import require_redis

    url = require_redis()
    name = f"cap-test-{uuid.uuid4().hex[:8]}"
    policy = ResiliencePolicy(attempts=1, breaker_threshold=2, breaker_ttl_s=30)

    async def scenario() -> tuple[str, int]:
        worker_a = build_guards([name], policy, redis_url=url)[name]
        worker_b = build_guards([name], policy, redis_url=url)[name]
        failing = Flaky(100, ProviderUnavailable("500", status=500))
        for _ in range(2):
            with pytest.raises(ProviderUnavailable):
                await worker_a.call(failing)
        healthy = Flaky(0, ProviderUnavailable("x"))
        with pytest.raises(CircuitOpen):
            await worker_b.call(healthy)  # worker b never saw a failure itself
        state = await worker_b.state()
        await close_guards({"a": worker_a, "b": worker_b})
        return state, healthy.calls

    state, calls = asyncio.run(scenario())
    assert state == "opened" and calls == 0


def test_breaker_and_rate_are_one_per_provider_for_every_campaign_of_the_process() -> None:
    """Each campaign builds its own guards on its own event loop; the provider's breaker and
    request window are still the process's one."""
    policy = ResiliencePolicy(attempts=1, breaker_threshold=2, breaker_ttl_s=30)
    failing = Flaky(100, ProviderUnavailable("500", status=500))
    for _ in range(2):  # campaign one trips the breaker...
        with pytest.raises(ProviderUnavailable):
            asyncio.run(build_guards(["shared"], policy)["shared"].call(failing))
    healthy = Flaky(0, ProviderUnavailable("x"))
    with pytest.raises(CircuitOpen):  # ...and campaign two, on a new loop, sees it open
        asyncio.run(build_guards(["shared"], policy)["shared"].call(healthy))
    assert healthy.calls == 0
    limited = ResiliencePolicy(requests_per_window=2, window_s=60)
    made = [asyncio.run(build_guards(["rated"], limited)["rated"].call(healthy)) for _ in range(2)]

    async def third() -> str:
        return await asyncio.wait_for(build_guards(["rated"], limited)["rated"].call(healthy), 0.3)

    with pytest.raises(TimeoutError):  # the window is full across campaigns: the third waits
        asyncio.run(third())
    assert made == ["image", "image"]
