"""The provider chain: routing, cache, budget, resilience, quality gate and fallback in one
ImageProvider, so the pipeline asks for an image and the chain decides who makes it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..compliance.image_quality import image_quality_findings
from ..errors import ContentRejected, ProviderError, ProviderUnavailable
from ..imaging.geometry import Box
from ..imaging.io import to_rgb_array
from ..imaging.quality import quality_score
from ..imaging.saliency import focal_box
from .base import GenerationRequest, GenerationResult, ImageProvider
from .budget import Budget
from .cache import CachedImage, GenerationCache, cache_key, png_bytes
from .packshot import digest
from .resilience import Guard
from .router import Router

OFFLINE = "procedural"


@dataclass
class ChainMember:
    """One provider in the chain, with what the chain needs to know about it."""

    name: str
    provider: ImageProvider
    model: str
    estimate_usd: float  # worst-case price of one image: what the budget reserves
    guard: Guard | None = None  # None: a local generator that cannot fail transiently
    # worst-case price of staging a cut-out packshot; None: this provider cannot stage one
    # (text-to-image would invent the product, which misrepresents it)
    stage_estimate_usd: float | None = None
    options: dict[str, str] = field(default_factory=dict)  # settings that change the pixels

    def estimate_for(self, request: GenerationRequest) -> float:
        if request.packshot is not None and self.stage_estimate_usd is not None:
            return self.stage_estimate_usd
        return self.estimate_usd


@dataclass(frozen=True)
class CallLog:
    """One attempt the chain made: who, how long, what it cost and how it ended."""

    provider: str
    model: str
    latency_s: float
    cost_usd: float
    outcome: str  # ok | unavailable | failed | rejected | cached


CallObserver = Callable[[CallLog], None]


class ProviderChain:
    """Tries providers in the router's order (the offline generator always last) until one
    returns an image good enough to use; records every detour on the result."""

    name = "chain"

    def __init__(
        self,
        members: list[ChainMember],
        *,
        budget: Budget,
        router: Router | None = None,
        cache: GenerationCache | None = None,
        quality_threshold: float | None = 0.45,
        on_call: CallObserver | None = None,
    ) -> None:
        self.members = {m.name: m for m in members}
        self.on_call = on_call  # told of every attempt (the service logs them per campaign)
        self.budget = budget
        self.router = router
        self.cache = cache
        self.quality_threshold = quality_threshold  # None: the quality gate is off

    def order(self, request: GenerationRequest) -> list[ChainMember]:
        names = self.router.order() if self.router else list(self.members)
        ordered = [self.members[n] for n in names if n in self.members and n != OFFLINE]
        if request.packshot is not None:
            ordered = [m for m in ordered if m.stage_estimate_usd is not None]
        if OFFLINE in self.members:
            ordered.append(self.members[OFFLINE])
        return ordered

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        detours: list[str] = []
        for member in self.order(request):
            result = await self._try(member, request, detours)
            if result is not None:
                return replace(result, fallbacks=tuple(detours))
        raise ProviderUnavailable("no provider could make an image: " + "; ".join(detours))

    async def _try(
        self, member: ChainMember, request: GenerationRequest, detours: list[str]
    ) -> GenerationResult | None:
        key = _cache_key(member, request)
        if self.cache is not None and member.name != OFFLINE:
            # a cache read (disk or Redis) and a 1024² decode: off the event loop
            hit = await asyncio.to_thread(_cached, self.cache, key, request)
            if hit is not None:
                self._log(member, 0.0, 0.0, "cached")
                return hit
        estimate = member.estimate_for(request)
        if not self.budget.reserve(estimate):
            detours.append(
                f"{member.name}: skipped, ${estimate:.3f} would exceed the campaign "
                f"budget (${self.budget.limit_usd:.2f}, ${self.budget.spent_usd:.2f} spent)"
            )
            return None
        started = time.perf_counter()
        try:
            if member.guard is not None:
                result = await member.guard.call(lambda: member.provider.generate(request))
            else:
                result = await member.provider.generate(request)
        except ContentRejected:
            self.budget.release(estimate)
            self._log(member, time.perf_counter() - started, 0.0, "rejected")
            detours.append(f"{member.name}: refused the prompt (content policy)")
            return None  # says nothing about the provider's health: not recorded as a failure
        except ProviderError as exc:
            self.budget.release(estimate)
            outcome = "unavailable" if isinstance(exc, ProviderUnavailable) else "failed"
            self._log(member, time.perf_counter() - started, 0.0, outcome)
            detours.append(f"{member.name}: {exc}")
            self._record(member.name, ok=False, latency=time.perf_counter() - started)
            return None
        self.budget.settle(estimate, result.cost_usd, f"{member.name}/{member.model}")
        self._log(member, result.latency_s, result.cost_usd, "ok")
        result = self._analysed(result)
        score = result.quality
        self._record(
            member.name, ok=True, latency=result.latency_s, quality=score, cost=result.cost_usd
        )
        gate = self.quality_threshold
        if score is not None and gate is not None and score < gate and member.name != OFFLINE:
            detours.append(f"{member.name}: image quality {score:.2f} below {gate:.2f}")
            return None
        failed = self._failed_checks(result) if gate is not None else []
        if failed and member.name != OFFLINE:
            # the compliance check a creative would fail on: fall back now, not after paying
            # for the rendering of every locale
            detours.append(f"{member.name}: image failed its quality check ({'; '.join(failed)})")
            return None
        if self.cache is not None and member.name != OFFLINE:
            # storing can mean PNG-encoding a 1024² image (~60 ms): off the event loop, so the
            # campaign's other sources go on meanwhile
            await asyncio.to_thread(self._store, self.cache, key, result)
        return result

    def _log(self, member: ChainMember, latency: float, cost: float, outcome: str) -> None:
        if self.on_call is not None:
            self.on_call(CallLog(member.name, member.model, latency, cost, outcome))

    @staticmethod
    def _store(cache: GenerationCache, key: str, result: GenerationResult) -> None:
        box = result.subject_box.as_list() if result.subject_box else None
        entry = CachedImage(
            result.encoded or png_bytes(result.image),
            provider=result.provider,
            model=result.model,
            seed=result.seed,
            cost_usd=result.cost_usd,
            subject_box=box,
        )
        cache.put(key, entry)

    def _analysed(self, result: GenerationResult) -> GenerationResult:
        """With the quality gate on: the image's quality score, and its subject (the provider's,
        else found here once: the campaign frames every format around it, and a cache hit
        brings it back)."""
        if self.quality_threshold is None:
            return result
        rgb = to_rgb_array(result.image)
        subject = result.subject_box or focal_box(rgb)
        score = quality_score(rgb, subject).score
        return replace(result, quality=score, subject_box=subject)

    @staticmethod
    def _failed_checks(result: GenerationResult) -> list[str]:
        """The blur and exposure findings the image fails (compliance/image_quality)."""
        findings = image_quality_findings(
            to_rgb_array(result.image), subject_box=result.subject_box
        )
        return [f.detail for f in findings if f.blocking]

    def _record(
        self,
        name: str,
        *,
        ok: bool,
        latency: float | None,
        quality: float | None = None,
        cost: float | None = None,
    ) -> None:
        if self.router is not None and name != OFFLINE:  # the offline generator is not routed
            self.router.record(name, ok=ok, latency_s=latency, quality=quality, cost_usd=cost)


def _cache_key(member: ChainMember, request: GenerationRequest) -> str:
    extra: dict[str, str] = dict(member.options)
    if request.packshot is not None:
        extra["packshot"] = digest(request.packshot)
    return cache_key(
        member.name, member.model, request.prompt, request.width, request.height, request.seed,
        extra,
    )  # fmt: skip


def _cached(
    cache: GenerationCache, key: str, request: GenerationRequest
) -> GenerationResult | None:
    """The stored generation for `key`; None when there is none or it no longer decodes (a
    damaged entry is a miss: the image is made again and overwrites it)."""
    hit = cache.get(key)
    if hit is None:
        return None
    try:
        return _from_cache(hit, request)
    except ProviderUnavailable:
        return None


def _from_cache(hit: CachedImage, request: GenerationRequest) -> GenerationResult:
    image = hit.image()
    box = Box(*hit.subject_box) if hit.subject_box else None
    return GenerationResult(
        image=image,
        provider=hit.provider,
        model=hit.model,
        seed=hit.seed,
        cost_usd=0.0,  # paid when it was made; a cache hit costs nothing
        latency_s=0.0,
        subject_box=box,
        prompt=request.prompt,
        cached=True,
    )
