"""Tests for imaging.io: asset paths, safe decoding of every colour mode, export encoding."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms, JpegImagePlugin

from creative_automation.errors import AssetError
from creative_automation.imaging.io import (
    encode_image,
    has_transparency,
    load_image,
    resolve_asset,
    split_alpha,
    to_rgb_array,
)
from factories import png_chunk, swapped_profile

SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def is_srgb_profile(icc: object) -> bool:
    """Same profile as lcms' sRGB; bytes 24-35 hold the creation time, so they may differ."""
    return isinstance(icc, bytes) and icc[:24] + icc[36:] == SRGB_ICC[:24] + SRGB_ICC[36:]


# --- resolve_asset -------------------------------------------------------------------------


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    root = tmp_path / "assets"
    (root / "sub").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(root / "sub" / "a.png")
    (tmp_path / "secret.png").write_bytes(b"outside")
    return root


def test_resolve_asset_finds_nested_file(assets: Path) -> None:
    assert resolve_asset(assets, "sub/a.png") == (assets / "sub" / "a.png").resolve()


@pytest.mark.parametrize("name", ["../secret.png", "sub/../../secret.png", "..\\secret.png"])
def test_resolve_asset_rejects_parent_segments(assets: Path, name: str) -> None:
    with pytest.raises(AssetError, match=r"'\.\.'"):
        resolve_asset(assets, name)


@pytest.mark.parametrize("name", ["/etc/passwd", "C:\\Windows\\x.png", "\\\\server\\share\\x.png"])
def test_resolve_asset_rejects_absolute(assets: Path, name: str) -> None:
    with pytest.raises(AssetError, match="absolute"):
        resolve_asset(assets, name)


def test_resolve_asset_rejects_symlink_outside(assets: Path) -> None:
    os.symlink(assets.parent / "secret.png", assets / "link.png")
    with pytest.raises(AssetError, match="outside the asset folder"):
        resolve_asset(assets, "link.png")


def test_resolve_asset_allows_symlink_inside(assets: Path) -> None:
    os.symlink(assets / "sub" / "a.png", assets / "alias.png")
    assert resolve_asset(assets, "alias.png") == (assets / "sub" / "a.png").resolve()


@pytest.mark.parametrize("name", ["missing.png", "sub", ""])
def test_resolve_asset_rejects_missing_or_not_a_file(assets: Path, name: str) -> None:
    with pytest.raises(AssetError):
        resolve_asset(assets, name)


# --- load_image: orientation and colour modes ----------------------------------------------


def test_exif_orientation_6_is_applied(tmp_path: Path) -> None:
    # Stored 200x100 with a red marker top-left; orientation 6 = display rotated 90° clockwise,
    # so the marker must end up top-right of a 100x200 image.
    arr = np.full((100, 200, 3), 255, np.uint8)
    arr[:20, :20] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rot.jpg"
    Image.fromarray(arr).save(path, quality=95, exif=exif)

    img = load_image(path)
    assert img.size == (100, 200)
    out = np.asarray(img)
    assert out[5, 95].tolist() == pytest.approx([255, 0, 0], abs=40)
    assert out[5, 5].tolist() == pytest.approx([255, 255, 255], abs=20)
    assert out[195, 95].tolist() == pytest.approx([255, 255, 255], abs=20)


def test_cmyk_jpeg_becomes_rgb_with_plausible_colours(tmp_path: Path) -> None:
    cmyk = Image.new("CMYK", (64, 32), (0, 255, 255, 0))  # red ink
    cmyk.paste((255, 0, 0, 0), (32, 0, 64, 32))  # cyan ink
    path = tmp_path / "cmyk.jpg"
    cmyk.save(path, quality=95)  # Pillow writes Adobe (inverted) CMYK, as Photoshop does
    assert b"Adobe" in path.read_bytes()[:512]

    img = load_image(path)
    assert img.mode == "RGB"
    red, cyan = img.getpixel((8, 16)), img.getpixel((56, 16))
    assert isinstance(red, tuple) and isinstance(cyan, tuple)
    assert red[0] > 200 and red[1] < 60 and red[2] < 60
    assert cyan[0] < 60 and cyan[1] > 200 and cyan[2] > 200


def test_embedded_icc_profile_is_converted_to_srgb(tmp_path: Path) -> None:
    path = tmp_path / "swapped.png"
    Image.new("RGB", (8, 8), (255, 0, 0)).save(path, icc_profile=swapped_profile())
    assert load_image(path).getpixel((0, 0)) == pytest.approx((0, 0, 255), abs=2)


def test_srgb_profile_leaves_pixels_alone(tmp_path: Path) -> None:
    arr = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    path = tmp_path / "srgb.png"
    Image.fromarray(arr).save(path, icc_profile=SRGB_ICC)
    np.testing.assert_array_equal(np.asarray(load_image(path)), arr)


def test_broken_icc_profile_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "badicc.png"
    Image.new("RGB", (8, 8), (10, 20, 30)).save(path, icc_profile=b"not a profile" * 10)
    assert load_image(path).getpixel((0, 0)) == (10, 20, 30)


def test_16bit_grey_png_becomes_8bit_with_rounded_values(tmp_path: Path) -> None:
    wide = np.array([[0, 128, 257, 32896, 65280, 65535]], dtype=np.uint16)
    path = tmp_path / "g16.png"
    Image.fromarray(wide).save(path)
    with Image.open(path) as raw:
        assert raw.mode.startswith("I")

    img = load_image(path)
    assert img.mode == "RGB"
    assert np.asarray(img)[0, :, 0].tolist() == [0, 0, 1, 128, 254, 255]


def test_16bit_rgb_png_becomes_8bit(tmp_path: Path) -> None:
    bgr = np.zeros((4, 4, 3), np.uint16)
    bgr[..., 2], bgr[..., 1], bgr[..., 0] = 65535, 32896, 0  # cv2 writes BGR
    path = tmp_path / "rgb16.png"
    assert cv2.imwrite(str(path), bgr)
    img = load_image(path)
    assert img.mode == "RGB"
    assert img.getpixel((1, 1)) == pytest.approx((255, 128, 0), abs=1)


def test_palette_png_with_transparency_becomes_rgba(tmp_path: Path) -> None:
    pal = Image.new("P", (8, 8), 0)
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    pal.paste(1, (4, 0, 8, 8))
    path = tmp_path / "pal.png"
    pal.save(path, transparency=0)

    img = load_image(path)
    assert img.mode == "RGBA"
    assert img.getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert img.getpixel((6, 6)) == (0, 0, 255, 255)


def test_opaque_palette_and_grey_become_rgb(tmp_path: Path) -> None:
    pal = Image.new("P", (4, 4), 0)
    pal.putpalette([0, 200, 0] + [0] * 765)
    pal.save(tmp_path / "pal.png")
    Image.new("L", (4, 4), 77).save(tmp_path / "grey.png")
    assert load_image(tmp_path / "pal.png").getpixel((0, 0)) == (0, 200, 0)
    assert load_image(tmp_path / "grey.png").getpixel((0, 0)) == (77, 77, 77)


def test_la_becomes_rgba(tmp_path: Path) -> None:
    la = Image.merge("LA", (Image.new("L", (4, 4), 90), Image.new("L", (4, 4), 128)))
    path = tmp_path / "la.png"
    la.save(path)
    img = load_image(path)
    assert img.mode == "RGBA"
    assert img.getpixel((1, 1)) == (90, 90, 90, 128)


def test_fully_opaque_rgba_becomes_rgb(tmp_path: Path) -> None:
    path = tmp_path / "opaque.png"
    Image.new("RGBA", (4, 4), (1, 2, 3, 255)).save(path)
    assert load_image(path).mode == "RGB"


def test_webp_with_alpha_loads(tmp_path: Path) -> None:
    img = Image.new("RGBA", (16, 16), (0, 128, 255, 255))
    img.paste((0, 0, 0, 0), (0, 0, 8, 16))
    path = tmp_path / "a.webp"
    img.save(path, lossless=True)
    out = load_image(path)
    assert out.mode == "RGBA"
    assert out.getpixel((12, 8)) == (0, 128, 255, 255)


def test_content_decides_format_not_extension(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.new("RGB", (32, 16), (200, 100, 50)).save(path, format="JPEG", quality=95)
    img = load_image(path)
    assert img.size == (32, 16)
    assert img.getpixel((5, 5)) == pytest.approx((200, 100, 50), abs=3)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_formats_are_rejected(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "x.png"  # an allowed extension must not help
    Image.new("RGB", (8, 8)).save(path, format=fmt)
    with pytest.raises(AssetError, match="not a PNG, JPEG or WebP"):
        load_image(path)


def test_missing_file_is_asset_error(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match="not found"):
        load_image(tmp_path / "nope.png")


# --- load_image: hostile and broken files --------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_asset_error(tmp_path: Path, fmt: str) -> None:
    arr = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt)
    path = tmp_path / "cut.img"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(AssetError, match="cannot decode"):
        load_image(path)


def test_png_bomb_is_rejected_from_the_header(tmp_path: Path) -> None:
    # Header says 20000x20000 (400 Mpx); the data is a few hundred bytes.
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 20001 * 64, 9)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
    path = tmp_path / "bomb.png"
    path.write_bytes(data + png_chunk(b"IEND", b""))
    assert path.stat().st_size < 2000

    start = time.perf_counter()
    with pytest.raises(AssetError, match=r"20000x20000.*exceeds"):
        load_image(path)
    assert time.perf_counter() - start < 0.5


def test_webp_bomb_is_rejected_before_the_decoder_allocates(tmp_path: Path) -> None:
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    vp8x += (20000 - 1).to_bytes(3, "little") + (20000 - 1).to_bytes(3, "little")
    path = tmp_path / "bomb.webp"
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x)
    with pytest.raises(AssetError, match="exceeds"):
        load_image(path)


def test_max_pixels_is_per_call_and_leaves_pillow_global_alone(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    Image.new("RGB", (100, 100)).save(path)
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(AssetError, match="exceeds the limit of 5,000"):
        load_image(path, max_pixels=5_000)
    assert load_image(path, max_pixels=10_000).size == (100, 100)
    assert before == Image.MAX_IMAGE_PIXELS


def test_garbage_is_asset_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.jpg"
    path.write_bytes(b"\xff\xd8\xff" + os.urandom(500))
    with pytest.raises(AssetError):
        load_image(path)


# --- helpers over decoded images -----------------------------------------------------------


def test_has_transparency() -> None:
    assert not has_transparency(Image.new("RGB", (2, 2)))
    assert not has_transparency(Image.new("RGBA", (2, 2), (0, 0, 0, 255)))
    assert has_transparency(Image.new("RGBA", (2, 2), (0, 0, 0, 254)))
    assert has_transparency(Image.new("LA", (2, 2), (0, 0)))


def test_to_rgb_array_and_split_alpha() -> None:
    opaque = Image.new("RGBA", (3, 2), (1, 2, 3, 255))
    arr = to_rgb_array(opaque)
    assert arr.shape == (2, 3, 3) and arr.dtype == np.uint8
    assert arr[0, 0].tolist() == [1, 2, 3]

    cut = Image.new("RGBA", (3, 2), (1, 2, 3, 0))
    with pytest.raises(ValueError, match="split_alpha"):
        to_rgb_array(cut)
    rgb, alpha = split_alpha(cut)
    assert rgb.shape == (2, 3, 3) and alpha is not None and alpha.shape == (2, 3)
    assert split_alpha(Image.new("L", (3, 2)))[1] is None


# --- encode_image -----------------------------------------------------------------------------


def _decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_jpeg_export_is_srgb_444_without_metadata() -> None:
    src = Image.new("RGB", (1080, 1350), (200, 30, 60))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0xA431] = "SERIAL-123"  # BodySerialNumber
    src.info["exif"] = exif.tobytes()
    src.info["comment"] = b"leaky"

    out = _decode(encode_image(src, "jpeg", quality=90))
    assert isinstance(out, JpegImagePlugin.JpegImageFile)
    assert out.size == (1080, 1350)
    assert is_srgb_profile(out.info.get("icc_profile"))
    assert "exif" not in out.info and not dict(out.getexif())
    assert "comment" not in out.info
    assert JpegImagePlugin.get_sampling(out) == 0  # 4:4:4


def test_jpeg_export_accepts_arrays() -> None:
    arr = np.zeros((1920, 1080, 3), np.uint8)
    arr[:, :, 1] = 180
    out = _decode(encode_image(arr, "jpeg"))
    assert out.size == (1080, 1920)
    assert out.getpixel((10, 10)) == pytest.approx((0, 180, 0), abs=3)


def test_jpeg_export_refuses_transparency() -> None:
    with pytest.raises(ValueError, match="transparency"):
        encode_image(Image.new("RGBA", (4, 4), (0, 0, 0, 0)), "jpeg")


def test_png_export_keeps_alpha_and_embeds_srgb() -> None:
    src = Image.new("RGBA", (64, 32), (10, 20, 30, 100))
    out = _decode(encode_image(src, "png"))
    assert out.mode == "RGBA" and out.size == (64, 32)
    assert out.getpixel((3, 3)) == (10, 20, 30, 100)
    assert is_srgb_profile(out.info.get("icc_profile"))


def test_round_trip_through_load_image(tmp_path: Path) -> None:
    arr = np.random.default_rng(2).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    path = tmp_path / "rt.png"
    path.write_bytes(encode_image(arr, "png"))
    np.testing.assert_array_equal(to_rgb_array(load_image(path)), arr)
