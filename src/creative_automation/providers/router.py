"""Thompson-sampling provider order over success, latency, quality and cost; persistent stats."""

from __future__ import annotations

import fcntl
import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

import numpy as np

from creative_automation.errors import ConfigError
from creative_automation.manifest import write_atomic
from creative_automation.providers.cache import connect_redis

Policy = Literal["balanced", "cheapest", "fastest", "quality", "fixed"]
POLICIES: tuple[Policy, ...] = get_args(Policy)

# Weights of (speed, quality, cost) per policy. The sampled success probability multiplies the
# whole utility: a call that fails gives nothing, so no policy keeps choosing a broken provider.
_WEIGHTS: dict[str, tuple[float, float, float]] = {
    "balanced": (1 / 3, 1 / 3, 1 / 3),
    "cheapest": (0.1, 0.1, 0.8),
    "fastest": (0.8, 0.1, 0.1),
    "quality": (0.1, 0.8, 0.1),
}
# Latency prior: one pseudo-call of 5 s (a typical hosted diffusion call) with a log-variance of
# 1 (a factor of e either way), so an untried provider is neither favoured nor written off.
_PRIOR_LOG_LATENCY = math.log(5.0)
_PRIOR_LOG_VAR = 1.0
_PRIOR_WEIGHT = 1.0
_MIN_LATENCY_S = 1e-3  # log(0) guard; nothing real answers faster
_COST_FLOOR_USD = 1e-3  # price differences below a tenth of a cent do not matter


@dataclass(frozen=True)
class ProviderStats:
    """Additive sufficient statistics of one provider's calls.

    Every field is a running sum, so stores only ever add (a Redis HINCRBYFLOAT, a locked
    read-add-write of a file) and concurrent workers never overwrite each other's updates.
    Latency is kept as the count, sum and sum of squares of log-seconds: latencies are
    log-normal-ish (a slow tail), and the log makes one 60 s timeout not swamp fifty 4 s calls.
    """

    successes: float = 0.0
    failures: float = 0.0
    latency_n: float = 0.0
    latency_log_sum: float = 0.0
    latency_log_sq: float = 0.0
    quality_n: float = 0.0
    quality_sum: float = 0.0
    cost_n: float = 0.0
    cost_sum: float = 0.0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ProviderStats:
        """From stored sums; unknown keys (a newer version's fields) are ignored."""
        return cls(**{f.name: float(data[f.name]) for f in fields(cls) if f.name in data})

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @property
    def calls(self) -> int:
        return round(self.successes + self.failures)

    @property
    def success_rate(self) -> float:
        """Posterior mean of the success probability under a uniform Beta(1, 1) prior."""
        return (self.successes + 1.0) / (self.successes + self.failures + 2.0)

    def log_latency_posterior(self) -> tuple[float, float, float]:
        """(mean, variance, weight) of log-latency, the prior counted as one pseudo-call; the
        mean's own uncertainty is variance / weight."""
        n = _PRIOR_WEIGHT + self.latency_n
        mean = (_PRIOR_WEIGHT * _PRIOR_LOG_LATENCY + self.latency_log_sum) / n
        second = (
            _PRIOR_WEIGHT * (_PRIOR_LOG_VAR + _PRIOR_LOG_LATENCY**2) + self.latency_log_sq
        ) / n
        return mean, max(second - mean * mean, 1e-6), n

    @property
    def median_latency_s(self) -> float:
        return math.exp(self.log_latency_posterior()[0])

    @property
    def mean_quality(self) -> float | None:
        return self.quality_sum / self.quality_n if self.quality_n else None

    @property
    def mean_cost_usd(self) -> float | None:
        return self.cost_sum / self.cost_n if self.cost_n else None


STAT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ProviderStats))


class StatsStore(Protocol):
    """Where router statistics live; shared by every worker that uses the same store."""

    def load(self, providers: Sequence[str]) -> dict[str, ProviderStats]:
        """Current statistics of each named provider (zeros for one never recorded)."""
        ...

    def add(self, provider: str, deltas: Mapping[str, float]) -> None:
        """Add deltas (keys from STAT_FIELDS) to the provider's sums, atomically."""
        ...


class MemoryStatsStore:
    """In-process statistics: for tests and single runs that need not remember."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def load(self, providers: Sequence[str]) -> dict[str, ProviderStats]:
        with self._lock:
            return {p: ProviderStats.from_mapping(self._data.get(p, {})) for p in providers}

    def add(self, provider: str, deltas: Mapping[str, float]) -> None:
        with self._lock:
            entry = self._data.setdefault(provider, {})
            for key, value in deltas.items():
                entry[key] = entry.get(key, 0.0) + value


class FileStatsStore:
    """One JSON file (in the data dir), shared by the worker processes of one machine.

    Writers take an exclusive flock on a side file and read-add-write the JSON, replacing it
    atomically, so no update is lost and readers (who take no lock) never see half a file.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    def _read(self) -> dict[str, dict[str, float]]:
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"router statistics {self.path} are unreadable ({exc}); delete the file to reset"
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(f"router statistics {self.path} are not a JSON object; delete it")
        return data

    def load(self, providers: Sequence[str]) -> dict[str, ProviderStats]:
        data = self._read()
        return {p: ProviderStats.from_mapping(data.get(p, {})) for p in providers}

    def add(self, provider: str, deltas: Mapping[str, float]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even on error
            data = self._read()
            entry = data.setdefault(provider, {})
            for key, value in deltas.items():
                entry[key] = float(entry.get(key, 0.0)) + value
            write_atomic(self.path, json.dumps(data, indent=1, sort_keys=True).encode())


class RedisStatsStore:
    """One Redis hash per provider (`key_prefix` + name), updated with HINCRBYFLOAT in a
    MULTI block: shared by workers on any number of machines."""

    def __init__(self, url: str, key_prefix: str = "cap:router:") -> None:
        self._redis = connect_redis(url)
        self.key_prefix = key_prefix

    def load(self, providers: Sequence[str]) -> dict[str, ProviderStats]:
        pipe = self._redis.pipeline(transaction=False)
        for p in providers:
            pipe.hgetall(self.key_prefix + p)
        rows = pipe.execute()
        return {
            p: ProviderStats.from_mapping({_text(k): float(v) for k, v in row.items()})
            for p, row in zip(providers, rows, strict=True)
        }

    def add(self, provider: str, deltas: Mapping[str, float]) -> None:
        pipe = self._redis.pipeline(transaction=True)
        for key, value in deltas.items():
            pipe.hincrbyfloat(self.key_prefix + provider, key, value)
        pipe.execute()

    def close(self) -> None:
        self._redis.close()


def build_stats_store(data_dir: Path, redis_url: str | None = None) -> StatsStore:
    """Redis when a URL is configured (workers on many machines), else a file in the data dir."""
    if redis_url:
        return RedisStatsStore(redis_url)
    return FileStatsStore(Path(data_dir) / "router-stats.json")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Router:
    """Orders providers for each generation by Thompson sampling.

    Each `order()` draws, per provider, a success probability from Beta(s+1, f+1), a median
    latency from the Normal posterior of its mean log-latency, and a quality from
    Beta(Σq+1, n−Σq+1); cost is the given price per image (else the observed mean, else the
    dearest known price: unknown is never assumed free). The utility is
        p × (w_speed·fastest/latency + w_quality·quality + w_cost·cheapest/cost)
    with weights per policy; providers are returned best first. Sampling, not the means, is
    what keeps trying a provider that is uncertain, so a recovered one is found again.
    "fixed" returns the configured order unchanged (statistics are still recorded).
    """

    def __init__(
        self,
        providers: Sequence[str],
        policy: Policy = "balanced",
        store: StatsStore | None = None,
        rng: np.random.Generator | None = None,
        *,
        prices: Mapping[str, float] | None = None,
    ) -> None:
        if not providers or len(set(providers)) != len(providers):
            raise ConfigError(f"router needs distinct provider names, got {list(providers)}")
        if policy not in POLICIES:
            raise ConfigError(f"unknown routing policy {policy!r}; known: {', '.join(POLICIES)}")
        self.providers = list(providers)
        self.policy = policy
        self.store: StatsStore = store if store is not None else MemoryStatsStore()
        self.rng = rng if rng is not None else np.random.default_rng()
        self.prices = dict(prices or {})

    def stats(self) -> dict[str, ProviderStats]:
        return self.store.load(self.providers)

    def _cost(self, name: str, stats: ProviderStats, dearest: float) -> float:
        if name in self.prices:
            return self.prices[name]
        observed = stats.mean_cost_usd
        return observed if observed is not None else dearest

    def order(self) -> list[str]:
        """Providers best first for the next call (a fresh sample on every call)."""
        if self.policy == "fixed":
            return list(self.providers)
        stats = self.stats()
        observed = [s.mean_cost_usd for s in stats.values() if s.mean_cost_usd is not None]
        priced = [self.prices[n] for n in self.providers if n in self.prices]
        dearest = max([*priced, *observed], default=0.0)
        p, latency, quality, cost = [], [], [], []
        for name in self.providers:
            s = stats[name]
            p.append(float(self.rng.beta(s.successes + 1.0, s.failures + 1.0)))
            mean, var, n = s.log_latency_posterior()
            latency.append(math.exp(self.rng.normal(mean, math.sqrt(var / n))))
            quality.append(
                float(self.rng.beta(s.quality_sum + 1.0, s.quality_n - s.quality_sum + 1.0))
            )
            cost.append(self._cost(name, s, dearest) + _COST_FLOOR_USD)
        w_speed, w_quality, w_cost = _WEIGHTS[self.policy]
        fastest, cheapest = min(latency), min(cost)
        utility = [
            p[i]
            * (
                w_speed * fastest / latency[i]
                + w_quality * quality[i]
                + w_cost * cheapest / cost[i]
            )
            for i in range(len(self.providers))
        ]
        ranked = sorted(range(len(self.providers)), key=lambda i: -utility[i])  # stable on ties
        return [self.providers[i] for i in ranked]

    def record(
        self,
        provider: str,
        *,
        ok: bool,
        latency_s: float | None = None,
        quality: float | None = None,
        cost_usd: float | None = None,
    ) -> None:
        """Add one call's outcome. Pass the latency of the call as made (a timeout's too: slow
        is slow), the quality score of its image, and what it cost."""
        if provider not in self.providers:
            raise ValueError(f"{provider!r} is not routed here ({', '.join(self.providers)})")
        deltas = {"successes": 1.0} if ok else {"failures": 1.0}
        if latency_s is not None:
            if not math.isfinite(latency_s) or latency_s < 0:
                raise ValueError(f"latency must be finite and ≥ 0, got {latency_s}")
            log_latency = math.log(max(latency_s, _MIN_LATENCY_S))
            deltas |= {
                "latency_n": 1.0,
                "latency_log_sum": log_latency,
                "latency_log_sq": log_latency**2,
            }
        if quality is not None:
            if not 0.0 <= quality <= 1.0:
                raise ValueError(f"quality must be in 0..1, got {quality}")
            deltas |= {"quality_n": 1.0, "quality_sum": quality}
        if cost_usd is not None:
            if not math.isfinite(cost_usd) or cost_usd < 0:
                raise ValueError(f"cost must be finite and ≥ 0, got {cost_usd}")
            deltas |= {"cost_n": 1.0, "cost_sum": cost_usd}
        self.store.add(provider, deltas)


__all__ = [
    "POLICIES",
    "STAT_FIELDS",
    "FileStatsStore",
    "MemoryStatsStore",
    "Policy",
    "ProviderStats",
    "RedisStatsStore",
    "Router",
    "StatsStore",
    "build_stats_store",
]
