"""Builds the provider chain from settings: which providers, in what order, with what guards."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from ..errors import ConfigError
from ..settings import Settings
from .base import TextProvider, source_format_for
from .budget import Budget
from .cache import GenerationCache, build_generation_cache
from .chain import OFFLINE, CallObserver, ChainMember, ProviderChain
from .prices import max_price
from .procedural import MODEL, ProceduralProvider
from .resilience import ResiliencePolicy, build_guards
from .router import Router, StatsStore, build_stats_store

KNOWN = ("openai", "stability", "firefly", OFFLINE)


def _openai(settings: Settings) -> ChainMember:
    from .openai import OpenAIImageProvider  # the SDK is only imported when it is used

    assert settings.openai_api_key is not None
    p = OpenAIImageProvider(
        settings.openai_api_key,
        model=settings.openai_image_model,
        quality=settings.openai_image_quality,
        timeout_s=settings.provider_timeout_s,
        source_format=source_format_for(settings.output_format),
    )
    return ChainMember(
        "openai",
        p,
        p.model,
        p.estimate_usd(),
        stage_estimate_usd=p.estimate_usd(packshot=True) if p.stages_packshots else None,
        options={"quality": p.quality},
    )


def _stability(settings: Settings) -> ChainMember:
    from .stability import StabilityImageProvider

    assert settings.stability_api_key is not None
    p = StabilityImageProvider(
        settings.stability_api_key,
        model=settings.stability_model,
        base_url=settings.stability_base_url,
        timeout_s=settings.provider_timeout_s,
        source_format=source_format_for(settings.output_format),
    )
    model = settings.stability_model
    return ChainMember("stability", p, model, max_price("stability", model))


def _firefly(settings: Settings) -> ChainMember:
    from .firefly import FireflyImageProvider

    assert settings.firefly_client_id is not None and settings.firefly_client_secret is not None
    p = FireflyImageProvider(
        settings.firefly_client_id,
        settings.firefly_client_secret,
        model=settings.firefly_model,
        base_url=settings.firefly_base_url,
        ims_url=settings.firefly_ims_url,
        timeout_s=settings.provider_timeout_s,
    )
    model = settings.firefly_model
    return ChainMember("firefly", p, model, max_price("firefly", model))


def _procedural(settings: Settings) -> ChainMember:
    return ChainMember(OFFLINE, ProceduralProvider(), MODEL, 0.0, stage_estimate_usd=0.0)


FACTORIES: dict[str, Callable[[Settings], ChainMember]] = {
    "openai": _openai,
    "stability": _stability,
    "firefly": _firefly,
    OFFLINE: _procedural,
}
CREDENTIALS = {
    "openai": ("OPENAI_API_KEY",),
    "stability": ("STABILITY_API_KEY",),
    "firefly": ("FIREFLY_CLIENT_ID", "FIREFLY_CLIENT_SECRET"),
    OFFLINE: (),
}


def _has_credentials(name: str, settings: Settings) -> bool:
    fields = {
        "openai": (settings.openai_api_key,),
        "stability": (settings.stability_api_key,),
        "firefly": (settings.firefly_client_id, settings.firefly_client_secret),
        OFFLINE: (),
    }[name]
    return all(f is not None and f.get_secret_value() for f in fields)


def provider_names(settings: Settings) -> list[str]:
    """The configured order: CAP_IMAGE_PROVIDERS, else every provider with credentials, then
    the offline generator (always last, so a campaign always completes)."""
    if settings.image_providers:
        names = [n.strip() for n in settings.image_providers.split(",") if n.strip()]
        unknown = [n for n in names if n not in FACTORIES]
        if unknown:
            raise ConfigError(
                f"CAP_IMAGE_PROVIDERS names unknown provider(s) {', '.join(unknown)}; "
                f"known: {', '.join(KNOWN)}"
            )
        missing = [n for n in names if not _has_credentials(n, settings)]
        if missing:
            need = "; ".join(f"{n} needs {' and '.join(CREDENTIALS[n])}" for n in missing)
            raise ConfigError(f"provider(s) named without credentials: {need}")
    else:
        names = [n for n in KNOWN if n != OFFLINE and _has_credentials(n, settings)]
    if len(set(names)) != len(names):
        raise ConfigError(f"CAP_IMAGE_PROVIDERS lists a provider twice: {settings.image_providers}")
    return [n for n in names if n != OFFLINE] + [OFFLINE]


def build_text_provider(settings: Settings) -> TextProvider | None:
    """The text provider for translations and alt text: OpenAI chat when its key is set."""
    if settings.openai_api_key is None or not settings.openai_api_key.get_secret_value():
        return None
    from .openai_text import OpenAITextProvider

    return OpenAITextProvider(
        settings.openai_api_key,
        model=settings.openai_text_model,
        timeout_s=settings.provider_timeout_s,
    )


# One statistics store and one generation cache per location and process, reused by every
# campaign: a service runs thousands, and each would otherwise open its own Redis pool or cache
# database.
_stats_store_at = cache(build_stats_store)
_cache_at = cache(build_generation_cache)


def _stats_store(settings: Settings) -> StatsStore:
    return _stats_store_at(settings.data_dir.resolve(), settings.redis_url)


def _cache(settings: Settings) -> GenerationCache:
    return _cache_at(settings.data_dir.resolve(), settings.redis_url)


def build_chain(
    settings: Settings, budget: Budget, *, on_call: CallObserver | None = None
) -> ProviderChain:
    """The campaign's provider chain. With no credentials it is just the offline generator."""
    names = provider_names(settings)
    members = [FACTORIES[name](settings) for name in names]
    remote = [m.name for m in members if m.name != OFFLINE]
    policy = ResiliencePolicy(
        concurrency=settings.provider_concurrency, requests_per_window=settings.provider_rpm
    )
    guards = build_guards(remote, policy, redis_url=settings.redis_url)
    for m in members:
        m.guard = guards.get(m.name)
    router = (
        Router(
            remote,
            settings.router_policy,
            _stats_store(settings),
            prices={m.name: m.estimate_usd for m in members if m.name != OFFLINE},
        )
        if remote
        else None
    )
    return ProviderChain(
        members,
        budget=budget,
        router=router,
        cache=_cache(settings) if remote else None,
        quality_threshold=settings.quality_threshold,
        on_call=on_call,
    )


@dataclass(frozen=True)
class ProviderStatus:
    """One row of `cap providers`."""

    name: str
    configured: bool
    detail: str  # model, or which credentials are missing
    price_usd: float | None
    breaker: str
    calls: int
    success_rate: float | None
    median_latency_s: float | None
    spend_usd: float


def provider_status(settings: Settings) -> list[ProviderStatus]:
    """Every known provider: configured or not, its breaker and what the router has seen."""
    configured = provider_names(settings)
    chain = build_chain(settings, Budget())
    stats = chain.router.stats() if chain.router else {}
    rows = []
    for name in KNOWN:
        member = chain.members.get(name)
        if member is None:
            missing = ", ".join(CREDENTIALS[name])
            rows.append(ProviderStatus(name, False, f"set {missing}", None, "-", 0, None, None, 0))
            continue
        s = stats.get(name)
        breaker = asyncio.run(member.guard.state()) if member.guard else "-"
        rows.append(
            ProviderStatus(
                name,
                name in configured,
                member.model,
                member.estimate_usd,
                breaker,
                s.calls if s else 0,
                s.success_rate if s and s.calls else None,
                s.median_latency_s if s and s.calls else None,
                s.cost_sum if s else 0.0,
            )
        )
    return rows
