"""Signing credentials: the development CA (made once, reused, the EKU C2PA wants) and the
configured chain and key (files or PEM text), with one clear ConfigError per mistake."""

from __future__ import annotations

import datetime as dt
import stat
import threading
from pathlib import Path

import pytest
from brand_certs import NOW, brand_chain, cert, key_pem, name, pem
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from creative_automation.errors import ConfigError
from creative_automation.provenance import (
    ensure_development_credentials,
    load_signer,
    load_signing_credentials,
)
from creative_automation.provenance.devca import CA_FILE, CA_KEY_FILE, CHAIN_FILE, KEY_FILE


def test_development_ca_is_made_once_and_reused(tmp_path: Path) -> None:
    first = ensure_development_credentials(tmp_path)
    folder = tmp_path / "c2pa-dev"
    files = {name: (folder / name).read_bytes() for name in (CA_FILE, CA_KEY_FILE, CHAIN_FILE)}
    second = load_signer(None, None, tmp_path)
    assert second.development and first.development
    assert second.cert_chain_pem == first.cert_chain_pem
    assert second.private_key_pem == first.private_key_pem
    assert {name: (folder / name).read_bytes() for name in files} == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c2pa-dev"]  # no staging folder left
    for private in (KEY_FILE, CA_KEY_FILE):
        assert stat.S_IMODE((folder / private).stat().st_mode) == 0o600


def test_development_leaf_is_issued_by_the_ca_for_email_protection(tmp_path: Path) -> None:
    credentials = ensure_development_credentials(tmp_path)
    leaf, root = x509.load_pem_x509_certificates(credentials.cert_chain_pem)
    assert credentials.trust_anchor_pem == root.public_bytes(serialization.Encoding.PEM)
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert leaf.issuer == root.subject != leaf.subject  # C2PA refuses a self-signed signer
    leaf.verify_directly_issued_by(root)
    assert credentials.alg == "es256"


def test_development_ca_made_by_threads_at_once_is_one_ca(tmp_path: Path) -> None:
    chains: list[bytes] = []
    threads = [
        threading.Thread(
            target=lambda: chains.append(ensure_development_credentials(tmp_path).cert_chain_pem)
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(chains) == 4 and len(set(chains)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c2pa-dev"]


def test_a_leaf_close_to_expiry_is_reissued_by_the_same_ca(tmp_path: Path) -> None:
    ensure_development_credentials(tmp_path)
    folder = tmp_path / "c2pa-dev"
    root = x509.load_pem_x509_certificate((folder / CA_FILE).read_bytes())
    ca_key = serialization.load_pem_private_key((folder / CA_KEY_FILE).read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    old = cert(name("old"), leaf_key, root.subject, ca_key, ca=False, days=2)
    (folder / CHAIN_FILE).write_text(pem(old, root))
    (folder / KEY_FILE).write_text(key_pem(leaf_key))
    renewed = ensure_development_credentials(tmp_path)
    leaf = x509.load_pem_x509_certificates(renewed.cert_chain_pem)[0]
    assert leaf.not_valid_after_utc > NOW + dt.timedelta(days=300)
    leaf.verify_directly_issued_by(root)
    assert (folder / CA_FILE).read_bytes() == root.public_bytes(serialization.Encoding.PEM)


def test_configured_files_sign_without_a_development_ca(tmp_path: Path) -> None:
    chain, key = brand_chain([ExtendedKeyUsageOID.EMAIL_PROTECTION])
    (tmp_path / "chain.pem").write_text(chain)
    (tmp_path / "key.pem").write_text(key)
    data_dir = tmp_path / "data"
    credentials = load_signer(tmp_path / "chain.pem", str(tmp_path / "key.pem"), data_dir)
    assert not credentials.development
    assert (credentials.subject, credentials.issuer) == ("Brand signer", "Brand CA")
    assert credentials.private_key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert not data_dir.exists()


def test_pem_text_from_an_environment_variable_with_escaped_newlines(tmp_path: Path) -> None:
    chain, key = brand_chain([ExtendedKeyUsageOID.EMAIL_PROTECTION])
    credentials = load_signer(chain.replace("\n", "\\n"), key, tmp_path)
    assert not credentials.development and credentials.subject == "Brand signer"


@pytest.mark.parametrize(
    ("cert_arg", "key_arg", "message"),
    [
        ("missing/chain.pem", "KEY", "CAP_C2PA_CERT: cannot read the certificate chain file"),
        ("CHAIN", "missing/key.pem", "CAP_C2PA_KEY: cannot read the private key file"),
        ("-----BEGIN CERTIFICATE-----\nnope\n", "KEY", "CAP_C2PA_CERT: not a PEM certificate"),
        ("CHAIN", "-----BEGIN PRIVATE KEY-----\nnope\n", "CAP_C2PA_KEY: not a PEM private key"),
        ("CHAIN", None, "CAP_C2PA_KEY is not set but CAP_C2PA_CERT is"),
        (None, "KEY", "CAP_C2PA_CERT is not set but CAP_C2PA_KEY is"),
        ("CHAIN", "OTHER_KEY", "CAP_C2PA_KEY: the private key does not belong to CAP_C2PA_CERT"),
        ("SELF_SIGNED", "KEY", "CAP_C2PA_CERT: the signing certificate is self-signed"),
        ("NO_AKI", "KEY", "CAP_C2PA_CERT: the signing certificate has no Authority Key"),
    ],
)
def test_a_bad_certificate_or_key_is_a_config_error_naming_the_setting(
    tmp_path: Path, cert_arg: str | None, key_arg: str | None, message: str
) -> None:
    chain, chain_key = brand_chain([ExtendedKeyUsageOID.EMAIL_PROTECTION])
    other_key, ca_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    self_signed = cert(name("me"), other_key, name("me"), other_key, ca=False)
    values = {
        "CHAIN": chain,
        "KEY": chain_key,
        "OTHER_KEY": key_pem(other_key),
        "SELF_SIGNED": pem(self_signed),
        "NO_AKI": pem(cert(name("x"), ca_key, name("CA"), ca_key, ca=False, key_ids=False)),
    }

    def value(arg: str | None) -> str | None:
        if arg is None or arg.startswith("-----"):
            return arg
        return values.get(arg, str(tmp_path / arg))  # a name above, else a file path

    with pytest.raises(ConfigError) as caught:
        load_signing_credentials(value(cert_arg), value(key_arg), tmp_path)
    assert str(caught.value).startswith(message)
    assert not (tmp_path / "c2pa-dev").exists()


def test_a_certificate_c2pa_refuses_fails_when_loaded_not_when_signing(tmp_path: Path) -> None:
    chain, key = brand_chain([ExtendedKeyUsageOID.SERVER_AUTH])  # a TLS certificate
    load_signing_credentials(chain, key, tmp_path)  # well-formed, so the parsing passes
    with pytest.raises(ConfigError, match=r"^CAP_C2PA_CERT / CAP_C2PA_KEY: C2PA refuses"):
        load_signer(chain, key, tmp_path)


def test_the_settings_named_in_errors_are_the_callers(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^SIGNING_CERT: cannot read"):
        load_signer(
            tmp_path / "nope.pem", "x", tmp_path, cert_setting="SIGNING_CERT", key_setting="K"
        )


def test_a_data_dir_that_cannot_hold_the_development_ca_is_a_config_error(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("a file where the data directory should be")
    with pytest.raises(ConfigError, match="cannot make the development signing certificate"):
        load_signer(None, None, not_a_dir)
