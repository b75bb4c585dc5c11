"""Brand logo variants: the mark for light backgrounds and for dark ones."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from ..compliance.legibility import relative_luminance
from .io import has_transparency


@dataclass(frozen=True)
class LogoPair:
    """The brand logo for light backgrounds and its variant for dark ones (RGBA, trimmed)."""

    on_light: Image.Image
    on_dark: Image.Image
    name: str
    _sized: dict[tuple[bool, int, int], Image.Image] = field(default_factory=dict, compare=False)
    _luminance: dict[bool, float] = field(default_factory=dict, compare=False)

    def at(self, width: int, height: int, *, dark_background: bool) -> Image.Image:
        """The variant resized for a box; cached, as every locale of a format reuses it."""
        key = (dark_background, width, height)
        if key not in self._sized:
            mark = self.on_dark if dark_background else self.on_light
            self._sized[key] = mark.resize((width, height), Image.Resampling.LANCZOS)
        return self._sized[key]

    def luminance(self, *, dark_background: bool) -> float:
        """Mean WCAG luminance of the variant's visible pixels (weighted by their opacity)."""
        if dark_background not in self._luminance:
            rgba = np.asarray((self.on_dark if dark_background else self.on_light).convert("RGBA"))
            alpha = rgba[..., 3].astype(np.float64)
            lum = relative_luminance(np.ascontiguousarray(rgba[..., :3]))
            self._luminance[dark_background] = float((lum * alpha).sum() / max(alpha.sum(), 1.0))
        return self._luminance[dark_background]


def logo_pair(light: Image.Image, dark: Image.Image | None, name: str) -> LogoPair:
    """Both variants, trimmed to the mark. Without a dark-background variant one is derived
    from a transparent mark; an opaque lockup carries its own background and serves both."""
    light = _trim(light.convert("RGBA"))
    if dark is not None:
        return LogoPair(light, _trim(dark.convert("RGBA")), name)
    return LogoPair(light, _on_dark(light) if has_transparency(light) else light, name)


def _trim(img: Image.Image) -> Image.Image:
    """Crop to the mark itself so clear space is measured from its visible edge."""
    bbox = img.getchannel("A").getbbox()
    return img.crop(bbox) if bbox else img


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
