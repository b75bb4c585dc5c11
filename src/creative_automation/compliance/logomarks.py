"""Logo variants prepared for matching: their ink colours, ink maps and templates."""

# What is matched is where the logo's ink is, not its pixels. Each variant's ink colours (one to
# three, from its opaque pixels) turn the image into ink maps, 1 on the colour and falling to 0
# at the colour of the ground around the candidate (linear, so an anti-aliased edge or a thin
# stroke reads as the share of it the ink covers); the template is the variant's alpha split by
# ink colour, padded by a ring of "no ink". The zero-mean normalised cross-correlation of the two
# does not care what the background is, only that it is not the logo's own colour: a photo, a
# light gradient or a scrim behind the mark score alike.
#
# Why not the logo's pixels with its alpha as the mask (cv2.matchTemplate takes a mask with
# TM_SQDIFF, TM_CCORR_NORMED and, in OpenCV 4.x, TM_CCOEFF_NORMED): inside its own alpha a
# one-colour mark is a flat template that correlates with nothing, and filling the transparent
# part with a guessed ground (white behind dark ink) breaks wherever the ground differs; measured
# on the labelled set, the brand's mark then lost to rounded shapes and headline words. The alpha
# does end up as a mask: grown by a narrow band, it masks the final score (TM_CCOEFF_NORMED), so
# nothing away from the mark counts and a lookalike without the mark's cut-out scores low.

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

MIN_CONTRAST = 20  # mean RGB difference between ink and ground under which nothing is a mark
_SHARED = 80  # mean RGB difference up to which two variants' inks share one coarse map

F32 = NDArray[np.float32]
U8 = NDArray[np.uint8]


def _mean_diff(rgb: U8, ink: NDArray[np.uint8]) -> U8:
    """Mean absolute RGB difference from one colour (0–255), in a few SIMD passes."""
    # OpenCV takes a per-channel Scalar here; its stubs only list the array overloads
    d = cv2.split(cv2.absdiff(rgb, (*map(float, ink), 0.0)))  # type: ignore[call-overload]
    third = 1 / 3
    return np.asarray(
        cv2.addWeighted(cv2.addWeighted(d[0], third, d[1], third, 0), 1, d[2], third, 0)
    )


def ink_maps(rgb: U8, inks: NDArray[np.uint8], ground: NDArray[np.float64]) -> list[U8]:
    """One map per ink colour: 255 on the colour, falling linearly to 0 at the ground's."""
    out = []
    for ink in inks:
        span = float(np.clip(np.abs(ink - ground).mean(), MIN_CONTRAST, 255))
        lut = np.clip(255.0 * (1.0 - np.arange(256) / span), 0, 255).astype(np.uint8)
        out.append(np.asarray(cv2.LUT(_mean_diff(rgb, ink), lut), np.uint8))
    return out


def proximity(rgb: U8, inks: NDArray[np.uint8]) -> U8:
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
class Mark:
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
        return proximity(self.rgb, inks).astype(np.float32) / 255.0 * self.alpha

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
_MARKS: dict[tuple[str, int], tuple[weakref.ref[Image.Image], Mark]] = {}


def prepare_mark(name: str, image: Image.Image) -> Mark:
    hit = _MARKS.get((name, id(image)))
    if hit is not None and hit[0]() is image:
        return hit[1]
    rgba = np.asarray(image.convert("RGBA"))
    alpha = rgba[..., 3].astype(np.float32) / np.float32(255)
    mark = Mark(name, np.ascontiguousarray(rgba[..., :3]), alpha, _inks(rgba))
    nearest = np.abs(mark.rgb[..., None, :] - mark.inks.astype(np.int16)).sum(-1).argmin(-1)
    split = [mark.alpha * (nearest == k) for k in range(len(mark.inks))]
    mark.sources["split"] = np.stack(split, -1).astype(np.float32)
    inks = mark.inks
    if len(inks) == 1:
        mark.sources["alone"] = mark.proximity(inks)
    else:  # its first two inks against each other (see logosearch.coarse)
        mark.sources["alone"] = (mark.proximity(inks[:1]) - mark.proximity(inks[1:2])) * 0.5
    for key in [k for k, (ref, _) in _MARKS.items() if ref() is None]:
        del _MARKS[key]
    _MARKS[(name, id(image))] = (weakref.ref(image), mark)
    return mark


def _same_shape(a: Mark, b: Mark) -> bool:
    if abs(a.aspect - b.aspect) > 0.02 * a.aspect:
        return False
    size = (48, max(2, round(48 / a.aspect)))
    ta = cv2.resize(a.alpha, size, interpolation=cv2.INTER_AREA)
    tb = cv2.resize(b.alpha, size, interpolation=cv2.INTER_AREA)
    return float(np.abs(ta - tb).mean()) < 0.03


def _ink_gap(a: Mark, b: Mark) -> float:
    """How far b's inks are from a's: the largest mean RGB difference to a's nearest ink."""
    diff = np.abs(b.inks[:, None, :].astype(np.int16) - a.inks[None, :, :]).mean(2)
    return float(diff.min(1).max())


def group_marks(a: Mark, b: Mark) -> tuple[str, list[Mark]] | None:
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


__all__ = [
    "F32",
    "MIN_CONTRAST",
    "U8",
    "Mark",
    "group_marks",
    "ink_maps",
    "prepare_mark",
    "proximity",
]
