"""Where the headline, CTA and logo go: safe zones, negative space, never over the subject."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..formats import Format
from .geometry import Box
from .rules import LayoutRules, rules_for, safe_area
from .stats import BackgroundStats
from .typography import FittedText, detect_script, fit_text

Side = Literal["top", "bottom", "left", "right"]
CTA_RATIO_MIN = 0.35  # the CTA's type never drops below 35 % of the headline's
FIT_GRID = 16  # px: text boxes are measured on this grid
Corner = Literal["top-left", "top-right", "bottom-left", "bottom-right"]


@dataclass(frozen=True)
class TextBlock:
    """The headline and the CTA, fitted and placed."""

    headline: FittedText
    headline_box: Box
    cta: FittedText | None
    cta_box: Box | None  # the pill
    box: Box  # union of headline and CTA
    side: Side


@dataclass(frozen=True)
class Layout:
    text: TextBlock
    logo_box: Box | None
    subject_box: Box
    safe_box: Box
    score: float = 0.0  # higher is better: calm background, large type (comparable across fits)
    small_print: FittedText | None = None  # the disclaimer, set across the safe area's edge
    small_print_box: Box | None = None


@dataclass(frozen=True)
class BrandRules:
    """What the brand kit adds to the designer's rules for one creative."""

    small_print: str | None = None  # disclaimer text drawn on the creative
    logo_min_width: int = 0  # px on this canvas: the kit's minimum, scaled
    logo_clear: float = 0.5  # clear space around the logo, × its height


def _small_print(
    safe: Box, subject: Box, text: str, locale: str, rules: LayoutRules, fonts: tuple[Path, ...]
) -> tuple[FittedText, Box, Box] | None:
    """The disclaimer across the bottom of the safe area (the top when the subject is there):
    its fit, its box, and the safe area left for the rest. None: it fits neither edge."""
    fitted = fit_text(
        text, locale, weight="regular", box_width=safe.width, box_height=safe.height // 4,
        max_lines=3, min_size=rules.small_print_min, max_size=rules.small_print,
    )  # fmt: skip
    if fitted is None:
        return None
    rtl = fitted.direction == "rtl"
    x0 = safe.x1 - fitted.width if rtl else safe.x0
    keep_clear = subject.expand(rules.gap)
    for edge in ("bottom", "top"):
        y0 = safe.y1 - fitted.height if edge == "bottom" else safe.y0
        box = Box(x0, y0, x0 + fitted.width, y0 + fitted.height)
        if box.intersects(keep_clear):
            continue
        if edge == "bottom":
            rest = Box(safe.x0, safe.y0, safe.x1, box.y0 - rules.gap)
        else:
            rest = Box(safe.x0, box.y1 + rules.gap, safe.x1, safe.y1)
        if rest.height > 0:
            return fitted, box, rest
    return None


def _regions(safe: Box, subject: Box, gap: int) -> list[tuple[Side, Box]]:
    """The parts of the safe area on each side of the subject (plus a gap)."""
    s = subject.expand(gap)
    cands: list[tuple[Side, Box]] = [
        ("top", Box(safe.x0, safe.y0, safe.x1, min(safe.y1, s.y0))),
        ("bottom", Box(safe.x0, max(safe.y0, s.y1), safe.x1, safe.y1)),
        ("left", Box(safe.x0, safe.y0, min(safe.x1, s.x0), safe.y1)),
        ("right", Box(max(safe.x0, s.x1), safe.y0, safe.x1, safe.y1)),
    ]
    return [(side, b) for side, b in cands if b.width > 0 and b.height > 0]


def _logo_box(safe: Box, corner: Corner, w: int, h: int) -> Box:
    x0 = safe.x0 if corner.endswith("left") else safe.x1 - w
    y0 = safe.y0 if corner.startswith("top") else safe.y1 - h
    return Box(x0, y0, x0 + w, y0 + h)


def _inset(box: Box, room: int, w: int, h: int) -> Box:
    """The box moved in from the canvas edges until it is at least `room` from each."""
    dx = max(0, room - box.x0) - max(0, box.x1 + room - w)
    dy = max(0, room - box.y0) - max(0, box.y1 + room - h)
    return box.shift(dx, dy)


def _without(region: Box, obstacle: Box, side: Side) -> Box:
    """Shrink region so it no longer meets obstacle, keeping the larger remaining part."""
    if not region.intersects(obstacle):
        return region
    options = [
        Box(region.x0, region.y0, region.x1, obstacle.y0),  # above
        Box(region.x0, obstacle.y1, region.x1, region.y1),  # below
        Box(region.x0, region.y0, obstacle.x0, region.y1),  # left of
        Box(obstacle.x1, region.y0, region.x1, region.y1),  # right of
    ]
    valid = [o for o in options if o.width > 0 and o.height > 0]
    return max(valid, key=lambda b: b.area) if valid else Box(0, 0, 0, 0)


def _fit_block(
    region: Box,
    side: Side,
    message: str,
    cta: str | None,
    locale: str,
    rules: LayoutRules,
    canvas_area: int,
    fonts: tuple[Path, ...] = (),
) -> TextBlock | None:
    """Largest headline (and its CTA) that fits the region and the text-area cap."""
    # Fit in a box a little smaller than the region, rounded to a grid: the many candidate
    # regions of a layout search then share measurements (text never exceeds the region).
    box = Box(0, 0, region.width // FIT_GRID * FIT_GRID, region.height // FIT_GRID * FIT_GRID)
    if box.width <= 0 or box.height <= 0:
        return None
    max_size = rules.headline_max
    for _ in range(4):
        cta_fit: FittedText | None = None
        cta_h = 0
        if cta:
            cta_fit = _fit_cta(cta, locale, box, rules.headline_min, max_size, rules, fonts)
            if cta_fit is None:
                return None
            cta_h = _pill_size(cta_fit)[1] + round(0.45 * cta_fit.size)
        if box.height - cta_h < rules.headline_min:
            return None
        headline = fit_text(
            message,
            locale,
            weight="bold",
            box_width=box.width,
            box_height=box.height - cta_h,
            max_lines=2 if detect_script(message) == "cjk" else 3,
            min_size=rules.headline_min,
            max_size=max_size,
            fonts=fonts,
        )
        if headline is None:
            return None
        if cta:
            # the CTA is set at 35–45 % of the headline actually chosen (DESIGN-GUIDE); its
            # room was reserved at the largest size, so the smaller button always fits
            cta_fit = _fit_cta(cta, locale, box, headline.size, headline.size, rules, fonts)
            if cta_fit is None:
                return None
        block = _place(region, side, headline, cta_fit)
        if (
            block.box.area <= rules.max_text_area * canvas_area
            or headline.size <= rules.headline_min
        ):
            return block
        max_size = max(rules.headline_min, round(headline.size * 0.85))
    return None


def _fit_cta(
    cta: str,
    locale: str,
    region: Box,
    low: int,
    high: int,
    rules: LayoutRules,
    fonts: tuple[Path, ...],
) -> FittedText | None:
    """The CTA label on one line, sized for a headline between low and high px, leaving room
    for the button's padding inside the region."""
    max_size = max(12, round(high * rules.cta_ratio))
    pad_x, pad_y = _pill_padding(max_size)
    if region.width <= 2 * pad_x or region.height <= 2 * pad_y:
        return None
    return fit_text(
        cta,
        locale,
        weight="bold",
        box_width=region.width - 2 * pad_x,
        box_height=region.height - 2 * pad_y,
        max_lines=1,
        min_size=max(12, math.ceil(low * CTA_RATIO_MIN)),
        max_size=max_size,
        fonts=fonts,
    )


def _pill_padding(size: int) -> tuple[int, int]:
    """Horizontal and vertical padding of the CTA button around its label."""
    return round(0.9 * size), round(0.45 * size)


def _pill_size(cta: FittedText) -> tuple[int, int]:
    pad_x, pad_y = _pill_padding(cta.size)
    return cta.width + 2 * pad_x, cta.height + 2 * pad_y


def _place(region: Box, side: Side, headline: FittedText, cta: FittedText | None) -> TextBlock:
    """Anchor the block in its region: to the outer edge for bands, centred for columns."""
    gap = round(0.45 * cta.size) if cta else 0
    pill_w, pill_h = _pill_size(cta) if cta else (0, 0)
    block_w = max(headline.width, pill_w)
    block_h = headline.height + (gap + pill_h if cta else 0)
    rtl = headline.direction == "rtl"
    x0 = region.x1 - block_w if rtl else region.x0
    if side == "top":
        y0 = region.y0
    elif side == "bottom":
        y0 = region.y1 - block_h
    else:
        y0 = region.y0 + (region.height - block_h) // 2
    hx0 = region.x1 - headline.width if rtl else region.x0
    headline_box = Box(hx0, y0, hx0 + headline.width, y0 + headline.height)
    cta_box = None
    if cta:
        px0 = region.x1 - pill_w if rtl else region.x0
        cy0 = headline_box.y1 + gap
        cta_box = Box(px0, cy0, px0 + pill_w, cy0 + pill_h)
    box = Box(x0, y0, x0 + block_w, y0 + block_h)
    return TextBlock(headline, headline_box, cta, cta_box, box, side)


def plan_layout(
    stats: BackgroundStats,
    fmt: Format,
    subject: Box,
    message: str,
    cta: str | None,
    locale: str,
    logo_aspect: float | None,
    fonts: tuple[Path, ...] = (),
    brand: BrandRules | None = None,
) -> Layout | None:
    """Best placement of text and logo, or None when the text cannot fit beside the subject.

    logo_aspect is the logo's width/height (None: no logo). Candidates: each side of the subject
    × each logo corner; the score prefers calm backgrounds and larger type, and a headline that
    reads first (top) when all else is equal.
    """
    rules = rules_for(fmt)
    safe = full_safe = safe_area(fmt)
    brand = brand or BrandRules()
    small = None
    if brand.small_print:
        small = _small_print(safe, subject, brand.small_print, locale, rules, fonts)
        if small is None:
            return None  # the disclaimer must be on the creative: frame the subject wider
        safe = small[2]
    area = fmt.width * fmt.height
    best: tuple[float, Layout] | None = None
    corners: list[Corner | None] = (
        ["top-left", "top-right", "bottom-left", "bottom-right"] if logo_aspect else [None]
    )
    fitted: dict[tuple[Box, Side], TextBlock | None] = {}
    # a line at the minimum size, plus the smallest CTA button and its gap under it
    min_height = round(rules.headline_min * (1.0 + (0.35 * 1.9 + 0.16 if cta else 0.0)))
    min_width = 2 * rules.headline_min

    def block_in(text_region: Box, side: Side) -> TextBlock | None:
        if text_region.width < min_width or text_region.height < min_height:
            return None  # cannot hold one line at the minimum size (+ the button): skip measuring
        key = (text_region, side)
        if key not in fitted:
            fitted[key] = _fit_block(text_region, side, message, cta, locale, rules, area, fonts)
        block = fitted[key]
        # everything drawn stays inside its region, hence inside the safe area
        return block if block is not None and text_region.contains(block.box) else None

    for side, region in _regions(safe, subject, rules.gap):
        whole = block_in(region, side)
        for corner in corners:
            logo = clear = None
            if corner and logo_aspect:
                # a wide lockup (wordmark) at the same width reads too small: give it more
                lw = rules.logo_width if logo_aspect <= 2.5 else rules.logo_max_width
                lh = max(1, round(lw / logo_aspect))
                if lh > lw:  # tall marks: cap by height so they don't dominate
                    lh, lw = lw, max(1, round(lw * logo_aspect))
                # never smaller than the kit allows, with the ~2 % a check on the pixels may
                # measure it smaller by
                least = math.ceil(brand.logo_min_width * 1.03)
                if lw < least:
                    lw = least
                    lh = max(1, round(lw / logo_aspect))
                # the kit's clear space, plus the 2 px a check on the pixels may be off by;
                # the canvas edge counts too: a tall mark moves in from the margin
                room = math.ceil(lh * brand.logo_clear) + 2
                logo = _inset(_logo_box(safe, corner, lw, lh), room, fmt.width, fmt.height)
                clear = logo.expand(room)
                if clear.intersects(subject.expand(rules.gap)):
                    continue
                if small is not None and clear.intersects(small[1]):
                    continue  # the small print is text too: the logo keeps clear of it
            block = whole
            if clear is not None and (block is None or clear.intersects(block.box)):
                # the logo's corner is taken from the region only when the text reaches it
                block = block_in(_without(region, clear, side), side) if block else None
            if block is None or (clear is not None and clear.intersects(block.box)):
                continue
            score = (
                -4.0 * stats.busyness(block.box.expand(rules.gap))
                + 1.0 * block.headline.size / rules.headline_max
                - (2.0 * stats.busyness(logo) if logo else 0.0)
                + (0.15 if side == "top" else 0.0)
            )
            layout = Layout(
                block, logo, subject, full_safe, score,
                small[0] if small else None, small[1] if small else None,
            )  # fmt: skip
            if best is None or score > best[0]:
                best = (score, layout)
    return best[1] if best else None
