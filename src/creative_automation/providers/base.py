"""The image-provider interface: request and result types and the ImageProvider protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, get_args

from PIL import Image

from creative_automation.colour import parse_hex
from creative_automation.imaging.geometry import Box

PackageShape = Literal["can", "bottle", "box", "tube", "bar", "jar", "pouch"]
PACKAGE_SHAPES: tuple[PackageShape, ...] = get_args(PackageShape)

# Large enough for any social format at 2x, small enough that a typo cannot ask for gigapixels.
MAX_SIDE = 8192

# The file format generated sources are asked for in: JPEG when the creatives are JPEG (at
# this quality the source is visually lossless before it is cropped and encoded again, and
# it is a fifth of a PNG's bytes to send, cache and decode), PNG when they are lossless.
SourceFormat = Literal["png", "jpeg"]
SOURCE_JPEG_QUALITY = 95


def source_format_for(output_format: str) -> SourceFormat:
    return "png" if output_format == "png" else "jpeg"


@dataclass(frozen=True)
class GenerationRequest:
    """Everything a provider needs to make one product hero image.

    Invalid values (non-positive or huge sizes, malformed hex colours, an unknown shape) raise
    ValueError at construction: they are programming errors, the brief was validated upstream.
    """

    product_id: str
    product_name: str
    description: str
    prompt: str  # the full text prompt; real providers use it, procedural only reports it
    palette: tuple[str, ...]  # brand hex colours; empty → the provider picks a tasteful default
    width: int  # requested output size in px
    height: int
    seed: int
    packshot: Image.Image | None = None  # RGBA cut-out of the product to stage in the scene
    shape: PackageShape | None = None  # hint; None → inferred from name/description keywords
    negative_prompt: str = ""  # what must not appear; empty → the template's default

    def __post_init__(self) -> None:
        for side in (self.width, self.height):
            if not 1 <= side <= MAX_SIDE:
                raise ValueError(f"image size {self.width}x{self.height} outside 1..{MAX_SIDE}")
        for colour in self.palette:
            parse_hex(colour)
        if self.shape is not None and self.shape not in PACKAGE_SHAPES:
            raise ValueError(f"unknown package shape {self.shape!r}; known: {PACKAGE_SHAPES}")


@dataclass(frozen=True)
class GenerationResult:
    """One generated image and an honest account of how it was made."""

    image: Image.Image  # RGB, exactly width x height of the request
    provider: str  # registry short name, e.g. "procedural"
    model: str  # provider-specific model/version string
    seed: int
    cost_usd: float
    latency_s: float
    subject_box: Box | None  # the product in image pixels, if the provider knows it
    prompt: str
    # filled in by the provider chain: what was tried before this result, and whether it came
    # from the generation cache (then cost_usd is what it cost originally, not paid again)
    fallbacks: tuple[str, ...] = ()
    cached: bool = False
    quality: float | None = None
    # the provider's own file bytes when `image` is exactly their decoding: the cache keeps
    # them rather than encoding the image again
    encoded: bytes | None = None


class ImageProvider(Protocol):
    """A backend that turns a GenerationRequest into an image.

    Implementations translate their own failures into ProviderUnavailable (transient: the
    router retries or falls back) or ContentRejected (final) from creative_automation.errors.
    """

    name: str

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        """Make one image for the request; never blocks the event loop."""
        ...


class TextProvider(Protocol):
    """A backend that writes short ad text: translations of copy and alt text.

    Implementations raise the same errors as image providers (ProviderUnavailable,
    ProviderFailed, ContentRejected) and never return an empty string.
    """

    name: str

    async def translate(
        self, text: str, *, source_locale: str, target_locale: str, context: str = ""
    ) -> str:
        """`text` (a headline or call to action) in `target_locale`, brand names unchanged."""
        ...

    async def alt_text(self, *, product: str, message: str, locale: str) -> str:
        """One sentence of alt text for an ad showing `product` with `message`, in `locale`."""
        ...


__all__ = [
    "MAX_SIDE",
    "PACKAGE_SHAPES",
    "GenerationRequest",
    "GenerationResult",
    "ImageProvider",
    "PackageShape",
    "TextProvider",
    "parse_hex",
]
