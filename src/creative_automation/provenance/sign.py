"""Signing encoded images in memory: bytes in, the same image with its C2PA manifest out."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import c2pa
from PIL import Image

from creative_automation.errors import AssetError, ConfigError, OutputError
from creative_automation.provenance.certs import (
    CERT_SETTING,
    KEY_SETTING,
    SigningCredentials,
    load_signing_credentials,
)
from creative_automation.provenance.manifest import ingredient_definition, manifest_definition
from creative_automation.provenance.model import GeneratedSource, Provenance, ReusedAsset

# No thumbnail in the manifest: it would re-encode every creative (~120 ms for 1080x1920) and add
# ~300 KB, and the creative is its own preview. No network while signing or checking.
SIGN_SETTINGS: dict[str, Any] = {
    "builder": {"thumbnail": {"enabled": False}},
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
}
_ALGS = {
    "es256": c2pa.C2paSigningAlg.ES256,
    "es384": c2pa.C2paSigningAlg.ES384,
    "es512": c2pa.C2paSigningAlg.ES512,
    "ps256": c2pa.C2paSigningAlg.PS256,
    "ed25519": c2pa.C2paSigningAlg.ED25519,
}


class SigningError(OutputError):
    """A creative could not be given its Content Credentials (so it is not written)."""


def load_signer(
    cert: str | Path | None,
    key: str | Path | None,
    data_dir: Path,
    *,
    cert_setting: str = CERT_SETTING,
    key_setting: str = KEY_SETTING,
) -> SigningCredentials:
    """The signing credentials, checked by signing a tiny image once: a chain or key that c2pa
    refuses fails here, at start-up, with ConfigError naming the settings, not on the first
    creative. Without `cert` and `key` the development CA under `data_dir` signs."""
    credentials = load_signing_credentials(
        cert, key, data_dir, cert_setting=cert_setting, key_setting=key_setting
    )
    probe = io.BytesIO()
    Image.new("RGB", (8, 8), (128, 128, 128)).save(probe, "PNG")
    provenance = Provenance("probe.png", GeneratedSource("procedural", "probe", trained=False))
    try:
        _sign(probe.getvalue(), "image/png", provenance, credentials)
    except c2pa.C2paError as error:
        source = "the development certificate" if credentials.development else cert_setting
        raise ConfigError(
            f"{cert_setting} / {key_setting}: C2PA refuses to sign with {source} ({error}); it "
            "needs a leaf certificate issued by a CA (with an Authority Key Identifier), the "
            "digitalSignature key usage and the emailProtection extended key usage"
        ) from error
    return credentials


def sign_image(data: bytes, mime: str, provenance: Provenance, signer: SigningCredentials) -> bytes:
    """`data` (an encoded image of type `mime`) with a C2PA manifest stating `provenance`,
    signed by `signer`. The pixels are untouched; the manifest is embedded (JPEG APP11, PNG
    caBX chunk, ...)."""
    try:
        return _sign(data, mime, provenance, signer)
    except c2pa.C2paError as error:
        raise SigningError(f"cannot sign {provenance.title} ({mime}): {error}") from error


def _sign(data: bytes, mime: str, provenance: Provenance, signer: SigningCredentials) -> bytes:
    definition = manifest_definition(provenance, development=signer.development)
    info = c2pa.C2paSignerInfo(
        _ALGS[signer.alg], signer.cert_chain_pem, signer.private_key_pem, None
    )  # no timestamp authority: signing stays offline
    output = io.BytesIO()
    # a native signer and context per call (well under 1 ms): nothing shared between threads
    with (
        c2pa.Context.from_dict(SIGN_SETTINGS) as context,
        c2pa.Signer.from_info(info) as native_signer,
        c2pa.Builder(definition, context) as builder,
    ):
        if isinstance(provenance.source, ReusedAsset):
            _add_source(builder, provenance.source)
        builder.sign(native_signer, mime, io.BytesIO(data), output)
    return output.getvalue()


def _add_source(builder: c2pa.Builder, asset: ReusedAsset) -> None:
    try:
        builder.add_ingredient(ingredient_definition(asset), asset.mime, io.BytesIO(asset.data))
    except c2pa.C2paError as error:
        raise AssetError(
            f"{asset.title}: cannot be recorded as a C2PA ingredient ({error})"
        ) from error


__all__ = ["SIGN_SETTINGS", "SigningError", "load_signer", "sign_image"]
