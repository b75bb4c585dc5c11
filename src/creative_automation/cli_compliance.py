"""`cap verify`: read back a file's Content Credentials (C2PA) and say what they prove."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography import x509
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .cli_console import fail, out
from .errors import AssetError, ConfigError, CreativeAutomationError
from .imaging.io import probe_bytes, sniff_format
from .provenance import Credentials, Validation, read_credentials
from .provenance.devca import CA_FILE, DEV_DIR
from .provenance.model import OPENED
from .report import describe_source_type
from .settings import load_settings

USER_ERROR = 2  # as typer's own usage errors: 1 means a file failed verification
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
DEVELOPMENT_WARNING = (
    "signed with a local development certificate — not trusted outside this installation"
)
ACTION_WORDS = {
    "c2pa.created": "created",
    "c2pa.opened": "opened",
    "c2pa.cropped": "cropped",
    "c2pa.resized": "resized",
    "c2pa.edited": "edited",
    "c2pa.drawing": "drawn on",
    "c2pa.placed": "placed",
    "c2pa.color_adjustments": "colour adjusted",
    "c2pa.converted": "converted",
    "c2pa.filtered": "filtered",
}
RELATIONSHIPS = {"parentOf": "parent", "componentOf": "component", "inputTo": "input"}
# the failure codes c2pa reports most often, in words (any other is shown as its code)
CODE_WORDS = {
    "assertion.dataHash.mismatch": "the image data changed after it was signed",
    "assertion.hashedURI.mismatch": "an assertion changed after it was signed",
    "assertion.bmffHash.mismatch": "the file's data changed after it was signed",
    "claimSignature.mismatch": "the signature does not match the claim",
    "signingCredential.expired": "the signing certificate had expired",
    "signingCredential.revoked": "the signing certificate was revoked",
    "signingCredential.invalid": "the signing certificate is not one C2PA accepts",
}


@dataclass(frozen=True)
class Anchor:
    """Certificates a signer may chain to, and where they came from (said in the output)."""

    pem: bytes
    source: str


@dataclass(frozen=True)
class Checked:
    path: Path
    mime: str
    credentials: Credentials
    anchor: Anchor | None


def verify(
    files: Annotated[
        list[Path], typer.Argument(help="Image files (JPEG, PNG or WebP).", show_default=False)
    ],
    trust: Annotated[
        Path | None,
        typer.Option(
            "--trust", help="PEM file of CA certificates to trust (e.g. the brand's root CA)."
        ),
    ] = None,
    dev_ca: Annotated[
        bool,
        typer.Option(
            "--dev-ca/--no-dev-ca",
            help="Without --trust, trust this installation's development CA "
            "(<CAP_DATA_DIR>/c2pa-dev/ca.pem) when it exists.",
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array, one per file.")] = (
        False
    ),
) -> None:
    """Check the Content Credentials (C2PA) of each FILE: intact, who signed, what made it.

    Exit codes:
      0  every file is intact and correctly signed (trusted or not)
      1  a file was changed after signing, or has no Content Credentials
      2  a file (or the --trust file) is missing, unreadable or not an image
    """
    try:
        anchor = _trust_anchor(trust) if trust else None
        if anchor is None and dev_ca:
            anchor = _development_anchor(load_settings().data_dir)
        for path in files:  # every input checked before any output
            _mime(path, _head(path))
        checked = [_check(path, anchor) for path in files]
    except CreativeAutomationError as exc:
        fail(exc, USER_ERROR)
    if as_json:
        print(json.dumps([_as_json(c) for c in checked], indent=2, ensure_ascii=False))
    else:
        for c in checked:
            out().print(_panel(c))
        if len(checked) > 1:
            out().print(_tally(checked))
    if not all(c.credentials.valid for c in checked):
        raise typer.Exit(1)


def _trust_anchor(path: Path) -> Anchor:
    try:
        pem = path.read_bytes()
        x509.load_pem_x509_certificates(pem)
    except OSError as error:
        raise ConfigError(f"--trust {path}: cannot read ({error.strerror or error})") from None
    except ValueError as error:
        raise ConfigError(
            f"--trust {path}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)"
        ) from error
    return Anchor(pem, f"a CA in {path} (--trust)")


def _development_anchor(data_dir: Path) -> Anchor | None:
    """This installation's own development root, so its own output reads as its own; never
    made here (verifying must not create a CA), and a damaged one is simply not offered."""
    path = data_dir / DEV_DIR / CA_FILE
    try:
        pem = path.read_bytes()
        x509.load_pem_x509_certificates(pem)
    except (OSError, ValueError):
        return None
    return Anchor(pem, f"this installation's development CA ({path})")


def _head(path: Path) -> bytes:
    if not path.exists():
        raise AssetError(f"{path}: file not found")
    if path.is_dir():
        raise AssetError(f"{path}: is a folder; give image files (e.g. {path}/*/*/*.jpg)")
    try:
        with path.open("rb") as fh:
            return fh.read(32)
    except OSError as error:
        raise AssetError(f"{path}: cannot read ({error.strerror or error})") from None


def _mime(path: Path, head: bytes) -> str:
    kind = sniff_format(head)
    if kind is None:
        raise AssetError(f"{path}: not a JPEG, PNG or WebP image")
    return MIME[kind]


def _check(path: Path, anchor: Anchor | None) -> Checked:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise AssetError(f"{path}: cannot read ({error.strerror or error})") from None
    mime = _mime(path, data[:32])
    # nothing is decoded: the header only proves the bytes are the image they claim to be
    probe_bytes(data, name=str(path), max_pixels=1 << 40)
    try:
        read = read_credentials(data, mime, trust_anchors_pem=anchor.pem if anchor else None)
    except AssetError as error:
        raise AssetError(f"{path}: {error}") from None
    return Checked(path, mime, read, anchor)


def _verdict(c: Checked) -> tuple[str, str]:
    """(one line on what the credentials prove, its colour)."""
    cred = c.credentials
    if cred.validation is Validation.ABSENT:
        return "no Content Credentials: nothing in the file says what made it", "yellow"
    if cred.validation is Validation.INVALID:
        return "INVALID: changed after signing, or its credentials are damaged", "red"
    if cred.validation is Validation.TRUSTED:
        source = c.anchor.source if c.anchor else "a trust anchor"
        here = " here only" if cred.development else ""
        return f"trusted{here}: intact, and the signer chains to {source}", "green"
    listed = " given" if c.anchor else ""
    return f"valid: intact and correctly signed (the signer is on no{listed} trust list)", "green"


def _source(cred: Credentials) -> str | None:
    if cred.digital_source_type:
        words = describe_source_type(cred.digital_source_type)
        by = "/".join(v for v in (cred.provider, cred.model) if v)
        return f"{words} ({by})" if by else words
    if any(a.action == OPENED for a in cred.actions):
        return "made from an existing file (see ingredients), whose origin is its own claim"
    return None


def _lines(cred: Credentials) -> list[tuple[str, str]]:
    """(label, text) rows of the panel, in reading order; text comes from the file."""
    rows: list[tuple[str, str]] = []
    if cred.signer or cred.issuer:
        rows.append(("signed by", " · ".join(v for v in (cred.signer, cred.issuer) if v)))
    source = _source(cred)
    if source:
        rows.append(("made by", source))
    if cred.claim_generator:
        rows.append(("software", cred.claim_generator))
    for ing in cred.ingredients:
        own = ", with Content Credentials of its own" if ing.has_credentials else ""
        relation = RELATIONSHIPS.get(ing.relationship, ing.relationship)
        kind = f"{relation}, {ing.format}" if ing.format else relation
        rows.append(("ingredient", f"{ing.title} ({kind}{own})"))
    for act in cred.actions:
        word = ACTION_WORDS.get(act.action, act.action)
        rows.append(("action", f"{word}: {act.description}" if act.description else word))
    for code in cred.failure_codes:
        rows.append(("problem", f"{CODE_WORDS.get(code, code)} [{code}]"))
    if cred.error:
        rows.append(("problem", cred.error))
    return rows


def _panel(c: Checked) -> Panel:
    verdict, colour = _verdict(c)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    for label, text in _lines(c.credentials):
        style = "red" if label == "problem" else ""
        grid.add_row(label, Text(_printable(text), style=style))
    # the path inside the panel, not its title: a title is cut short, a line wraps
    parts: list[Any] = [
        Text(f"{_printable(str(c.path))} ({c.mime})", style="bold", overflow="fold"),
        Text(verdict, style=f"bold {colour}"),
    ]
    if c.credentials.development:
        parts.append(Text(DEVELOPMENT_WARNING, style="yellow"))
    if grid.row_count:
        parts.append(grid)
    return Panel(Group(*parts), border_style=colour)


def _tally(checked: list[Checked]) -> Text:
    states = [c.credentials.validation for c in checked]
    good = sum(c.credentials.valid for c in checked)
    problems = [
        f"{n} {what}"
        for n, what in (
            (states.count(Validation.INVALID), "invalid"),
            (states.count(Validation.ABSENT), "without Content Credentials"),
        )
        if n
    ]
    line = f"{good} of {len(checked)} files intact and signed"
    if problems:
        line += "; " + ", ".join(problems)
    return Text(line, style="bold")


def _printable(text: str) -> str:
    """File-supplied text with control characters shown, not sent to the terminal."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def _as_json(c: Checked) -> dict[str, Any]:
    cred = c.credentials
    return {
        "file": str(c.path),
        "mime": c.mime,
        "validation": cred.validation.value,
        "valid": cred.valid,
        "summary": _verdict(c)[0],
        "trust_anchor": c.anchor.source if c.anchor else None,
        "signer": cred.signer,
        "issuer": cred.issuer,
        "development": cred.development,
        "warning": DEVELOPMENT_WARNING if cred.development else None,
        "digital_source_type": cred.digital_source_type,
        "source": _source(cred),
        "provider": cred.provider,
        "model": cred.model,
        "title": cred.title,
        "claim_generator": cred.claim_generator,
        "actions": [
            {
                "action": a.action,
                "description": a.description,
                "software_agent": a.software_agent,
                "digital_source_type": a.digital_source_type,
                "parameters": dict(a.parameters),  # c2pa's own parsed JSON
            }
            for a in cred.actions
        ],
        "ingredients": [
            {
                "title": i.title,
                "relationship": i.relationship,
                "format": i.format,
                "has_credentials": i.has_credentials,
            }
            for i in cred.ingredients
        ],
        "status_codes": list(cred.status_codes),
        "failure_codes": list(cred.failure_codes),
        "error": cred.error,
    }


__all__ = ["verify"]
