"""What the agent knows of a campaign and of the providers: counts, variants, incidents."""

from __future__ import annotations

import io
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

import imagehash
from PIL import Image

from ..brief import Brief, parse_brief
from ..errors import BriefError, CreativeAutomationError
from ..plan import make_plan
from ..providers.resilience import breaker_states
from ..service.context import Service
from ..service.provider_stats import provider_usage
from ..storage import Campaign, Creative, CreativeStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProductFacts:
    """One product of a campaign: creatives expected and made, and how distinct they are."""

    product_id: str
    expected: int
    produced: int  # written, ok or needing review
    failed: int
    needs_review: int
    variants: int  # produced creatives that are not near-duplicates of one another
    min_distance: int | None  # smallest perceptual-hash distance between two of them
    has_asset: bool
    missing: list[str] = field(default_factory=list)  # "9:16/es-MX" of creatives not made


@dataclass(frozen=True)
class CampaignFacts:
    campaign: Campaign
    brief: Brief | None
    products: list[ProductFacts]
    expected: int
    produced: int
    failed: int
    needs_review: int
    missing_copy: list[str]  # field paths left to a translation nobody can make


@dataclass(frozen=True)
class ProviderFacts:
    """A provider's health over the rule's window, as the deployment saw it."""

    name: str
    breaker: str
    calls: int
    failures: int
    latency_p95_s: float | None

    @property
    def error_rate(self) -> float:
        return self.failures / self.calls if self.calls else 0.0


class VariantHashes:
    """Perceptual hashes of creatives, read once from the file store and kept by id."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._hashes: dict[str, imagehash.ImageHash] = {}

    def of(self, creative: Creative) -> imagehash.ImageHash | None:
        if creative.id not in self._hashes:
            try:
                data = self.service.files.read(creative.campaign_id, creative.path)
                with Image.open(io.BytesIO(data)) as image:
                    # phash looks at 32×32 grey: a JPEG decoded at 1/8 scale (DCT scaling)
                    # gives the same picture for a fraction of a full decode
                    image.draft("L", (256, 256))
                    self._hashes[creative.id] = imagehash.phash(image)
            except (CreativeAutomationError, OSError) as exc:
                log.warning("cannot hash %s of %s: %s", creative.path, creative.campaign_id, exc)
                return None
        return self._hashes[creative.id]


def distinct(
    hashes: Iterable[imagehash.ImageHash], duplicate_distance: int
) -> tuple[int, int | None]:
    """(variants, smallest pairwise distance): a hash within `duplicate_distance` bits of one
    already counted is the same variant."""
    found = list(hashes)
    kept: list[imagehash.ImageHash] = []
    for h in found:
        if all(int(h - k) > duplicate_distance for k in kept):
            kept.append(h)
    pairs = [int(a - b) for i, a in enumerate(found) for b in found[i + 1 :]]
    return len(kept), min(pairs, default=None)


def campaign_facts(
    service: Service,
    campaign: Campaign,
    hashes: VariantHashes,
    *,
    duplicate_distance: int,
    can_translate: bool,
) -> CampaignFacts:
    """The campaign's creatives against its plan, per product."""
    creatives = service.store.creatives(campaign.id)
    try:
        brief: Brief | None = parse_brief(campaign.brief, source=f"campaign {campaign.id}")
    except BriefError:
        brief = None
    made: dict[tuple[str, str, str], Creative] = {c.key: c for c in creatives}
    by_product: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    missing_copy: list[str] = []
    if brief is not None:
        missing_copy = [] if can_translate else [path for path, _, _ in brief.missing_copy()]
        for spec in make_plan(brief, frozenset(brief.locales)):
            by_product[spec.product.id].append(spec.key)
    for key in made:
        if key not in by_product[key[0]]:
            by_product[key[0]].append(key)
    assets = {p.id: bool(p.assets) for p in brief.products} if brief else {}
    products = []
    for product_id, keys in by_product.items():
        got = [made[k] for k in keys if k in made]
        ok = [c for c in got if c.status is not CreativeStatus.FAILED and c.path]
        found = [h for h in (hashes.of(c) for c in ok) if h is not None]
        variants, smallest = distinct(found, duplicate_distance)
        products.append(
            ProductFacts(
                product_id=product_id,
                expected=len(keys),
                produced=len(ok),
                failed=sum(c.status is CreativeStatus.FAILED for c in got),
                needs_review=sum(c.status is CreativeStatus.NEEDS_REVIEW for c in got),
                variants=variants,
                min_distance=smallest,
                has_asset=assets.get(product_id, False),
                missing=[f"{k[1]}/{k[2]}" for k in keys if k not in made],
            )
        )
    return CampaignFacts(
        campaign=campaign,
        brief=brief,
        products=products,
        expected=sum(p.expected for p in products) or campaign.creatives_expected,
        produced=sum(p.produced for p in products),
        failed=sum(p.failed for p in products),
        needs_review=sum(p.needs_review for p in products),
        missing_copy=missing_copy,
    )


def provider_facts(service: Service, window: timedelta) -> list[ProviderFacts]:
    """Each remote provider's breaker (shared through Redis when it is set; this process's own
    otherwise) and its calls in the last `window`, from every worker's records."""
    remote = [u for u in provider_usage(service, window) if not u.offline]
    names = [u.name for u in remote]
    breakers = breaker_states(names, redis_url=service.settings.redis_url) if names else {}
    return [
        ProviderFacts(u.name, breakers.get(u.name, "closed"), u.calls, u.failures, u.latency_p95_s)
        for u in remote
    ]


__all__ = [
    "CampaignFacts",
    "ProductFacts",
    "ProviderFacts",
    "VariantHashes",
    "campaign_facts",
    "distinct",
    "provider_facts",
]
