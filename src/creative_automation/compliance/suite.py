"""Every pixel check of one finished creative, from what is known about it: one entry point
for the pipeline (which knows its layout) and `cap check` (which reads creatives made
elsewhere, their text boxes found by OCR)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..colour import RGB
from ..formats import Format
from ..imaging.geometry import Box
from .brand import logo_findings
from .findings import Finding
from .palette import palette_findings
from .placement import TextOnImage, legibility_findings

# checks whose failure a re-render can mend (the pipeline's auto-correction)
CONTRAST_CHECKS = frozenset({"contrast_measured"})
LOGO_CHECKS = frozenset({"logo_present"})
FIXABLE = CONTRAST_CHECKS | LOGO_CHECKS


@dataclass(frozen=True)
class CreativeFacts:
    """What a creative is checked against: its format, where its texts are, the brand's logo
    variants and rules, the subject's box and the palette (role, colour)."""

    fmt: Format
    texts: Sequence[TextOnImage] = ()
    logo_variants: Sequence[tuple[str, Image.Image]] = ()
    logo_min_width: int = 0
    logo_clear: float = 0.5
    subject_box: Box | None = None
    palette: Sequence[tuple[str, RGB]] = ()


def check_creative(image: NDArray[np.uint8], facts: CreativeFacts) -> list[Finding]:
    """Legibility of each text, the logo (present, size, clear space, off the subject) and
    the palette, measured on the final pixels (H×W×3 RGB)."""
    out = legibility_findings(image, facts.fmt, facts.texts)
    if facts.logo_variants:
        out += logo_findings(
            image,
            facts.logo_variants,
            min_width_px=facts.logo_min_width,
            clear_space=facts.logo_clear,
            subject_box=facts.subject_box,
            other_boxes=[t.box for t in facts.texts],
        )
    out += palette_findings(image, facts.palette)
    return out


__all__ = ["CONTRAST_CHECKS", "FIXABLE", "LOGO_CHECKS", "CreativeFacts", "check_creative"]
