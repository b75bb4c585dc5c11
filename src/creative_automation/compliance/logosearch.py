"""The logo search's steps: coarse FFT correlation over the whole image, then refinement."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ..imaging.geometry import Box
from .logomarks import F32, U8, Mark, ink_maps, proximity

_LONG, _SHORT = 24, 4  # px: the least a coarse template keeps of its long and short side
_PAD = 0.15  # ring of "no ink" around the mark while searching, share of its height
_PEAKS = 4  # peaks kept per coarse map
# distinct coarse candidates rescored per shape, at most, and only those scoring this share of
# the best: the true mark ranked as low as 15th behind same-font headlines, and scored 0.76 of
# the best or more in 99 % of the labelled set
_CANDIDATES, _KEEP = 16, 0.6


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
class Candidate:
    score: float
    cx: float  # centre, full-resolution px
    cy: float
    width: float
    mark: Mark

    @property
    def box(self) -> Box:
        w, h = round(self.width), round(self.width / self.mark.aspect)
        x0, y0 = round(self.cx - w / 2), round(self.cy - h / 2)
        return Box(x0, y0, x0 + w, y0 + h)


def coarse_factor(width: float, aspect: float) -> int:
    """The coarse level for a width: the coarsest keeping the template _LONG × _SHORT px.

    A mark under 5 px tall at 1/4 (a wordmark 90 px wide) is where most misses are (3 of 4
    on the labelled set: its peak at the wrong width or lost among headline words); searching
    those widths at 1/2 found them but cost 5.5 ms more per creative, over the budget."""
    long, short = max(width, width / aspect), min(width, width / aspect)
    f = 4
    while f < 16 and long / (2 * f) >= _LONG and short / (2 * f) >= _SHORT:
        f *= 2
    return f


def coarse(
    small: dict[int, U8], mode: str, group: list[Mark], widths: list[float]
) -> list[Candidate]:
    """Peaks of the NCC of the group's coarse template with its coarse map at every width
    (see logomarks.group_marks for the modes). A variant alone with two inks or more is mapped
    by its first two inks against each other, as a signed pair is: the union of its inks would
    make all ink of a ground that has one of them (a white tile with navy letters on a navy
    sky)."""
    rep = group[0]
    kind = "alone" if mode == "alone" else f"{mode}:{group[1].name}"
    levels = {}
    for f in {coarse_factor(w, rep.aspect) for w in widths}:
        tallest = max(w / rep.aspect for w in widths if coarse_factor(w, rep.aspect) == f) / f
        if mode == "signed" or len(rep.inks) > 1:  # 128 + half the difference, in 8 bits
            pair = [m.inks for m in group] if mode == "signed" else [rep.inks[:1], rep.inks[1:2]]
            a, b = (proximity(small[f], inks).astype(np.int16) for inks in pair)
            ink = ((a - b + 256) // 2).astype(np.uint8)
        else:
            ink = proximity(small[f], np.concatenate([m.inks for m in group]))
        levels[f] = _Level(ink, f, math.ceil(_PAD * tallest) + 1)
    found = []
    for width in widths:
        level = levels[coarse_factor(width, rep.aspect)]
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
            found.append(Candidate(float(best), cx, cy, width, mark))
            score[max(0, y - th // 2) : y + th // 2 + 1, max(0, x - tw // 2) : x + tw // 2 + 1] = 0
    out: list[tuple[Candidate, Box]] = []  # the best, less any mostly over a better one
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


def refine(
    rgb: U8,
    f: int,
    c: Candidate,
    mark: Mark,
    widths: Sequence[float],
    margin: float,
    *,
    band: float = _PAD,
    masked: bool = False,
) -> Candidate:
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
        return Candidate(-1.0, c.cx, c.cy, c.width, mark)
    crop = np.ascontiguousarray(rgb[cy0:cy1, cx0:cx1])
    frame = [crop[:2], crop[-2:], crop[:, :2].transpose(1, 0, 2), crop[:, -2:].transpose(1, 0, 2)]
    ground = np.median(np.concatenate([p.reshape(-1, 3) for p in frame]), axis=0)
    maps = ink_maps(crop, mark.inks, ground)
    window = cv2.merge(maps) if len(maps) > 1 else maps[0]
    window = cv2.copyMakeBorder(
        window, cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1, cv2.BORDER_REPLICATE
    )
    window = np.asarray(window, np.float32) / 255.0
    best = Candidate(-1.0, c.cx, c.cy, c.width, mark)
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
            best = Candidate(float(val), cx, cy, width, mark)
    return best


__all__ = ["Candidate", "coarse", "coarse_factor", "refine"]
