"""The brand logo on the final pixels: found by template matching, then sized and spaced.

What is matched is where the logo's ink is, not its pixels. Each variant's ink colours (one to
three, from its opaque pixels) turn the image into ink maps, 1 on the colour and falling to 0
at the colour of the ground around the candidate (linear, so an anti-aliased edge or a thin
stroke reads as the share of it the ink covers); the template is the variant's alpha split by
ink colour, padded by a ring of "no ink". The zero-mean normalised cross-correlation of the two
does not care what the background is, only that it is not the logo's own colour: a photo, a
light gradient or a scrim behind the mark score alike.

Why not the logo's pixels with its alpha as the mask (cv2.matchTemplate takes a mask with
TM_SQDIFF, TM_CCORR_NORMED and, in OpenCV 4.x, TM_CCOEFF_NORMED): inside its own alpha a
one-colour mark is a flat template that correlates with nothing, and filling the transparent
part with a guessed ground (white behind dark ink) breaks wherever the ground differs; measured
on the labelled set, the brand's mark then lost to rounded shapes and headline words. The alpha
does end up as a mask: grown by a narrow band, it masks the final score (TM_CCOEFF_NORMED), so
nothing away from the mark counts and a lookalike without the mark's cut-out scores low.

Search, anywhere in the image, widths on a ×1.2 ladder (7–33 % of the shorter side):
1. coarse: a map of closeness to the inks at 1/4, 1/8 or 1/16 resolution (the coarsest that
   keeps the template 24 px long and 4 px short, so half a ladder step of scale is forgiven);
   variants of one shape share one map (see _group); one FFT per level serves every template;
   the best peaks of every width are candidates, up to 16 distinct ones;
2. the candidates rescored at 1/4 with each variant's own ink maps; the best two refined at
   1/2 over widths ±9 %; the winner, in whole pixels, with the band mask, at full resolution
   (1/2 for a mark over 200 px): that score is the result.
Measured on 1080×1920 (one thread, brand templates cached): 11–15 ms per call.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..imaging.geometry import Box
from .findings import Finding

# midway between the final scores on the labelled set (bench/cases/logo.py, seeds 0–3, 621
# creatives): the brands' own marks, once found, ≥ 0.85 (8 % wide, JPEG q90, over photos and
# scrims; median 0.98), lookalikes and other brands' marks ≤ 0.73 (a plain hexagon against
# the brand's hexagon with a cut-out; median 0.47)
DETECTION_THRESHOLD = 0.79
WIDTHS = (0.07, 0.33)  # searched logo widths, share of the shorter side (guide: 12–20 %)
_SMALLEST = 0.05  # nothing narrower is searched (logo_findings: 0.6 × the kit's minimum)
MIN_CONTRAST = 20  # mean RGB difference between ink and ground under which nothing is a mark
_STEP = 1.2  # width ratio between coarse templates
_LONG, _SHORT = 24, 4  # px: the least a coarse template keeps of its long and short side
_SHARED = 80  # mean RGB difference up to which two variants' inks share one coarse map
_PAD = 0.15  # ring of "no ink" around the mark while searching, share of its height
_BAND = 0.06  # the ring of the final score: narrow, so a missing cut-out weighs
_PEAKS = 4  # peaks kept per coarse map
# distinct coarse candidates rescored per shape, at most, and only those scoring this share of
# the best: the true mark ranked as low as 15th behind same-font headlines, and scored 0.76 of
# the best or more in 99 % of the labelled set
_CANDIDATES, _KEEP = 16, 0.6
_REFINED = 2  # of those, refined at 1/2
_FULL = 200  # px: the longest side a mark is scored at full resolution

F32 = NDArray[np.float32]
U8 = NDArray[np.uint8]


@dataclass(frozen=True)
class LogoMatch:
    """Where the logo is (full-resolution pixels), how well it matched (0–1), which variant."""

    box: Box
    score: float
    variant: str


def _mean_diff(rgb: U8, ink: NDArray[np.uint8]) -> U8:
    """Mean absolute RGB difference from one colour (0–255), in a few SIMD passes."""
    # OpenCV takes a per-channel Scalar here; its stubs only list the array overloads
    d = cv2.split(cv2.absdiff(rgb, (*map(float, ink), 0.0)))  # type: ignore[call-overload]
    third = 1 / 3
    return np.asarray(
        cv2.addWeighted(cv2.addWeighted(d[0], third, d[1], third, 0), 1, d[2], third, 0)
    )


def _ink_maps(rgb: U8, inks: NDArray[np.uint8], ground: NDArray[np.float64]) -> list[U8]:
    """One map per ink colour: 255 on the colour, falling linearly to 0 at the ground's."""
    out = []
    for ink in inks:
        span = float(np.clip(np.abs(ink - ground).mean(), MIN_CONTRAST, 255))
        lut = np.clip(255.0 * (1.0 - np.arange(256) / span), 0, 255).astype(np.uint8)
        out.append(np.asarray(cv2.LUT(_mean_diff(rgb, ink), lut), np.uint8))
    return out


def _proximity(rgb: U8, inks: NDArray[np.uint8]) -> U8:
    """255 minus the mean difference from the nearest ink: no cut-off, so it is linear in how
    much of a pixel the ink covers and the map of a downscaled image is the downscaled map."""
    best = _mean_diff(rgb, inks[0])
    for ink in inks[1:]:
        best = np.asarray(cv2.min(best, _mean_diff(rgb, ink)))
    return np.asarray(255 - best, np.uint8)


def _inks(rgba: U8) -> NDArray[np.uint8]:
    """The mark's ink colours: leader clustering of its opaque pixels, most frequent first
    (≤ 3, each at least 5 % of the ink)."""
    px = rgba[rgba[..., 3] > 230][:, :3].astype(np.float32)
    if len(px) == 0:
        px = rgba.reshape(-1, 4)[:, :3].astype(np.float32)
    q = (px // 16).astype(np.int32)
    _, inverse, counts = np.unique(q @ [256, 16, 1], return_inverse=True, return_counts=True)
    means = np.stack([np.bincount(inverse, px[:, c]) / counts for c in range(3)], 1)
    free = np.ones(len(counts), bool)
    inks = []
    for i in np.argsort(-counts, kind="stable"):
        if free[i]:
            near = free & (np.abs(means - means[i]).mean(1) < MIN_CONTRAST)
            free &= ~near
            if counts[near].sum() >= 0.05 * len(px):
                inks.append((means[near] * counts[near, None]).sum(0) / counts[near].sum())
    return np.clip(np.round(inks[:3]), 0, 255).astype(np.uint8)


@dataclass
class _Mark:
    """One logo variant prepared for matching; templates and their spectra cached per size."""

    name: str
    rgb: U8 = field(repr=False)
    alpha: F32 = field(repr=False)  # 0–1
    inks: NDArray[np.uint8] = field(repr=False)  # K×3
    # template kinds at source size, and templates and spectra per size
    sources: dict[str, F32] = field(default_factory=dict, repr=False)
    cache: dict[tuple[object, ...], tuple[F32, U8]] = field(default_factory=dict, repr=False)
    spectra: dict[tuple[object, ...], tuple[F32, float]] = field(default_factory=dict, repr=False)

    @property
    def aspect(self) -> float:
        return float(self.alpha.shape[1] / self.alpha.shape[0])

    def proximity(self, inks: NDArray[np.uint8]) -> F32:
        """The coarse map of the mark's own pixels (0–1), weighted by its alpha."""
        return _proximity(self.rgb, inks).astype(np.float32) / 255.0 * self.alpha

    def template(self, w: int, h: int, pad: int, kind: str) -> tuple[F32, U8]:
        """Template `kind` at w×h padded by `pad` px of no ink, and its band mask (the ink
        grown by the padding)."""
        key = (w, h, pad, kind)
        hit = self.cache.get(key)  # get, not `in` then []: another thread may clear it
        if hit is None:
            if len(self.cache) > 512:  # a long-running worker sees many sizes: stay bounded
                self.cache.clear()
                self.spectra.clear()
            src = self.sources[kind]
            grow = w > src.shape[1] or h > src.shape[0]
            tpl = cv2.resize(
                src, (w, h), interpolation=cv2.INTER_LINEAR if grow else cv2.INTER_AREA
            )
            tpl = cv2.copyMakeBorder(tpl, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
            tpl = np.asarray(tpl, np.float32).reshape(h + 2 * pad, w + 2 * pad, -1)
            ink = (np.abs(tpl).sum(2) > 0.1).astype(np.uint8)
            band = cv2.dilate(ink, np.ones((2 * pad + 1, 2 * pad + 1), np.uint8))
            out = tpl if tpl.shape[2] > 1 else tpl[..., 0]
            hit = self.cache[key] = (np.ascontiguousarray(out), np.asarray(band, np.uint8))
        return hit

    def spectrum(
        self, tpl: F32, key: tuple[object, ...], shape: tuple[int, int]
    ) -> tuple[F32, float]:
        """The DFT of a coarse template made zero-mean and padded to a level's DFT size, and
        its norm (cached)."""
        full = (shape, *key)
        hit = self.spectra.get(full)
        if hit is None:
            t = tpl - float(tpl.mean())
            padded = np.zeros(shape, np.float32)
            padded[: tpl.shape[0], : tpl.shape[1]] = t
            norm = max(float(np.sqrt((t * t).sum())), 1e-6)
            hit = self.spectra[full] = (np.asarray(cv2.dft(padded), np.float32), norm)
        return hit


# prepared marks by variant name and the identity of the PIL image (a brand kit is loaded
# once and its images are never changed); the weak reference tells a recycled id apart
_MARKS: dict[tuple[str, int], tuple[weakref.ref[Image.Image], _Mark]] = {}


def _mark(name: str, image: Image.Image) -> _Mark:
    hit = _MARKS.get((name, id(image)))
    if hit is not None and hit[0]() is image:
        return hit[1]
    rgba = np.asarray(image.convert("RGBA"))
    alpha = rgba[..., 3].astype(np.float32) / np.float32(255)
    mark = _Mark(name, np.ascontiguousarray(rgba[..., :3]), alpha, _inks(rgba))
    nearest = np.abs(mark.rgb[..., None, :] - mark.inks.astype(np.int16)).sum(-1).argmin(-1)
    split = [mark.alpha * (nearest == k) for k in range(len(mark.inks))]
    mark.sources["split"] = np.stack(split, -1).astype(np.float32)
    inks = mark.inks
    if len(inks) == 1:
        mark.sources["alone"] = mark.proximity(inks)
    else:  # its first two inks against each other (see _coarse)
        mark.sources["alone"] = (mark.proximity(inks[:1]) - mark.proximity(inks[1:2])) * 0.5
    for key in [k for k, (ref, _) in _MARKS.items() if ref() is None]:
        del _MARKS[key]
    _MARKS[(name, id(image))] = (weakref.ref(image), mark)
    return mark


def _same_shape(a: _Mark, b: _Mark) -> bool:
    if abs(a.aspect - b.aspect) > 0.02 * a.aspect:
        return False
    size = (48, max(2, round(48 / a.aspect)))
    ta = cv2.resize(a.alpha, size, interpolation=cv2.INTER_AREA)
    tb = cv2.resize(b.alpha, size, interpolation=cv2.INTER_AREA)
    return float(np.abs(ta - tb).mean()) < 0.03


def _ink_gap(a: _Mark, b: _Mark) -> float:
    """How far b's inks are from a's: the largest mean RGB difference to a's nearest ink."""
    diff = np.abs(b.inks[:, None, :].astype(np.int16) - a.inks[None, :, :]).mean(2)
    return float(diff.min(1).max())


def _group(a: _Mark, b: _Mark) -> tuple[str, list[_Mark]] | None:
    """How two variants of one shape can share one coarse map, if they can:

    - "shared": their inks alike (a teal mark and its lighter teal on-dark variant): one map
      of closeness to any of their inks, which either variant lights up;
    - "signed": one variant's own inks white (a navy wordmark and its white one): a's ink
      closeness minus b's, on which b reads negative, so |NCC| finds either. b stands out
      from a ground there by d(a,b) + d(b,ground) − d(a,ground) (d: colour difference),
      nothing for a ground beyond b as seen from a; nothing is beyond white.
    """
    if not _same_shape(a, b):
        return None
    if max(_ink_gap(a, b), _ink_gap(b, a)) <= _SHARED:
        kind = f"shared:{b.name}"
        if kind not in a.sources:
            a.sources[kind] = a.proximity(np.concatenate([a.inks, b.inks]))
        return "shared", [a, b]
    for x, y in ((a, b), (b, a)):
        own = [ink for ink in y.inks if np.abs(x.inks.astype(int) - ink).mean(1).min() > 8]
        if all(ink.min() >= 235 for ink in own):
            kind = f"signed:{y.name}"
            if kind not in x.sources:
                x.sources[kind] = (x.proximity(x.inks) - x.proximity(y.inks)) * np.float32(0.5)
            return "signed", [x, y]
    return None


class _Level:
    """A coarse map at one resolution, border-padded, with its spectrum: the NCC of any
    template over every position costs one spectrum product, one inverse DFT and two box
    filters."""

    def __init__(self, ink: U8, factor: int, pad: int) -> None:
        self.factor, self.pad = factor, pad
        self.map = np.asarray(cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_REPLICATE))
        h, w = self.map.shape
        self.shape = (cv2.getOptimalDFTSize(h), cv2.getOptimalDFTSize(w))
        padded = np.zeros(self.shape, np.float32)
        padded[:h, :w] = self.map - float(self.map.mean())  # zero mean: smaller sums
        self.spectrum = cv2.dft(padded)

    def ncc(self, tpl: F32, spectrum: F32, norm: float) -> F32:
        """Zero-mean NCC of tpl (its spectrum and zero-mean norm given) at every position
        where it fits, in padded coordinates."""
        th, tw = tpl.shape
        oh, ow = self.map.shape[0] - th + 1, self.map.shape[1] - tw + 1
        spec = cv2.mulSpectrums(self.spectrum, spectrum, 0, conjB=True)
        corr = cv2.idft(spec, flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT)[:oh, :ow]
        # window sums of the map and its square, anchored at the window's top-left corner
        edge = cv2.BORDER_CONSTANT
        s = cv2.boxFilter(self.map, cv2.CV_32F, (tw, th), None, (0, 0), False, edge)[:oh, :ow]
        q = cv2.sqrBoxFilter(self.map, cv2.CV_32F, (tw, th), None, (0, 0), False, edge)[:oh, :ow]
        n = th * tw
        var = cv2.subtract(q, cv2.multiply(s, s, scale=1.0 / n))
        # a window flatter than 2 grey levels (no ink, or ink everywhere) scores about 0
        den = cv2.sqrt(np.maximum(var, np.float32(4 * n)))
        return np.asarray(cv2.divide(corr, den, scale=1.0 / norm), np.float32)


@dataclass(frozen=True)
class _Candidate:
    score: float
    cx: float  # centre, full-resolution px
    cy: float
    width: float
    mark: _Mark

    @property
    def box(self) -> Box:
        w, h = round(self.width), round(self.width / self.mark.aspect)
        x0, y0 = round(self.cx - w / 2), round(self.cy - h / 2)
        return Box(x0, y0, x0 + w, y0 + h)


def _factor(width: float, aspect: float) -> int:
    """The coarse level for a width: the coarsest keeping the template _LONG × _SHORT px.

    A mark under 5 px tall at 1/4 (a wordmark 90 px wide) is where most misses are (3 of 4
    on the labelled set: its peak at the wrong width or lost among headline words); searching
    those widths at 1/2 found them but cost 5.5 ms more per creative, over the budget."""
    long, short = max(width, width / aspect), min(width, width / aspect)
    f = 4
    while f < 16 and long / (2 * f) >= _LONG and short / (2 * f) >= _SHORT:
        f *= 2
    return f


def _coarse(
    small: dict[int, U8], mode: str, group: list[_Mark], widths: list[float]
) -> list[_Candidate]:
    """Peaks of the NCC of the group's coarse template with its coarse map at every width
    (see _group for the modes). A variant alone with two inks or more is mapped by its first
    two inks against each other, as a signed pair is: the union of its inks would make all
    ink of a ground that has one of them (a white tile with navy letters on a navy sky)."""
    rep = group[0]
    kind = "alone" if mode == "alone" else f"{mode}:{group[1].name}"
    levels = {}
    for f in {_factor(w, rep.aspect) for w in widths}:
        tallest = max(w / rep.aspect for w in widths if _factor(w, rep.aspect) == f) / f
        if mode == "signed" or len(rep.inks) > 1:  # 128 + half the difference, in 8 bits
            pair = [m.inks for m in group] if mode == "signed" else [rep.inks[:1], rep.inks[1:2]]
            a, b = (_proximity(small[f], inks).astype(np.int16) for inks in pair)
            ink = ((a - b + 256) // 2).astype(np.uint8)
        else:
            ink = _proximity(small[f], np.concatenate([m.inks for m in group]))
        levels[f] = _Level(ink, f, math.ceil(_PAD * tallest) + 1)
    found = []
    for width in widths:
        level = levels[_factor(width, rep.aspect)]
        f = level.factor
        tw, th = max(2, round(width / f)), max(2, round(width / rep.aspect / f))
        pad = max(1, round(_PAD * th))
        tpl, _ = rep.template(tw, th, pad, kind)
        if tpl.shape[0] > level.map.shape[0] or tpl.shape[1] > level.map.shape[1]:
            continue
        signed = level.ncc(tpl, *rep.spectrum(tpl, (tw, th, pad, kind), level.shape))
        score = np.abs(signed)
        for _ in range(_PEAKS):
            _, best, _, (x, y) = cv2.minMaxLoc(score)
            if best <= 0:
                break
            # the template's origin in padded coordinates → the mark's centre, full resolution
            cx, cy = (x + pad + tw / 2 - level.pad) * f, (y + pad + th / 2 - level.pad) * f
            mark = group[1] if mode == "signed" and signed[y, x] < 0 else rep
            found.append(_Candidate(float(best), cx, cy, width, mark))
            score[max(0, y - th // 2) : y + th // 2 + 1, max(0, x - tw // 2) : x + tw // 2 + 1] = 0
    out: list[tuple[_Candidate, Box]] = []  # the best, less any mostly over a better one
    ranked = sorted(found, key=lambda c: -c.score)
    for c in ranked:
        if c.score < _KEEP * ranked[0].score:
            break
        box = c.box
        if all(_iou(box, b) < 0.3 for _, b in out):
            out.append((c, box))
            if len(out) == _CANDIDATES:
                break
    return [c for c, _ in out]


def _iou(a: Box, b: Box) -> float:
    inter = a.intersection(b)
    return 0.0 if inter is None else inter.area / (a.area + b.area - inter.area)


def _refine(
    rgb: U8,
    f: int,
    c: _Candidate,
    mark: _Mark,
    widths: Sequence[float],
    margin: float,
    *,
    band: float = _PAD,
    masked: bool = False,
) -> _Candidate:
    """The best position and width (of `widths`, full-resolution px, ascending) of `mark` in
    a window of the image at 1/f around a candidate: NCC of its per-colour alpha with
    per-colour ink maps."""
    ih, iw = rgb.shape[:2]
    sizes = []
    for width in widths:
        tw = max(2, round(width / f))
        th = max(2, round(tw / mark.aspect))
        sizes.append((tw * f, tw, th, max(1, round(band * th))))
    m = max(1, math.ceil(margin / f))
    # one window for every width: the largest template, its padding and the search margin
    _, tw, th, pad = sizes[-1]
    x0, y0 = round(c.cx / f - tw / 2) - pad - m, round(c.cy / f - th / 2) - pad - m
    x1, y1 = x0 + tw + 2 * (pad + m), y0 + th + 2 * (pad + m)
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(iw, x1), min(ih, y1)
    if cx1 - cx0 < 4 or cy1 - cy0 < 4:
        return _Candidate(-1.0, c.cx, c.cy, c.width, mark)
    crop = np.ascontiguousarray(rgb[cy0:cy1, cx0:cx1])
    frame = [crop[:2], crop[-2:], crop[:, :2].transpose(1, 0, 2), crop[:, -2:].transpose(1, 0, 2)]
    ground = np.median(np.concatenate([p.reshape(-1, 3) for p in frame]), axis=0)
    maps = _ink_maps(crop, mark.inks, ground)
    window = cv2.merge(maps) if len(maps) > 1 else maps[0]
    window = cv2.copyMakeBorder(
        window, cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1, cv2.BORDER_REPLICATE
    )
    window = np.asarray(window, np.float32) / 255.0
    best = _Candidate(-1.0, c.cx, c.cy, c.width, mark)
    for width, tw, th, pad in sizes:
        tpl, mask = mark.template(tw, th, pad, "split")
        # centre this width's template in the window, searching m px either way
        ox = (x1 - x0 - tpl.shape[1]) // 2 - m
        oy = (y1 - y0 - tpl.shape[0]) // 2 - m
        sub = window[oy : oy + tpl.shape[0] + 2 * m, ox : ox + tpl.shape[1] + 2 * m]
        score = cv2.matchTemplate(sub, tpl, cv2.TM_CCOEFF_NORMED, mask=mask if masked else None)
        score[~np.isfinite(score)] = 0.0
        _, val, _, (x, y) = cv2.minMaxLoc(score)
        if val > best.score:
            cx = (x0 + ox + x + pad + tw / 2) * f
            cy = (y0 + oy + y + pad + th / 2) * f
            best = _Candidate(float(val), cx, cy, width, mark)
    return best


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
    lo = max(lo, _SMALLEST * short, 8.0)
    hi = min(float(max_width if max_width is not None else WIDTHS[1] * short), float(w))
    if not variants or lo > hi:
        return None
    groups: list[tuple[str, list[_Mark]]] = []
    # one search per image: an opaque lockup serves as both variants (logo.logo_pair)
    unique = {id(img): (name, img) for name, img in reversed(variants)}
    for m in (_mark(name, img) for name, img in reversed(unique.values())):
        for i, (mode, members) in enumerate(groups):
            joint = _group(members[0], m) if mode == "alone" else None
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
    rescored: list[_Candidate] = []
    for mode, group in groups:
        for c in _coarse(small, mode, group, widths):
            # at 1/4 with the variant's own ink maps (a signed map told which; alike inks:
            # both), ± half a ladder step
            near = [c.width * _STEP**-0.25, c.width * _STEP**0.25]
            margin = 1.5 * _factor(c.width, c.mark.aspect) + 0.05 * c.width
            for mark in group if mode == "shared" else [c.mark]:
                rescored.append(_refine(small[4], 4, c, mark, near, margin))
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
        mid.append(_refine(small[f], f, c, c.mark, near, 1.5 * f + 0.02 * c.width))
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
    final = _refine(
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


def _clearance(logo: Box, other: Box) -> int:
    """Clear space between two boxes: the larger axis gap, 0 when they overlap (the clear-space
    zone is the logo box grown on every side, so this is a rectangular distance)."""
    return max(other.x0 - logo.x1, logo.x0 - other.x1, other.y0 - logo.y1, logo.y0 - other.y1, 0)


def logo_findings(
    image: NDArray[np.uint8],
    variants: Sequence[tuple[str, Image.Image]],
    *,
    min_width_px: int,
    clear_space: float = 0.5,
    subject_box: Box | None = None,
    other_boxes: Sequence[Box] = (),
) -> list[Finding]:
    """logo_present, then (when found) logo_size, logo_clear_space and logo_subject."""
    h, w = image.shape[:2]
    short = min(h, w)
    # search below the minimum too: a logo that is there but too small must be found to say
    # so (a kit without a minimum passes 0: the default range)
    lo = round(max(_SMALLEST * short, min(WIDTHS[0] * short, 0.6 * min_width_px or short)))
    m = match_logo(image, variants, min_width=lo)
    score = round(m.score, 3) if m is not None else 0.0
    method = "ink-map correlation, masked by the mark's alpha"
    if m is None or m.score < DETECTION_THRESHOLD:
        best = f"; best candidate {m.variant} at {m.box.as_list()}" if m is not None else ""
        return [
            Finding(
                check="logo_present",
                status="fail",
                value=score,
                threshold=DETECTION_THRESHOLD,
                detail=f"no logo variant matches anywhere at widths {lo}–"
                f"{round(WIDTHS[1] * short)} px ({method}{best})",
            )
        ]
    box = m.box.clamp(w, h)
    at = f"{m.variant} at {box.as_list()}"
    gaps = [(box.x0, "left edge"), (box.y0, "top edge"), (w - box.x1, "right edge")]
    gaps += [(h - box.y1, "bottom edge")]
    gaps += [(_clearance(box, o), f"text box {o.as_list()}") for o in other_boxes]
    nearest, what = min(gaps)
    clear = nearest / max(box.height, 1)
    findings = [
        Finding(
            check="logo_present",
            status="pass",
            value=score,
            threshold=DETECTION_THRESHOLD,
            detail=f"logo found: {at} ({method})",
        ),
        Finding(
            check="logo_size",
            status="pass" if box.width >= min_width_px else "fail",
            value=box.width,
            threshold=min_width_px,
            detail=f"detected logo width {box.width} px ({box.width / short:.1%} of the shorter "
            f"side), {at}",
        ),
        Finding(
            check="logo_clear_space",
            status="pass" if clear >= clear_space else "fail",
            value=math.floor(clear * 100) / 100,  # rounded down: 0.499 must not read as 0.5
            threshold=clear_space,
            detail=f"{nearest} px from the logo ({at}) to the {what}: {clear:.2f}× the logo's "
            f"height of {box.height} px",
        ),
    ]
    if subject_box is None:
        findings.append(Finding(check="logo_subject", status="skipped", detail="no subject box"))
        return findings
    inter = box.intersection(subject_box)
    share = inter.area / box.area if inter is not None else 0.0
    findings.append(
        Finding(
            check="logo_subject",
            status="fail" if inter is not None else "pass",
            value=round(share, 3),
            threshold=0.0,
            detail=f"logo {at} "
            + (
                f"covers the subject {subject_box.as_list()}: {share:.0%} of the logo's area"
                if inter is not None
                else f"is clear of the subject {subject_box.as_list()}"
            ),
        )
    )
    return findings
