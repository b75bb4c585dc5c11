"""Router: Thompson sampling shifts to what works, per policy; stats stores share one contract."""

from __future__ import annotations

import multiprocessing
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backends import REDIS_URL, require_redis
from creative_automation.errors import ConfigError
from creative_automation.providers.router import (
    FileStatsStore,
    MemoryStatsStore,
    ProviderStats,
    RedisStatsStore,
    Router,
    StatsStore,
    build_stats_store,
)


@pytest.fixture(params=["memory", "file", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StatsStore]:
    """Every StatsStore implementation, for the shared contract tests."""
    if request.param == "memory":
        yield MemoryStatsStore()
    elif request.param == "file":
        yield FileStatsStore(tmp_path / "data" / "router.json")
    else:
        require_redis()
        prefix = f"cap-test:{uuid.uuid4().hex}:"
        redis_store = RedisStatsStore(REDIS_URL, key_prefix=prefix)
        try:
            yield redis_store
        finally:
            client = redis_store._redis
            keys = list(client.scan_iter(match=prefix + "*"))
            if keys:
                client.delete(*keys)
            redis_store.close()


def first_share(router: Router, name: str, draws: int = 1000) -> float:
    return Counter(router.order()[0] for _ in range(draws))[name] / draws


# -- the StatsStore contract, run against every backend -------------------------------------


def test_store_starts_at_zero(store: StatsStore) -> None:
    assert store.load(["a", "b"]) == {"a": ProviderStats(), "b": ProviderStats()}


def test_store_adds_deltas(store: StatsStore) -> None:
    store.add("a", {"successes": 1.0, "latency_n": 1.0, "latency_log_sum": 1.5})
    store.add("a", {"successes": 1.0, "cost_sum": 0.04, "cost_n": 1.0})
    store.add("b", {"failures": 1.0})
    stats = store.load(["a", "b"])
    assert stats["a"].successes == 2.0
    assert stats["a"].latency_log_sum == pytest.approx(1.5)
    assert stats["a"].mean_cost_usd == pytest.approx(0.04)
    assert stats["b"] == ProviderStats(failures=1.0)


def test_router_learns_through_every_store(store: StatsStore) -> None:
    router = Router(["bad", "good"], "balanced", store, np.random.default_rng(1))
    for _ in range(15):
        router.record("bad", ok=False, latency_s=4.0)
        router.record("good", ok=True, latency_s=4.0, quality=0.8, cost_usd=0.04)
    assert first_share(router, "good", 200) >= 0.9


# -- Thompson sampling ------------------------------------------------------------------------


def test_shifts_to_the_provider_that_succeeds() -> None:
    """Online: each round tries providers in the sampled order until one succeeds."""
    router = Router(["bad", "good"], "balanced", MemoryStatsStore(), np.random.default_rng(7))
    recorded = 0
    while recorded < 30:
        for name in router.order():
            ok = name == "good"
            router.record(name, ok=ok, latency_s=3.0, cost_usd=0.04 if ok else 0.0)
            recorded += 1
            if ok:
                break
    assert first_share(router, "good") >= 0.9


def test_untried_providers_are_explored() -> None:
    router = Router(["a", "b", "c"], "balanced", MemoryStatsStore(), np.random.default_rng(3))
    firsts = Counter(router.order()[0] for _ in range(600))
    assert set(firsts) == {"a", "b", "c"} and min(firsts.values()) > 100


def reliable(router: Router, name: str, latency_s: float, quality: float, n: int = 20) -> None:
    for _ in range(n):
        router.record(name, ok=True, latency_s=latency_s, quality=quality)


def test_cheapest_prefers_the_cheaper_of_two_equally_reliable_providers() -> None:
    prices = {"dear": 0.08, "cheap": 0.04}
    router = Router(["dear", "cheap"], "cheapest", rng=np.random.default_rng(2), prices=prices)
    for name in prices:
        reliable(router, name, 4.0, 0.7)
    assert first_share(router, "cheap") >= 0.9


def test_cheapest_abandons_a_free_provider_that_keeps_failing() -> None:
    # Trying a free provider first costs no money, only time, so "cheapest" gives it longer
    # than "balanced" would (after 20 failures it still leads ~10 % of the time); by 40 it is
    # out of the way. A persistently failing provider is also cut off by its circuit breaker.
    prices = {"free": 0.0, "paid": 0.04}
    router = Router(["free", "paid"], "cheapest", rng=np.random.default_rng(2), prices=prices)
    for _ in range(40):
        router.record("free", ok=False, latency_s=1.0)
        router.record("paid", ok=True, latency_s=4.0)
    assert first_share(router, "paid") >= 0.9


def test_unknown_price_is_assumed_dear_not_free() -> None:
    prices = {"priced": 0.01, "dear": 0.12}  # the dearest known price stands in for the unknown
    router = Router(["unpriced", "priced", "dear"], "cheapest", rng=np.random.default_rng(4))
    router.prices.update(prices)
    reliable(router, "unpriced", 4.0, 0.7)
    reliable(router, "priced", 4.0, 0.7)
    reliable(router, "dear", 4.0, 0.7)
    assert first_share(router, "priced") >= 0.9


def test_fastest_prefers_lower_latency() -> None:
    router = Router(["slow", "fast"], "fastest", rng=np.random.default_rng(5))
    reliable(router, "slow", 12.0, 0.9)
    reliable(router, "fast", 3.0, 0.6)
    assert first_share(router, "fast") >= 0.9


def test_quality_prefers_better_images() -> None:
    router = Router(["fast", "good"], "quality", rng=np.random.default_rng(6))
    reliable(router, "fast", 2.0, 0.4)
    reliable(router, "good", 9.0, 0.9)
    assert first_share(router, "good") >= 0.9


def test_fixed_keeps_the_configured_order() -> None:
    router = Router(["bad", "good"], "fixed", rng=np.random.default_rng(0))
    for _ in range(30):
        router.record("bad", ok=False)
        router.record("good", ok=True)
    assert all(router.order() == ["bad", "good"] for _ in range(100))
    assert router.stats()["bad"].failures == 30  # still recorded, for reports and a later policy


def test_seeded_rng_makes_the_order_reproducible() -> None:
    def orders(seed: int) -> list[list[str]]:
        router = Router(["a", "b", "c"], rng=np.random.default_rng(seed))
        return [router.order() for _ in range(20)]

    assert orders(11) == orders(11)


# -- statistics -------------------------------------------------------------------------------


def test_stats_summaries() -> None:
    router = Router(["a"])
    router.record("a", ok=True, latency_s=2.0, quality=0.8, cost_usd=0.04)
    router.record("a", ok=True, latency_s=8.0, quality=0.6, cost_usd=0.04)
    router.record("a", ok=False, latency_s=30.0)
    s = router.stats()["a"]
    assert s.calls == 3 and s.success_rate == pytest.approx(3 / 5)
    assert s.mean_quality == pytest.approx(0.7) and s.mean_cost_usd == pytest.approx(0.04)
    # geometric mean of the prior's 5 s and the three calls
    assert s.median_latency_s == pytest.approx((5.0 * 2.0 * 8.0 * 30.0) ** 0.25)


def test_stats_survive_a_new_router_on_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "router.json"
    first = Router(["a", "b"], store=FileStatsStore(path))
    for _ in range(5):
        first.record("a", ok=True, latency_s=3.0, quality=0.9, cost_usd=0.02)
    first.record("b", ok=False)
    again = Router(["a", "b"], store=FileStatsStore(path)).stats()
    assert again["a"].successes == 5 and again["a"].quality_n == 5
    assert again["b"].failures == 1


def _record_many(path: str, provider: str, n: int, barrier: Any) -> None:
    router = Router(["a", "b"], store=FileStatsStore(path))
    barrier.wait()  # start together so the writes contend
    for i in range(n):
        router.record(provider, ok=i % 4 != 0, latency_s=1.0 + i % 3, quality=0.5, cost_usd=0.01)


@pytest.mark.skipif(sys.platform == "win32", reason="fcntl locks are POSIX")
def test_two_processes_lose_no_update(tmp_path: Path) -> None:
    path = str(tmp_path / "router.json")
    ctx = multiprocessing.get_context("spawn")  # fork in a threaded test process may deadlock
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_record_many, args=(path, p, 200, barrier)) for p in "ab"]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    stats = FileStatsStore(path).load(["a", "b"])
    for s in stats.values():
        assert (s.successes, s.failures) == (150, 50)
        assert s.latency_n == 200 and s.quality_n == 200
        assert s.cost_sum == pytest.approx(2.0)


def test_unreadable_stats_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "router.json"
    path.write_text("{ not json")
    with pytest.raises(ConfigError, match="delete the file"):
        FileStatsStore(path).load(["a"])


# -- validation -------------------------------------------------------------------------------


def test_rejects_bad_configuration() -> None:
    with pytest.raises(ConfigError, match="unknown routing policy"):
        Router(["a"], "random")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="distinct"):
        Router(["a", "a"])
    with pytest.raises(ConfigError, match="distinct"):
        Router([])


@pytest.mark.parametrize(
    "kwargs",
    [{"latency_s": -1.0}, {"latency_s": float("nan")}, {"quality": 1.5}, {"cost_usd": -0.01}],
)
def test_rejects_bad_records(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Router(["a"]).record("a", ok=True, **kwargs)


def test_rejects_records_for_providers_not_routed() -> None:
    with pytest.raises(ValueError, match="not routed"):
        Router(["a"]).record("typo", ok=True)


def test_redis_store_without_the_package_names_the_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # makes `import redis` fail
    with pytest.raises(ConfigError, match="pip install redis"):
        RedisStatsStore("redis://:secret@127.0.0.1:6379/0")


def test_build_picks_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = build_stats_store(tmp_path)
    assert isinstance(store, FileStatsStore) and store.path == tmp_path / "router-stats.json"
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ConfigError, match="pip install redis"):
        build_stats_store(tmp_path, REDIS_URL)
