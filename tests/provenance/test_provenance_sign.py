"""Signing real JPEG and PNG bytes and reading them back: what made them, who signed, and a
tampered file reading as invalid (not merely untrusted)."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from brand_certs import brand_chain
from cryptography.x509.oid import ExtendedKeyUsageOID
from PIL import Image

from creative_automation.errors import AssetError
from creative_automation.provenance import (
    ALGORITHMIC_MEDIA,
    SIGNING_ASSERTION,
    TRAINED_ALGORITHMIC_MEDIA,
    Edit,
    GeneratedSource,
    Provenance,
    ReusedAsset,
    SigningCredentials,
    SigningError,
    Validation,
    load_signer,
    manifest_definition,
    read_credentials,
    sign_image,
)
from factories import photo

EDITS = (
    Edit.crop((100, 0, 700, 600)),
    Edit.resize(1080, 1080),
    Edit.text("headline and call to action"),
    Edit.logo(),
)
FORMATS = [("image/jpeg", "JPEG"), ("image/png", "PNG")]
EDITS_SOURCE = GeneratedSource.for_provider("firefly", "image4")


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> SigningCredentials:
    return load_signer(None, None, tmp_path_factory.mktemp("data"))


def _encode(fmt: str, width: int = 360, height: int = 240) -> bytes:
    buffer = io.BytesIO()
    photo(width, height).save(buffer, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def _flip_pixel_byte(data: bytes, mime: str) -> bytes:
    """One byte changed inside the compressed pixels (JPEG scan / PNG IDAT), manifest untouched."""
    start = data.rfind(b"\xff\xda") if mime == "image/jpeg" else data.rfind(b"IDAT")
    assert start > 0
    tampered = bytearray(data)
    tampered[start + 40] ^= 0x5A
    return bytes(tampered)


@pytest.mark.parametrize(("mime", "fmt"), FORMATS)
def test_generated_creative_declares_trained_media_provider_and_model(
    signer: SigningCredentials, mime: str, fmt: str
) -> None:
    data = _encode(fmt)
    source = GeneratedSource.for_provider("openai", "gpt-image-1", seed=7)
    signed = sign_image(data, mime, Provenance(f"en-US.{fmt.lower()}", source, EDITS), signer)
    with Image.open(io.BytesIO(signed)) as signed_image, Image.open(io.BytesIO(data)) as original:
        assert signed_image.format == fmt
        assert signed_image.tobytes() == original.tobytes()  # the pixels are not re-encoded

    read = read_credentials(signed, mime)
    assert read.present and read.valid and read.validation is Validation.VALID
    assert read.c2pa_state == "Valid" and read.failure_codes == ()
    assert "signingCredential.untrusted" in read.status_codes and not read.signer_trusted
    assert read.development
    assert read.signer == "Creative Automation development signer"
    assert read.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    assert (read.provider, read.model) == ("openai", "gpt-image-1")
    assert [a.action for a in read.actions] == [
        "c2pa.created",
        "c2pa.cropped",
        "c2pa.resized",
        "c2pa.edited",
        "c2pa.edited",
    ]
    assert read.actions[0].software_agent == "openai/gpt-image-1"
    assert read.actions[0].parameters["seed"] == 7
    assert read.actions[1].parameters["region"] == {"x0": 100, "y0": 0, "x1": 700, "y1": 600}
    assert read.actions[3].description == "headline and call to action"
    assert read.ingredients == ()
    assert read.title == f"en-US.{fmt.lower()}"
    assert read.claim_generator == "creative-automation"


def test_procedural_source_is_algorithmic_not_ai_generated(signer: SigningCredentials) -> None:
    source = GeneratedSource.for_provider("procedural", "procedural-v1")
    assert not source.trained
    signed = sign_image(_encode("PNG"), "image/png", Provenance("a.png", source), signer)
    read = read_credentials(signed)  # the type detected from the bytes
    assert read.valid
    assert read.digital_source_type == ALGORITHMIC_MEDIA
    assert [a.digital_source_type for a in read.actions] == [ALGORITHMIC_MEDIA]


@pytest.mark.parametrize(("mime", "fmt"), FORMATS)
def test_reused_brand_photo_is_the_parent_ingredient(
    signer: SigningCredentials, mime: str, fmt: str
) -> None:
    asset = ReusedAsset("hero.jpg", _encode("JPEG", 600, 400), "image/jpeg")
    provenance = Provenance(f"fr-FR.{fmt.lower()}", asset, EDITS)
    read = read_credentials(sign_image(_encode(fmt), mime, provenance, signer), mime)
    assert read.valid and read.development
    assert [(i.title, i.relationship, i.format) for i in read.ingredients] == [
        ("hero.jpg", "parentOf", "image/jpeg")
    ]
    assert not read.ingredients[0].has_credentials
    opened = read.actions[0]
    assert opened.action == "c2pa.opened"
    assert len(opened.parameters["ingredients"]) == 1  # the SDK's hashed link to the ingredient
    assert read.digital_source_type is None  # a brand photo's origin is the photo's own claim
    assert (read.provider, read.model) == (None, None)
    assert [a.action for a in read.actions[1:]] == [e.action for e in EDITS]


def test_a_reused_asset_keeps_its_own_credentials(signer: SigningCredentials) -> None:
    generated = GeneratedSource.for_provider("stability", "sd3.5-large")
    hero = sign_image(_encode("JPEG"), "image/jpeg", Provenance("hero.jpg", generated), signer)
    asset = ReusedAsset("hero.jpg", hero, "image/jpeg")
    read = read_credentials(
        sign_image(_encode("JPEG"), "image/jpeg", Provenance("de-DE.jpg", asset, EDITS), signer)
    )
    assert read.valid and read.ingredients[0].has_credentials


@pytest.mark.parametrize(("mime", "fmt"), FORMATS)
def test_pixels_changed_after_signing_read_as_invalid(
    signer: SigningCredentials, mime: str, fmt: str
) -> None:
    source = GeneratedSource.for_provider("openai", "gpt-image-1")
    signed = sign_image(_encode(fmt), mime, Provenance("x", source, EDITS), signer)
    read = read_credentials(_flip_pixel_byte(signed, mime), mime)
    assert read.present and not read.valid
    assert read.validation is Validation.INVALID and read.c2pa_state == "Invalid"
    assert "assertion.dataHash.mismatch" in read.failure_codes
    assert "signingCredential.untrusted" not in read.failure_codes  # trust is reported apart
    assert read.digital_source_type == TRAINED_ALGORITHMIC_MEDIA  # what it claimed, still shown


def test_a_damaged_manifest_reads_as_invalid(signer: SigningCredentials) -> None:
    signed = sign_image(_encode("JPEG"), "image/jpeg", Provenance("x", EDITS_SOURCE), signer)
    at = signed.find(b"jumb")
    damaged = signed[: at + 300] + bytes([signed[at + 300] ^ 0xFF]) + signed[at + 301 :]
    read = read_credentials(damaged, "image/jpeg")
    assert read.present and read.validation is Validation.INVALID
    assert read.error or read.failure_codes


def test_the_development_ca_makes_it_trusted_when_given_as_anchor(
    signer: SigningCredentials,
) -> None:
    signed = sign_image(_encode("JPEG"), "image/jpeg", Provenance("x", EDITS_SOURCE), signer)
    read = read_credentials(signed, "image/jpeg", trust_anchors_pem=signer.trust_anchor_pem)
    assert read.validation is Validation.TRUSTED and read.signer_trusted and read.valid
    assert read.status_codes == ()


def test_unsigned_image_has_no_credentials() -> None:
    read = read_credentials(_encode("JPEG"), "image/jpeg")
    assert not read.present and read.validation is Validation.ABSENT and not read.valid


def test_the_manifest_says_whether_the_certificate_is_a_development_one() -> None:
    provenance = Provenance("x.jpg", EDITS_SOURCE, EDITS)
    development = manifest_definition(provenance, development=True)["assertions"][1]
    production = manifest_definition(provenance, development=False)["assertions"][1]
    assert development["label"] == production["label"] == SIGNING_ASSERTION
    assert (
        development["data"]["development"] is True and "development" in development["data"]["note"]
    )
    assert production["data"] == {"development": False}


def test_unsupported_types_are_refused(signer: SigningCredentials) -> None:
    with pytest.raises(SigningError, match=r"^cannot sign x \(text/plain\)"):
        sign_image(b"hello", "text/plain", Provenance("x", EDITS_SOURCE), signer)
    with pytest.raises(AssetError):
        read_credentials(b"hello", "text/plain")


def test_unknown_edit_actions_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown edit action"):
        Edit("c2pa.teleported")


def test_a_configured_certificate_is_not_flagged_development(tmp_path: Path) -> None:
    chain, key = brand_chain([ExtendedKeyUsageOID.EMAIL_PROTECTION])
    configured = load_signer(chain, key, tmp_path)
    signed = sign_image(_encode("JPEG"), "image/jpeg", Provenance("x", EDITS_SOURCE), configured)
    read = read_credentials(signed)
    assert read.valid and not read.development
    assert (read.signer, read.issuer) == ("Brand signer", "Brand Co")


def test_signing_from_threads_at_once(signer: SigningCredentials) -> None:
    data = _encode("JPEG")
    sources = [GeneratedSource.for_provider("openai", f"model-{i}") for i in range(8)]
    with ThreadPoolExecutor(4) as pool:
        signed = list(
            pool.map(lambda s: sign_image(data, "image/jpeg", Provenance("x", s), signer), sources)
        )
    models = [read_credentials(s, "image/jpeg").model for s in signed]
    assert models == [s.model for s in sources]
