"""`cap verify` reads back a file's Content Credentials (C2PA) and says what they prove;
`cap check` judges creatives made anywhere against a brand kit (review.py)."""

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

from .brief import load_brand_kit
from .cli_console import fail, out
from .compliance.findings import Finding
from .errors import AssetError, ConfigError, CreativeAutomationError
from .imaging.io import probe_bytes, sniff_format
from .provenance import Credentials, Validation, read_credentials
from .provenance.devca import CA_FILE, DEV_DIR
from .provenance.model import OPENED
from .report import describe_source_type
from .review import Logos, Review, asset_folder, collect, locale_tag, review
from .settings import load_settings

USER_ERROR = 2  # as typer's own usage errors: 1 means a file failed verification
NEEDS_REVIEW = 3  # `cap check`: as `cap run --strict` when creatives need review
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


# -- cap check ---------------------------------------------------------------------------------

STATUS_STYLE = {"fail": "bold red", "warn": "yellow", "skipped": "dim", "pass": "green"}
SEVERITY = {"fail": 0, "warn": 1, "skipped": 2, "pass": 3}


def check(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Creatives: image files (JPEG, PNG, WebP) or output folders of `cap run`.",
            show_default=False,
        ),
    ],
    brand: Annotated[
        Path,
        typer.Option("--brand", "-b", help="Brand kit file (YAML or JSON).", show_default=False),
    ],
    assets: Annotated[
        Path | None,
        typer.Option(
            "--assets",
            "-a",
            help="Folder of the kit's logo files [default: beside the kit, or its assets/].",
        ),
    ] = None,
    locale: Annotated[
        str | None,
        typer.Option(
            "--locale",
            "-l",
            help="Locale of loose images [default: from the file name (es-MX.jpg), else en]; "
            "a platform creative's is in its manifest.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array of findings, one per file.")
    ] = False,
) -> None:
    """Check creatives made anywhere against a brand kit, with the pipeline's own checks:
    legibility of the text, logo, palette, image quality, prohibited words and claims and
    the market's required disclaimers.

    A creative of an output folder is checked at its recorded text boxes against its recorded
    copy (which OCR must read back); on any other image the text is found by OCR.

    Exit codes:
      0  every creative passes (warnings allowed)
      3  some creative has a failing finding: it needs review
      2  a file or folder is missing or not an image, or the brand kit or its logo is unusable
    """
    try:
        settings = load_settings()
        kit = load_brand_kit(brand)
        targets = collect(paths, locale_tag(locale) if locale is not None else None)
        logos = Logos(kit, asset_folder(kit, brand, assets), settings.max_asset_pixels)
        for target in targets:  # every logo the creatives need, before anything is checked
            logos.for_locale(target.locale)
        reviews = [review(t, kit, logos, settings.max_asset_pixels) for t in targets]
    except CreativeAutomationError as exc:
        fail(exc, USER_ERROR)
    if as_json:
        print(json.dumps([_review_json(r) for r in reviews], indent=2, ensure_ascii=False))
    else:
        for r in reviews:
            out().print(_review_table(r))
        out().print(_review_tally(reviews))
    if any(r.failed for r in reviews):
        raise typer.Exit(NEEDS_REVIEW)


def _number(value: float | str | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float | int) else _printable(str(value))


def _review_table(r: Review) -> Group:
    t = r.target
    where = f"locale {t.locale} ({t.locale_from})"
    how = "recorded layout and copy (manifest)" if t.record is not None else "text found by OCR"
    if t.record is not None and r.source == "ocr":
        how = "text found by OCR (its manifest record no longer fits)"
    parts: list[Any] = [
        Text(_printable(str(t.path)), style="bold", overflow="fold"),
        Text(
            f"{r.fmt.name} {r.fmt.ratio} · {r.width}×{r.height} · {where} · {how} · {r.ms:.0f} ms",
            style="dim",
        ),
    ]
    for text in r.texts:
        conf = f", confidence {text.confidence:g}" if text.confidence is not None else ""
        line = _printable(text.text.replace("\n", " / "))
        parts.append(Text(f"  {text.field}: “{line}” at {text.box.as_list()}{conf}"))
    parts += [Text(f"  note: {_printable(n)}", style="yellow") for n in r.notes]
    table = Table(show_lines=False, expand=True)
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("value", justify="right", overflow="fold", max_width=24)
    table.add_column("threshold", justify="right", overflow="fold", max_width=12)
    table.add_column("detail", overflow="fold", ratio=1)
    for f in sorted(r.findings, key=lambda f: SEVERITY[f.status]):  # stable: failures first
        table.add_row(
            f.check,
            Text(f.status, style=STATUS_STYLE[f.status]),
            _number(f.value),
            _number(f.threshold),
            Text(_printable(f.detail)),
        )
    parts += [table, _review_verdict(r.findings)]
    return Group(*parts)


def _review_verdict(findings: list[Finding]) -> Text:
    failing = list(dict.fromkeys(f.check for f in findings if f.status == "fail"))
    counts = [
        f"{n} {word}"
        for n, word in (
            (sum(f.status == "warn" for f in findings), "warning(s)"),
            (sum(f.status == "skipped" for f in findings), "skipped"),
        )
        if n
    ]
    tail = f" ({', '.join(counts)})" if counts else ""
    if failing:
        return Text(f"needs review: {', '.join(failing)} failed{tail}\n", style="bold red")
    return Text(f"ok: every check passed{tail}\n", style="bold green")


def _review_tally(reviews: list[Review]) -> Text:
    bad = sum(r.failed for r in reviews)
    ms = sum(r.ms for r in reviews) / max(1, len(reviews))
    line = f"{len(reviews) - bad} of {len(reviews)} creatives ok"
    line += f", {bad} need review" if bad else ""
    return Text(f"{line} · {ms:.0f} ms per creative", style="bold")


def _review_json(r: Review) -> dict[str, Any]:
    t = r.target
    return {
        "file": str(t.path),
        "verdict": "needs_review" if r.failed else "ok",
        "source": r.source,
        "locale": t.locale,
        "locale_from": t.locale_from,
        "format": r.fmt.name,
        "aspect_ratio": r.fmt.ratio,
        "width": r.width,
        "height": r.height,
        "texts": [
            {"field": x.field, "text": x.text, "box": x.box.as_list(), "confidence": x.confidence}
            for x in r.texts
        ],
        "notes": r.notes,
        "findings": [f.model_dump() for f in r.findings],
        "ms": r.ms,
    }


__all__ = ["check", "verify"]
