"""Provider response bodies decode like assets: colour managed, size-capped, alpha flattened."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from creative_automation.errors import ProviderUnavailable
from creative_automation.providers.decode import decode_image
from factories import png_chunk, swapped_profile


def png(image: Image.Image, **kw: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", **kw)
    return buf.getvalue()


def test_an_embedded_profile_is_converted_to_srgb() -> None:
    body = png(Image.new("RGB", (8, 8), (255, 0, 0)), icc_profile=swapped_profile())
    assert decode_image(body, "Fake").getpixel((0, 0)) == pytest.approx((0, 0, 255), abs=2)


def test_transparency_goes_over_white_and_size_is_fitted() -> None:
    body = png(Image.new("RGBA", (40, 20), (0, 0, 0, 0)))
    image = decode_image(body, "Fake", (10, 10))
    assert image.mode == "RGB" and image.size == (10, 10)
    assert image.getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize("body", [b"", b"<html>busy</html>", png(Image.new("RGB", (9, 9)))[:40]])
def test_a_broken_body_is_a_transient_provider_error(body: bytes) -> None:
    with pytest.raises(ProviderUnavailable, match="Fake: malformed response"):
        decode_image(body, "Fake")


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    # a PNG header announcing 50,000 x 50,000 pixels: refused from the header alone
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")
    with pytest.raises(ProviderUnavailable, match="exceeds the limit"):
        decode_image(bomb, "Fake")
