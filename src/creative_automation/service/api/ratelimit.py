"""Per-API-key request rates (the `limits` library): moving window, in memory or in Redis."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ...errors import ConfigError, RateLimited, StorageUnavailable

NAMESPACE = "cap-api"


class KeyRateLimiter:
    """Counts each key's requests against every rate of CAP_RATE_LIMIT ('120/minute',
    '10/second;500/hour'). In memory, each API process counts alone; with Redis, all of them
    share one count, so N replicas still allow the key its rate, not N times it."""

    def __init__(self, rate: str, redis_url: str | None = None) -> None:
        self.items: list[RateLimitItem] = parse_many(rate)
        storage = storage_from_string(redis_url) if redis_url else MemoryStorage()
        if not isinstance(storage, Storage):  # the sync API only: routes run in threads
            raise ConfigError(f"CAP_REDIS_URL {redis_url!r} is not a synchronous limits storage")
        self.backend = "redis" if redis_url else "memory"
        self._limiter = MovingWindowRateLimiter(storage)

    def hit(self, key_id: str) -> None:
        """Count one request; RateLimited (with the seconds until the window frees a slot)
        when the key is over any of its rates."""
        try:
            for item in self.items:
                if not self._limiter.hit(item, NAMESPACE, key_id):
                    stats = self._limiter.get_window_stats(item, NAMESPACE, key_id)
                    wait = max(1, math.ceil(stats.reset_time - time.time()))
                    raise RateLimited(
                        f"this API key is over its rate of {item}; retry in {wait} s",
                        retry_after=wait,
                    )
        except RateLimited:
            raise
        except Exception as exc:  # the Redis client's own errors
            raise StorageUnavailable(
                f"the rate-limit store ({self.backend}) is unavailable: {exc}"
            ) from None
