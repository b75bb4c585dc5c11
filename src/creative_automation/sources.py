"""Campaign inputs: each product's source image (reused asset or generated, concurrently),
the brand's logo and fonts, all read from the asset folder with its safety checks."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .brandkit import Brand
from .brief import Brief, Product
from .compliance.artefacts import artefact_findings
from .compliance.findings import Finding
from .compliance.image_quality import image_quality_findings
from .errors import AssetError
from .formats import Format, family, resolve_format
from .imaging.fonts import brand_face
from .imaging.geometry import Box
from .imaging.io import has_transparency, load_image, resolve_asset, to_rgb_array
from .imaging.logo import LogoPair, logo_pair
from .imaging.saliency import focal_box
from .prompts import negative_prompt, product_prompt
from .providers.base import GenerationRequest, ImageProvider
from .readback import readers


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
    asset_path: Path | None = None  # the reused file itself: its bytes are the C2PA ingredient
    findings: list[Finding] = field(default_factory=list)  # checks of the generated image


def source_findings(
    rgb: NDArray[np.uint8], subject: Box, expected: list[str], locale: str
) -> list[Finding]:
    """A generated image's own checks: blur, exposure, and stray text or letter-like marks."""
    return image_quality_findings(rgb, subject_box=subject) + artefact_findings(
        rgb, expected=expected, locale=locale
    )


def _find_asset(
    product: Product, assets_dir: Path | None, max_pixels: int
) -> tuple[str, Image.Image, Path] | None:
    """The first listed asset that exists (name confinement and decoding errors are raised)."""
    for name in product.assets:
        if assets_dir is None:
            raise AssetError(
                f"product {product.id!r} lists asset {name!r} but no asset folder was given"
            )
        if not (assets_dir / name).exists():
            continue  # not supplied: the product is generated, and the manifest says so
        path = resolve_asset(assets_dir, name)  # confinement: symlinks out of the folder fail
        return name, load_image(path, max_pixels=max_pixels), path
    return None


async def _source_for(
    brief: Brief,
    product: Product,
    assets_dir: Path | None,
    provider: ImageProvider,
    shapes: dict[str, tuple[int, int]],
    max_pixels: int,
) -> dict[str, Source]:
    """The product's source per shape key: one reused asset serves every shape; generation
    makes one image per shape (one for all under the "once" policy)."""
    found = await asyncio.to_thread(_find_asset, product, assets_dir, max_pixels)
    notes = []
    missing = [a for a in product.assets if found is None or a != found[0]]
    if product.assets and found is None:
        notes.append(f"asset {', '.join(missing)} not found in the asset folder; generated instead")
    packshot = None
    if found is not None:
        name, img, path = found
        if not has_transparency(img):
            rgb = to_rgb_array(img)
            subject = await asyncio.to_thread(focal_box, rgb)
            reused = Source(
                product.id, rgb, subject, "asset", asset=name, notes=notes, asset_path=path
            )
            return dict.fromkeys(shapes, reused)
        packshot = img  # a cut-out: stage it in a generated studio scene
        notes.append(f"cut-out packshot {name} staged in a generated scene")
    made = await asyncio.gather(
        *(
            _generate(brief, product, provider, w, h, packshot, notes, found[0] if found else None)
            for w, h in shapes.values()
        )
    )
    return dict(zip(shapes, made, strict=True))


async def _generate(
    brief: Brief,
    product: Product,
    provider: ImageProvider,
    width: int,
    height: int,
    packshot: Image.Image | None,
    notes: list[str],
    asset: str | None,
) -> Source:
    palette = tuple(brief.brand.hexes) if brief.brand else ()
    request = GenerationRequest(
        product_id=product.id,
        product_name=product.name,
        description=product.description,
        prompt=product_prompt(brief, product, staged=packshot is not None),
        negative_prompt=negative_prompt(),
        palette=palette,
        width=width,
        height=height,
        seed=brief.seed,
        packshot=packshot,
        shape=product.package,
    )
    result = await provider.generate(request)
    rgb = to_rgb_array(result.image)
    subject = result.subject_box if result.subject_box else await asyncio.to_thread(focal_box, rgb)
    # checked once per source, off the event loop while other products are still generating;
    # the product's and brand's names are text a packshot may rightly show
    expected = [product.name, *([brief.brand.name] if brief.brand else [])]
    # on the process's OCR threads, which keep their Tesseract engines (not the event loop's
    # default threads, each of which would load its own)
    findings = await asyncio.wrap_future(
        readers().submit(source_findings, rgb, subject, expected, brief.language)
    )
    return Source(
        product.id,
        rgb,
        subject,
        "generated",
        asset=asset,
        provider=result.provider,
        model=result.model,
        seed=result.seed,
        cost_usd=result.cost_usd,
        notes=notes + [f"fallback: {f}" for f in result.fallbacks],
        cached=result.cached,
        findings=findings,
        quality=result.quality,
    )


def generation_shapes(brief: Brief, policy: str, size: int) -> dict[str, tuple[int, int]]:
    """Sizes to generate per product: one square source to crop from ("once", cheapest), or
    one per format family at that family's aspect ("native": better composition, more calls)."""
    if policy == "once":
        return {"all": (size, size)}
    shapes: dict[str, tuple[int, int]] = {}
    for fmt in (resolve_format(f) for f in brief.formats):
        fam = family(fmt)
        if fam not in shapes:
            long_side = size
            w, h = (fmt.width, fmt.height)
            scale = long_side / max(w, h)
            shapes[fam] = (round(w * scale), round(h * scale))
    return shapes


def shape_key(policy: str, fmt: Format) -> str:
    return "all" if policy == "once" else family(fmt)


Event = tuple[str, Any]


class SourceStream:
    """Makes every product's source(s) on its own thread and event loop, all products
    concurrently (provider latency dominates a campaign), and puts each product's on `events`
    as ("source", (product, {shape key: Source})) the moment they are made, so the caller can
    render one product while another is still being generated. Then ("sources-done", None), or
    ("sources-error", exception) on the first failure, which cancels the calls still pending.
    """

    def __init__(
        self,
        brief: Brief,
        assets_dir: Path | None,
        provider: ImageProvider,
        events: queue.Queue[Event],
        *,
        size: int,
        max_pixels: int,
        policy: str = "once",
        products: list[Product] | None = None,
    ) -> None:
        self._args = (brief, assets_dir, provider, generation_shapes(brief, policy, size))
        self._max_pixels = max_pixels
        self._events = events
        self.products = list(brief.products if products is None else products)
        self._running: list[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = []
        self._thread = threading.Thread(target=self._run, name="sources", daemon=True)

    def start(self) -> SourceStream:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Cancel what is still pending (nobody will use it) and wait for the thread."""
        if self._thread.is_alive() and self._running:
            loop, task = self._running[0]
            with contextlib.suppress(RuntimeError):  # the loop finished meanwhile
                loop.call_soon_threadsafe(task.cancel)
        if self._thread.ident is not None:
            self._thread.join()

    async def _one(self, product: Product) -> None:
        brief, assets_dir, provider, shapes = self._args
        made = await _source_for(brief, product, assets_dir, provider, shapes, self._max_pixels)
        self._events.put(("source", (product, made)))

    async def _all(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._running.append((asyncio.get_running_loop(), task))
        await asyncio.gather(*(self._one(p) for p in self.products))

    def _run(self) -> None:
        try:
            asyncio.run(self._all())  # on a failure asyncio.run cancels the calls still pending
        except BaseException as exc:  # handed to the caller's thread, which raises it
            self._events.put(("sources-error", exc))
        else:
            self._events.put(("sources-done", None))


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


LocaleLogos = dict[str, LogoPair | None]
LocaleFonts = dict[str, tuple[Path, ...]]


class Logos:
    """A kit's logo pair per locale (a market may have its own), each file pair loaded once."""

    def __init__(self, kit: Brand, folder: Path | None, max_pixels: int) -> None:
        self.kit, self.folder, self.max_pixels = kit, folder, max_pixels
        self._pairs: dict[tuple[str | None, str | None], LogoPair | None] = {}

    def for_locale(self, locale: str) -> LogoPair | None:
        kit = self.kit.for_locale(locale)
        key = (kit.logo, kit.logo_on_dark)
        if key not in self._pairs:
            self._pairs[key] = load_logo(kit, self.folder, self.max_pixels)
        return self._pairs[key]


def load_logos(brief: Brief, assets_dir: Path | None, max_pixels: int) -> LocaleLogos:
    """Each of the brief's locales' logo (None without a brand kit)."""
    if brief.brand is None:
        return dict.fromkeys(brief.locale_tags)
    logos = Logos(brief.brand, assets_dir, max_pixels)
    return {tag: logos.for_locale(tag) for tag in brief.locale_tags}


def brand_fonts(brief: Brief, assets_dir: Path | None) -> LocaleFonts:
    """Each locale's brand font files (a kit may override them for a language or market),
    confined to the asset folder and checked to be fonts."""
    if brief.brand is None or not brief.brand.font_files():
        return {tag: () for tag in brief.locale_tags}
    if assets_dir is None:
        raise AssetError("the brand kit lists fonts but no asset folder was given (--assets)")
    checked: dict[str, Path] = {}
    for name in brief.brand.font_files():
        checked[name] = resolve_asset(assets_dir, name)
        brand_face(checked[name])
    return {
        tag: tuple(checked[n] for n in brief.brand.for_locale(tag).fonts)
        for tag in brief.locale_tags
    }
