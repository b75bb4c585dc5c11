"""Fit a source image to an output format: crop around the subject, or extend with a backdrop."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from creative_automation.imaging.geometry import Box

UPSCALE_LIMIT = 2.0  # DESIGN-GUIDE: flag upscaling beyond about 2x
_BACKDROP_FACTOR = 8  # the backdrop is built at 1/8 resolution: it is blurred anyway
# Blur radii as fractions of the canvas's shorter side: strong along the seam, where the
# stretched edge would otherwise show as streaks; milder across it, to keep the colour gradient.
_BLUR_ALONG = 0.10
_BLUR_ACROSS = 0.04
_FADE_FRAC = 0.08  # mirrored sharp edge fading into the backdrop, fraction of the shorter side
_DARKEN = 0.92  # the backdrop is a little darker ...
_DESATURATE = 0.3  # ... and greyer than the image, so the real pixels read as the picture
# Both are one linear colour transform: darken x (mix of identity and channel mean).
_TONE = (_DARKEN * ((1 - _DESATURATE) * np.eye(3) + _DESATURATE / 3 * np.ones((3, 3)))).astype(
    np.float32
)


@dataclass(frozen=True)
class FitResult:
    image: np.ndarray  # HxWx3 uint8, exactly heightxwidth
    subject_box: Box  # where the subject ended up, in output pixels
    method: Literal["crop", "extend"]
    scale: float  # source→output scale factor applied to the source pixels
    upscaled_too_much: bool  # scale > 2.0 (DESIGN-GUIDE: flag upscaling beyond ~2x)


def _place(lo: float, hi: float, size: int, limit: int, centre: float) -> int:
    """Start of a `size` window in [0, limit] covering [lo, hi], as near centred as possible."""
    start = round(centre - size / 2)
    first, last = max(0, math.ceil(hi) - size), min(limit - size, math.floor(lo))
    if first > last:  # rounding left no exact fit; stay inside the image
        first, last = 0, limit - size
    return min(max(start, first), last)


def _resize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    if img.shape[1] == width and img.shape[0] == height:
        return np.ascontiguousarray(img)
    shrinking = width * height < img.shape[0] * img.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(img, (width, height), interpolation=interpolation))


def _map_box(
    subject: Box, region: Box, scale: float, dx: int, dy: int, width: int, height: int
) -> Box:
    """The subject's box after cropping to `region`, scaling and offsetting; rounded outwards."""
    box = Box(
        math.floor((subject.x0 - region.x0) * scale) + dx,
        math.floor((subject.y0 - region.y0) * scale) + dy,
        math.ceil((subject.x1 - region.x0) * scale) + dx,
        math.ceil((subject.y1 - region.y0) * scale) + dy,
    )
    return box.clamp(width, height)


def fit_to_format(
    rgb: np.ndarray,
    subject: Box,
    width: int,
    height: int,
    *,
    margin_frac: float = 0.04,
    anchor: tuple[float, float] = (0.5, 0.5),
    max_scale: float | None = None,
) -> FitResult:
    """Fit `rgb` to width by height keeping `subject` whole with a margin of margin_frac times the
    shorter output side (where the source has pixels beyond the subject to give).

    Crop: the largest window of the target ratio containing subject + margin, centred on the
    subject and clamped into the image (thumbor-style), then resized. Extend, when any such
    window would cut the subject: the narrowest full-height (or full-width) strip containing
    subject + margin is scaled to fill the canvas along that axis and the rest is a soft
    backdrop continuing its edges (see _extend). Pixels are never stretched or squashed
    (beyond rounding the window to whole source pixels: at most 0.5 px per side).

    `anchor` is where the subject's centre should land, as fractions of the output (layout asks
    for the subject low in a Story so the headline has the top of the safe band); the source's
    edges and the margin win over it.

    `max_scale` caps the source→output scale: the subject is shown smaller than the format alone
    would make it (layout zooms out to make room for text), and the backdrop extends around it.
    """
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.size == 0:
        raise ValueError(f"expected a non-empty HxWx3 uint8 array, got {rgb.dtype} {rgb.shape}")
    if width <= 0 or height <= 0:
        raise ValueError(f"output size must be positive, got {width}x{height}")
    h, w = rgb.shape[:2]
    subj = subject.clamp(w, h)
    if subj.width <= 0 or subj.height <= 0:
        raise ValueError(f"subject box {subject} does not overlap the {w}x{h} image")

    ratio = width / height
    crop_w, crop_h = (h * ratio, float(h)) if w / h > ratio else (float(w), w / ratio)
    margin = margin_frac * min(crop_w, crop_h)
    need = (
        max(0.0, subj.x0 - margin),
        max(0.0, subj.y0 - margin),
        min(float(w), subj.x1 + margin),
        min(float(h), subj.y1 + margin),
    )
    cx, cy = subj.center

    if max_scale is not None and min(width / crop_w, height / crop_h) > max_scale:
        return _shrunk(rgb, subj, width, height, max_scale, anchor)

    if need[2] - need[0] <= crop_w + 0.5 and need[3] - need[1] <= crop_h + 0.5:
        cw, ch = min(w, max(1, round(crop_w))), min(h, max(1, round(crop_h)))
        x0 = _place(need[0], need[2], cw, w, cx - (anchor[0] - 0.5) * cw)
        y0 = _place(need[1], need[3], ch, h, cy - (anchor[1] - 0.5) * ch)
        region = Box(x0, y0, x0 + cw, y0 + ch)
        scale = width / cw
        image = _resize(rgb[y0 : y0 + ch, x0 : x0 + cw], width, height)
        box = _map_box(subj, region, scale, 0, 0, width, height)
        return FitResult(image, box, "crop", scale, scale > UPSCALE_LIMIT)

    # Extend. The strip is the narrowest containing subject + margin, widened (more backdrop,
    # smaller subject) when that avoids upscaling beyond the limit. Its margin is solved so that
    # it comes out as margin_frac of the shorter output side after scaling:
    # m * out / (subject + 2m) = M  =>  m = M * subject / (out - 2M).
    out_margin = margin_frac * min(width, height)
    if need[2] - need[0] > crop_w + 0.5:  # too wide: full-height strip, bands above and below
        m = out_margin * subj.width / max(1.0, width - 2 * out_margin)
        lo, hi = max(0, math.floor(subj.x0 - m)), min(w, math.ceil(subj.x1 + m))
        strip = min(w, max(hi - lo, math.ceil(width / UPSCALE_LIMIT)))
        x0 = _place(lo, hi, strip, w, cx)
        region = Box(x0, 0, x0 + strip, h)
        scale = width / strip
        pw, ph = width, min(height, max(1, round(h * scale)))
    else:  # too tall: full-width strip, bands left and right
        m = out_margin * subj.height / max(1.0, height - 2 * out_margin)
        lo, hi = max(0, math.floor(subj.y0 - m)), min(h, math.ceil(subj.y1 + m))
        strip = min(h, max(hi - lo, math.ceil(height / UPSCALE_LIMIT)))
        y0 = _place(lo, hi, strip, h, cy)
        region = Box(0, y0, w, y0 + strip)
        scale = height / strip
        pw, ph = min(width, max(1, round(w * scale))), height
    # the strip goes where the subject's centre lands on the anchor, inside the canvas
    ox = min(max(0, round(anchor[0] * width - (cx - region.x0) * scale)), width - pw)
    oy = min(max(0, round(anchor[1] * height - (cy - region.y0) * scale)), height - ph)
    sharp = _resize(rgb[region.y0 : region.y1, region.x0 : region.x1], pw, ph)
    image = _extend(sharp, width, height, ox, oy)
    box = _map_box(subj, region, scale, ox, oy, width, height)
    return FitResult(image, box, "extend", scale, scale > UPSCALE_LIMIT)


def _shrunk(
    rgb: np.ndarray, subj: Box, width: int, height: int, scale: float, anchor: tuple[float, float]
) -> FitResult:
    """The source at `scale` (smaller than a crop would show it) with backdrop around it; on an
    axis where even that overflows the canvas, the window is cropped around the subject."""
    h, w = rgb.shape[:2]
    cw, ch = min(w, math.floor(width / scale)), min(h, math.floor(height / scale))
    cx, cy = subj.center
    x0 = _place(subj.x0, subj.x1, cw, w, cx) if cw < w else 0
    y0 = _place(subj.y0, subj.y1, ch, h, cy) if ch < h else 0
    region = Box(x0, y0, x0 + cw, y0 + ch)
    pw, ph = min(width, max(1, round(cw * scale))), min(height, max(1, round(ch * scale)))
    ox = min(max(0, round(anchor[0] * width - (cx - x0) * scale)), width - pw)
    oy = min(max(0, round(anchor[1] * height - (cy - y0) * scale)), height - ph)
    sharp = _resize(rgb[region.y0 : region.y1, region.x0 : region.x1], pw, ph)
    image = _extend(sharp, width, height, ox, oy)
    box = _map_box(subj, region, scale, ox, oy, width, height)
    return FitResult(image, box, "extend", scale, scale > UPSCALE_LIMIT)


def _extend(sharp: np.ndarray, width: int, height: int, ox: int, oy: int) -> np.ndarray:
    """Canvas with `sharp` at (ox, oy) and a soft backdrop continuing it outwards.

    The backdrop stretches the image's edge outwards (colours continue across the seam, and
    unlike a mirror or a zoomed copy it never repeats the subject as a ghost), blurred mostly
    along the seam, darkened and desaturated, all at 1/8 resolution (cheap), then upscaled.
    Within a short band next to the seam the mirrored sharp edge fades into it, so texture
    continues too and there is no visible join.
    """
    ph, pw = sharp.shape[:2]
    f = _BACKDROP_FACTOR
    sw, sh = max(1, round(width / f)), max(1, round(height / f))
    spw, sph = min(sw, max(1, round(pw / f))), min(sh, max(1, round(ph / f)))
    sx, sy = min(round(ox / f), sw - spw), min(round(oy / f), sh - sph)
    # Linear to 2x then an exact 2:1 area step: a fraction of INTER_AREA's cost at 1/8, and
    # the heavy blur hides the difference.
    small = cv2.resize(sharp, (2 * spw, 2 * sph), interpolation=cv2.INTER_LINEAR)
    small = cv2.resize(small, (spw, sph), interpolation=cv2.INTER_AREA)
    small = cv2.copyMakeBorder(small, sy, sh - sph - sy, sx, sw - spw - sx, cv2.BORDER_REPLICATE)
    along, across = _stack_size(_BLUR_ALONG * min(sw, sh)), _stack_size(_BLUR_ACROSS * min(sw, sh))
    # stackBlur: a Gaussian-like blur at constant cost per pixel; GaussianBlur with these radii
    # costs more than the whole rest of the extension.
    small = cv2.stackBlur(small, (along, across) if ph < height else (across, along))
    small = cv2.transform(small, _TONE)
    canvas = np.asarray(cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR))
    fade = max(1, round(_FADE_FRAC * min(width, height)))
    if oy > 0 or oy + ph < height:  # bands above and below
        _fade_band(canvas, sharp, fade, oy, ox, axis=0)
    if ox > 0 or ox + pw < width:  # bands left and right
        _fade_band(canvas, sharp, fade, ox, oy, axis=1)
    canvas[oy : oy + ph, ox : ox + pw] = sharp
    return canvas


def _stack_size(sigma: float) -> int:
    """Odd stackBlur kernel size with about the given Gaussian sigma (triangle of radius r has
    sigma ≈ (r + 1) / 2.45)."""
    return 2 * max(1, round(2.45 * sigma) - 1) + 1


def _fade_band(
    canvas: np.ndarray, sharp: np.ndarray, fade: int, offset: int, other: int, axis: int
) -> None:
    """Continue `sharp` across its seams on `axis` (0: rows above/below, 1: columns left/right)
    by mirroring its edge, softening and fading it into the backdrop over `fade` pixels.

    `offset` is where `sharp` starts along `axis`, `other` where it starts across it.
    """
    c = canvas if axis == 0 else canvas.transpose(1, 0, 2)
    s = sharp if axis == 0 else sharp.transpose(1, 0, 2)
    n, span = s.shape[0], s.shape[1]
    before = min(fade, offset, n)
    if before > 0:  # canvas row offset-1-k mirrors sharp row k
        _blend(c[offset - before : offset, other : other + span][::-1], s[:before], fade)
    end = offset + n
    after = min(fade, c.shape[0] - end, n)
    if after > 0:  # canvas row end+k mirrors sharp row n-1-k
        _blend(c[end : end + after, other : other + span], s[n - after :][::-1], fade)


def _blend(dst: np.ndarray, mirror: np.ndarray, fade: int) -> None:
    """Blend `mirror` (row k = k pixels from the seam) into `dst` in place.

    Sharp at the seam, quickly softened (a mirrored diagonal texture would otherwise show as
    chevrons), and faded out by the band's end. Row by row with scalar weights: cheaper than
    broadcasting float arrays over the band.
    """
    sharp = np.ascontiguousarray(mirror)
    k = max(3, fade | 1)
    soft = cv2.stackBlur(sharp, (k, k))
    for row in range(sharp.shape[0]):
        t = (row + 0.5) / fade
        mix = min(1.0, 0.5 + 4.0 * t)  # how far the mirror is softened
        weight = (1.0 - t) ** 2  # how much of the mirror shows over the backdrop
        content = cv2.addWeighted(sharp[row], 1.0 - mix, soft[row], mix, 0.0)
        dst[row] = cv2.addWeighted(
            content, weight, np.ascontiguousarray(dst[row]), 1.0 - weight, 0.0
        )


__all__ = ["UPSCALE_LIMIT", "FitResult", "fit_to_format"]
