"""The brand logo on the final pixels: the best match of any variant, anywhere in the image."""

# Search, anywhere in the image, widths on a ×1.2 ladder (7–33 % of the shorter side):
# 1. coarse: a map of closeness to the inks at 1/4, 1/8 or 1/16 resolution (the coarsest that
#    keeps the template 24 px long and 4 px short, so half a ladder step of scale is forgiven);
#    variants of one shape share one map (see logomarks.group_marks); one FFT per level serves
#    every template; the best peaks of every width are candidates, up to 16 distinct ones;
# 2. the candidates rescored at 1/4 with each variant's own ink maps; the best two refined at
#    1/2 over widths ±9 %; the winner, in whole pixels, with the band mask, at full resolution
#    (1/2 for a mark over 200 px): that score is the result.
# What is matched, and why, is in logomarks.
# Measured on 1080×1920 (one thread, brand templates cached): 11–15 ms per call.

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..imaging.geometry import Box
from .logomarks import U8, Mark, group_marks, prepare_mark
from .logosearch import Candidate, coarse, coarse_factor, refine

# midway between the final scores on the labelled set (bench/cases/logo.py, seeds 0–3, 621
# creatives): the brands' own marks, once found, ≥ 0.85 (8 % wide, JPEG q90, over photos and
# scrims; median 0.98), lookalikes and other brands' marks ≤ 0.73 (a plain hexagon against
# the brand's hexagon with a cut-out; median 0.47)
DETECTION_THRESHOLD = 0.79
WIDTHS = (0.07, 0.33)  # searched logo widths, share of the shorter side (guide: 12–20 %)
SMALLEST = 0.05  # nothing narrower is searched (logo_findings: 0.6 × the kit's minimum)
_STEP = 1.2  # width ratio between coarse templates
_BAND = 0.06  # the ring of the final score: narrow, so a missing cut-out weighs
_REFINED = 2  # rescored candidates refined at 1/2, the best first
_FULL = 200  # px: the longest side a mark is scored at full resolution


@dataclass(frozen=True)
class LogoMatch:
    """Where the logo is (full-resolution pixels), how well it matched (0–1), which variant."""

    box: Box
    score: float
    variant: str


def match_logo(
    image: NDArray[np.uint8],
    variants: Sequence[tuple[str, Image.Image]],
    *,
    min_width: int | None = None,
    max_width: int | None = None,
) -> LogoMatch | None:
    """The best match of any variant anywhere in an H×W×3 uint8 RGB image, however weak
    (None only when there is nothing to search: no variants, or no width fits). Widths under
    5 % of the shorter side are not searched: every glyph of a headline would be a candidate
    and the ladder twice as long."""
    h, w = image.shape[:2]
    short = min(h, w)
    lo = float(min_width if min_width is not None else WIDTHS[0] * short)
    lo = max(lo, SMALLEST * short, 8.0)
    hi = min(float(max_width if max_width is not None else WIDTHS[1] * short), float(w))
    if not variants or lo > hi:
        return None
    groups: list[tuple[str, list[Mark]]] = []
    # one search per image: an opaque lockup serves as both variants (logo.logo_pair)
    unique = {id(img): (name, img) for name, img in reversed(variants)}
    for m in (prepare_mark(name, img) for name, img in reversed(unique.values())):
        for i, (mode, members) in enumerate(groups):
            joint = group_marks(members[0], m) if mode == "alone" else None
            if joint is not None:
                groups[i] = joint
                break
        else:
            groups.append(("alone", [m]))
    n = max(1, math.ceil(math.log(hi / lo) / math.log(_STEP)))
    widths = [lo * (hi / lo) ** (i / n) for i in range(n + 1)]
    half: U8 = np.asarray(cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA))
    small = {2: half}
    for f in (4, 8, 16):  # halving each time: OpenCV's fast 2× area path
        small[f] = np.asarray(
            cv2.resize(small[f // 2], (w // f, h // f), interpolation=cv2.INTER_AREA)
        )
    rescored: list[Candidate] = []
    for mode, group in groups:
        for c in coarse(small, mode, group, widths):
            # at 1/4 with the variant's own ink maps (a signed map told which; alike inks:
            # both), ± half a ladder step
            near = [c.width * _STEP**-0.25, c.width * _STEP**0.25]
            margin = 1.5 * coarse_factor(c.width, c.mark.aspect) + 0.05 * c.width
            for mark in group if mode == "shared" else [c.mark]:
                rescored.append(refine(small[4], 4, c, mark, near, margin))
    if not rescored:
        return None
    # the best two at 1/2 (1/4 when the mark stays 20 px there): widths ±9 % (a coarse
    # peak can be half a ladder step off, 10 %, and the rescoring's two widths leave 5 %) in
    # steps of 3 % (a pixel at least)
    mid = []
    for c in sorted(rescored, key=lambda c: -c.score)[:_REFINED]:
        f = 4 if min(c.width, c.width / c.mark.aspect) >= 80 else 2
        step = max(float(f), 0.03 * c.width)
        reach = max(1, round(0.09 * c.width / step))
        near = [c.width + step * k for k in range(-reach, reach + 1)]
        mid.append(refine(small[f], f, c, c.mark, near, 1.5 * f + 0.02 * c.width))
    best = max(mid, key=lambda c: c.score)
    # the winner in whole pixels, ±2 % (2 px at least), with the band mask: a pixel of width
    # moves a small wordmark's last letter by a stroke (measured: 96 px wide scores 0.88,
    # 95 px 0.80). At full resolution up to _FULL px; a larger mark at 1/2, where it is still
    # _FULL / 2 px and the box is within 2 px, since the masked score costs its area
    f = 1 if max(best.width, best.width / best.mark.aspect) <= _FULL else 2
    w0 = round(best.width / f)
    # a small mark spans few pixels at 1/2 (a 100 px wordmark is 12 px tall there), so its
    # width is known to ±4 % only; whole pixels of it cost little
    reach = max(3, round(0.04 * w0)) if best.width < 160 else max(2, round(0.02 * w0))
    fine = [float((w0 + d) * f) for d in range(-reach, reach + 1)]
    final = refine(
        half if f == 2 else image, f, best, best.mark, fine, 3 * f, band=_BAND, masked=True
    )
    return LogoMatch(final.box, final.score, final.mark.name)


def find_logo(
    image: NDArray[np.uint8],
    variants: Sequence[tuple[str, Image.Image]],
    *,
    min_width: int | None = None,
    max_width: int | None = None,
) -> LogoMatch | None:
    """The logo in an H×W×3 uint8 RGB image if a variant matches at DETECTION_THRESHOLD or
    better, searching widths min_width–max_width px (default 7–33 % of the shorter side)."""
    m = match_logo(image, variants, min_width=min_width, max_width=max_width)
    return m if m is not None and m.score >= DETECTION_THRESHOLD else None


__all__ = ["DETECTION_THRESHOLD", "SMALLEST", "WIDTHS", "LogoMatch", "find_logo", "match_logo"]
