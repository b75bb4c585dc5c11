"""Brand logo variants: the mark for light backgrounds and for dark ones."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from ..brief import Brand
from .io import has_transparency, load_image, resolve_asset
from .render import LogoPair


def _trim(img: Image.Image) -> Image.Image:
    """Crop to the mark itself so clear space is measured from its visible edge."""
    if img.mode == "RGBA":
        bbox = img.getchannel("A").getbbox()
        if bbox:
            return img.crop(bbox)
    return img


def _white(img: Image.Image) -> Image.Image:
    """A solid white version of a transparent mark (its silhouette), for dark backgrounds."""
    alpha = img.getchannel("A")
    out = Image.new("RGBA", img.size, (255, 255, 255, 0))
    out.putalpha(alpha)
    return out


def load_logo(brand: Brand, assets_dir: Path | None, max_pixels: int) -> LogoPair | None:
    if brand.logo is None or assets_dir is None:
        return None
    light = _trim(
        load_image(resolve_asset(assets_dir, brand.logo), max_pixels=max_pixels).convert("RGBA")
    )
    if brand.logo_on_dark:
        dark = _trim(
            load_image(
                resolve_asset(assets_dir, brand.logo_on_dark), max_pixels=max_pixels
            ).convert("RGBA")
        )
    elif has_transparency(light):
        dark = _white(light)
    else:
        dark = light  # an opaque lockup carries its own background
    return LogoPair(on_light=light, on_dark=dark, name=brand.logo)
