"""Compose a creative from its background and Layout: scrim, headline, CTA pill, logo."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..colour import RGB, to_hex
from ..compliance.findings import Finding
from ..compliance.legibility import (
    MIN_CONTRAST,
    contrast_finding,
    contrast_ratio,
    relative_luminance,
    worst_contrast,
)
from .geometry import Box
from .layout import Layout, TextBlock
from .logo import LogoPair
from .typography import FittedText, draw_text

WHITE: RGB = (255, 255, 255)
INK: RGB = (20, 20, 24)  # near-black: softer than pure black on photographs
SCRIM_LEVELS = (0.55, 0.65, 0.75)
MIN_NON_TEXT_CONTRAST = 3.0  # DESIGN-GUIDE: transparent to 55–75 % dark or light


@dataclass
class Rendered:
    image: NDArray[np.uint8]
    text_color: RGB
    treatment: str  # "none" | "scrim-dark-0.55" | "panel" | ...
    logo_variant: str | None
    findings: list[Finding] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)


def _lum(rgb: RGB) -> float:
    return float(relative_luminance(np.array(rgb, dtype=np.float32)))


def _ratio(a: RGB, b: RGB) -> float:
    return float(contrast_ratio(_lum(a), _lum(b)))


def _ink_mask(fitted: FittedText, box: Box, pad: int, w: int, h: int) -> tuple[Image.Image, Box]:
    """Anti-aliased glyph coverage ('L', 0–255) of the text drawn in box, over box grown by pad
    and clipped to the canvas."""
    area = box.expand(pad).clamp(w, h)
    mask = Image.new("L", (area.width, area.height))
    draw_text(mask, fitted, box.shift(-area.x0, -area.y0), fill=255, align="start")
    return mask, area


def _mix(canvas: NDArray[np.uint8], box: Box, weight: NDArray[np.float32], colour: RGB) -> None:
    """Mix colour into canvas[box] by a weight that varies along one axis (H×1 or 1×W) or not
    at all (1×1): 8.8 fixed point, in place; a scrim never needs a full per-pixel map."""
    region = canvas[box.y0 : box.y1, box.x0 : box.x1]
    if weight.shape[1] == 1:
        # along rows: one SIMD weighted sum per run of equal opacity (a scrim is flat over the
        # text and only ramps at its soft edge) beats any full-size temporary
        rows = np.broadcast_to(weight[:, 0], (region.shape[0],))
        starts = [0, *(np.flatnonzero(np.diff(rows)) + 1).tolist(), len(rows)]
        grey = colour[0] == colour[1] == colour[2]
        for y0, y1 in itertools.pairwise(starts):
            a = float(rows[y0])
            if grey:  # black/white scrims: one saturating scale-and-shift pass
                region[y0:y1] = cv2.convertScaleAbs(
                    region[y0:y1], alpha=1.0 - a, beta=colour[0] * a
                )
                continue
            # OpenCV takes a per-channel Scalar here; its stubs only list the array overloads
            kept = cv2.multiply(region[y0:y1], (1.0 - a,) * 3 + (0.0,))  # type: ignore[call-overload]
            tint = (colour[0] * a, colour[1] * a, colour[2] * a, 0.0)
            region[y0:y1] = cv2.add(kept, tint)  # type: ignore[call-overload]
        return
    w = np.round(np.asarray(weight, np.float32) * 256).astype(np.uint16)[..., None]
    mixed = region.astype(np.uint16) * (256 - w) + np.array(colour, np.uint16) * w
    canvas[box.y0 : box.y1, box.x0 : box.x1] = (mixed >> 8).astype(np.uint8)


@dataclass(frozen=True)
class Treatment:
    """What goes behind the text: nothing, an edge scrim, or a panel (colour at some opacity)."""

    kind: str  # "none" | "scrim" | "panel"
    level: float
    colour: RGB

    def box(self, block: TextBlock, w: int, h: int) -> Box | None:
        """The area the treatment covers."""
        if self.kind == "panel":
            return block.box.expand(round(0.4 * block.headline.size)).clamp(w, h)
        if self.kind == "scrim":
            return self._scrim(block, w, h)[0]
        return None

    def _scrim(self, block: TextBlock, w: int, h: int) -> tuple[Box, NDArray[np.float32], int]:
        """A gradient from the canvas edge on the text's side: full over the text, soft beyond.

        Returns its box, the 1-D opacity profile across the edge, and the axis it varies on.
        """
        b = block.box
        pad = round(0.35 * block.headline.size)
        feather = max(8, round(0.8 * block.headline.size))
        vertical = block.side in ("top", "bottom")
        size = h if vertical else w
        near = block.side in ("top", "left")
        far = (
            (b.y1 if vertical else b.x1) + pad
            if near
            else size - ((b.y0 if vertical else b.x0) - pad)
        )
        length = min(size, far + feather)
        ramp = np.clip((length - np.arange(length, dtype=np.float32)) / feather, 0.0, 1.0)
        prof = self.level * (0.5 - 0.5 * np.cos(np.pi * ramp))  # smooth shoulder, no edge
        prof = prof if near else prof[::-1]
        start = 0 if near else size - length
        box = Box(0, start, w, start + length) if vertical else Box(start, 0, start + length, h)
        return box, prof.astype(np.float32), 0 if vertical else 1

    def alpha(
        self, block: TextBlock, w: int, h: int, region: Box
    ) -> tuple[Box, NDArray[np.float32]] | None:
        """The treatment's opacity over the part of region it covers (None: it covers none),
        as an H×1, 1×W or 1×1 array (it varies along one axis at most)."""
        box = self.box(block, w, h)
        inter = box.intersection(region) if box else None
        if inter is None:
            return None
        if self.kind == "panel":
            return inter, np.full((1, 1), self.level, np.float32)
        sbox, prof, axis = self._scrim(block, w, h)
        if axis == 0:
            return inter, prof[inter.y0 - sbox.y0 : inter.y1 - sbox.y0, None]
        return inter, prof[None, inter.x0 - sbox.x0 : inter.x1 - sbox.x0]

    @property
    def label(self) -> str:
        return "none" if self.kind == "none" else f"{self.kind}-{self.level:.2f}"


def _with_treatment(
    bg: NDArray[np.uint8], region: Box, treatment: Treatment, block: TextBlock
) -> NDArray[np.uint8]:
    """The pixels of region after the treatment (not yet the text)."""
    h, w = bg.shape[:2]
    out = bg[region.y0 : region.y1, region.x0 : region.x1].copy()
    covered = treatment.alpha(block, w, h, region)
    if covered is not None:
        inter, a = covered
        _mix(out, inter.shift(-region.x0, -region.y0), a, treatment.colour)
    return out


def _choose_treatment(
    bg: NDArray[np.uint8],
    block: TextBlock,
    glyphs: NDArray[np.bool_],
    area: Box,
    brand: RGB | None,
    target: float = MIN_CONTRAST,
) -> tuple[RGB, Treatment, float]:
    """The least intrusive colour + treatment that reaches the contrast target (guide order):
    white or near-black alone, then an edge scrim at 55/65/75 % (dark behind white text, light
    behind dark text; the likelier pairing first), then a panel in the brand colour, then a
    near-opaque black box. Returns the colour, the treatment and the contrast it measured on
    exactly the pixels the composed creative will have behind the glyphs."""
    # the pixels behind and just around the glyphs, dilated once for every option
    sel = cv2.dilate(glyphs.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    plain = relative_luminance(bg[area.y0 : area.y1, area.x0 : area.x1])[sel]
    scored = sorted(((worst_contrast(plain, c), c) for c in (WHITE, INK)), reverse=True)
    if scored[0][0] >= target:
        return scored[0][1], Treatment("none", 0.0, INK), scored[0][0]
    # the scrim that follows the picture: darken a darker-than-mid area (white text), lighten a
    # light one (dark text); washing a photo out looks hazy where darkening it looks natural
    order = (WHITE, INK) if float(plain.mean()) < 0.35 else (INK, WHITE)
    options: list[tuple[RGB, Treatment]] = []
    for colour in order:
        scrim = (0, 0, 0) if colour == WHITE else WHITE
        options += [(colour, Treatment("scrim", level, scrim)) for level in SCRIM_LEVELS]
    if brand is not None:
        on_brand = WHITE if _ratio(WHITE, brand) >= _ratio(INK, brand) else INK
        options.append((on_brand, Treatment("panel", 1.0, brand)))
    options.append((WHITE, Treatment("panel", 0.9, (0, 0, 0))))
    best: tuple[float, RGB, Treatment] = (scored[0][0], scored[0][1], Treatment("none", 0.0, INK))
    for colour, treatment in options:
        behind = _with_treatment(bg, area, treatment, block)
        value = worst_contrast(relative_luminance(behind)[sel], colour)
        if value >= target:
            return colour, treatment, value
        if value > best[0]:
            best = (value, colour, treatment)
    return best[1], best[2], best[0]


@lru_cache(maxsize=64)
def _pill(w: int, h: int, colour: RGB) -> Image.Image:
    """An anti-aliased rounded pill: two end discs and a bar, drawn by OpenCV with sub-pixel
    anti-aliased edges (Pillow's shapes are aliased; supersampling costs ~20× more)."""
    mask = np.zeros((h, w), np.uint8)
    s = 16  # 4 bits of sub-pixel precision
    r = h / 2
    for cx in (r, w - r):
        centre = (round((cx - 0.5) * s), round((r - 0.5) * s))
        cv2.circle(mask, centre, round((r - 0.5) * s), 255, -1, cv2.LINE_AA, shift=4)
    mask[:, round(r) : max(round(r), round(w - r))] = 255
    pill = Image.new("RGBA", (w, h), (*colour, 0))
    pill.putalpha(Image.fromarray(mask))
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
    contrast_target: float = MIN_CONTRAST,
    logo_variant: str | None = None,
) -> Rendered:
    """Draw the layout over a copy of bg; every contrast is measured on the composed pixels.

    A re-render after a failed check asks for more: a `contrast_target` above 4.5:1 (a darker
    scrim or the next treatment), or the other `logo_variant` ("on_light" / "on_dark")."""
    h, w = bg.shape[:2]
    block = layout.text
    mask_img, area = _ink_mask(
        block.headline, block.headline_box, round(0.3 * block.headline.size), w, h
    )
    ink = np.asarray(mask_img) > 64
    colour, treatment, measured = _choose_treatment(
        bg, block, ink, area, brand_primary, contrast_target
    )
    canvas = bg.copy()
    corrections: list[str] = []
    covered = treatment.alpha(block, w, h, Box(0, 0, w, h))
    if covered is not None:
        _mix(canvas, covered[0], covered[1], treatment.colour)
        what = "gradient scrim" if treatment.kind == "scrim" else "solid panel"
        corrections.append(f"{what} at {round(treatment.level * 100)}% added for text contrast")
    with _patch(canvas, area) as patch:  # the glyphs, through their own coverage mask
        patch.paste(colour, (0, 0, area.width, area.height), mask_img)
    findings = [contrast_finding(measured, large_text=False, where="headline")]

    if block.cta is not None and block.cta_box is not None:
        pb = block.cta_box
        behind = canvas[pb.y0 : pb.y1, pb.x0 : pb.x1].reshape(-1, 3).mean(0)
        choices = [accent, *palette, *([brand_primary] if brand_primary else []), INK, WHITE]
        chosen = _pill_colour(choices, _rgb(behind))
        pill_rgb, label_rgb = _cta_colours(chosen)
        if pill_rgb != accent:
            why = "the accent does not stand out here" if chosen != accent else "for its label"
            corrections.append(f"CTA button in {to_hex(pill_rgb)} ({why})")
        pill = _pill(pb.width, pb.height, pill_rgb)
        label_box = Box(0, 0, block.cta.width, block.cta.height).shift(
            (pb.width - block.cta.width) // 2, (pb.height - block.cta.height) // 2
        )
        with _patch(canvas, pb) as patch:  # draw on the button's own pixels only
            patch.paste(pill, (0, 0), pill)
            draw_text(patch, block.cta, label_box, fill=label_rgb, align="start")
        ratio = _ratio(label_rgb, pill_rgb)
        findings.append(
            Finding(
                check="contrast_cta",
                status="pass" if ratio >= MIN_CONTRAST else "fail",
                value=round(ratio, 2),
                threshold=MIN_CONTRAST,
                detail="CTA label against its button colour",
            )
        )

    if layout.small_print is not None and layout.small_print_box is not None:
        finding, correction = _draw_small_print(canvas, layout.small_print, layout.small_print_box)
        findings.append(finding)
        corrections += [correction] if correction else []

    variant = None
    if logo is not None and layout.logo_box is not None:
        lb = layout.logo_box
        # the variant that stands out more from what is really behind it
        behind = float(relative_luminance(canvas[lb.y0 : lb.y1, lb.x0 : lb.x1]).mean())
        dark_bg = float(contrast_ratio(behind, logo.luminance(dark_background=True))) > float(
            contrast_ratio(behind, logo.luminance(dark_background=False))
        )
        if logo_variant is not None:
            dark_bg = logo_variant == "on_dark"
        variant = "on_dark" if dark_bg else "on_light"
        mark = logo.at(lb.width, lb.height, dark_background=dark_bg)
        with _patch(canvas, lb) as patch:
            patch.paste(mark, (0, 0), mark)
    return Rendered(canvas, colour, treatment.label, variant, findings, corrections)


SMALL_PRINT_BANDS = (0.0, 0.45, 0.6, 0.75, 0.9)  # opacity of the band behind small print


def _draw_small_print(
    canvas: NDArray[np.uint8], fitted: FittedText, box: Box
) -> tuple[Finding, str | None]:
    """The disclaimer in white or near-black, whichever reads better on what is behind it;
    where neither reaches 4.5:1, a band of the opposite tone behind it, as light as passes."""
    h, w = canvas.shape[:2]
    mask_img, area = _ink_mask(fitted, box, round(0.4 * fitted.size), w, h)
    sel = cv2.dilate((np.asarray(mask_img) > 64).astype(np.uint8), np.ones((5, 5), np.uint8))
    behind = canvas[area.y0 : area.y1, area.x0 : area.x1]
    best: tuple[float, float, RGB] = (0.0, 0.0, WHITE)
    for level in SMALL_PRINT_BANDS:
        for colour in (WHITE, INK):
            band = (0, 0, 0) if colour == WHITE else WHITE
            mixed = behind.copy()
            if level:
                _mix(
                    mixed,
                    Box(0, 0, area.width, area.height),
                    np.full((1, 1), level, np.float32),
                    band,
                )
            value = worst_contrast(relative_luminance(mixed)[sel.astype(bool)], colour)
            if value > best[0]:
                best = (value, level, colour)
        if best[0] >= MIN_CONTRAST:
            break
    value, level, colour = best
    correction = None
    if level:
        band = (0, 0, 0) if colour == WHITE else WHITE
        _mix(canvas, area, np.full((1, 1), level, np.float32), band)
        correction = f"band at {round(level * 100)}% behind the disclaimer for contrast"
    with _patch(canvas, area) as patch:
        patch.paste(colour, (0, 0, area.width, area.height), mask_img)
    return contrast_finding(value, large_text=False, where="disclaimer"), correction


def _rgb(values: NDArray[np.floating]) -> RGB:
    return (int(values[0]), int(values[1]), int(values[2]))


@contextmanager
def _patch(canvas: NDArray[np.uint8], box: Box) -> Iterator[Image.Image]:
    """A Pillow image of canvas[box], written back on exit: Pillow draws where it is good
    (anti-aliased shapes, shaped text) without converting the whole canvas."""
    patch = Image.fromarray(np.ascontiguousarray(canvas[box.y0 : box.y1, box.x0 : box.x1]))
    yield patch
    canvas[box.y0 : box.y1, box.x0 : box.x1] = np.asarray(patch)
