"""The output contract: manifest.json (schema_version 1), written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .compliance.findings import Finding

SCHEMA_VERSION = 1
_UMASK = os.umask(0o022)  # read the process umask once (setting it is the only way to read it)
os.umask(_UMASK)
Status = Literal["ok", "needs_review", "failed"]


class LayoutRecord(BaseModel):
    text_box: list[int] | None
    logo_box: list[int] | None
    subject_box: list[int] | None
    headline_box: list[int] | None = None
    cta_box: list[int] | None = None
    safe_box: list[int] | None = None
    disclaimer_box: list[int] | None = None


class ContentCredentialsRecord(BaseModel):
    """The C2PA manifest embedded in a creative, as signed (read it back with `cap verify`)."""

    signed: bool
    issuer: str | None = None  # the signing certificate's subject (organisation / common name)
    development: bool = False  # signed by the locally generated development CA: not trusted
    digital_source_type: str | None = None  # IPTC term: trainedAlgorithmicMedia, ...
    actions: list[str] = Field(default_factory=list)  # c2pa.created, c2pa.cropped, ...
    ingredient: str | None = None  # the reused asset's file name, when the source was one
    detail: str = ""  # why it is unsigned, when it is


class ReviewRecord(BaseModel):
    """A person's sign-off on a creative: its latest decision (the API keeps the history)."""

    decision: Literal["approved", "rejected"]
    reviewer: str  # the person, as they named themselves
    recorded_by: str  # the API key that recorded it: "key <name> (<prefix>)"
    reviewed_at: str  # ISO 8601
    comment: str = ""


class CreativeRecord(BaseModel):
    product_id: str
    locale: str
    format: str
    aspect_ratio: str
    width: int
    height: int
    path: str | None  # relative to the manifest; None when the creative could not be made
    source: Literal["asset", "generated"]
    provider: str | None
    model: str | None
    seed: int | None
    cost_usd: float
    status: Status
    layout: LayoutRecord
    fonts: list[str]
    fallbacks: list[str] = Field(default_factory=list)
    corrections: list[str] = Field(default_factory=list)
    compliance: list[Finding] = Field(default_factory=list)
    # additions (schema 1 allows new fields): what a reviewer needs to trust the pixels
    message: str = ""
    call_to_action: str | None = None
    disclaimer: str | None = None  # the small print on the creative (required ones included)
    asset: str | None = None
    crop_method: str | None = None
    text_color: str | None = None
    treatment: str | None = None
    logo_variant: str | None = None
    cached: bool = False  # the generated source came from the generation cache (no new call)
    machine_translated: bool = False  # message/CTA translated by the text provider
    alt_text: str | None = None
    alt_text_by: str | None = None  # the text provider that wrote it, or "brief"
    source_quality: float | None = None  # quality score of the generated source, 0–1
    headline_px: int | None = None  # font sizes chosen by measurement
    cta_px: int | None = None
    disclaimer_px: int | None = None
    render_ms: float = 0.0
    content_credentials: ContentCredentialsRecord | None = None
    review: ReviewRecord | None = None  # None: not reviewed yet (or failed: nothing to review)

    @property
    def key(self) -> tuple[str, str, str]:
        """(product id, aspect ratio, locale), as CreativeSpec.key and the checkpoints name it."""
        return (self.product_id, self.aspect_ratio, self.locale)


class Totals(BaseModel):
    creatives: int
    ok: int
    needs_review: int
    failed: int
    warnings: int = 0  # creatives with a warning finding (e.g. upscaled beyond 2×)
    approved: int = 0  # people's sign-off: each creative's latest review
    rejected: int = 0
    cost_usd: float
    duration_s: float

    @property
    def awaiting_review(self) -> int:
        """Creatives made (not failed) that nobody has approved or rejected yet."""
        return max(0, self.creatives - self.failed - self.approved - self.rejected)


class ProviderCall(BaseModel):
    provider: str  # "openai/gpt-image-1"
    cost_usd: float


class Manifest(BaseModel):
    schema_version: int = SCHEMA_VERSION
    campaign_id: str
    campaign_name: str
    created_at: str
    output_format: str
    creatives: list[CreativeRecord]
    totals: Totals
    budget_usd: float | None = None  # the campaign's spending cap, if it had one
    provider_calls: list[ProviderCall] = Field(default_factory=list)  # every paid call
    prices_read_on: str | None = None  # date of the price table the costs come from


def write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write via a temp file + rename so a reader never sees half a file; `private` keeps it
    readable by this user only (a key), from the moment it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # mkstemp makes the file private (0600); outputs get the usual umask-based mode
        if not private:
            os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_manifest(manifest: Manifest, folder: Path) -> Path:
    path = folder / "manifest.json"
    write_atomic(path, manifest.model_dump_json(indent=2).encode())
    return path
