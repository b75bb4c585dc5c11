"""A creative's Content Credentials: what made it, as the pipeline knows it, signed in."""

from __future__ import annotations

from .imaging.crop import FitResult
from .imaging.layout import Layout
from .manifest import ContentCredentialsRecord
from .plan import CreativeSpec
from .provenance import Edit, GeneratedSource, Provenance, ReusedAsset, sign_image
from .provenance.credentials import SigningCredentials
from .sources import Source

MIME = {"jpeg": "image/jpeg", "png": "image/png"}


def provenance_of(
    source: Source, spec: CreativeSpec, fit: FitResult, layout: Layout, title: str
) -> Provenance:
    """The source (a reused file as the ingredient, or the generator that made it) and the
    steps from it to the creative: the crop, the resize, the copy and the logo drawn."""
    origin: GeneratedSource | ReusedAsset
    if source.origin == "asset" and source.asset_path is not None:
        data = source.asset_path.read_bytes()
        mime = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
        if data[:4] == b"RIFF":
            mime = "image/webp"
        origin = ReusedAsset(source.asset or source.asset_path.name, data, mime)
    else:
        origin = GeneratedSource.for_provider(
            source.provider or "unknown", source.model or "unknown", source.seed
        )
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
