"""What each creative is checked against: the brand kit resolved for its locale, its copy
(with any required disclaimer added), the facts of its layout. The checks themselves are the
pure functions of compliance/; this is where the pipeline's knowledge is handed to them."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .brandkit import Brand
from .colour import parse_hex
from .compliance.findings import Finding
from .compliance.legal import (
    disclaimer_findings,
    missing_disclaimers,
    prohibited_findings,
    terms_for,
)
from .compliance.placement import TextOnImage
from .compliance.suite import CreativeFacts
from .formats import Format
from .imaging.geometry import Box
from .imaging.layout import Layout
from .imaging.logo import LogoPair
from .plan import CreativeSpec

Copy = dict[str, str | None]  # field → the text on the creative


def legal_checks(spec: CreativeSpec, kit: Brand | None) -> tuple[Copy, list[Finding], list[str]]:
    """The creative's copy, its legal findings and the corrections made to it: a required
    disclaimer the copy lacks is added to its small print (and then found present)."""
    copy: Copy = {
        "message": spec.message,
        "call_to_action": spec.call_to_action,
        "disclaimer": spec.disclaimer,
    }
    if kit is None:
        return copy, [], []
    locale, corrections = spec.locale, []
    required = terms_for(kit.disclaimers, locale)
    missing = missing_disclaimers(copy, required)
    if missing:
        copy["disclaimer"] = " ".join([*([spec.disclaimer] if spec.disclaimer else []), *missing])
        corrections += [
            f"added the required disclaimer “{d}” ({locale}) to the small print" for d in missing
        ]
    return copy, legal_findings(copy, kit, locale), corrections


def legal_findings(copy: Mapping[str, str | None], kit: Brand, locale: str) -> list[Finding]:
    """Prohibited words and claims and the market's required disclaimers, on the copy (the
    kit's overrides for the locale applied)."""
    kit = kit.for_locale(locale)
    findings = disclaimer_findings(copy, terms_for(kit.disclaimers, locale), locale)
    findings += prohibited_findings(copy, terms_for(kit.prohibited_words, locale), locale)
    claims = terms_for(kit.prohibited_claims, locale)
    return findings + prohibited_findings(copy, claims, locale, check="prohibited_claims")


def creative_facts(
    fmt: Format, layout: Layout, kit: Brand | None, logo: LogoPair | None
) -> CreativeFacts:
    """The layout's texts and the kit's logo rules and palette, for the pixel checks."""
    block = layout.text
    texts = [TextOnImage("headline", block.headline_box, block.headline.size)]
    if block.cta is not None and block.cta_box is not None:
        texts.append(TextOnImage("cta", block.cta_box, block.cta.size))
    if layout.small_print is not None and layout.small_print_box is not None:
        texts.append(TextOnImage("disclaimer", layout.small_print_box, layout.small_print.size))
    placed = logo if layout.logo_box is not None else None
    return kit_facts(fmt, kit, placed, texts, layout.subject_box)


def kit_facts(
    fmt: Format,
    kit: Brand | None,
    logo: LogoPair | None,
    texts: Sequence[TextOnImage],
    subject: Box | None,
) -> CreativeFacts:
    """What the pixel checks hold a creative to: its texts, the kit's logo (both variants, any
    may be the one drawn), its minimum size and clear space, and its palette."""
    return CreativeFacts(
        fmt=fmt,
        texts=list(texts),
        logo_variants=[("on_light", logo.on_light), ("on_dark", logo.on_dark)] if logo else [],
        logo_min_width=scaled(kit.logo_min_width_px if kit else None, fmt),
        logo_clear=kit.logo_clear_space if kit else 0.5,
        subject_box=subject,
        palette=[(c.role, parse_hex(c.hex)) for c in kit.colours] if kit else [],
    )


def scaled(px: int | None, fmt: Format) -> int:
    """A kit's pixel size (given for a 1080-wide canvas) on this format's shorter side."""
    return 0 if px is None else round(px * fmt.shorter_side / 1080)


def decoded(data: bytes) -> NDArray[np.uint8]:
    """The pixels a viewer will see: the encoded creative decoded again (JPEG loss included)."""
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"))
