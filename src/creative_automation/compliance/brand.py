"""The brand logo's findings: present, big enough, clear of the edges, text and subject."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..imaging.geometry import Box
from .findings import Finding
from .logomarks import MIN_CONTRAST
from .logomatch import DETECTION_THRESHOLD, SMALLEST, WIDTHS, LogoMatch, find_logo, match_logo


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
    lo = round(max(SMALLEST * short, min(WIDTHS[0] * short, 0.6 * min_width_px or short)))
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


__all__ = [
    "DETECTION_THRESHOLD",
    "MIN_CONTRAST",
    "WIDTHS",
    "LogoMatch",
    "find_logo",
    "logo_findings",
    "match_logo",
]
