"""Safe image decode (size cap, sniffed format, EXIF orientation, colour modes) and encode."""

from __future__ import annotations

import contextlib
import io
import struct
from functools import cache, lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Literal

import numpy as np
from PIL import (
    Image,
    ImageCms,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from creative_automation.errors import AssetError

ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP"}

# Everything Pillow or its codecs raise for a corrupt, truncated or hostile file.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    MemoryError,
    Image.DecompressionBombError,
    ImageCms.PyCMSError,
)

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def resolve_asset(assets_dir: Path, name: str) -> Path:
    """Path of asset `name` inside assets_dir. AssetError if name is absolute, contains '..',
    resolves (symlinks too) outside assets_dir, or does not exist."""
    if not name or "\x00" in name:
        raise AssetError(f"asset name {name!r} is empty or contains a NUL byte")
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).anchor:
        raise AssetError(
            f"asset {name!r}: absolute paths are not allowed, name a file in {assets_dir}"
        )
    # Split on both separators so 'a\\..\\b' is refused on every platform.
    if ".." in name.replace("\\", "/").split("/"):
        raise AssetError(f"asset {name!r}: '..' is not allowed in asset names")
    base = assets_dir.resolve()
    path = (base / name).resolve()  # follows symlinks, so a link pointing outside is caught
    if not path.is_relative_to(base):
        raise AssetError(f"asset {name!r} resolves to {path}, outside the asset folder {base}")
    if not path.is_file():
        raise AssetError(f"asset {name!r} not found in {base}")
    return path


def _webp_size(head: bytes) -> tuple[int, int] | None:
    """Canvas size from a WebP header (VP8X, VP8L or VP8 chunk), or None if unreadable."""
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        return 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(head[27:30], "little")
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        return (
            int.from_bytes(head[26:28], "little") & 0x3FFF,
            int.from_bytes(head[28:30], "little") & 0x3FFF,
        )
    return None


def sniff_format(data: bytes) -> str | None:
    """ "PNG", "JPEG" or "WEBP" from the file's first bytes; None for anything else."""
    return _sniff(data[:32])


def probe_bytes(data: bytes, *, name: str, max_pixels: int = 40_000_000) -> tuple[int, int]:
    """The image's size from its header alone, with load_image's checks (format by content,
    the pixel cap); AssetError as load_image would raise it. Nothing is decoded."""
    try:
        return _open_header(io.BytesIO(data), name, max_pixels).size
    except AssetError:
        raise
    except _DECODE_ERRORS as exc:
        raise AssetError(f"{name}: unreadable image header ({type(exc).__name__})") from exc


def _sniff(head: bytes) -> str | None:
    if head.startswith(_PNG_MAGIC):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _open_header(fp: IO[bytes], name: str, max_pixels: int) -> ImageFile.ImageFile:
    """Open with the plugin chosen by content, checking the header size before any decoding.

    The plugin classes are called directly rather than through Image.open so that the size cap
    is ours (per call) and Pillow's global MAX_IMAGE_PIXELS warning never fires or needs changing.
    """
    head = fp.read(32)
    fmt = _sniff(head)
    if fmt is None:
        raise AssetError(f"{name}: not a PNG, JPEG or WebP file (content sniffed, not extension)")
    fp.seek(0)
    if fmt == "WEBP":
        # The WebP plugin allocates the canvas while opening, so check the size first.
        size = _webp_size(head)
        if size is None:
            raise AssetError(f"{name}: unreadable WebP header")
        _check_pixels(name, size, max_pixels)
        return WebPImagePlugin.WebPImageFile(fp)
    if fmt == "PNG":
        im: ImageFile.ImageFile = PngImagePlugin.PngImageFile(fp)
    else:
        im = JpegImagePlugin.JpegImageFile(fp)
    _check_pixels(name, im.size, max_pixels)
    return im


def _check_pixels(name: str, size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise AssetError(f"{name}: invalid image size {width}x{height}")
    if width * height > max_pixels:
        raise AssetError(
            f"{name}: {width}x{height} = {width * height:,} pixels exceeds the limit of "
            f"{max_pixels:,} (possible decompression bomb)"
        )


def load_image(path: Path, *, max_pixels: int = 40_000_000) -> Image.Image:
    """Decode safely → 8-bit sRGB 'RGB' or 'RGBA' (RGBA only if the image has real transparency).

    Formats are decided by content (PNG/JPEG/WebP only); the header size is checked against
    max_pixels before decoding; EXIF orientation is applied; embedded ICC profiles are converted
    to sRGB; CMYK, 16-bit, palette and grey images are normalised. Every failure is AssetError.
    Animated files yield their first frame.
    """
    try:
        with path.open("rb") as fp:
            return _decode(fp, str(path), max_pixels)
    except FileNotFoundError as exc:
        raise AssetError(f"{path}: file not found") from exc
    except OSError as exc:  # unreadable file (permissions, a folder): decoding never started
        raise AssetError(f"{path}: cannot read file ({type(exc).__name__}: {exc})") from exc


def decode_bytes(data: bytes, *, name: str, max_pixels: int = 40_000_000) -> Image.Image:
    """`load_image` for bytes already in memory (a provider's response body), with the same
    checks and normalisation; `name` says where the bytes came from in error messages."""
    return _decode(io.BytesIO(data), name, max_pixels)


def _decode(fp: IO[bytes], name: str, max_pixels: int) -> Image.Image:
    try:
        im = _open_header(fp, name, max_pixels)
        if im.format not in ALLOWED_FORMATS:
            raise AssetError(f"{name}: format {im.format} is not one of {sorted(ALLOWED_FORMATS)}")
        im.load()  # full decode now: a truncated file raises here, never later
        icc = im.info.get("icc_profile")
        transparency = im.info.get("transparency")
        _apply_orientation(im)
        return _normalise(im, icc if isinstance(icc, bytes) else None, transparency)
    except AssetError:
        raise
    except _DECODE_ERRORS as exc:
        raise AssetError(f"{name}: cannot decode image ({type(exc).__name__}: {exc})") from exc


def _apply_orientation(im: Image.Image) -> None:
    # A damaged EXIF block is common in camera files; the pixels are still good, so keep
    # them unrotated rather than reject the asset.
    with contextlib.suppress(*_DECODE_ERRORS):
        ImageOps.exif_transpose(im, in_place=True)


def _normalise(im: Image.Image, icc: bytes | None, transparency: object) -> Image.Image:
    """Any decoded mode → 8-bit 'RGB' or 'RGBA' in sRGB."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        im = _wide_to_l(im, transparency)
    elif im.mode in ("P", "PA", "1") or (transparency is not None and im.mode in ("L", "RGB")):
        im = im.convert("RGBA")  # Pillow turns tRNS/palette transparency into alpha here
    # Now one of L, LA, RGB, RGBA, CMYK (or an exotic mode converted below).
    alpha = im.getchannel("A") if im.mode in ("LA", "RGBA") else None
    colour = im.convert(im.mode[:-1]) if alpha is not None else im
    if colour.mode not in ("L", "RGB", "CMYK"):
        colour = colour.convert("RGB")
    rgb = _to_srgb(colour, icc) if icc else None
    if rgb is None:
        rgb = colour if colour.mode == "RGB" else colour.convert("RGB")
    if alpha is not None and _min_alpha(alpha) < 255:
        rgb.putalpha(alpha)
    return rgb


def _wide_to_l(im: Image.Image, transparency: object) -> Image.Image:
    """16/32-bit grey → 8-bit 'L' (or 'LA' when a tRNS grey value is set), rounding v/257."""
    wide = np.asarray(im)
    if wide.dtype.kind == "f":
        grey = np.clip(np.rint(wide * 255.0), 0, 255).astype(np.uint8)
    else:
        clipped = np.clip(wide.astype(np.int64), 0, 65535)
        grey = ((clipped + 128) // 257).astype(np.uint8)
    out = Image.fromarray(grey)
    if isinstance(transparency, int):
        out.putalpha(Image.fromarray(np.where(wide == transparency, 0, 255).astype(np.uint8)))
    return out


@lru_cache(maxsize=32)
def _transform_for(icc: bytes, in_mode: str) -> ImageCms.ImageCmsTransform | None:
    """Cached transform from an embedded profile to sRGB; None when it is sRGB in effect."""
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    # NOCACHE: lcms' 1-pixel cache makes a shared transform unsafe across threads.
    transform = ImageCms.buildTransform(
        profile, _srgb_profile(), in_mode, "RGB", flags=ImageCms.Flags.NOCACHE
    )
    if in_mode == "RGB":
        # Most camera and web files embed some flavour of sRGB; skip the per-pixel work when
        # the transform is an identity on a colour cube (judged by effect, not by name).
        probe = _probe_cube()
        out = np.asarray(transform.apply(probe), dtype=np.int16)
        if int(np.abs(out - np.asarray(probe, dtype=np.int16)).max()) <= 1:
            return None
    return transform


@cache
def _probe_cube() -> Image.Image:
    levels = np.linspace(0, 255, 8).round().astype(np.uint8)
    cube = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1)
    return Image.fromarray(np.ascontiguousarray(cube.reshape(8, 64, 3)))


def _to_srgb(colour: Image.Image, icc: bytes) -> Image.Image | None:
    try:
        transform = _transform_for(icc, colour.mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A broken or mismatched profile (e.g. an RGB profile on a grey image): colours are
        # still usable as if sRGB, which is what every browser does with such a file.
        return None
    if transform is None:
        return colour if colour.mode == "RGB" else None
    return transform.apply(colour)


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@cache
def _srgb_icc_bytes() -> bytes:
    icc = bytearray(_srgb_profile().tobytes())
    # lcms stamps the creation time into the header (bytes 24-35); a fixed date keeps exports
    # byte-identical across runs (caches, resumed campaigns, golden files). No profile ID is set.
    icc[24:36] = struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
    return bytes(icc)


def _min_alpha(alpha: Image.Image) -> int:
    low = alpha.getextrema()[0]  # single-band 'L': (min, max) of ints
    return int(low) if isinstance(low, (int, float)) else 0


def has_transparency(img: Image.Image) -> bool:
    """True if any pixel is not fully opaque (alpha channel or tRNS/palette transparency)."""
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return _min_alpha(img.getchannel("A")) < 255
    if "transparency" in img.info and img.mode in ("P", "L", "RGB", "1", "I", "I;16"):
        return _min_alpha(img.convert("RGBA").getchannel("A")) < 255
    return False


def encode_image(
    img: Image.Image | np.ndarray, fmt: Literal["jpeg", "png"], *, quality: int = 90
) -> bytes:
    """Encode for export: sRGB profile embedded, no metadata carried over (EXIF, GPS, XMP).

    JPEG: `quality`, 4:4:4 chroma, no optimize pass (speed); RGBA with real transparency is
    refused (JPEG has no alpha). PNG: compress_level 1 (speed; see the performance model).
    Accepts an HxWx3 (or x4 for PNG) uint8 array.
    """
    clean = _clean_image(img)
    buf = io.BytesIO()
    if fmt == "jpeg":
        if clean.mode == "RGBA":
            if has_transparency(clean):
                raise ValueError("JPEG cannot hold transparency; composite the image first")
            clean = clean.convert("RGB")
        clean.save(
            buf,
            "JPEG",
            quality=quality,
            subsampling=0,
            optimize=False,
            icc_profile=_srgb_icc_bytes(),
            exif=b"",
        )
    elif fmt == "png":
        clean.save(buf, "PNG", compress_level=1, icc_profile=_srgb_icc_bytes())
    else:
        raise ValueError(f"unsupported export format {fmt!r}; use 'jpeg' or 'png'")
    return buf.getvalue()


def _clean_image(img: Image.Image | np.ndarray) -> Image.Image:
    """An RGB/RGBA image with an empty info dict, so nothing of the source's metadata leaks."""
    if isinstance(img, np.ndarray):
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] not in (3, 4):
            raise ValueError(f"expected an HxWx3 or HxWx4 uint8 array, got {img.dtype} {img.shape}")
        return Image.fromarray(np.ascontiguousarray(img))
    if img.mode not in ("RGB", "RGBA"):
        return img.convert("RGBA" if has_transparency(img) else "RGB")
    clean = img.copy()
    clean.info = {}
    return clean


def to_rgb_array(img: Image.Image) -> np.ndarray:
    """HxWx3 uint8 of an opaque image; an opaque RGBA's alpha is dropped.

    Images with real transparency are refused (ValueError): use split_alpha, so the alpha is
    passed on (e.g. to saliency.focal_box) instead of silently lost.
    """
    rgb, alpha = split_alpha(img)
    if alpha is not None:
        raise ValueError("image has transparency; use split_alpha() to keep the alpha channel")
    return rgb


def split_alpha(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """(HxWx3 uint8 colour, HxW uint8 alpha or None when the image is fully opaque)."""
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if has_transparency(img) else "RGB")
    arr = np.asarray(img)
    if img.mode == "RGB":
        return arr, None
    alpha = arr[..., 3]
    if int(alpha.min()) == 255:
        return np.ascontiguousarray(arr[..., :3]), None
    return np.ascontiguousarray(arr[..., :3]), np.ascontiguousarray(alpha)


__all__ = [
    "ALLOWED_FORMATS",
    "decode_bytes",
    "encode_image",
    "has_transparency",
    "load_image",
    "probe_bytes",
    "resolve_asset",
    "sniff_format",
    "split_alpha",
    "to_rgb_array",
]
