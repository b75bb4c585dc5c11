"""A creative's Content Credentials: what made it, as the pipeline knows it, signed in."""

from __future__ import annotations

from .imaging.crop import FitResult
from .imaging.io import sniff_format
from .imaging.layout import Layout
from .manifest import ContentCredentialsRecord
from .plan import CreativeSpec
from .provenance import Edit, GeneratedSource, Provenance, ReusedAsset, sign_image
from .provenance.credentials import SigningCredentials
from .sources import Source

MIME = {"jpeg": "image/jpeg", "png": "image/png"}


def source_of(source: Source) -> GeneratedSource | ReusedAsset:
    """What a creative is made from: a reused file (read once: every creative of the product ×
    format names the same bytes as its ingredient) or the generator that made the image."""
    if source.origin == "asset" and source.asset_path is not None:
        data = source.asset_path.read_bytes()
        kind = sniff_format(data) or "JPEG"  # load_image accepted it: PNG, JPEG or WebP
        return ReusedAsset(source.asset or source.asset_path.name, data, f"image/{kind.lower()}")
    return GeneratedSource.for_provider(
        source.provider or "unknown", source.model or "unknown", source.seed
    )


def provenance_of(
    source: Source,
    origin: GeneratedSource | ReusedAsset,
    spec: CreativeSpec,
    fit: FitResult,
    layout: Layout,
    title: str,
) -> Provenance:
    """`origin` (see source_of) and the steps from it to the creative: the crop, the resize,
    the copy and the logo drawn."""
    # the source region the creative shows: the subject's box maps through one scale + offset
    s, out, src = fit.scale, layout.subject_box, source.subject
    h, w = source.rgb.shape[:2]
    x0, y0 = (0 - out.x0) / s + src.x0, (0 - out.y0) / s + src.y0
    x1, y1 = x0 + spec.format.width / s, y0 + spec.format.height / s
    crop = (max(0, round(x0)), max(0, round(y0)), min(w, round(x1)), min(h, round(y1)))
    texts = ["headline", *(["call to action"] if spec.call_to_action else [])]
    texts += ["disclaimer"] if layout.small_print is not None else []
    edits = [
        Edit.crop(crop),
        Edit.resize(spec.format.width, spec.format.height),
        Edit.text(f"{', '.join(texts)} set in {spec.locale}"),
    ]
    if layout.logo_box is not None:
        edits.append(Edit.logo("brand logo placed"))
    return Provenance(title=title, source=origin, edits=tuple(edits))


def sign(
    data: bytes, output_format: str, provenance: Provenance, signer: SigningCredentials | None
) -> tuple[bytes, ContentCredentialsRecord]:
    """The encoded creative with its C2PA manifest, and what the manifest says about it."""
    if signer is None:
        return data, ContentCredentialsRecord(
            signed=False, detail="Content Credentials are off for this run"
        )
    signed = sign_image(data, MIME[output_format], provenance, signer)
    source = provenance.source
    return signed, ContentCredentialsRecord(
        signed=True,
        issuer=signer.subject,
        development=signer.development,
        digital_source_type=None
        if isinstance(source, ReusedAsset)
        else source.digital_source_type.rsplit("/", 1)[-1],
        actions=["c2pa.opened" if isinstance(source, ReusedAsset) else "c2pa.created"]
        + [e.action for e in provenance.edits],
        ingredient=source.title if isinstance(source, ReusedAsset) else None,
        detail="signed with the local development CA: valid, but trusted only here"
        if signer.development
        else f"signed by {signer.subject} (issued by {signer.issuer})",
    )
