"""Where the signing credentials come from: the configured certificate chain and key (PEM files
or PEM text), else the development CA under the data directory."""

from __future__ import annotations

from pathlib import Path

from creative_automation.errors import ConfigError
from creative_automation.provenance.credentials import (
    CERT_SETTING,
    KEY_SETTING,
    SigningCredentials,
    credentials_from,
    parse_chain,
    parse_key,
    read_pem,
)
from creative_automation.provenance.devca import ensure_development_credentials


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
    chain = parse_chain(read_pem(cert, cert_setting, "certificate chain"), cert_setting)
    private_key = parse_key(read_pem(key, key_setting, "private key"), key_setting)
    return credentials_from(chain, private_key, cert_setting, key_setting, development=False)


__all__ = [
    "CERT_SETTING",
    "KEY_SETTING",
    "SigningCredentials",
    "ensure_development_credentials",
    "load_signing_credentials",
]
