"""The provider chain: fallback, budget, cache, routing and the quality gate, on real calls to
in-process providers and on the real clients against a fake OpenAI server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageFilter
from pytest_httpserver import HTTPServer

from creative_automation.errors import ContentRejected, ProviderFailed, ProviderUnavailable
from creative_automation.imaging.quality import quality_score
from creative_automation.imaging.saliency import focal_box
from creative_automation.providers.base import GenerationRequest, GenerationResult
from creative_automation.providers.budget import Budget
from creative_automation.providers.cache import DiskCache
from creative_automation.providers.chain import ChainMember, ProviderChain
from creative_automation.providers.procedural import ProceduralProvider
from creative_automation.providers.resilience import ResiliencePolicy, build_guards
from creative_automation.providers.router import MemoryStatsStore, Router

FAST = ResiliencePolicy(attempts=2, backoff_initial_s=0.01, backoff_max_s=0.02)


def request(seed: int = 1, prompt: str = "a can of cold brew") -> GenerationRequest:
    return GenerationRequest(
        product_id="p", product_name="Cold Brew", description="a can", prompt=prompt,
        palette=("#2B1B17", "#E07A2E"), width=512, height=512, seed=seed,
    )  # fmt: skip


def studio(seed: int) -> Image.Image:
    return ProceduralProvider().render(request(seed)).image


class Fake:
    """An in-process provider: answers with a real studio image, or raises what it is told."""

    def __init__(self, name: str, *, error: Exception | None = None, price: float = 0.04) -> None:
        self.name, self.error, self.price, self.calls = name, error, price, 0

    async def generate(self, req: GenerationRequest) -> GenerationResult:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return GenerationResult(
            image=studio(req.seed), provider=self.name, model="m1", seed=req.seed,
            cost_usd=self.price, latency_s=0.01, subject_box=None, prompt=req.prompt,
        )  # fmt: skip


def chain(*fakes: Fake, budget: Budget | None = None, **kwargs: Any) -> ProviderChain:
    guards = build_guards([f.name for f in fakes], FAST)
    members = [ChainMember(f.name, f, "m1", f.price, guards[f.name]) for f in fakes]
    members.append(ChainMember("procedural", ProceduralProvider(), "procedural-studio-v1", 0.0))
    kwargs.setdefault("router", None)
    return ProviderChain(members, budget=budget or Budget(), **kwargs)


def test_first_healthy_provider_answers() -> None:
    a, b = Fake("a"), Fake("b")
    result = asyncio.run(chain(a, b).generate(request()))
    assert result.provider == "a" and result.fallbacks == () and (a.calls, b.calls) == (1, 0)
    assert result.quality is not None and result.quality > 0.45


def test_every_provider_down_still_ends_at_procedural() -> None:
    down = [
        Fake("a", error=ProviderUnavailable("503", status=503)),
        Fake("b", error=ProviderFailed("401", status=401)),
        Fake("c", error=ContentRejected("policy")),
    ]
    result = asyncio.run(chain(*down).generate(request()))
    assert result.provider == "procedural"
    assert [f.split(":")[0] for f in result.fallbacks] == ["a", "b", "c"]
    assert "content policy" in result.fallbacks[2]
    # transient errors retried (2 attempts); permanent and refused prompts tried once
    assert [f.calls for f in down] == [FAST.attempts, 1, 1]


def test_budget_is_never_exceeded() -> None:
    budget = Budget(limit_usd=0.10)
    a = Fake("a", price=0.04)
    c = chain(a, budget=budget)

    async def campaign() -> list[GenerationResult]:
        return [await c.generate(request(seed)) for seed in range(5)]

    results = asyncio.run(campaign())
    assert [r.provider for r in results] == ["a", "a", "procedural", "procedural", "procedural"]
    assert budget.spent_usd == pytest.approx(0.08) and budget.spent_usd <= budget.limit_usd
    assert "budget" in results[2].fallbacks[0]


def test_cache_hit_makes_no_call(tmp_path: Path) -> None:
    a = Fake("a")
    with DiskCache(tmp_path / "cache") as cache:
        first = asyncio.run(chain(a, cache=cache).generate(request()))
        second = asyncio.run(chain(a, cache=cache).generate(request()))
    assert a.calls == 1 and second.cached and not first.cached
    assert second.cost_usd == 0.0 and second.provider == "a"
    assert np.array_equal(np.asarray(first.image), np.asarray(second.image))


def test_a_damaged_cache_entry_is_a_miss_not_a_failure(tmp_path: Path) -> None:
    a = Fake("a")
    with DiskCache(tmp_path / "cache") as cache:
        asyncio.run(chain(a, cache=cache).generate(request()))
        (key,) = list(cache._cache)
        good = cache.get(key)
        assert good is not None
        cache.put(key, replace(good, data=good.data[:200]))  # a PNG cut short
        again = asyncio.run(chain(a, cache=cache).generate(request()))
        repaired = cache.get(key)
    assert a.calls == 2 and not again.cached and again.provider == "a"
    assert repaired is not None and repaired.image().size == again.image.size


def test_the_subject_is_found_once_and_a_cache_hit_brings_it_back(tmp_path: Path) -> None:
    a = Fake("a")  # tells no subject box: the quality gate's analysis finds it
    with DiskCache(tmp_path / "cache") as cache:
        first = asyncio.run(chain(a, cache=cache).generate(request()))
        second = asyncio.run(chain(a, cache=cache).generate(request()))
    assert first.subject_box == focal_box(np.asarray(first.image.convert("RGB")))
    assert first.quality == quality_score(np.asarray(first.image), first.subject_box).score
    assert second.cached and second.subject_box == first.subject_box


def test_quality_gate_routes_elsewhere() -> None:
    class Blurry(Fake):
        async def generate(self, req: GenerationRequest) -> GenerationResult:
            result = await super().generate(req)
            grey = Image.new("RGB", result.image.size, (128, 128, 128))
            return GenerationResult(**{**result.__dict__, "image": grey})

    bad, good = Blurry("bad"), Fake("good")
    result = asyncio.run(chain(bad, good).generate(request()))
    assert result.provider == "good" and "quality" in result.fallbacks[0]


def test_an_image_failing_its_blur_check_falls_back_even_when_its_score_passes() -> None:
    class Soft(Fake):
        async def generate(self, req: GenerationRequest) -> GenerationResult:
            result = await super().generate(req)
            soft = result.image.filter(ImageFilter.GaussianBlur(6))
            return GenerationResult(**{**result.__dict__, "image": soft})

    soft, good = Soft("soft"), Fake("good")
    # a score threshold of 0 lets any score through: the blur check is what catches it
    with_gate_off = asyncio.run(chain(soft, quality_threshold=None).generate(request()))
    assert with_gate_off.provider == "soft"
    result = asyncio.run(chain(soft, good, quality_threshold=0.0).generate(request()))
    assert result.provider == "good"
    assert "failed its quality check" in result.fallbacks[0] and "blur" in result.fallbacks[0]


def test_router_shifts_away_from_a_failing_provider() -> None:
    flaky = Fake("flaky", error=ProviderUnavailable("500", status=500))
    healthy = Fake("healthy")
    router = Router(["flaky", "healthy"], "balanced", MemoryStatsStore(), np.random.default_rng(3))
    c = chain(flaky, healthy, router=router)

    async def campaign() -> list[str]:
        return [(await c.generate(request(seed))).provider for seed in range(30)]

    providers = asyncio.run(campaign())
    assert set(providers) == {"healthy"}
    # and when the healthy one goes down too, the routed chain still ends at procedural
    healthy.error = ProviderUnavailable("503", status=503)
    assert asyncio.run(c.generate(request(99))).provider == "procedural"
    # after a few failures the flaky provider is rarely tried first
    assert flaky.calls <= 20 < 30 * FAST.attempts


# --- the real OpenAI client against a fake server: the campaign completes either way ---


def png_b64(size: tuple[int, int]) -> str:
    buf = io.BytesIO()
    studio(5).resize(size).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def openai_chain(server: HTTPServer, tmp_path: Path, budget: Budget) -> ProviderChain:
    from pydantic import SecretStr

    from creative_automation.providers.openai import OpenAIImageProvider

    provider = OpenAIImageProvider(SecretStr("sk-test-123"), base_url=server.url_for("/v1"))
    guards = build_guards(["openai"], FAST)
    members = [
        ChainMember("openai", provider, provider.model, 0.063, guards["openai"]),
        ChainMember("procedural", ProceduralProvider(), "procedural-studio-v1", 0.0),
    ]
    return ProviderChain(members, budget=budget, cache=DiskCache(tmp_path / "cache"))


def test_real_client_success_then_cache(httpserver_ipv4: HTTPServer, tmp_path: Path) -> None:
    body = {"created": 1, "data": [{"b64_json": png_b64((1024, 1024))}]}
    httpserver_ipv4.expect_request("/v1/images/generations", method="POST").respond_with_json(body)
    budget = Budget(limit_usd=1.0)
    first = asyncio.run(openai_chain(httpserver_ipv4, tmp_path, budget).generate(request()))
    second = asyncio.run(openai_chain(httpserver_ipv4, tmp_path, budget).generate(request()))
    assert first.provider == "openai" and first.cost_usd == pytest.approx(0.042)
    assert second.cached and len(httpserver_ipv4.log) == 1  # the second run made no call
    assert budget.spent_usd == pytest.approx(0.042)


def test_real_client_outage_falls_back(httpserver_ipv4: HTTPServer, tmp_path: Path) -> None:
    error = {"error": {"message": "overloaded", "type": "server_error", "code": None}}
    httpserver_ipv4.expect_request("/v1/images/generations").respond_with_data(
        json.dumps(error), status=503, content_type="application/json"
    )
    budget = Budget(limit_usd=1.0)
    result = asyncio.run(openai_chain(httpserver_ipv4, tmp_path, budget).generate(request()))
    assert result.provider == "procedural" and result.fallbacks[0].startswith("openai:")
    assert len(httpserver_ipv4.log) == FAST.attempts and budget.spent_usd == 0.0
    assert "sk-test-123" not in " ".join(result.fallbacks)
