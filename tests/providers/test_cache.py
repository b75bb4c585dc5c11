"""Generation cache: stable content keys and one contract for the disk and Redis backends."""

from __future__ import annotations

import multiprocessing
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from backends import REDIS_URL, require_redis
from creative_automation.errors import ConfigError
from creative_automation.providers.cache import (
    DEFAULT_REDIS_TTL_S,
    CachedImage,
    DiskCache,
    GenerationCache,
    NullCache,
    RedisCache,
    build_generation_cache,
    cache_key,
    connect_redis,
)

BASE: dict[str, Any] = {
    "provider": "openai",
    "model": "gpt-image-1",
    "prompt": "hero shot of a green can on a stone plinth",
    "width": 1024,
    "height": 1024,
    "seed": 7,
    "extra": {"quality": "high"},
}


def noise(seed: int, side: int = 64) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def entry(seed: int, side: int = 64) -> CachedImage:
    return CachedImage.from_image(
        noise(seed, side),
        provider="openai",
        model="gpt-image-1",
        seed=seed,
        cost_usd=0.042,
        subject_box=[1, 2, 30, 40],
    )


@pytest.fixture
def redis_cache() -> Iterator[RedisCache]:
    """A RedisCache under a unique prefix, deleted afterwards; skipped without Redis."""
    require_redis()
    prefix = f"cap-test:{uuid.uuid4().hex}:"
    redis_cache = RedisCache(REDIS_URL, key_prefix=prefix)
    try:
        yield redis_cache
    finally:
        client = redis_cache._redis
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        redis_cache.close()


@pytest.fixture(params=["disk", "redis"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GenerationCache]:
    """Every real GenerationCache, for the shared contract tests."""
    if request.param == "disk":
        with DiskCache(tmp_path / "cache") as disk:
            yield disk
    else:
        yield request.getfixturevalue("redis_cache")


# -- keys ---------------------------------------------------------------------------------------


def test_key_is_a_stable_sha256_hex() -> None:
    key = cache_key(**BASE)
    assert key == cache_key(**BASE)
    assert len(key) == 64 and int(key, 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"seed": 8},
        {"prompt": "hero shot of a green can on a wooden plinth"},
        {"width": 1536},
        {"height": 1536},
        {"provider": "stability"},
        {"model": "dall-e-3"},
        {"extra": {"quality": "medium"}},
        {"extra": {}},
    ],
)
def test_anything_that_changes_the_pixels_changes_the_key(change: dict[str, Any]) -> None:
    assert cache_key(**{**BASE, **change}) != cache_key(**BASE)


def test_width_and_height_are_not_interchangeable() -> None:
    assert cache_key(**{**BASE, "width": 1024, "height": 1536}) != cache_key(
        **{**BASE, "width": 1536, "height": 1024}
    )


def test_extra_key_order_does_not_matter() -> None:
    a = cache_key(**{**BASE, "extra": {"style": "photo", "quality": "high"}})
    b = cache_key(**{**BASE, "extra": {"quality": "high", "style": "photo"}})
    assert a == b


def test_extra_must_be_json() -> None:
    with pytest.raises(TypeError):
        cache_key(**{**BASE, "extra": {"image": object()}})


# -- the stored record --------------------------------------------------------------------------


def test_encode_decode_round_trip_keeps_pixels_and_metadata() -> None:
    original = entry(1)
    back = CachedImage.decode(original.encode())
    assert back == original
    assert np.array_equal(np.asarray(back.image()), np.asarray(noise(1)))


@pytest.mark.parametrize(
    "blob", [b"", b"junk", b'{"provider": "x"}\n\x89PNG\r\n\x1a\nrest', b"{}\n"]
)
def test_decode_rejects_what_is_not_a_cached_image(blob: bytes) -> None:
    with pytest.raises(ValueError, match="not a cached image"):
        CachedImage.decode(blob)


def test_null_cache_stores_nothing() -> None:
    null = NullCache()
    null.put("k", entry(1))
    assert null.get("k") is None


# -- the GenerationCache contract, run against every backend ------------------------------------


def test_put_get_round_trip_is_pixel_identical(cache: GenerationCache) -> None:
    key = cache_key(**BASE)
    cache.put(key, entry(3))
    got = cache.get(key)
    assert got is not None
    assert (got.provider, got.model, got.seed, got.cost_usd) == ("openai", "gpt-image-1", 3, 0.042)
    assert got.subject_box == [1, 2, 30, 40]
    assert np.array_equal(np.asarray(got.image()), np.asarray(noise(3)))


def test_missing_key_is_none(cache: GenerationCache) -> None:
    assert cache.get(cache_key(**BASE)) is None


def test_put_overwrites(cache: GenerationCache) -> None:
    cache.put("k", entry(1))
    cache.put("k", entry(2))
    got = cache.get("k")
    assert got is not None and got.seed == 2


# -- disk ----------------------------------------------------------------------------------------


def test_disk_cache_persists_across_instances(tmp_path: Path) -> None:
    with DiskCache(tmp_path / "cache") as first:
        first.put("k", entry(5))
    with DiskCache(tmp_path / "cache") as second:
        got = second.get("k")
    assert got is not None
    assert np.array_equal(np.asarray(got.image()), np.asarray(noise(5)))


def test_damaged_disk_entry_is_a_miss(tmp_path: Path) -> None:
    with DiskCache(tmp_path / "cache") as disk:
        disk._cache.set("k", b"half a png")
        assert disk.get("k") is None


def test_disk_cache_evicts_beyond_its_size_limit(tmp_path: Path) -> None:
    with DiskCache(tmp_path / "cache", size_limit=400_000) as disk:
        for seed in range(30):  # ~49 kB each, ~1.5 MB in all
            disk.put(f"k{seed}", entry(seed, side=128))
        assert disk.get("k0") is None
        assert disk.get("k29") is not None
        assert disk._cache.volume() < 1_000_000


def _fill(path: str, seeds: list[int], barrier: Any) -> None:
    with DiskCache(path) as disk:
        barrier.wait()  # start together so the writes contend
        for seed in seeds:
            disk.put(f"k{seed}", entry(seed))
            assert disk.get(f"k{seed}") is not None


def test_two_processes_writing_at_once_do_not_corrupt_it(tmp_path: Path) -> None:
    path = str(tmp_path / "cache")
    ctx = multiprocessing.get_context("spawn")  # fork in a threaded test process may deadlock
    barrier = ctx.Barrier(2)
    # overlapping ranges: both processes also write the same keys
    jobs = [list(range(0, 60)), list(range(30, 90))]
    procs = [ctx.Process(target=_fill, args=(path, seeds, barrier)) for seeds in jobs]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    with DiskCache(path) as disk:
        for seed in range(90):
            got = disk.get(f"k{seed}")
            assert got is not None and got.seed == seed
            assert np.array_equal(np.asarray(got.image()), np.asarray(noise(seed)))


# -- redis ---------------------------------------------------------------------------------------


def test_redis_entries_expire(redis_cache: RedisCache) -> None:
    redis_cache.put("k", entry(1))
    ttl = redis_cache._redis.ttl(redis_cache.key_prefix + "k")
    assert DEFAULT_REDIS_TTL_S - 60 < ttl <= DEFAULT_REDIS_TTL_S


def test_missing_redis_package_names_the_install_and_hides_the_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # makes `import redis` fail
    with pytest.raises(ConfigError, match="pip install redis") as info:
        connect_redis("redis://:hunter2@127.0.0.1:6379/0")
    assert "hunter2" not in str(info.value)
    with pytest.raises(ConfigError):
        RedisCache("redis://127.0.0.1:6379/0")


def test_build_picks_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(build_generation_cache(tmp_path, enabled=False), NullCache)
    disk = build_generation_cache(tmp_path)
    assert isinstance(disk, DiskCache) and disk.path == tmp_path / "generation-cache"
    disk.close()
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ConfigError, match="pip install redis"):
        build_generation_cache(tmp_path, REDIS_URL)
