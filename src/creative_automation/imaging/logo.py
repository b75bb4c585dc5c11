"""Brand logo variants: the mark for light backgrounds and for dark ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..brief import Brand
from ..compliance.legibility import relative_luminance
from ..errors import AssetError
from .io import has_transparency, load_image, resolve_asset
from .render import LogoPair


def _trim(img: Image.Image) -> Image.Image:
    """Crop to the mark itself so clear space is measured from its visible edge."""
    if img.mode == "RGBA":
        bbox = img.getchannel("A").getbbox()
        if bbox:
            return img.crop(bbox)
    return img


def _on_dark(img: Image.Image) -> Image.Image:
    """The mark for dark backgrounds: its dark ink turned white, its colours kept.

    A plain white silhouette would merge a two-colour mark into one blob; designers reverse
    the dark parts only.
    """
    rgba = np.asarray(img.convert("RGBA")).copy()
    lum = relative_luminance(rgba[..., :3])
    # 0 for dark ink, 1 for light/colourful parts; a soft ramp keeps anti-aliased edges clean
    keep = np.clip((lum - 0.08) / 0.12, 0.0, 1.0)[..., None]
    rgba[..., :3] = (rgba[..., :3] * keep + 255.0 * (1.0 - keep)).astype(np.uint8)
    return Image.fromarray(rgba)


def load_logo(brand: Brand, assets_dir: Path | None, max_pixels: int) -> LogoPair | None:
    if brand.logo is None:
        return None
    if assets_dir is None:
        raise AssetError(f"the brand kit names logo {brand.logo!r} but no asset folder was given")
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
        dark = _on_dark(light)
    else:
        dark = light  # an opaque lockup carries its own background
    return LogoPair(on_light=light, on_dark=dark, name=brand.logo)
