"""Real backend servers for tests: skip with the reason where there are none, but never skip in
CI (`.ci/run` sets CAP_TEST_REDIS_URL), where a missing server is a failure."""

from __future__ import annotations

import os

import pytest

REDIS_URL = os.environ.get("CAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> str:
    """The Redis URL to test against; skips (or fails, when CI asked for Redis) without it."""
    required = "CAP_TEST_REDIS_URL" in os.environ
    try:
        import redis
    except ImportError:
        reason = "the redis package is not installed (pip install 'creative-automation[redis]')"
    else:
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
            return REDIS_URL
        except redis.RedisError as exc:
            reason = f"no Redis server answers at {REDIS_URL}: {exc}"
    if required:
        pytest.fail(f"CAP_TEST_REDIS_URL is set but {reason}")
    pytest.skip(reason)
