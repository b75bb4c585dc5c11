"""Signing credentials: a certificate chain and private key, parsed and checked against what
C2PA accepts, with one ConfigError naming the setting for each mistake."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

from creative_automation.errors import ConfigError

CERT_SETTING, KEY_SETTING = "CAP_C2PA_CERT", "CAP_C2PA_KEY"
_PEM_BEGIN = "-----BEGIN"
SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class SigningCredentials:
    """What signs a creative. `development` is True for the locally generated CA, whose
    signatures verify but chain to no public trust list."""

    # leaf first, then intermediates (and optionally the root)
    cert_chain_pem: bytes = field(repr=False)
    private_key_pem: bytes = field(repr=False)  # PKCS#8, the leaf's key
    alg: str  # c2pa name: es256 | es384 | es512 | ps256 | ed25519
    development: bool
    subject: str  # the leaf's common name
    issuer: str  # the leaf issuer's common name
    not_after: dt.datetime
    # the development root, so this installation can check its own output as Trusted
    trust_anchor_pem: bytes | None = field(default=None, repr=False)


def credentials_from(
    chain: list[x509.Certificate],
    key: SigningKey,
    cert_setting: str,
    key_setting: str,
    *,
    development: bool,
    trust_anchor: x509.Certificate | None = None,
) -> SigningCredentials:
    leaf = chain[0]
    if leaf.issuer == leaf.subject:
        raise ConfigError(
            f"{cert_setting}: the signing certificate is self-signed, which C2PA refuses; use one "
            "issued by a CA (leaf first, then its chain)"
        )
    try:
        leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    except x509.ExtensionNotFound:
        raise ConfigError(
            f"{cert_setting}: the signing certificate has no Authority Key Identifier extension, "
            "which C2PA requires of a signer"
        ) from None
    if _spki(key.public_key()) != _spki(leaf.public_key()):
        raise ConfigError(f"{key_setting}: the private key does not belong to {cert_setting}")
    if leaf.not_valid_after_utc <= now():
        raise ConfigError(
            f"{cert_setting}: the signing certificate expired on "
            f"{leaf.not_valid_after_utc:%Y-%m-%d}"
        )
    return SigningCredentials(
        cert_chain_pem=pem(chain),
        private_key_pem=pkcs8(key),
        alg=_alg(key, key_setting),
        development=development,
        subject=_common_name(leaf.subject),
        issuer=_common_name(leaf.issuer),
        not_after=leaf.not_valid_after_utc,
        trust_anchor_pem=trust_anchor.public_bytes(serialization.Encoding.PEM)
        if trust_anchor
        else None,
    )


def _alg(key: SigningKey, key_setting: str) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"  # C2PA allows RSA only with PSS padding
    curves = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
    if key.curve.name not in curves:
        raise ConfigError(f"{key_setting}: EC curve {key.curve.name} is not one C2PA signs with")
    return curves[key.curve.name]


def read_pem(value: str | Path, setting: str, what: str) -> bytes:
    if isinstance(value, str) and _PEM_BEGIN in value:
        text = value if "\n" in value.strip() else value.replace("\\n", "\n")
        return text.encode()
    path = Path(value).expanduser()
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"{setting}: cannot read the {what} file {path} ({error.strerror or error}); give a "
            "PEM file path or the PEM text itself"
        ) from error


def parse_chain(data: bytes, setting: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as error:
        raise ConfigError(f"{setting}: not a PEM certificate chain ({error})") from error


def parse_key(data: bytes, setting: str) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as error:  # the key is encrypted
        raise ConfigError(
            f"{setting}: the private key is encrypted; give it unencrypted"
        ) from error
    except ValueError as error:
        raise ConfigError(f"{setting}: not a PEM private key ({error})") from error
    if not isinstance(key, SigningKey):
        raise ConfigError(f"{setting}: a {type(key).__name__} cannot sign C2PA manifests")
    return key


def _spki(public: CertificatePublicKeyTypes) -> bytes:
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def pem(certs: list[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def pkcs8(key: SigningKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
