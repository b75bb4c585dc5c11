"""Compose a creative from its background and Layout: scrim, headline, CTA pill, logo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from ..compliance.findings import Finding
from ..compliance.legibility import (
    MIN_CONTRAST,
    contrast_finding,
    contrast_ratio,
    relative_luminance,
    text_contrast,
)
from .geometry import Box
from .layout import Layout, TextBlock
from .stats import BackgroundStats
from .typography import FittedText, draw_text

RGB = tuple[int, int, int]
WHITE: RGB = (255, 255, 255)
INK: RGB = (20, 20, 24)  # near-black: softer than pure black on photographs
SCRIM_LEVELS = (0.55, 0.65, 0.75)
MIN_NON_TEXT_CONTRAST = 3.0  # DESIGN-GUIDE: transparent to 55–75 % dark or light


@dataclass(frozen=True)
class LogoPair:
    """The brand logo for light backgrounds and its variant for dark ones (RGBA)."""

    on_light: Image.Image
    on_dark: Image.Image
    name: str
    _sized: dict[tuple[bool, int, int], Image.Image] = field(default_factory=dict, compare=False)

    def at(self, width: int, height: int, *, dark_background: bool) -> Image.Image:
        """The variant resized for a box; cached, as every locale of a format reuses it."""
        key = (dark_background, width, height)
        if key not in self._sized:
            mark = self.on_dark if dark_background else self.on_light
            self._sized[key] = mark.resize((width, height), Image.Resampling.LANCZOS)
        return self._sized[key]


@dataclass
class Rendered:
    image: NDArray[np.uint8]
    text_color: RGB
    treatment: str  # "none" | "scrim-dark-0.55" | "panel" | ...
    cta_colors: tuple[RGB, RGB] | None  # (pill, label)
    logo_variant: str | None
    findings: list[Finding] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)


def _lum(rgb: RGB) -> float:
    return float(relative_luminance(np.array(rgb, dtype=np.float32)))


def _ratio(a: RGB, b: RGB) -> float:
    return float(contrast_ratio(_lum(a), _lum(b)))


def _ink_mask(fitted: FittedText, box: Box, pad: int) -> tuple[NDArray[np.float32], Box]:
    """Anti-aliased glyph coverage (0–1) of the text drawn in box, over box grown by pad."""
    area = box.expand(pad)
    tmp = Image.new("RGB", (area.width, area.height))
    draw_text(tmp, fitted, box.shift(-area.x0, -area.y0), fill=WHITE, align="start")
    return np.asarray(tmp, dtype=np.float32)[..., 0] / 255.0, area


def _clip(mask: NDArray[np.float32], area: Box, w: int, h: int) -> tuple[NDArray[np.float32], Box]:
    c = area.clamp(w, h)
    return mask[c.y0 - area.y0 : c.y1 - area.y0, c.x0 - area.x0 : c.x1 - area.x0], c


def _blend(canvas: NDArray[np.uint8], box: Box, alpha: NDArray[np.float32], colour: RGB) -> None:
    region = canvas[box.y0 : box.y1, box.x0 : box.x1].astype(np.float32)
    a = alpha[..., None]
    region = region * (1.0 - a) + np.array(colour, np.float32) * a
    canvas[box.y0 : box.y1, box.x0 : box.x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def _scrim_alpha(block: TextBlock, w: int, h: int, level: float) -> tuple[Box, NDArray[np.float32]]:
    """A gradient from the canvas edge on the text's side: full over the text, soft beyond."""
    b = block.box
    pad = round(0.35 * block.headline.size)
    feather = max(8, round(0.8 * block.headline.size))
    if block.side in ("top", "bottom"):
        far = b.y1 + pad if block.side == "top" else h - (b.y0 - pad)
        length = min(h, far + feather)
        ramp = np.clip((length - np.arange(length, dtype=np.float32)) / feather, 0.0, 1.0)
        ramp = level * (0.5 - 0.5 * np.cos(np.pi * ramp))  # smooth shoulder, no visible edge
        prof = ramp if block.side == "top" else ramp[::-1]
        box = Box(0, 0, w, length) if block.side == "top" else Box(0, h - length, w, h)
        return box, np.repeat(prof[:, None], w, axis=1)
    far = b.x1 + pad if block.side == "left" else w - (b.x0 - pad)
    length = min(w, far + feather)
    ramp = np.clip((length - np.arange(length, dtype=np.float32)) / feather, 0.0, 1.0)
    ramp = level * (0.5 - 0.5 * np.cos(np.pi * ramp))
    prof = ramp if block.side == "left" else ramp[::-1]
    box = Box(0, 0, length, h) if block.side == "left" else Box(w - length, 0, w, h)
    return box, np.repeat(prof[None, :], h, axis=0)


def _with_treatment(
    bg: NDArray[np.uint8], region: Box, treatment: tuple[str, float, RGB], block: TextBlock
) -> NDArray[np.uint8]:
    """The pixels of region after a scrim or panel (not yet the text)."""
    h, w = bg.shape[:2]
    kind, level, colour = treatment
    out = bg[region.y0 : region.y1, region.x0 : region.x1].copy()
    if kind == "none":
        return out
    if kind == "scrim":
        sbox, alpha = _scrim_alpha(block, w, h, level)
    else:  # panel: a solid plate behind the whole block
        sbox = block.box.expand(round(0.4 * block.headline.size)).clamp(w, h)
        alpha = np.full((sbox.height, sbox.width), level, np.float32)
    inter = sbox.intersection(region)
    if inter is not None:
        a = alpha[inter.y0 - sbox.y0 : inter.y1 - sbox.y0, inter.x0 - sbox.x0 : inter.x1 - sbox.x0]
        _blend(out, inter.shift(-region.x0, -region.y0), a, colour)
    return out


def _choose_treatment(
    bg: NDArray[np.uint8], block: TextBlock, mask: NDArray[np.float32], area: Box, brand: RGB | None
) -> tuple[RGB, tuple[str, float, RGB], float]:
    """The least intrusive colour + treatment that reaches the contrast target (guide order)."""
    ink = mask > 0.25
    options: list[tuple[RGB, tuple[str, float, RGB]]] = [
        (WHITE, ("none", 0.0, INK)),
        (INK, ("none", 0.0, WHITE)),
    ]
    for level in SCRIM_LEVELS:
        options += [(WHITE, ("scrim", level, (0, 0, 0))), (INK, ("scrim", level, WHITE))]
    if brand is not None:
        best_on_brand = WHITE if _ratio(WHITE, brand) >= _ratio(INK, brand) else INK
        options.append((best_on_brand, ("panel", 1.0, brand)))
    options.append((WHITE, ("panel", 0.9, (0, 0, 0))))  # the hard box: last resort
    best: tuple[float, RGB, tuple[str, float, RGB]] | None = None
    for colour, treatment in options:
        behind = _with_treatment(bg, area, treatment, block)
        value = text_contrast(behind, ink, colour)
        if value >= MIN_CONTRAST:
            return colour, treatment, value
        if best is None or value > best[0]:
            best = (value, colour, treatment)
    assert best is not None
    return best[1], best[2], best[0]


@lru_cache(maxsize=64)
def _pill(w: int, h: int, colour: RGB) -> Image.Image:
    """An anti-aliased rounded pill (drawn 4× and reduced; Pillow's shapes are aliased)."""
    big = Image.new("L", (w * 4, h * 4), 0)
    ImageDraw.Draw(big).rounded_rectangle((0, 0, w * 4 - 1, h * 4 - 1), radius=h * 2, fill=255)
    pill = Image.new("RGBA", (w, h), (*colour, 0))
    pill.putalpha(big.resize((w, h), Image.Resampling.LANCZOS))
    return pill


def _pill_colour(candidates: Sequence[RGB], behind: RGB) -> RGB:
    """The first brand colour that stands out from what is behind the button (WCAG 1.4.11
    non-text contrast, 3:1); else the one that stands out most."""
    for colour in candidates:
        if _ratio(colour, behind) >= MIN_NON_TEXT_CONTRAST:
            return colour
    return max(candidates, key=lambda c: _ratio(c, behind))


def _cta_colours(accent: RGB) -> tuple[RGB, RGB]:
    """Pill in the accent colour with a label that passes; darken/lighten the pill if needed."""
    pill = accent
    for _ in range(12):
        label = WHITE if _ratio(WHITE, pill) >= _ratio(INK, pill) else INK
        if _ratio(label, pill) >= MIN_CONTRAST:
            return pill, label
        f = 0.85 if label == WHITE else 1.15
        pill = tuple(int(min(255, max(0, c * f + (8 if f > 1 else 0)))) for c in pill)  # type: ignore[assignment]
    return pill, label


def render_creative(
    bg: NDArray[np.uint8],
    layout: Layout,
    *,
    accent: RGB,
    brand_primary: RGB | None,
    palette: Sequence[RGB] = (),
    logo: LogoPair | None,
) -> Rendered:
    """Draw the layout over a copy of bg; every contrast is measured on the composed pixels."""
    h, w = bg.shape[:2]
    block = layout.text
    pad = round(0.3 * block.headline.size)
    mask, area = _ink_mask(block.headline, block.headline_box, pad)
    mask, area = _clip(mask, area, w, h)
    colour, treatment, _ = _choose_treatment(bg, block, mask, area, brand_primary)
    canvas = bg.copy()
    corrections: list[str] = []
    kind, level, tcolour = treatment
    if kind == "scrim":
        sbox, alpha = _scrim_alpha(block, w, h, level)
        _blend(canvas, sbox, alpha, tcolour)
        corrections.append(f"gradient scrim {round(level * 100)}% added for text contrast")
    elif kind == "panel":
        pbox = block.box.expand(round(0.4 * block.headline.size)).clamp(w, h)
        _blend(canvas, pbox, np.full((pbox.height, pbox.width), level, np.float32), tcolour)
        corrections.append("solid panel added behind the text for contrast")
    # measured again on the composed pixels, exactly where the glyphs land
    measured = text_contrast(canvas[area.y0 : area.y1, area.x0 : area.x1], mask > 0.25, colour)
    _blend(canvas, area, mask, colour)
    findings = [contrast_finding(measured, large_text=False, where="headline")]

    cta_colours = None
    image = Image.fromarray(canvas)
    if block.cta is not None and block.cta_box is not None:
        pb = block.cta_box
        behind = tuple(int(v) for v in canvas[pb.y0 : pb.y1, pb.x0 : pb.x1].reshape(-1, 3).mean(0))
        choices = [accent, *palette, *([brand_primary] if brand_primary else []), INK, WHITE]
        pill_rgb, label_rgb = _cta_colours(_pill_colour(choices, behind))  # type: ignore[arg-type]
        cta_colours = (pill_rgb, label_rgb)
        pb = block.cta_box
        image.paste(
            _pill(pb.width, pb.height, pill_rgb),
            (pb.x0, pb.y0),
            _pill(pb.width, pb.height, pill_rgb),
        )
        label_box = Box(
            pb.x0 + (pb.width - block.cta.width) // 2,
            pb.y0 + (pb.height - block.cta.height) // 2,
            pb.x0 + (pb.width - block.cta.width) // 2 + block.cta.width,
            pb.y0 + (pb.height - block.cta.height) // 2 + block.cta.height,
        )
        draw_text(image, block.cta, label_box, fill=label_rgb, align="start")
        findings.append(
            Finding(
                check="contrast_cta",
                status="pass" if _ratio(label_rgb, pill_rgb) >= MIN_CONTRAST else "fail",
                value=round(_ratio(label_rgb, pill_rgb), 2),
                threshold=MIN_CONTRAST,
                detail="CTA label against its button colour",
            )
        )

    variant = None
    if logo is not None and layout.logo_box is not None:
        lb = layout.logo_box
        behind = BackgroundStats(np.asarray(image)[lb.y0 : lb.y1, lb.x0 : lb.x1], scale=1)
        dark_bg = behind.luminance(Box(0, 0, lb.width, lb.height)) < 0.35
        variant = "on_dark" if dark_bg else "on_light"
        mark = logo.at(lb.width, lb.height, dark_background=dark_bg)
        image.paste(mark, (lb.x0, lb.y0), mark)
    return Rendered(
        np.asarray(image),
        colour,
        f"{kind}-{level:.2f}" if kind != "none" else "none",
        cta_colours,
        variant,
        findings,
        corrections,
    )
