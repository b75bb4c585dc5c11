"""Campaign inputs: each product's source image (reused asset or generated, concurrently),
the brand's logo and fonts, all read from the asset folder with its safety checks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .brief import Brand, Brief, Product
from .errors import AssetError
from .imaging.fonts import brand_face
from .imaging.geometry import Box
from .imaging.io import has_transparency, load_image, resolve_asset, to_rgb_array
from .imaging.logo import LogoPair, logo_pair
from .imaging.saliency import focal_box
from .prompts import product_prompt
from .providers.base import GenerationRequest, ImageProvider


@dataclass
class Source:
    """A product's hero image, where its subject is, and how it came to be."""

    product_id: str
    rgb: NDArray[np.uint8]
    subject: Box
    origin: str  # "asset" | "generated"
    asset: str | None = None
    provider: str | None = None
    model: str | None = None
    seed: int | None = None
    cost_usd: float = 0.0
    notes: list[str] = field(default_factory=list)
    cached: bool = False
    quality: float | None = None


def _find_asset(
    product: Product, assets_dir: Path | None, max_pixels: int
) -> tuple[str, Image.Image] | None:
    """The first listed asset that exists (name confinement and decoding errors are raised)."""
    for name in product.assets:
        if assets_dir is None:
            raise AssetError(
                f"product {product.id!r} lists asset {name!r} but no asset folder was given"
            )
        if not (assets_dir / name).exists():
            continue  # not supplied: the product is generated, and the manifest says so
        path = resolve_asset(assets_dir, name)  # confinement: symlinks out of the folder fail
        return name, load_image(path, max_pixels=max_pixels)
    return None


async def _source_for(
    brief: Brief,
    product: Product,
    assets_dir: Path | None,
    provider: ImageProvider,
    size: int,
    max_pixels: int,
) -> Source:
    found = await asyncio.to_thread(_find_asset, product, assets_dir, max_pixels)
    notes = []
    missing = [a for a in product.assets if found is None or a != found[0]]
    if product.assets and found is None:
        notes.append(f"asset {', '.join(missing)} not found in the asset folder; generated instead")
    packshot = None
    if found is not None:
        name, img = found
        if not has_transparency(img):
            rgb = to_rgb_array(img)
            subject = await asyncio.to_thread(focal_box, rgb)
            return Source(product.id, rgb, subject, "asset", asset=name, notes=notes)
        packshot = img  # a cut-out: stage it in a generated studio scene
        notes.append(f"cut-out packshot {name} staged in a generated scene")
    palette = tuple(brief.brand.palette) if brief.brand else ()
    request = GenerationRequest(
        product_id=product.id,
        product_name=product.name,
        description=product.description,
        prompt=product_prompt(brief, product),
        palette=palette,
        width=size,
        height=size,
        seed=brief.seed,
        packshot=packshot,
        shape=product.package,
    )
    result = await provider.generate(request)
    rgb = to_rgb_array(result.image)
    subject = result.subject_box if result.subject_box else await asyncio.to_thread(focal_box, rgb)
    return Source(
        product.id,
        rgb,
        subject,
        "generated",
        asset=found[0] if found else None,
        provider=result.provider,
        model=result.model,
        seed=result.seed,
        cost_usd=result.cost_usd,
        notes=notes + [f"fallback: {f}" for f in result.fallbacks],
        cached=result.cached,
        quality=result.quality,
    )


async def _all_sources(
    brief: Brief, assets_dir: Path | None, provider: ImageProvider, size: int, max_pixels: int
) -> list[Source]:
    return list(
        await asyncio.gather(
            *(_source_for(brief, p, assets_dir, provider, size, max_pixels) for p in brief.products)
        )
    )


def produce_sources(
    brief: Brief, assets_dir: Path | None, provider: ImageProvider, *, size: int, max_pixels: int
) -> dict[str, Source]:
    """Every product's source, produced concurrently (provider latency dominates a campaign)."""
    sources = asyncio.run(_all_sources(brief, assets_dir, provider, size, max_pixels))
    return {s.product_id: s for s in sources}


def load_logo(brand: Brand, assets_dir: Path | None, max_pixels: int) -> LogoPair | None:
    """The brand kit's logo (and its dark-background variant) from the asset folder."""
    if brand.logo is None:
        return None
    if assets_dir is None:
        raise AssetError(f"the brand kit names logo {brand.logo!r} but no asset folder was given")
    light = load_image(resolve_asset(assets_dir, brand.logo), max_pixels=max_pixels)
    dark = None
    if brand.logo_on_dark:
        dark = load_image(resolve_asset(assets_dir, brand.logo_on_dark), max_pixels=max_pixels)
    return logo_pair(light, dark, brand.logo)


def brand_fonts(brief: Brief, assets_dir: Path | None) -> tuple[Path, ...]:
    """The brand's own font files, confined to the asset folder and checked to be fonts."""
    if brief.brand is None or not brief.brand.fonts:
        return ()
    if assets_dir is None:
        raise AssetError("the brand kit lists fonts but no asset folder was given (--assets)")
    paths = tuple(resolve_asset(assets_dir, name) for name in brief.brand.fonts)
    for path in paths:
        brand_face(path)
    return paths
