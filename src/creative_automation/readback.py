"""OCR read-back of a rendered group: each creative's copy read off its written file.

Runs on threads of the campaign's process while other groups render (Tesseract releases the
GIL), so a campaign's wall time barely moves; a text that does not read back whole makes its
creative needs_review."""

from __future__ import annotations

from pathlib import Path

from .compliance.findings import Finding
from .compliance.ocr import Placed, readback_findings
from .imaging.geometry import Box
from .imaging.io import load_image
from .manifest import CreativeRecord

FIELDS = ("message", "call_to_action", "disclaimer")


def placed_copy(record: CreativeRecord) -> dict[str, Placed]:
    """The texts of a creative where its layout put them."""
    lay = record.layout
    where = {
        "message": (lay.headline_box, False, record.headline_px),
        "call_to_action": (lay.cta_box, True, record.cta_px),
        "disclaimer": (lay.disclaimer_box, False, record.disclaimer_px),
    }
    out = {}
    for field in FIELDS:
        text = getattr(record, field)
        box, line, size = where[field]
        if text and box:
            out[field] = Placed(text, Box(*box), line=line, size_px=size)
    return out


def read_back_group(records: list[CreativeRecord], folder: Path) -> list[CreativeRecord]:
    """The group's records with a copy_readback finding per text (their status updated)."""
    out = []
    for record in records:
        if record.path is None:
            out.append(record)
            continue
        image = load_image(folder / record.path)
        found = readback_findings(image, placed_copy(record), record.locale)
        compliance = record.compliance + found
        status = record.status
        if status == "ok" and any(f.blocking for f in found):
            status = "needs_review"
        out.append(record.model_copy(update={"compliance": compliance, "status": status}))
    return out


def skipped_group(records: list[CreativeRecord]) -> list[CreativeRecord]:
    """Read-back switched off (CAP_READBACK=off): said so on each creative, never passed."""
    skipped = Finding(
        check="copy_readback", status="skipped", detail="OCR read-back is off (CAP_READBACK=off)"
    )
    return [
        r if r.path is None else r.model_copy(update={"compliance": [*r.compliance, skipped]})
        for r in records
    ]
