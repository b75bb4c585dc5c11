"""The designer's layout rules (DESIGN-GUIDE.md) as numbers, in one place, per format."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..formats import Format
from .geometry import Box

SMALL_PRINT_LINES = 30  # BCAP guidance: superimposed text at least 30 of 1080 lines tall
SMALL_PRINT_ON_BLOCK_LINES = 26  # and 26 on an opaque single-coloured block


@dataclass(frozen=True)
class LayoutRules:
    margin: int  # outer margin, px, on top of the platform safe zones
    headline_min: int  # px: the minimum legible headline size
    headline_max: int
    cta_ratio: float  # CTA type size / headline size (35–45 %)
    logo_width: int  # px, 12–20 % of the shorter side
    logo_min_width: int
    logo_max_width: int
    gap: int  # px kept between text/logo and the subject
    max_text_area: float  # share of the canvas text may cover
    small_print: int  # px: disclaimer type, as large as it may be set
    small_print_min: int  # px: the smallest disclaimer type still legible on a phone
    small_print_on_block: int  # px: the smallest disclaimer type on a solid block


def rules_for(fmt: Format) -> LayoutRules:
    short = fmt.shorter_side
    # Minimum legible size: 4 % of the height on 9:16, 5 % of the shorter side elsewhere.
    minimum = round(0.04 * fmt.height) if fmt.height > 1.5 * fmt.width else round(0.05 * short)
    return LayoutRules(
        margin=round(0.05 * short),
        headline_min=minimum,
        headline_max=round(minimum * 1.7),
        cta_ratio=0.42,
        logo_width=round(0.16 * short),
        logo_min_width=round(0.12 * short),
        logo_max_width=round(0.20 * short),
        gap=round(0.025 * short),
        max_text_area=0.25,
        # small print at the UK broadcast code's minimum for on-screen text (BCAP: 30 lines of a
        # 1080-line picture, 26 on a solid block), scaled by the shorter side and rounded up;
        # set at that size, never below it (compliance.placement checks the same numbers)
        small_print=math.ceil(SMALL_PRINT_LINES * short / 1080),
        small_print_min=math.ceil(SMALL_PRINT_LINES * short / 1080),
        small_print_on_block=math.ceil(SMALL_PRINT_ON_BLOCK_LINES * short / 1080),
    )


def safe_area(fmt: Format) -> Box:
    """Where text and logo may go: inside the platform safe zones and the outer margin."""
    m = rules_for(fmt).margin
    return Box(
        round(fmt.width * fmt.safe_left) + m,
        round(fmt.height * fmt.safe_top) + m,
        fmt.width - round(fmt.width * fmt.safe_right) - m,
        fmt.height - round(fmt.height * fmt.safe_bottom) - m,
    )
