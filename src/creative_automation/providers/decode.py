"""Provider response bodies → the opaque sRGB images a GenerationResult promises."""

from __future__ import annotations

from PIL import Image, ImageOps

from creative_automation.errors import AssetError, ProviderUnavailable
from creative_automation.imaging.io import decode_bytes

# Same cap as for assets: a response that decodes to more is broken or hostile.
MAX_PIXELS = 40_000_000


def decode_image(data: bytes, label: str, size: tuple[int, int] | None = None) -> Image.Image:
    """PNG/JPEG/WebP bytes → RGB in sRGB, through the asset decoder (format sniffed, pixel cap
    before decoding, EXIF orientation, ICC profile converted). With `size`, centre-cropped to
    its aspect and resized to exactly that. Transparent areas go over white rather than whatever
    colour hides under alpha 0. Undecodable data is ProviderUnavailable: the provider sent a
    broken body, which a retry may not repeat. CPU-bound: call it in a thread."""
    try:
        image = decode_bytes(data, name=f"{label}: malformed response: body", max_pixels=MAX_PIXELS)
    except AssetError as exc:
        raise ProviderUnavailable(str(exc), status=200) from None
    if image.mode == "RGBA":
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image)
    rgb = image.convert("RGB")
    if size is not None and rgb.size != size:
        rgb = ImageOps.fit(rgb, size, Image.Resampling.LANCZOS)
    return rgb


__all__ = ["MAX_PIXELS", "decode_image"]
