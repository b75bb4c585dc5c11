"""`cap check`: creatives made anywhere judged against a brand kit by the pipeline's own checks.

A creative of this platform (listed in a manifest.json) is checked at its recorded text boxes
against its recorded copy, which OCR must read back off the pixels. A loose image (a designer's
hand-made variant) has no record: its text is found by OCR (compliance/textfind.py). Letters are
the stable regions of the grey image (MSER, either polarity, so light-on-dark, dark-on-light and
text on a button are all found), chained into lines by height and spacing; Tesseract reads each
line on its own (its whole-page layout analysis takes a button with text in it for a picture);
lines of words it is sure of are grouped into blocks, the largest block being the headline.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from . import sources
from .brandkit import Brand
from .checking import kit_facts, legal_findings, scaled
from .compliance.brand import find_logo
from .compliance.findings import Finding
from .compliance.image_quality import image_quality_findings
from .compliance.legal import terms_for
from .compliance.ocr import readback_findings, similarity, tesseract_pack, unavailable
from .compliance.placement import TextOnImage
from .compliance.suite import check_creative
from .compliance.textfind import TextRead, find_text
from .errors import AssetError
from .formats import Format, resolve_format
from .imaging.geometry import Box
from .imaging.io import load_image, split_alpha
from .imaging.logo import LogoPair
from .manifest import CreativeRecord
from .readback import placed_copy
from .review_targets import (
    DEFAULT_LOCALE,
    Target,
    collect,
    format_of,
    locale_tag,
    read_manifest,
)


@dataclass
class Review:
    """Everything `cap check` says about one creative."""

    target: Target
    fmt: Format
    width: int
    height: int
    texts: list[TextRead]
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    ms: float = 0.0

    @property
    def source(self) -> str:
        return "manifest" if self.target.record is not None else "ocr"

    @property
    def failed(self) -> bool:
        return any(f.blocking for f in self.findings)


# -- the kit and its logos ---------------------------------------------------------------------


def asset_folder(kit: Brand, kit_path: Path, assets: Path | None) -> Path:
    """Where the kit's logo files are: --assets, else beside the kit, else its assets/ folder."""
    if assets is not None:
        if not assets.is_dir():
            raise AssetError(f"the asset folder {assets} does not exist or is not a folder")
        return assets
    here = kit_path.parent
    names = kit.logo_files()
    for folder in (here, here / "assets"):
        if all((folder / n).is_file() for n in names):
            return folder
    return here


class Logos(sources.Logos):
    """The pipeline's per-locale logo loader, its errors saying where `cap check` looks."""

    def for_locale(self, locale: str) -> LogoPair | None:
        try:
            return super().for_locale(locale)
        except AssetError as error:
            raise AssetError(
                f"{error} (logos are looked for in --assets, else beside the kit file or "
                "in its assets/ folder)"
            ) from None


# -- the checks --------------------------------------------------------------------------------


def _legal_skipped(kit: Brand, locale: str, why: str) -> list[Finding]:
    lists = (
        ("required_disclaimer", kit.disclaimers),
        ("prohibited_words", kit.prohibited_words),
        ("prohibited_claims", kit.prohibited_claims),
    )
    return [
        Finding(check=check, status="skipped", detail=f"{locale}: no text read ({why})")
        for check, table in lists
        if terms_for(table, locale)
    ]


def _variants(logo: LogoPair) -> list[tuple[str, Image.Image]]:
    return [("on_light", logo.on_light), ("on_dark", logo.on_dark)]


def review(target: Target, kit: Brand, logos: Logos, max_pixels: int) -> Review:
    """Every check of one creative: legibility of its texts, logo, palette, image quality,
    legal on its copy (a platform creative's recorded copy must also read back off it)."""
    t0 = time.perf_counter()
    image = load_image(target.path, max_pixels=max_pixels)
    rgb, alpha = split_alpha(image)
    height, width = rgb.shape[:2]
    locale = target.locale
    local_kit = kit.for_locale(locale)
    logo = logos.for_locale(locale)
    fmt, fmt_finding = format_of(width, height)
    record, notes = target.record, []
    if record is not None and (record.width, record.height) != (width, height):
        notes.append(
            f"the manifest records {record.width}×{record.height}, the file is {width}×{height}: "
            "its recorded boxes no longer apply, so it is checked as a loose image"
        )
        record = None
    if alpha is not None:  # as a feed shows it: over white
        a = alpha[..., None].astype(np.float32) / 255.0
        rgb = np.asarray(rgb * a + 255.0 * (1.0 - a) + 0.5, np.uint8)
        notes.append("the image has transparent pixels: checked as seen over white")
    findings = [fmt_finding]
    if record is not None:
        with contextlib.suppress(ValueError):  # a format this version does not know
            fmt = replace(resolve_format(record.aspect_ratio), width=width, height=height)
        texts, placed = _recorded(record)
        subject = Box(*record.layout.subject_box) if record.layout.subject_box else None
        findings += check_creative(rgb, kit_facts(fmt, local_kit, logo, placed, subject))
        copy = {
            "message": record.message,
            "call_to_action": record.call_to_action,
            "disclaimer": record.disclaimer,
        }
        findings += legal_findings(copy, local_kit, locale)
        findings += readback_findings(rgb, placed_copy(record), locale)
    else:
        texts, text_findings = _read_loose(rgb, locale, local_kit, logo, fmt)
        placed = [TextOnImage(t.field, t.box, None) for t in texts]
        findings += text_findings
        findings += check_creative(rgb, kit_facts(fmt, local_kit, logo, placed, None))
    if logo is None:
        findings.append(
            Finding(check="logo_present", status="skipped", detail="the brand kit names no logo")
        )
    findings += image_quality_findings(rgb)
    ms = (time.perf_counter() - t0) * 1000
    return Review(target, fmt, width, height, texts, findings, notes, round(ms, 1))


def _recorded(record: CreativeRecord) -> tuple[list[TextRead], list[TextOnImage]]:
    """A platform creative's copy where its layout put it (as the pipeline checks it)."""
    lay = record.layout
    where = (
        ("headline", record.message, lay.headline_box, record.headline_px),
        ("cta", record.call_to_action, lay.cta_box, record.cta_px),
        ("disclaimer", record.disclaimer, lay.disclaimer_box, record.disclaimer_px),
    )
    texts, placed = [], []
    for name, text, box, size in where:
        if text and box:
            texts.append(TextRead(name, text, Box(*box)))
            placed.append(TextOnImage(name, Box(*box), size))
    return texts, placed


def _read_loose(
    rgb: NDArray[np.uint8], locale: str, kit: Brand, logo: LogoPair | None, fmt: Format
) -> tuple[list[TextRead], list[Finding]]:
    """The text OCR finds on a loose image, what it read, and the legal checks on that."""
    why = unavailable(locale)
    if why is not None:
        skipped = Finding(
            check="text_found",
            status="skipped",
            detail=f"no text can be read, so legibility is not measured: {why}",
        )
        return [], [skipped, *_legal_skipped(kit, locale, why)]
    exclude = []
    if logo is not None:  # the logo's wordmark is not copy
        smallest = max(8, round(0.6 * scaled(kit.logo_min_width_px, fmt)))
        match = find_logo(rgb, _variants(logo), min_width=smallest)
        exclude = [match.box] if match is not None else []
    texts = find_text(rgb, locale, exclude)
    pack = tesseract_pack(locale)
    if texts:
        read = "; ".join(f"{t.field} “{' / '.join(t.text.splitlines())}”" for t in texts)
        found = Finding(
            check="text_found",
            status="pass",
            value=len(texts),
            detail=f"OCR ({pack}) read {len(texts)} block(s): {read}",
        )
    else:
        found = Finding(
            check="text_found",
            status="warn",
            value=0,
            detail=f"OCR ({pack}) read no text on the image: no copy to measure or check",
        )
    copy = {t.field: t.text for t in texts}
    return texts, [found, *[_closest(f, texts) for f in legal_findings(copy, kit, locale)]]


def _closest(finding: Finding, texts: Sequence[TextRead]) -> Finding:
    """A required disclaimer OCR did not find, with the reading most like it: a reviewer
    tells a misread character from a missing or changed disclaimer (neither is passed)."""
    if finding.check != "required_disclaimer" or finding.status != "fail" or not texts:
        return finding
    wanted = str(finding.value)
    score, text = max((similarity(wanted, t.text), t.text) for t in texts)
    if score < 50:
        return finding
    near = " / ".join(text.splitlines())
    detail = f"{finding.detail}; the closest reading is “{near}” (similarity {score:.0f} of 100)"
    return finding.model_copy(update={"detail": detail})


__all__ = [
    "DEFAULT_LOCALE",
    "Logos",
    "Review",
    "Target",
    "TextRead",
    "asset_folder",
    "collect",
    "find_text",
    "format_of",
    "legal_findings",
    "locale_tag",
    "read_manifest",
    "review",
]
