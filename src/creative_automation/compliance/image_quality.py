"""Quality of a generated source image as findings: blur and exposure at a fixed scale.

Both are judged on the image brought to imaging.quality's analysis scale (512 px on the longer
side; never enlarged) with its own measurements: the Laplacian variance and the crushed/blown
shares and mean grey. With a subject box, both look at the subject only: a soft background
(bokeh) or a white or black seamless backdrop is a choice, a soft or clipped product is not.

Blur. A fixed Laplacian-variance threshold cannot work across content: at 512 px a sharp
rendered clock face (skimage.data.clock) measures 24 and sharp grass 5310, while the grass
blurred by σ = 1.5 px still measures 52. So the variance is compared with that of the same
image blurred once more (σ = 1 px): a sharp image loses most of its variance to that blur, a
blurred one keeps most of it (the re-blur idea of Crété-Roffet et al., "The blur effect",
2007). Measured on bench/cases/quality.py (12 photographs and product shots): the share kept
is 0.03–0.22 when sharp, up to 0.31 at σ = 0.5 px (invisible at 1080), 0.31–0.54 at σ = 1 px,
0.51–0.69 at σ = 1.5 px over the whole image but only 0.35–0.38 on a product's own box (few
edges, no texture), ≥ 0.76 at σ = 2.5 px. Hence soft (warn) from 0.33, blurred (fail) from
0.50. The finding's threshold is the warn rule as a variance: the least this image would
need to pass. Noise or JPEG blocking add false detail: a blurred image that is also grainy
can pass.

Exposure. Clipping alone is no defect (skimage's astronaut photo is 14 % black helmet, collar
and plinth and well exposed), and a low-key or high-key mean is a style; a fifth of the frame
without shadow detail, a tenth without highlight detail, or a mean near black or white is
not. A white seamless packshot reads as blown unless its subject box is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from ..imaging.geometry import Box
from ..imaging.quality import (
    ANALYSIS_SIDE,
    CLIP_HIGH,
    CLIP_LOW,
    analysis_scale,
    exposure_of,
    grey_of,
    laplacian_variance,
    reduce_by,
)
from .findings import Finding, FindingStatus

REBLUR_SIGMA = 1.0  # px at the analysis scale
SOFT_SHARE = 0.33  # share of the variance a further blur keeps: soft (warn) from here
BLURRED_SHARE = 0.50  # blurred (fail) from here
FEATURELESS = 2.0  # Laplacian variance below which there is no detail at all (fail)
_MIN_SUBJECT = 32  # px at the analysis scale: a smaller subject box says too little


@dataclass(frozen=True)
class ExposureRule:
    """One way an exposure goes wrong: a measure past a warn and a fail limit."""

    name: str
    measure: str  # "crushed" | "blown" | "mean"
    above: bool  # True: too high is wrong; False: too low is
    warn: float
    fail: float

    def excess(self, value: float) -> float:
        """How far value is towards the warn limit (1.0 at it, above 1 past it)."""
        if self.above:
            return value / self.warn
        return self.warn / max(value, 1e-6)

    def past(self, value: float, limit: float) -> bool:
        return value >= limit if self.above else value <= limit

    def status(self, value: float) -> FindingStatus:
        if self.past(value, self.fail):
            return "fail"
        return "warn" if self.past(value, self.warn) else "pass"


# Shadows crushed (grey ≤ 4) over a fifth of the frame warn, a third fails: more than the
# natural black objects of a well-exposed photo (the astronaut's 14 %). Highlights lose
# detail sooner to the eye and a blown product is worse than a black backdrop: a tenth warns,
# a fifth fails. A mean grey under 0.12 (a mid-toned photo 2.5–3 stops under) or over 0.88.
EXPOSURE_RULES = (
    ExposureRule("crushed shadows", "crushed", True, 0.20, 0.33),
    ExposureRule("blown highlights", "blown", True, 0.10, 0.20),
    ExposureRule("too dark", "mean", False, 0.12, 0.08),
    ExposureRule("too bright", "mean", True, 0.88, 0.92),
)


def _analysed(rgb: NDArray[np.uint8], subject_box: Box | None) -> tuple[NDArray[np.uint8], str]:
    """Grey pixels at the analysis scale: of the subject when its box is usable, else all.

    The whole image is reduced and then cut, not the other way round: a cut of odd size would
    be reduced by slightly different factors across and down, and INTER_AREA's uneven weights
    then draw a fine grid that reads as detail on a blurred image."""
    scale = analysis_scale(rgb.shape)
    grey = grey_of(reduce_by(rgb, scale))
    if subject_box is not None:
        h, w = grey.shape
        b = subject_box.scale(scale).clamp(w, h)
        if min(b.width, b.height) >= _MIN_SUBJECT:
            where = f"the subject {subject_box.as_list()}"
            return np.ascontiguousarray(grey[b.y0 : b.y1, b.x0 : b.x1]), where
    return grey, "the whole image"


def _blur_finding(grey: NDArray[np.uint8], where: str) -> Finding:
    var = laplacian_variance(grey)
    at = f"at {ANALYSIS_SIDE} px, {where}"
    if var < FEATURELESS:
        return Finding(
            check="blur",
            status="fail",
            value=round(var, 2),
            threshold=FEATURELESS,
            detail=f"no detail at all: Laplacian variance {var:.2f} {at}",
        )
    again = laplacian_variance(np.asarray(cv2.GaussianBlur(grey, (0, 0), REBLUR_SIGMA)))
    kept = again / var
    status: FindingStatus = (
        "fail" if kept >= BLURRED_SHARE else "warn" if kept >= SOFT_SHARE else "pass"
    )
    verdict = {"fail": "blurred", "warn": "soft", "pass": "sharp"}[status]
    return Finding(
        check="blur",
        status=status,
        value=round(var, 1),
        threshold=round(again / SOFT_SHARE, 1),
        detail=f"{verdict}: Laplacian variance {var:.1f} {at}; a further σ={REBLUR_SIGMA:g} px "
        f"blur keeps {kept:.0%} of it (soft from {SOFT_SHARE:.0%}, blurred from "
        f"{BLURRED_SHARE:.0%})",
    )


def _exposure_finding(grey: NDArray[np.uint8], where: str) -> Finding:
    e = exposure_of(grey)
    values = {"crushed": e.crushed, "blown": e.blown, "mean": e.mean}
    rank = {"fail": 2, "warn": 1, "pass": 0}
    # the rule that decides: the worst status, then the one nearest (or furthest past) its limit
    rule = max(
        EXPOSURE_RULES,
        key=lambda r: (rank[r.status(values[r.measure])], r.excess(values[r.measure])),
    )
    value = values[rule.measure]
    status = rule.status(value)
    measured = (
        f"{e.crushed:.0%} crushed (grey ≤ {CLIP_LOW}), {e.blown:.0%} blown (≥ {CLIP_HIGH}), "
        f"mean grey {e.mean:.2f}, {where}"
    )
    return Finding(
        check="exposure",
        status=status,
        value=round(value, 3),
        threshold=rule.warn,
        detail=(f"{rule.name}: " if status != "pass" else "well exposed: ")
        + f"{measured} ({rule.measure} warns {'from' if rule.above else 'below'} {rule.warn:g}, "
        f"fails {'from' if rule.above else 'below'} {rule.fail:g})",
    )


def image_quality_findings(
    rgb: NDArray[np.uint8], *, subject_box: Box | None = None
) -> list[Finding]:
    """blur and exposure of an H×W×3 uint8 RGB source image (subject_box in its pixels).

    Pure; ~2 ms on 1024²."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.size == 0:
        raise ValueError(f"expected a non-empty HxWx3 uint8 array, got {rgb.dtype} {rgb.shape}")
    grey, where = _analysed(rgb, subject_box)
    return [_blur_finding(grey, where), _exposure_finding(grey, where)]


__all__ = [
    "BLURRED_SHARE",
    "EXPOSURE_RULES",
    "FEATURELESS",
    "REBLUR_SIGMA",
    "SOFT_SHARE",
    "ExposureRule",
    "image_quality_findings",
]
