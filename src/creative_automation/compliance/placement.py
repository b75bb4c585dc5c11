"""Legibility of each text on the final pixels as findings: contrast, type size and safe zone."""

# The renderer measures contrast with its own glyph mask before encoding. These checks work from
# the finished (possibly JPEG-encoded) pixels and a text box alone (inkread), so they also judge
# creatives made elsewhere (a box from the layout record, a button's box, or OCR word boxes).

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..formats import Format
from ..imaging.geometry import Box
from ..imaging.layout import CTA_RATIO_MIN
from ..imaging.rules import SMALL_PRINT_LINES, SMALL_PRINT_ON_BLOCK_LINES, rules_for, safe_area
from .findings import Finding, FindingStatus
from .inkread import measured_contrast, read_text
from .legibility import contrast_finding

# WCAG "large scale" text is 14 pt bold or 18 pt regular; DESIGN-GUIDE (Contrast) puts the bold
# figure at 24 px on a 1080 canvas. The layout sets headline and CTA bold, anything else is
# taken as regular and needs 18/14 of that.
LARGE_BOLD_PX = 24
LARGE_REGULAR_PX = round(LARGE_BOLD_PX * 18 / 14)  # 31
BOLD_FIELDS = frozenset({"headline", "cta"})
# Small print (disclaimers, legal lines): BCAP's guidance on superimposed text, as Clearcast
# applies it to 16:9 HD, asks for text at least 30 of the 1080 lines high, 26 on an opaque
# single-coloured block. Scaled by the shorter side: 30 px on a 1080 canvas (the same as
# Apple's 11 pt minimum text size when a 1080-wide creative fills a 390 pt-wide phone). Below
# 30 warns (acceptable only on a solid block), below 26 fails. The pixel figures come from
# imaging.rules (LayoutRules.small_print_min, small_print_on_block), which the layout sets
# disclaimers by, so the layout and this check never disagree by a pixel.
_REFERENCE_SIDE = 1080
# The tall glyphs of Latin text (ascenders, descender letters, caps) stand about 0.76 em
# (Noto Sans: 'l' 0.76, 'g' 0.77, caps 0.714): a size estimated from glyph heights divides by
# this (−5 %…+6 % of the set size on the labelled set; other scripts are not calibrated).
_TALL_GLYPH_EM = 0.76
_ESTIMATE_ERROR = 0.05  # an estimated size this close under the fail limit only warns


@dataclass(frozen=True)
class TextOnImage:
    """One text of a creative: its field name, box in image pixels and type size if known.

    `large` overrides the WCAG large-text decision (otherwise taken from the size)."""

    field: str
    box: Box
    size_px: int | None
    large: bool | None = None


def _scaled(px: float, fmt: Format) -> int:
    return max(1, round(px * fmt.shorter_side / _REFERENCE_SIDE))


def _size_rule(field: str, fmt: Format) -> tuple[int, int, str]:
    """(warn below, fail below, where the number comes from) for the field's type size."""
    rules = rules_for(fmt)
    if field == "headline":
        return rules.headline_min, rules.headline_min, "the format's minimum legible headline"
    if field == "cta":
        low = max(12, math.ceil(rules.headline_min * CTA_RATIO_MIN))  # as the layout's floor
        return low, low, f"{CTA_RATIO_MIN:.0%} of the minimum headline (DESIGN-GUIDE)"
    # the layout's own figures (rounded up), so it never sets a size this check warns about
    return (
        rules.small_print_min,
        rules.small_print_on_block,
        f"small print: BCAP {SMALL_PRINT_LINES} of 1080 lines "
        f"({SMALL_PRINT_ON_BLOCK_LINES} on a solid block), scaled by the shorter side, rounded up",
    )


def _height_finding(text: TextOnImage, fmt: Format, glyph_px: float | None) -> Finding:
    where = f"{text.field} {text.box.as_list()}"
    warn_below, fail_below, source = _size_rule(text.field, fmt)
    slack = 1.0
    if text.size_px is not None:
        value, how = float(text.size_px), "type size"
    elif glyph_px is not None:
        value = round(glyph_px / _TALL_GLYPH_EM, 1)
        how = f"size estimated from {glyph_px:.0f} px tall glyphs (±{_ESTIMATE_ERROR:.0%})"
        slack = 1.0 - _ESTIMATE_ERROR  # that close under a limit, an estimate only warns
    else:
        return Finding(
            check="text_height",
            status="skipped",
            threshold=warn_below,
            detail=f"{where}: no size given and no glyphs found to measure",
        )
    if value >= warn_below:
        status: FindingStatus = "pass"
    else:
        status = "warn" if value >= fail_below * slack else "fail"
    return Finding(
        check="text_height",
        status=status,
        value=value,
        threshold=warn_below,
        detail=f"{where}: {how} {value:g} px against {warn_below} px ({source})",
    )


def _is_large(text: TextOnImage, fmt: Format, size: float | None) -> bool:
    if text.large is not None:
        return text.large
    if size is None:
        return False  # unknown size: hold it to the stricter normal-text target
    floor = LARGE_BOLD_PX if text.field in BOLD_FIELDS else LARGE_REGULAR_PX
    return size >= _scaled(floor, fmt)


def _contrast_finding(text: TextOnImage, value: float, large: bool) -> Finding:
    where = f"{text.field} {text.box.as_list()}"
    return contrast_finding(
        value, large_text=large, where=where, check="contrast_measured",
        measured=f"{where}: WCAG contrast on the final pixels, worst ground next to the glyphs",
        empty=f"{where}: the box holds no pixels of the image to measure",
    )  # fmt: skip


def _safe_zone_finding(text: TextOnImage, fmt: Format) -> Finding:
    safe, b = safe_area(fmt), text.box
    over = {
        "left": safe.x0 - b.x0,
        "top": safe.y0 - b.y0,
        "right": b.x1 - safe.x1,
        "bottom": b.y1 - safe.y1,
    }
    outside = {edge: px for edge, px in over.items() if px > 0}
    worst = max(outside.values(), default=0)
    sides = ", ".join(f"{px} px past the {edge} edge" for edge, px in outside.items())
    return Finding(
        check="safe_zone",
        status="fail" if outside else "pass",
        value=worst,
        threshold=0,
        detail=f"{text.field} {b.as_list()} "
        + (
            f"leaves the safe area {safe.as_list()}: {sides}"
            if outside
            else "is inside the safe area"
        )
        + f" ({fmt.name} {fmt.ratio}: platform zones plus the outer margin)",
    )


def legibility_findings(
    image: NDArray[np.uint8], fmt: Format, texts: Sequence[TextOnImage]
) -> list[Finding]:
    """contrast_measured, text_height and safe_zone for each text of a creative in fmt.

    The image is the final creative (fmt.width × fmt.height); boxes are in its pixels."""
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[:2] != (fmt.height, fmt.width):
        raise ValueError(
            f"expected a {fmt.width}x{fmt.height} RGB creative for {fmt.name}, got {image.shape}"
        )
    findings: list[Finding] = []
    for text in texts:
        reading = read_text(image, text.box, glyphs_wanted=text.size_px is None)
        size = text.size_px if text.size_px is not None else None
        if size is None and reading.glyph_px is not None:
            size = round(reading.glyph_px / _TALL_GLYPH_EM)
        large = _is_large(text, fmt, size)
        findings += [
            _contrast_finding(text, reading.contrast, large),
            _height_finding(text, fmt, reading.glyph_px),
            _safe_zone_finding(text, fmt),
        ]
    return findings


__all__ = [
    "LARGE_BOLD_PX",
    "LARGE_REGULAR_PX",
    "SMALL_PRINT_LINES",
    "SMALL_PRINT_ON_BLOCK_LINES",
    "TextOnImage",
    "legibility_findings",
    "measured_contrast",
]
