"""A submission's body → a validated brief and its uploads: content types, sizes, file kinds
by their bytes, names confined, the brief's limits. Nothing is stored here."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ...brief import Brief, BriefSyntax, decode_brief, parse_brand_kit, parse_brief, with_kit
from ...creatives import coverage_problems
from ...errors import AssetError, BriefError, PayloadTooLarge, Problem, UnsupportedMedia
from ...imaging.io import probe_bytes, sniff_format
from ...settings import Settings
from ...sources import brand_fonts

JSON_TYPES = {"application/json"}
YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}
MULTIPART = "multipart/form-data"
ACCEPTED = sorted(JSON_TYPES | YAML_TYPES | {MULTIPART})
MAX_NODES = 100_000  # values in a decoded brief: YAML aliases could otherwise expand without end
IMAGE_KINDS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}
FONT_MAGIC = {b"\x00\x01\x00\x00": "ttf", b"true": "ttf", b"OTTO": "otf", b"ttcf": "ttc"}
FONT_MAGIC |= {b"wOFF": "woff", b"wOF2": "woff2"}
FORM_FIELDS = {"brief", "webhook_url"}
JSON_VALUES = (dict, list, str, int, float, bool, type(None))
KIT_SUFFIXES = (".yaml", ".yml", ".json")  # an uploaded file of these is text: a brand kit


@dataclass
class Submission:
    """What a POST /v1/campaigns carried, checked."""

    data: dict[str, Any]
    brief: Brief
    creatives: int
    uploads: dict[str, bytes] = field(default_factory=dict)
    webhook_url: str | None = None
    kit: str | None = None  # the brand kit file the brief names, embedded from the uploads


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_submission(request: Request, settings: Settings) -> Submission:
    """Read and check the body by its Content-Type: a JSON or YAML brief, or multipart with a
    `brief` part, optional `webhook_url` and asset files."""
    kind = media_type(request)
    if kind in JSON_TYPES or kind.endswith("+json"):
        submission = brief_from_text(await _bounded_body(request, settings), "json", settings)
    elif kind in YAML_TYPES:
        submission = brief_from_text(await _bounded_body(request, settings), "yaml", settings)
    elif kind == MULTIPART:
        submission = await _multipart(request, settings)
    else:
        raise UnsupportedMedia(
            f"Content-Type {kind or '(none)'} is not accepted; send one of {', '.join(ACCEPTED)}"
        )
    # loading a font the first time takes a moment: off the event loop
    await run_in_threadpool(check_renderable, submission, "request body")
    return submission


async def _bounded_body(request: Request, settings: Settings) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > settings.max_brief_bytes:
            raise PayloadTooLarge(
                f"the brief passed {settings.max_brief_bytes} bytes (CAP_MAX_BRIEF_BYTES)"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def brief_from_text(
    raw: bytes, syntax: BriefSyntax, settings: Settings, kits: Mapping[str, bytes] | None = None
) -> Submission:
    """The brief of a request; a brand kit it names (`brand: kit.yaml`) is taken from `kits`,
    the files uploaded with it, and embedded."""
    source = "request body"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BriefError(source, [Problem("", f"the brief is not UTF-8 text: {exc}")]) from None
    data = decode_brief(text, source, syntax=syntax)
    _check_shape(data, source)
    name = data.get("brand") if isinstance(data, dict) else None
    kit = None
    if isinstance(name, str) and kits is not None and name in kits:
        kit = name
        try:
            kit_text = kits[name].decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BriefError(name, [Problem("", f"the kit is not UTF-8 text: {exc}")]) from None
        kit_syntax: BriefSyntax = "json" if name.lower().endswith(".json") else "yaml"
        data = with_kit(data, parse_brand_kit(kit_text, name, syntax=kit_syntax))
    brief = parse_brief(data, source)
    return Submission(data, brief, check_limits(brief, settings, source), kit=kit)


def _check_shape(data: Any, source: str) -> None:
    """Bounded size (counted with aliases expanded), JSON values only (YAML's dates, sets and
    binary would pass some fields' coercion but cannot be stored) and finite numbers (the
    database's JSON has no NaN or Infinity)."""
    problems: list[Problem] = []
    for count, (path, value) in enumerate(_walk(data), start=1):
        if count > MAX_NODES:
            raise BriefError(source, [Problem("", f"more than {MAX_NODES} values")])
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(Problem(path, "must be a finite number"))
        elif not isinstance(value, JSON_VALUES):
            kind = type(value).__name__
            problems.append(
                Problem(path, f"must be text, a number, a list or a mapping, not {kind}")
            )
        elif isinstance(value, dict) and not all(isinstance(k, str) for k in value):
            problems.append(Problem(path, "every key must be text"))
        elif isinstance(value, str) and not _encodable(value):
            problems.append(Problem(path, "is not valid Unicode text (a lone surrogate)"))
        elif isinstance(value, dict) and not all(_encodable(k) for k in value):
            problems.append(Problem(path, "a key is not valid Unicode text (a lone surrogate)"))
    if problems:
        raise BriefError(source, problems)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # "\ud800" in JSON decodes to a str no database will store
        return False
    return True


def _walk(data: Any) -> Iterator[tuple[str, Any]]:
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:  # iterative: deep nesting cannot exhaust the interpreter's stack
        path, value = stack.pop()
        yield path, value
        if isinstance(value, dict):
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(value))


def check_limits(brief: Brief, settings: Settings, source: str = "brief") -> int:
    """The creative count (products × formats × locales, as planned); BriefError naming each
    limit the brief is over."""
    products, formats, locales = len(brief.products), len(brief.formats), len(brief.locale_tags)
    creatives = products * formats * locales
    checks = [
        ("products", products, settings.max_products, "products", "CAP_MAX_PRODUCTS"),
        ("formats", formats, settings.max_formats, "formats", "CAP_MAX_FORMATS"),
        ("locales", locales, settings.max_locales, "locales", "CAP_MAX_LOCALES"),
        ("", creatives, settings.max_creatives, "creatives", "CAP_MAX_CREATIVES"),
    ]
    problems = [
        Problem(path, f"{n} {what} is over the limit of {limit} per campaign ({env})")
        for path, n, limit, what, env in checks
        if n > limit
    ]
    if problems:
        raise BriefError(source, problems)
    return creatives


async def _multipart(request: Request, settings: Settings) -> Submission:
    form = await request.form(
        max_files=settings.max_upload_files + 1,  # the brief may come as a file part
        max_fields=10,  # room to name unknown fields in a 422; past it, a 400
        max_part_size=settings.max_brief_bytes,
    )
    try:
        unknown = sorted({k for k, v in form.multi_items() if isinstance(v, str)} - FORM_FIELDS)
        if unknown:
            raise BriefError(
                "form",
                [
                    Problem(name, "unknown form field (send files, brief, webhook_url)")
                    for name in unknown
                ],
            )
        brief_part = form.get("brief")
        if brief_part is None:
            raise BriefError("form", [Problem("brief", "required part is missing")])
        if isinstance(brief_part, str):
            raw, syntax = brief_part.encode(), _syntax(None, None, brief_part)
        else:
            raw = await _read_upload(brief_part, settings.max_brief_bytes, "CAP_MAX_BRIEF_BYTES")
            syntax = _syntax(
                brief_part.content_type, brief_part.filename, raw.decode("utf-8", "replace")
            )
        files = [
            (k, v) for k, v in form.multi_items() if k != "brief" and isinstance(v, UploadFile)
        ]
        kits: dict[str, bytes] = {}
        for _, upload in files:  # a brand kit is text, read as the brief is
            if (upload.filename or "").lower().endswith(KIT_SUFFIXES):
                name = confined_name(upload.filename)
                kits[name] = await _read_upload(
                    upload, settings.max_brief_bytes, "CAP_MAX_BRIEF_BYTES"
                )
        submission = brief_from_text(raw, syntax, settings, kits)
        webhook = form.get("webhook_url")
        submission.webhook_url = webhook if isinstance(webhook, str) else None
        files = [(k, v) for k, v in files if (v.filename or "") not in kits]
        submission.uploads = await _uploads(files, submission.brief, settings)
        return submission
    finally:
        await form.close()


def _syntax(content_type: str | None, filename: str | None, text: str) -> BriefSyntax:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in JSON_TYPES or (filename or "").lower().endswith(".json"):
        return "json"
    if kind in YAML_TYPES or (filename or "").lower().endswith((".yaml", ".yml")):
        return "yaml"
    return "json" if text.lstrip().startswith("{") else "yaml"


async def _read_upload(upload: UploadFile, limit: int, setting: str) -> bytes:
    if upload.size is not None and upload.size > limit:
        raise PayloadTooLarge(
            f"{upload.filename!r} is {upload.size} bytes; the limit is {limit} ({setting})"
        )
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"{upload.filename!r} is over {limit} bytes ({setting})")
    return data


async def _uploads(
    files: list[tuple[str, UploadFile]], brief: Brief, settings: Settings
) -> dict[str, bytes]:
    if len(files) > settings.max_upload_files:
        raise PayloadTooLarge(
            f"{len(files)} files; the limit is {settings.max_upload_files} (CAP_MAX_UPLOAD_FILES)"
        )
    images, fonts = named_files(brief)
    out: dict[str, bytes] = {}
    for _, upload in files:
        name = confined_name(upload.filename)
        if name in out:
            raise AssetError(f"{name!r} is uploaded twice")
        if name not in images and name not in fonts:
            raise AssetError(
                f"{name!r} is not named by the brief (in products[].assets, brand.logo, "
                "brand.logo_on_dark or brand.fonts)"
            )
        data = await _read_upload(upload, settings.max_upload_bytes, "CAP_MAX_UPLOAD_BYTES")
        if name in fonts:
            check_font(name, data)
        else:
            check_image(name, data, settings.max_asset_pixels)
        out[name] = data
    return out


def check_renderable(submission: Submission, source: str) -> None:
    """What a worker would otherwise fail the campaign on, as a 422 now: brand files the
    brief names that the request did not carry, a brand font that is not a font, and copy
    that neither a bundled font nor the brand's can set (never drawn as tofu). Copy left to
    machine translation is checked by the worker, once it is translated."""
    brief, uploads = submission.brief, submission.uploads
    if brief.brand is None:
        named: list[tuple[str, str | None]] = []
    else:
        named = [(path, name) for path, name, _ in brief.brand.files()]
    missing = [
        Problem(path, f"names {name!r}, which the request did not carry (send the brief as "
                "multipart/form-data with the file)")
        for path, name in named if name and name not in uploads
    ]  # fmt: skip
    if missing:
        raise BriefError(source, missing)
    with tempfile.TemporaryDirectory(prefix="cap-fonts-") as tmp:
        for name in brief.brand.font_files() if brief.brand else ():
            (Path(tmp) / name).write_bytes(uploads[name])
        # the worker's own checks: each a readable font (AssetError), the copy covered
        problems = coverage_problems(brief, brand_fonts(brief, Path(tmp)))
    if problems:
        raise BriefError(source, [Problem(where, why) for where, why in problems])


def named_files(brief: Brief) -> tuple[set[str], set[str]]:
    """The files the brief names: images (product assets, logos) and brand fonts."""
    images = {a for p in brief.products for a in p.assets}
    fonts: set[str] = set()
    if brief.brand is not None:
        images |= set(brief.brand.logo_files())
        fonts = set(brief.brand.font_files())
    return images, fonts


def confined_name(name: str | None) -> str:
    """An uploaded file's name as the brief gives it: one plain file name, nothing that could
    climb out of the campaign's input folder or hide in it."""
    if not name:
        raise AssetError("an uploaded file has no file name")
    if not _encodable(name):
        raise AssetError(f"the file name {name!r} is not valid Unicode text")
    if len(name.encode()) > 255:  # the file systems' limit, in bytes
        raise AssetError(f"the file name {name[:40]!r}… is longer than 255 bytes")
    bad = any(c in "/\\\x00" or ord(c) < 32 for c in name)
    if bad or name in (".", "..") or name.startswith("."):
        raise AssetError(f"the file name {name!r} must be a plain name (no folders, no '..')")
    return name


def check_image(name: str, data: bytes, max_pixels: int) -> str:
    """The image's kind (png/jpeg/webp), read from its bytes, never its name; its header is
    checked as the worker's asset loader will check it (nothing is decoded here)."""
    kind = sniff_format(data)
    if kind is None:
        raise UnsupportedMedia(f"{name!r} is not a PNG, JPEG or WebP image (judged by its content)")
    probe_bytes(data, name=repr(name), max_pixels=max_pixels)  # AssetError: too many pixels
    return IMAGE_KINDS[kind]


def check_font(name: str, data: bytes) -> str:
    """The font's kind (ttf/otf/ttc/woff/woff2), read from its first bytes."""
    kind = FONT_MAGIC.get(data[:4])
    if kind is None:
        raise UnsupportedMedia(
            f"{name!r} is not a TrueType, OpenType, TTC or WOFF font (judged by its content)"
        )
    return kind
