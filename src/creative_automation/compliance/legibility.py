"""WCAG 2.x contrast of text against the pixels actually behind it."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from .findings import Finding

MIN_CONTRAST = 4.5
MIN_CONTRAST_LARGE = 3.0


def _linear(c: NDArray[Any]) -> NDArray[np.float32]:
    c = np.asarray(c, dtype=np.float32) / 255.0
    return np.asarray(np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4), np.float32)


# sRGB → linear for every 8-bit value: a table lookup instead of a power per pixel
_LUT = _linear(np.arange(256)).reshape(256, 1)
_WEIGHTS = np.array([[0.2126, 0.7152, 0.0722]], np.float32)


def relative_luminance(rgb: NDArray[Any]) -> NDArray[np.float32]:
    """WCAG relative luminance of sRGB pixels (…×3, 0–255) → 0–1."""
    arr = np.asarray(rgb)
    if arr.dtype == np.uint8 and arr.ndim >= 2:
        flat = np.ascontiguousarray(arr.reshape(-1, 1, 3))
        lum = cv2.transform(cv2.LUT(flat, _LUT), _WEIGHTS)
        return np.asarray(lum, np.float32).reshape(arr.shape[:-1])
    lin = _linear(arr)
    out: NDArray[np.float32] = (
        0.2126 * lin[..., 0] + 0.7152 * lin[..., 1] + 0.0722 * lin[..., 2]
    ).astype(np.float32)
    return out


def contrast_ratio(
    l1: float | NDArray[np.float32], l2: float | NDArray[np.float32]
) -> NDArray[np.float32]:
    hi = np.maximum(l1, l2)
    lo = np.minimum(l1, l2)
    return np.asarray((hi + 0.05) / (lo + 0.05), dtype=np.float32)


def text_contrast(
    background: NDArray[np.uint8],
    ink: NDArray[np.bool_],
    text_rgb: tuple[int, int, int],
    *,
    halo: int = 2,
    percentile: float = 5.0,
) -> float:
    """Contrast between the text colour and the background under (and just around) its glyphs.

    `background` is the region before the text is drawn (H×W×3) and `ink` the glyph mask of the
    same size. The worst pixels decide legibility, so the low `percentile` of per-pixel contrast is
    returned rather than the mean (a mean hides a busy patch behind one word).
    """
    mask = np.asarray(ink, dtype=np.uint8)
    if halo:
        mask = np.asarray(cv2.dilate(mask, np.ones((2 * halo + 1, 2 * halo + 1), np.uint8)))
    lum_bg = relative_luminance(background)[mask.astype(bool)]  # one lookup pass, then select
    return worst_contrast(lum_bg, text_rgb, percentile)


def worst_contrast(
    lum: NDArray[np.float32], text_rgb: tuple[int, int, int], percentile: float = 5.0
) -> float:
    """Low-percentile contrast of a text colour against background luminances (inf if none)."""
    if lum.size == 0:
        return float("inf")
    ratios = contrast_ratio(lum, float(relative_luminance(np.array(text_rgb, np.float32))))
    k = min(lum.size - 1, int(lum.size * percentile / 100.0))
    return float(np.partition(ratios, k)[k])


def contrast_finding(
    value: float,
    *,
    large_text: bool,
    where: str,
    check: str = "contrast",
    measured: str | None = None,
    empty: str | None = None,
) -> Finding:
    """A WCAG contrast against its threshold (3:1 large text, else 4.5:1), rounded down so
    4.499 never reads as 4.5; no measurement (inf/nan: nothing to measure) is never a pass.
    `measured` / `empty` replace the default detail of either case."""
    threshold = MIN_CONTRAST_LARGE if large_text else MIN_CONTRAST
    if not math.isfinite(value):
        return Finding(
            check=check,
            status="fail",
            threshold=threshold,
            detail=empty or f"no glyph pixels of the {where} were found to measure",
        )
    what = measured or f"WCAG contrast of the {where} against the pixels behind it"
    return Finding(
        check=check,
        status="pass" if value >= threshold else "fail",
        value=math.floor(value * 100) / 100,
        threshold=threshold,
        detail=f"{what} ({'large' if large_text else 'normal'} text)",
    )
