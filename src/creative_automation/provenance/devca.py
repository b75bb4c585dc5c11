"""The development CA: when no signing certificate is configured, a CA and a leaf made once
under the data directory (C2PA refuses a self-signed signer) and reused after."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from creative_automation.errors import ConfigError
from creative_automation.manifest import write_atomic
from creative_automation.provenance.credentials import (
    CERT_SETTING,
    KEY_SETTING,
    SigningCredentials,
    credentials_from,
    now,
    parse_key,
    pem,
    pkcs8,
)

DEV_DIR = "c2pa-dev"
DEV_ORG = "Creative Automation (development, untrusted)"
CA_FILE, CA_KEY_FILE, CHAIN_FILE, KEY_FILE = "ca.pem", "ca.key.pem", "signer.pem", "signer.key.pem"
_CA_DAYS, _LEAF_DAYS, _RENEW_DAYS = 3650, 825, 30


def ensure_development_credentials(data_dir: Path) -> SigningCredentials:
    """The development CA and leaf under `<data_dir>/c2pa-dev/`, made on first use and reused
    after (a leaf close to expiry is reissued by the same CA)."""
    folder = data_dir / DEV_DIR
    if not (folder / KEY_FILE).exists():
        try:
            _create_development_ca(folder)
        except OSError as error:
            raise ConfigError(
                f"cannot make the development signing certificate in {folder} ({error}): the data "
                "directory must be writable, or configure a certificate "
                f"({CERT_SETTING} / {KEY_SETTING})"
            ) from error
    try:
        root = x509.load_pem_x509_certificate((folder / CA_FILE).read_bytes())
        chain = x509.load_pem_x509_certificates((folder / CHAIN_FILE).read_bytes())
        key = parse_key((folder / KEY_FILE).read_bytes(), str(folder / KEY_FILE))
    except (OSError, ValueError, ConfigError) as error:
        raise ConfigError(
            f"the development signing certificate in {folder} is unreadable ({error}); delete that "
            "folder to have a new one made"
        ) from error
    if chain[0].not_valid_after_utc - now() < dt.timedelta(days=_RENEW_DAYS):
        ca_key = serialization.load_pem_private_key((folder / CA_KEY_FILE).read_bytes(), None)
        if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
            raise ConfigError(f"{folder / CA_KEY_FILE}: not the development CA's EC key")
        key = ec.generate_private_key(ec.SECP256R1())
        chain = [_issue_leaf(root, ca_key, key), root]
        # (a reader between these two writes would see a key/chain mismatch: a ConfigError once
        # in the leaf's two years, gone on retry)
        write_atomic(folder / KEY_FILE, pkcs8(key), private=True)
        write_atomic(folder / CHAIN_FILE, pem(chain))
    return credentials_from(
        chain,
        key,
        str(folder / CHAIN_FILE),
        str(folder / KEY_FILE),
        development=True,
        trust_anchor=root,
    )


def _create_development_ca(folder: Path) -> None:
    """Writes a CA and a leaf into a fresh folder renamed into place: two processes starting at
    once both succeed, and both use whichever folder landed first."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f"{folder.name}.tmp-{secrets.token_hex(4)}")
    staging.mkdir(mode=0o700)  # it holds the CA key
    try:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "Creative Automation Development CA"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORG),
            ]
        )
        today = now()
        root = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(today - dt.timedelta(minutes=5))
            .not_valid_after(today + dt.timedelta(days=_CA_DAYS))
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
        write_atomic(staging / CA_KEY_FILE, pkcs8(ca_key), private=True)
        write_atomic(staging / CA_FILE, pem([root]))
        write_atomic(staging / KEY_FILE, pkcs8(key), private=True)
        write_atomic(staging / CHAIN_FILE, pem([_issue_leaf(root, ca_key, key), root]))
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
    today = now()
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
        .not_valid_before(today - dt.timedelta(minutes=5))
        .not_valid_after(min(today + dt.timedelta(days=_LEAF_DAYS), root.not_valid_after_utc))
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
