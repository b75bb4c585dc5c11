"""What `cap check` is given: its files, each one's manifest record, locale and format."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from .compliance.findings import Finding
from .errors import AssetError
from .formats import FORMATS, Format
from .imaging.io import sniff_format
from .manifest import SCHEMA_VERSION, CreativeRecord, Manifest

DEFAULT_LOCALE = "en"
RATIO_TOLERANCE = 0.01  # relative aspect-ratio difference still counted as the format's
# a locale in a file name: the whole stem ("es-MX.jpg", "en.png"), or after a separator
# when it has a region ("banner_es-MX.jpg")
_LOCALE = r"[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-[A-Z]{2}|-\d{3})"
_STEM_LOCALE = re.compile(rf"(?:^|[_.\s-])({_LOCALE})$|^([a-z]{{2}})$")
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
LocaleFrom = Literal["manifest", "--locale", "file name", "default"]


@dataclass(frozen=True)
class Target:
    """One file to check and what is known of it before it is opened."""

    path: Path
    record: CreativeRecord | None = None  # its manifest record, for a creative of this platform
    locale: str = DEFAULT_LOCALE
    locale_from: LocaleFrom = "default"


# -- what to check -----------------------------------------------------------------------------


def locale_tag(value: str) -> str:
    """A --locale value checked for shape ('es-MX', 'zh-Hant-TW'); AssetError otherwise."""
    tag = value.strip()
    if not _TAG.match(tag):
        raise AssetError(f"--locale {value!r} is not a locale tag (e.g. en, es-MX, zh-Hant-TW)")
    return tag


def collect(paths: Sequence[Path], locale: str | None) -> list[Target]:
    """Every creative named: image files, and the creatives of output folders (a folder with
    manifest.json, or one whose campaign folders hold one). Each file is sniffed here, so a
    missing or non-image file stops the command before anything is checked."""
    out: dict[Path, Target] = {}
    for path in paths:
        for target in _targets(path, locale):
            out.setdefault(target.path.resolve(), target)
    return list(out.values())


def _targets(path: Path, locale: str | None) -> list[Target]:
    if not path.exists():
        raise AssetError(f"{path}: file not found")
    if path.is_dir():
        manifests = [path / "manifest.json"] if (path / "manifest.json").is_file() else []
        manifests = manifests or sorted(path.glob("*/manifest.json"))
        if not manifests:
            raise AssetError(
                f"{path}: a folder without manifest.json (not an output folder of `cap run`); "
                f"give its image files instead (e.g. {path}/*.jpg)"
            )
        return [t for m in manifests for t in _manifest_targets(m)]
    _sniff(path)
    record = _record_of(path)
    if record is not None:
        return [Target(path, record, record.locale, "manifest")]
    if locale is not None:
        return [Target(path, None, locale, "--locale")]
    found = _STEM_LOCALE.search(path.stem)
    if found:
        return [Target(path, None, found.group(1) or found.group(2), "file name")]
    return [Target(path, None)]


def _sniff(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(32)
    except OSError as error:
        raise AssetError(f"{path}: cannot read ({error.strerror or error})") from None
    if sniff_format(head) is None:
        raise AssetError(f"{path}: not a JPEG, PNG or WebP image")


def read_manifest(path: Path) -> Manifest:
    try:
        manifest = Manifest.model_validate_json(path.read_bytes())
    except OSError as error:
        raise AssetError(f"{path}: cannot read ({error.strerror or error})") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AssetError(
            f"{path}: not a manifest of this platform ({where}: {first['msg']})"
        ) from None
    if manifest.schema_version > SCHEMA_VERSION:
        raise AssetError(
            f"{path}: schema_version {manifest.schema_version} is newer than this version "
            f"reads ({SCHEMA_VERSION}); upgrade creative-automation"
        )
    return manifest


def _manifest_targets(path: Path) -> list[Target]:
    targets = []
    for record in read_manifest(path).creatives:
        if record.path is None:  # a creative that could not be made has no file to check
            continue
        file = path.parent / record.path
        if not file.is_file():
            raise AssetError(f"{file}: listed in {path} but not found")
        _sniff(file)
        targets.append(Target(file, record, record.locale, "manifest"))
    return targets


def _record_of(path: Path) -> CreativeRecord | None:
    """The manifest record of a file inside an output folder (<campaign>/<product>/<ratio>/)."""
    file = path.resolve()
    for folder in list(file.parents)[:3]:
        manifest = folder / "manifest.json"
        if manifest.is_file():
            for record in read_manifest(manifest).creatives:
                if record.path and (folder / record.path).resolve() == file:
                    return record
    return None


# -- format ------------------------------------------------------------------------------------


def format_of(width: int, height: int) -> tuple[Format, Finding]:
    """The format of a width × height image: the nearest aspect ratio, its safe zones and
    type-size rules scaled to this size, and a finding saying how well it matches."""
    ratio = width / height
    nearest = min(FORMATS, key=lambda f: abs(math.log(ratio * f.height / f.width)))
    off = abs(ratio * nearest.height / nearest.width - 1.0)
    fmt = replace(nearest, width=width, height=height)
    named = f"{nearest.name} {nearest.ratio}"
    if off > RATIO_TOLERANCE:
        return fmt, Finding(
            check="format",
            status="warn",
            value=f"{width}x{height}",
            threshold=nearest.ratio,
            detail=f"{width}×{height} ({ratio:.3f}:1) matches no format; checked as the nearest, "
            f"{named}, whose platform may crop it",
        )
    size = f"{width / nearest.width:.0%} of its {nearest.width}×{nearest.height}; sizes scaled"
    if (width, height) == (nearest.width, nearest.height):
        size = "its own size"
    return fmt, Finding(
        check="format",
        status="pass",
        value=f"{width}x{height}",
        threshold=nearest.ratio,
        detail=f"{named} at {size}",
    )


__all__ = [
    "DEFAULT_LOCALE",
    "RATIO_TOLERANCE",
    "LocaleFrom",
    "Target",
    "collect",
    "format_of",
    "locale_tag",
    "read_manifest",
]
