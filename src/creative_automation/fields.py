"""Field types shared by the brief and the brand kit: validated once, reported the same way."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from .colour import parse_hex, to_hex

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$"),
    Field(description="Lower-case letters, digits, '-' and '_' (it becomes a folder name)."),
]
LocaleTag = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2}|-\d{3})?$")
]


def _visible(value: str) -> str:
    # zero-width joiners, bidi marks and the like alone would render an empty headline
    if not any(unicodedata.category(c)[0] not in "CZ" for c in value):
        raise ValueError("has no visible characters")
    return value


Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_visible)
]


def _hex_colour(value: str) -> str:
    return to_hex(parse_hex(value))  # normalised: '#abc' → '#AABBCC'


def _asset_name(value: str) -> str:
    # Confinement is checked again against the real folder at run time; this catches it early.
    if not value or PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute():
        raise ValueError(
            f"{value!r} must be a file name inside the asset folder, not an absolute path"
        )
    if ".." in PurePosixPath(value.replace("\\", "/")).parts:
        raise ValueError(f"{value!r} must not contain '..' (assets stay inside the asset folder)")
    return value


HexColour = Annotated[str, AfterValidator(_hex_colour)]
AssetName = Annotated[str, AfterValidator(_asset_name)]


class Strict(BaseModel):
    """Unknown fields are errors (a typo never silently does nothing); values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
