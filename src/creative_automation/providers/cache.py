"""Content-addressed generation cache: on disk (diskcache) by default, Redis when configured."""

from __future__ import annotations

import hashlib
import importlib
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import diskcache  # type: ignore[import-untyped]  # ships no type information
from PIL import Image

from creative_automation.errors import ConfigError
from creative_automation.providers.decode import decode_image

# PNG, JPEG, and RIFF (WebP): what providers answer with
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF")
KEY_VERSION = 1  # bump when the key's inputs change meaning: old entries then simply miss
DEFAULT_DISK_LIMIT = 2 * 1024**3
DEFAULT_REDIS_TTL_S = 30 * 24 * 3600


def cache_key(
    provider: str,
    model: str,
    prompt: str,
    width: int,
    height: int,
    seed: int,
    extra: dict[str, Any] | None = None,
) -> str:
    """sha256 (hex) of a canonical JSON of everything that determines the pixels.

    `extra` holds provider options that change the image (quality, style, a packshot's digest);
    it must be JSON-serialisable (TypeError otherwise). Key order never matters.
    """
    doc = {
        "v": KEY_VERSION,
        "provider": provider,
        "model": model,
        "prompt": prompt,
        "width": width,
        "height": height,
        "seed": seed,
        "extra": extra or {},
    }
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def png_bytes(image: Image.Image) -> bytes:
    """The image as PNG at compress_level 1: lossless, ~2x faster to write than the default."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


@dataclass(frozen=True)
class CachedImage:
    """A stored generation. `cost_usd` is what the original call cost: reported, not paid again.

    `data` is the image file: the provider's own bytes when they were used as they came (no
    re-encoding: a 1024² PNG costs ~60 ms to write), else a PNG made here.
    """

    data: bytes
    provider: str
    model: str
    seed: int
    cost_usd: float
    subject_box: list[int] | None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @classmethod
    def from_image(
        cls,
        image: Image.Image,
        *,
        provider: str,
        model: str,
        seed: int,
        cost_usd: float,
        subject_box: list[int] | None,
    ) -> CachedImage:
        return cls(png_bytes(image), provider, model, seed, cost_usd, subject_box)

    def image(self) -> Image.Image:
        """The stored pixels as an RGB image, decoded as the provider's answer was."""
        return decode_image(self.data, "cache")

    def encode(self) -> bytes:
        """One blob: a JSON header line, then the image (JSON never contains a raw newline)."""
        meta = {
            "provider": self.provider,
            "model": self.model,
            "seed": self.seed,
            "cost_usd": self.cost_usd,
            "subject_box": self.subject_box,
            "created_at": self.created_at,
        }
        return json.dumps(meta, separators=(",", ":")).encode("utf-8") + b"\n" + self.data

    @classmethod
    def decode(cls, blob: bytes) -> CachedImage:
        """Inverse of encode; ValueError on a blob that is not one."""
        head, sep, data = blob.partition(b"\n")
        if not sep or not data.startswith(_IMAGE_MAGIC):
            raise ValueError("not a cached image")
        try:
            meta = json.loads(head)
            box = meta["subject_box"]
            return cls(
                data=data,
                provider=str(meta["provider"]),
                model=str(meta["model"]),
                seed=int(meta["seed"]),
                cost_usd=float(meta["cost_usd"]),
                subject_box=None if box is None else [int(v) for v in box],
                created_at=str(meta["created_at"]),
            )
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a cached image: {exc}") from None


class GenerationCache(Protocol):
    """Where generated images are kept by cache_key, so a repeated request makes no call."""

    def get(self, key: str) -> CachedImage | None:
        """The image stored under key, or None (missing, expired, evicted or unreadable)."""
        ...

    def put(self, key: str, image: CachedImage) -> None:
        """Store image under key (last writer wins: equal keys mean equal requests)."""
        ...


class NullCache:
    """Caches nothing: for tests and for `cache: none`."""

    def get(self, key: str) -> CachedImage | None:
        return None

    def put(self, key: str, image: CachedImage) -> None:
        return None


def _decode_or_none(blob: object) -> CachedImage | None:
    if not isinstance(blob, bytes):
        return None
    try:
        return CachedImage.decode(blob)
    except ValueError:
        return None  # a damaged entry is a miss: the image is generated again and overwritten


class DiskCache:
    """diskcache.Cache in a directory: SQLite index plus files, safe across processes.

    Least-recently-used entries are evicted beyond `size_limit` bytes.
    """

    def __init__(self, path: Path | str, *, size_limit: int = DEFAULT_DISK_LIMIT) -> None:
        self.path = Path(path)
        self._cache: Any = diskcache.Cache(
            str(self.path), size_limit=size_limit, eviction_policy="least-recently-used"
        )

    def get(self, key: str) -> CachedImage | None:
        return _decode_or_none(self._cache.get(key, default=None))

    def put(self, key: str, image: CachedImage) -> None:
        self._cache.set(key, image.encode())

    def close(self) -> None:
        self._cache.close()

    def __enter__(self) -> DiskCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect_redis(url: str) -> Any:
    """A redis-py client for url (connects on first use); ConfigError if redis is not installed.

    The URL may hold a password, so it never appears in the error.
    """
    try:
        redis = importlib.import_module("redis")
    except ImportError:
        raise ConfigError(
            "a Redis URL is configured but the redis package is missing: pip install redis"
        ) from None
    return redis.Redis.from_url(url)


class RedisCache:
    """Entries in Redis under `key_prefix` + key, expiring after `ttl_s` (shared by workers)."""

    def __init__(
        self, url: str, *, key_prefix: str = "cap:gen:", ttl_s: int = DEFAULT_REDIS_TTL_S
    ) -> None:
        self._redis = connect_redis(url)
        self.key_prefix = key_prefix
        self.ttl_s = ttl_s

    def get(self, key: str) -> CachedImage | None:
        return _decode_or_none(self._redis.get(self.key_prefix + key))

    def put(self, key: str, image: CachedImage) -> None:
        self._redis.set(self.key_prefix + key, image.encode(), ex=self.ttl_s)

    def close(self) -> None:
        self._redis.close()


def build_generation_cache(
    data_dir: Path, redis_url: str | None = None, *, enabled: bool = True
) -> GenerationCache:
    """Redis when a URL is configured (shared by every worker), else a disk cache in the data
    dir; NullCache when caching is turned off."""
    if not enabled:
        return NullCache()
    if redis_url:
        return RedisCache(redis_url)
    return DiskCache(Path(data_dir) / "generation-cache")


__all__ = [
    "DEFAULT_DISK_LIMIT",
    "DEFAULT_REDIS_TTL_S",
    "CachedImage",
    "DiskCache",
    "GenerationCache",
    "NullCache",
    "RedisCache",
    "build_generation_cache",
    "cache_key",
    "connect_redis",
    "png_bytes",
]
