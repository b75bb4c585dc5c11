"""Output formats (canvas sizes) and their platform safe zones, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """A canvas and the fractions of each edge that platform UI covers (keep text/logo out)."""

    name: str
    ratio: str  # "9:16"
    width: int
    height: int
    safe_top: float = 0.0
    safe_bottom: float = 0.0
    safe_left: float = 0.0
    safe_right: float = 0.0

    @property
    def folder(self) -> str:
        """The ratio as a folder name: '9:16' → '9x16'."""
        return self.ratio.replace(":", "x")

    @property
    def shorter_side(self) -> int:
        return min(self.width, self.height)


# 9:16 keeps the central band that satisfies Stories, Reels and TikTok at once
# (providers.md §6): top 14 %, bottom 35 %, 6 % each side.
FORMATS: tuple[Format, ...] = (
    Format("square", "1:1", 1080, 1080),
    Format(
        "story",
        "9:16",
        1080,
        1920,
        safe_top=0.14,
        safe_bottom=0.35,
        safe_left=0.06,
        safe_right=0.06,
    ),
    Format("landscape", "16:9", 1920, 1080),
    Format("portrait", "4:5", 1080, 1350),
    # Facebook feed/link: the platform's CTA button may cover the bottom-right corner.
    Format("link", "1.91:1", 1200, 628),
)
DEFAULT_FORMATS = ("1:1", "9:16", "16:9")  # what a brief gets when it names none


def resolve_format(key: str) -> Format:
    """A format by name ('story') or ratio ('9:16'); ValueError lists the choices."""
    k = key.strip().lower()
    for f in FORMATS:
        if k in (f.name, f.ratio, f.folder):
            return f
    choices = ", ".join(f"{f.name} ({f.ratio})" for f in FORMATS)
    raise ValueError(f"unknown format {key!r}; choose from {choices}")


def family(fmt: Format) -> str:
    """The shape a native generation is made in for this format: portrait, square, landscape."""
    ratio = fmt.width / fmt.height
    return "portrait" if ratio < 0.85 else "landscape" if ratio > 1.2 else "square"
