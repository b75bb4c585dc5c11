"""Colour values from briefs and brand kits: hex parsing, in one place."""

from __future__ import annotations

import re

RGB = tuple[int, int, int]
_HEX = re.compile(r"#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def parse_hex(colour: str) -> RGB:
    """Parse '#RGB' or '#RRGGBB' (the '#' optional, any case) into 8-bit RGB."""
    if not _HEX.fullmatch(colour.strip()):
        raise ValueError(f"{colour!r} is not a hex colour like '#1A2B3C'")
    digits = colour.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def to_hex(rgb: RGB) -> str:
    """'#RRGGBB', upper case (the form manifests and briefs use)."""
    return "#{:02X}{:02X}{:02X}".format(*rgb)
