"""Brand palette on the final pixels: dominant colours in CIELAB and their CIEDE2000 distance.

Colour science comes from scikit-image (`rgb2lab`, `deltaE_ciede2000`); this module only decides
which colours to compare. The image is sampled on a sparse grid (every n-th pixel, no averaging:
averaging would invent blended colours at every edge), the samples are counted in a 4-bit-per-
channel RGB histogram and each occupied bin stands for the mean colour of its pixels, so the
expensive CIEDE2000 runs over a thousand or so colours instead of two million pixels.

Rules, with the numbers in one place:
- A pixel is "in a brand colour" when it is within `max_delta_e` (CIEDE2000) of one.
- Neutrals (Lab chroma below `NEUTRAL_CHROMA`: whites, greys, near-blacks) are never off-brand;
  photographs and scrims are full of them.
- Blends of the brand colours with each other, with black or with white are on-brand: gradients
  between brand colours, tints and shades, a brand colour under a dark scrim.
- A dominant chromatic colour (a cluster of similar colours covering at least `min_share` of the
  image) farther than `max_delta_e` from every brand colour and blend is a warning.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from skimage.color import deltaE_ciede2000, rgb2lab

from ..colour import RGB, to_hex
from .findings import Finding

# CIEDE2000 10 is a different colour at a glance (about 4 just-noticeable differences of ~2.3),
# while JPEG q90 and anti-aliasing move a flat brand colour by 1–3: a tolerance for final
# pixels, not for a print proof.
MAX_DELTA_E = 10.0
# Lab chroma under 10 reads as white, grey or black (a "warm grey", a near-black brown)
NEUTRAL_CHROMA = 10.0
# a colour must cover 4 % of the canvas to count as dominant: a background, a panel, a large
# product; not a CTA pill (~2 % of a story) or a logo (<1 %), which other checks look after
MIN_SHARE = 0.04
SAMPLES = 40_000  # pixels sampled from the image (1080×1920: every 8th in each direction)
_CLUSTER_RADIUS = 12.0  # Euclidean Lab radius that groups bins into one colour (grouping only)
_BLEND_STEPS = 16  # points sampled along each blend of two anchors
_BITS = 4  # histogram bits per channel
# CIEDE2000's lightness weight S_L is at most 1.75 (L=0 or 100) and its cross term cannot make
# the sum smaller than the lightness part, so |ΔL| > 1.75·ΔE bounds it from below: an exact
# pre-filter that spares most CIEDE2000 evaluations
_MAX_SL = 1.75


@dataclass(frozen=True)
class DominantColour:
    """One cluster of similar chromatic colours: its mean, its share of the image, and the
    nearest brand colour (ΔE2000) and nearest on-brand colour including blends."""

    rgb: RGB
    lab: tuple[float, float, float]
    share: float
    nearest_role: str
    nearest_rgb: RGB
    delta_e: float  # to the nearest brand colour
    delta_e_on_brand: float  # to the nearest brand colour or blend of them


@dataclass(frozen=True)
class PaletteAnalysis:
    share_on_brand: float  # share of pixels within max_delta_e of a brand colour
    share_neutral: float
    dominant: list[DominantColour]  # chromatic clusters with at least min_share, largest first


def to_lab(rgb: NDArray[np.floating] | Sequence[RGB]) -> NDArray[np.float64]:
    """sRGB (…×3, 0–255) → CIELAB (D65), N×3."""
    arr = np.asarray(rgb, np.float64).reshape(-1, 1, 3) / 255.0
    return np.asarray(rgb2lab(arr), np.float64).reshape(-1, 3)


def delta_e(lab1: NDArray[np.float64], lab2: NDArray[np.float64]) -> NDArray[np.float64]:
    """CIEDE2000 between Lab arrays (broadcast over leading axes)."""
    # scikit-image ships no type hints for this one
    return np.asarray(deltaE_ciede2000(lab1, lab2), np.float64)  # type: ignore[no-untyped-call]


def _histogram(image: NDArray[np.uint8]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean RGB and pixel count of each occupied bin of a sparse sample of the image."""
    h, w = image.shape[:2]
    step = max(1, round((h * w / SAMPLES) ** 0.5))
    px = image[step // 2 :: step, step // 2 :: step, :3]
    q = (px >> (8 - _BITS)).astype(np.uint16)
    idx = ((q[..., 0] << (2 * _BITS)) | (q[..., 1] << _BITS) | q[..., 2]).ravel()
    size = 1 << (3 * _BITS)
    counts = np.bincount(idx, minlength=size)
    occupied = np.flatnonzero(counts)
    sums = [np.bincount(idx, px[..., c].ravel(), size)[occupied] for c in range(3)]
    n = counts[occupied].astype(np.float64)
    return np.stack(sums, 1) / n[:, None], n


def _nearest(
    lab: NDArray[np.float64], refs: NDArray[np.float64], limit: float
) -> NDArray[np.float64]:
    """CIEDE2000 from each colour to its nearest reference; inf where the lightness difference
    alone puts every reference beyond `limit` (those pairs skip the full formula)."""
    i, j = np.nonzero(np.abs(lab[:, None, 0] - refs[None, :, 0]) <= _MAX_SL * limit)
    best = np.full(len(lab), np.inf)
    if i.size:
        np.minimum.at(best, i, delta_e(lab[i], refs[j]))
    return best


@lru_cache(maxsize=32)
def _blends(anchors: tuple[RGB, ...]) -> NDArray[np.float64]:
    """Lab of the sRGB mixes of every pair of anchors (as compositing and gradients mix
    colours), `_BLEND_STEPS` points per pair; cached, as every creative of a brand asks."""
    t = np.linspace(0.0, 1.0, _BLEND_STEPS + 1)[1:-1, None]
    mixes = [
        np.asarray(a, np.float64) * (1 - t) + np.asarray(b, np.float64) * t
        for a, b in itertools.combinations(anchors, 2)
    ]
    return to_lab(np.concatenate(mixes)) if mixes else np.zeros((0, 3))


def _clusters(
    lab: NDArray[np.float64], rgb: NDArray[np.float64], n: NDArray[np.float64], min_count: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Leader clustering of chromatic bins, most frequent seed first: the mean Lab, mean RGB
    and pixel count of every cluster of at least min_count pixels."""
    order = np.argsort(-n, kind="stable")
    lab, rgb, n = lab[order], rgb[order], n[order]
    free = np.ones(len(n), bool)
    left = float(n.sum())
    out: list[tuple[NDArray[np.float64], NDArray[np.float64], float]] = []
    for i in range(len(n)):
        if left < min_count:
            break  # what is left could not make a dominant colour even all together
        if not free[i]:
            continue
        members = free & (((lab - lab[i]) ** 2).sum(1) <= _CLUSTER_RADIUS**2)
        free &= ~members
        weight = n[members][:, None]
        total = float(weight.sum())
        left -= total
        if total >= min_count:
            out.append(
                (
                    (lab[members] * weight).sum(0) / total,
                    (rgb[members] * weight).sum(0) / total,
                    total,
                )
            )
    means = np.reshape([m for m, _, _ in out], (-1, 3))
    colours = np.reshape([c for _, c, _ in out], (-1, 3))
    return means, colours, np.asarray([t for _, _, t in out], np.float64)


def analyse_palette(
    image: NDArray[np.uint8],
    palette: Sequence[tuple[str, RGB]],
    *,
    max_delta_e: float = MAX_DELTA_E,
    min_share: float = MIN_SHARE,
    neutral_chroma: float = NEUTRAL_CHROMA,
    blends: bool = True,
) -> PaletteAnalysis:
    """Shares and dominant chromatic colours of an H×W×3 uint8 RGB image against a palette."""
    if not palette:
        raise ValueError("an empty palette has nothing to compare with")
    rgb, n = _histogram(image)
    total = float(n.sum())
    lab = to_lab(rgb)
    brand = to_lab([c for _, c in palette])
    refs = brand  # the brand colours first, then their blends
    if blends:
        anchors = dict.fromkeys([*(c for _, c in palette), (0, 0, 0), (255, 255, 255)])
        refs = np.concatenate([brand, _blends(tuple(anchors))])
    on_brand = _nearest(lab, brand, max_delta_e) <= max_delta_e
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    chromatic = chroma >= neutral_chroma
    means, colours, counts = _clusters(
        lab[chromatic], rgb[chromatic], n[chromatic], min_share * total
    )
    dominant = []
    if len(means):
        d = delta_e(means[:, None, :], refs[None, :, :])  # clusters × references
        mean_rgb = np.clip(colours, 0, 255).round()
        for k in np.argsort(-counts, kind="stable"):
            j = int(np.argmin(d[k, : len(brand)]))
            dominant.append(
                DominantColour(
                    rgb=(int(mean_rgb[k, 0]), int(mean_rgb[k, 1]), int(mean_rgb[k, 2])),
                    lab=(float(means[k, 0]), float(means[k, 1]), float(means[k, 2])),
                    share=float(counts[k] / total),
                    nearest_role=palette[j][0],
                    nearest_rgb=palette[j][1],
                    delta_e=float(d[k, j]),
                    delta_e_on_brand=float(d[k].min()),
                )
            )
    return PaletteAnalysis(
        share_on_brand=float(n[on_brand].sum() / total),
        share_neutral=float(n[~chromatic].sum() / total),
        dominant=dominant,
    )


def palette_findings(
    image: NDArray[np.uint8],
    palette: Sequence[tuple[str, RGB]],
    *,
    max_delta_e: float = MAX_DELTA_E,
    min_share: float = MIN_SHARE,
    neutral_chroma: float = NEUTRAL_CHROMA,
    blends: bool = True,
) -> list[Finding]:
    """`palette_share` (informational) and `palette_off_brand` (warn) for a creative."""
    if not palette:
        why = "the brand kit has no palette to compare with"
        return [
            Finding(check="palette_share", status="skipped", detail=why),
            Finding(check="palette_off_brand", status="skipped", detail=why),
        ]
    a = analyse_palette(
        image,
        palette,
        max_delta_e=max_delta_e,
        min_share=min_share,
        neutral_chroma=neutral_chroma,
        blends=blends,
    )
    share = Finding(
        check="palette_share",
        status="pass",
        value=round(a.share_on_brand, 3),
        detail=f"{a.share_on_brand:.0%} of sampled pixels within ΔE2000 {max_delta_e:g} of a "
        f"brand colour; {a.share_neutral:.0%} neutral (Lab chroma < {neutral_chroma:g}); "
        "informational",
    )
    allowed = "brand colour or blend of them" if blends else "brand colour"
    off = [c for c in a.dominant if c.delta_e_on_brand > max_delta_e]
    if off:
        worst = max(off, key=lambda c: c.delta_e_on_brand)
        named = "; ".join(_describe(c) for c in sorted(off, key=lambda c: -c.share)[:3])
        return [
            share,
            Finding(
                check="palette_off_brand",
                status="warn",
                value=round(worst.delta_e_on_brand, 2),
                threshold=max_delta_e,
                detail=f"dominant colour off the palette (ΔE2000 to the nearest {allowed} "
                f"above {max_delta_e:g}, covering ≥ {min_share:.0%} of the image): {named}",
            ),
        ]
    top = max(a.dominant, key=lambda c: c.delta_e_on_brand, default=None)
    detail = (
        f"every dominant chromatic colour (≥ {min_share:.0%} of the image) is within "
        f"ΔE2000 {max_delta_e:g} of a {allowed}; farthest: {_describe(top)}"
        if top
        else f"no chromatic colour covers {min_share:.0%} of the image (neutrals are never "
        "off-brand)"
    )
    return [
        share,
        Finding(
            check="palette_off_brand",
            status="pass",
            value=round(top.delta_e_on_brand, 2) if top else 0.0,
            threshold=max_delta_e,
            detail=detail,
        ),
    ]


def _describe(c: DominantColour) -> str:
    return (
        f"{to_hex(c.rgb)} ({c.share:.0%} of the image) is ΔE {c.delta_e_on_brand:.1f} from "
        f"on-brand, ΔE {c.delta_e:.1f} from {c.nearest_role} {to_hex(c.nearest_rgb)}"
    )
