"""Signing credentials: a configured certificate chain and key (PEM files or PEM text), else a
development CA and leaf generated once under the data directory."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from creative_automation.errors import ConfigError

CERT_SETTING, KEY_SETTING = "CAP_C2PA_CERT", "CAP_C2PA_KEY"
DEV_DIR = "c2pa-dev"
DEV_ORG = "Creative Automation (development, untrusted)"
CA_FILE, CA_KEY_FILE, CHAIN_FILE, KEY_FILE = "ca.pem", "ca.key.pem", "signer.pem", "signer.key.pem"
_CA_DAYS, _LEAF_DAYS, _RENEW_DAYS = 3650, 825, 30
_PEM_BEGIN = "-----BEGIN"
_SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class SigningCredentials:
    """What signs a creative. `development` is True for the locally generated CA, whose
    signatures verify but chain to no public trust list."""

    cert_chain_pem: bytes = field(
        repr=False
    )  # leaf first, then intermediates (and optionally the root)
    private_key_pem: bytes = field(repr=False)  # PKCS#8, the leaf's key
    alg: str  # c2pa name: es256 | es384 | es512 | ps256 | ed25519
    development: bool
    subject: str  # the leaf's common name
    issuer: str  # the leaf issuer's common name
    not_after: dt.datetime
    # the development root, so this installation can check its own output as Trusted
    trust_anchor_pem: bytes | None = field(default=None, repr=False)


def load_signing_credentials(
    cert: str | Path | None,
    key: str | Path | None,
    data_dir: Path,
    *,
    cert_setting: str = CERT_SETTING,
    key_setting: str = KEY_SETTING,
) -> SigningCredentials:
    """The configured chain and key, or the development CA's when neither is given.

    `cert` and `key` are each a PEM file path or the PEM text itself (as an environment variable
    holds it; literal `\\n` are accepted for newlines). Anything wrong raises ConfigError naming
    the setting (`cert_setting`/`key_setting`) it came from.
    """
    if cert is None and key is None:
        return ensure_development_credentials(data_dir)
    if cert is None or key is None:
        given, missing = (cert_setting, key_setting) if key is None else (key_setting, cert_setting)
        raise ConfigError(
            f"{missing} is not set but {given} is: give both the certificate chain and its private "
            "key, or neither to sign with a development certificate"
        )
    chain = _parse_chain(_read_pem(cert, cert_setting, "certificate chain"), cert_setting)
    private_key = _parse_key(_read_pem(key, key_setting, "private key"), key_setting)
    return _credentials(chain, private_key, cert_setting, key_setting, development=False)


def ensure_development_credentials(data_dir: Path) -> SigningCredentials:
    """The development CA and leaf under `<data_dir>/c2pa-dev/`, made on first use and reused
    after (a leaf close to expiry is reissued by the same CA)."""
    folder = data_dir / DEV_DIR
    if not (folder / KEY_FILE).exists():
        _create_development_ca(folder)
    try:
        root = x509.load_pem_x509_certificate((folder / CA_FILE).read_bytes())
        chain = x509.load_pem_x509_certificates((folder / CHAIN_FILE).read_bytes())
        key = _parse_key((folder / KEY_FILE).read_bytes(), str(folder / KEY_FILE))
    except (OSError, ValueError, ConfigError) as error:
        raise ConfigError(
            f"the development signing certificate in {folder} is unreadable ({error}); delete that "
            "folder to have a new one made"
        ) from error
    if chain[0].not_valid_after_utc - _now() < dt.timedelta(days=_RENEW_DAYS):
        ca_key = serialization.load_pem_private_key((folder / CA_KEY_FILE).read_bytes(), None)
        if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
            raise ConfigError(f"{folder / CA_KEY_FILE}: not the development CA's EC key")
        key = ec.generate_private_key(ec.SECP256R1())
        chain = [_issue_leaf(root, ca_key, key), root]
        _write_atomic(folder / KEY_FILE, _pkcs8(key), private=True)
        _write_atomic(folder / CHAIN_FILE, _pem(chain))
    credentials = _credentials(
        chain, key, str(folder / CHAIN_FILE), str(folder / KEY_FILE), development=True
    )
    return _with_anchor(credentials, root)


def _with_anchor(credentials: SigningCredentials, root: x509.Certificate) -> SigningCredentials:
    return SigningCredentials(
        credentials.cert_chain_pem,
        credentials.private_key_pem,
        credentials.alg,
        credentials.development,
        credentials.subject,
        credentials.issuer,
        credentials.not_after,
        trust_anchor_pem=root.public_bytes(serialization.Encoding.PEM),
    )


def _create_development_ca(folder: Path) -> None:
    """Writes a CA and a leaf into a fresh folder renamed into place: two processes starting at
    once both succeed, and both use whichever folder landed first."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f"{folder.name}.tmp-{secrets.token_hex(4)}")
    staging.mkdir()
    try:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "Creative Automation Development CA"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORG),
            ]
        )
        now = _now()
        root = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=_CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        (staging / "README.txt").write_text(
            "A development CA made by creative-automation because no signing certificate was\n"
            f"configured ({CERT_SETTING} / {KEY_SETTING}). Creatives signed with it say so in\n"
            "their Content Credentials and are untrusted outside this installation.\n"
        )
        _write_atomic(staging / CA_KEY_FILE, _pkcs8(ca_key), private=True)
        _write_atomic(staging / CA_FILE, _pem([root]))
        _write_atomic(staging / KEY_FILE, _pkcs8(key), private=True)
        _write_atomic(staging / CHAIN_FILE, _pem([_issue_leaf(root, ca_key, key), root]))
        try:
            staging.rename(folder)
        except OSError:
            if not (folder / KEY_FILE).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _issue_leaf(
    root: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, key: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    # C2PA refuses a self-signed signer and wants a document-signing EKU: emailProtection is the
    # one c2pa-rs accepts (serverAuth/codeSigning are refused)
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(
                        NameOID.COMMON_NAME, "Creative Automation development signer"
                    ),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORG),
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                ]
            )
        )
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=_LEAF_DAYS), root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _credentials(
    chain: list[x509.Certificate],
    key: _SigningKey,
    cert_setting: str,
    key_setting: str,
    development: bool,
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
    if leaf.not_valid_after_utc <= _now():
        raise ConfigError(
            f"{cert_setting}: the signing certificate expired on "
            f"{leaf.not_valid_after_utc:%Y-%m-%d}"
        )
    return SigningCredentials(
        cert_chain_pem=_pem(chain),
        private_key_pem=_pkcs8(key),
        alg=_alg(key, key_setting),
        development=development,
        subject=_common_name(leaf.subject),
        issuer=_common_name(leaf.issuer),
        not_after=leaf.not_valid_after_utc,
    )


def _alg(key: _SigningKey, key_setting: str) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"  # C2PA allows RSA only with PSS padding
    curves = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
    if key.curve.name not in curves:
        raise ConfigError(f"{key_setting}: EC curve {key.curve.name} is not one C2PA signs with")
    return curves[key.curve.name]


def _read_pem(value: str | Path, setting: str, what: str) -> bytes:
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


def _parse_chain(data: bytes, setting: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as error:
        raise ConfigError(f"{setting}: not a PEM certificate chain ({error})") from error


def _parse_key(data: bytes, setting: str) -> _SigningKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as error:  # the key is encrypted
        raise ConfigError(
            f"{setting}: the private key is encrypted; give it unencrypted"
        ) from error
    except ValueError as error:
        raise ConfigError(f"{setting}: not a PEM private key ({error})") from error
    if not isinstance(key, _SigningKey):
        raise ConfigError(f"{setting}: a {type(key).__name__} cannot sign C2PA manifests")
    return key


def _spki(public: CertificatePublicKeyTypes) -> bytes:
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _pem(certs: list[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _pkcs8(key: _SigningKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
