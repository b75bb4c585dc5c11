"""A cut-out packshot: its visible pixels, and the product stood in an empty frame to stage."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from creative_automation.imaging.geometry import Box


def cutout(packshot: Image.Image) -> np.ndarray:
    """The packshot as premultiplied RGBA float, cropped to its visible pixels.

    An image without transparency gets its border-connected uniform background keyed out
    (a packshot on white); if that finds no clean background it is staged as a rectangle.
    """
    rgba = np.asarray(packshot.convert("RGBA"), np.float32) / 255.0
    if rgba[..., 3].min() > 0.98:
        rgb8 = np.array(packshot.convert("RGB"))  # writable: floodFill insists
        h, w = rgb8.shape[:2]
        mask = np.zeros((h + 2, w + 2), np.uint8)
        flags = 4 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (255 << 8)
        for seed in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
            cv2.floodFill(rgb8, mask, seed, (0, 0, 0), (10,) * 3, (10,) * 3, flags)
        background = mask[1:-1, 1:-1] > 0
        if 0.05 < background.mean() < 0.95:
            soft = cv2.GaussianBlur((~background).astype(np.float32), (0, 0), 0.8)
            rgba[..., 3] = np.minimum(rgba[..., 3], soft)
    rgba[..., :3] *= rgba[..., 3:4]
    ys, xs = np.nonzero(rgba[..., 3] > 0.02)
    if xs.size == 0:
        raise ValueError("the packshot is fully transparent")
    return rgba[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def digest(packshot: Image.Image) -> str:
    """sha256 of the packshot's pixels and size: part of a generation's cache key."""
    rgba = packshot.convert("RGBA")
    h = hashlib.sha256(f"{rgba.width}x{rgba.height}".encode())
    h.update(rgba.tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class StagedLayer:
    """The product where it stands in a frame to be filled around it: straight-alpha RGBA."""

    rgba: np.ndarray  # HxWx4 uint8, transparent everywhere but the product
    box: Box  # the product's visible pixels in the frame

    def png(self) -> bytes:
        """The frame as PNG: the product opaque, the rest alpha 0 (the area to generate)."""
        buf = io.BytesIO()
        Image.fromarray(self.rgba, "RGBA").save(buf, "PNG", compress_level=1)
        return buf.getvalue()

    def over(self, image: Image.Image) -> Image.Image:
        """`image` (the frame's size) with the product's own pixels laid back on top, so what a
        model redrew of the product itself never reaches a creative."""
        base = image.convert("RGB")
        if base.size != (self.rgba.shape[1], self.rgba.shape[0]):
            raise ValueError(f"image {base.size} is not the staged frame's size")
        alpha = self.rgba[..., 3:4].astype(np.float32) / 255.0
        mixed = self.rgba[..., :3] * alpha + np.asarray(base, np.float32) * (1.0 - alpha)
        return Image.fromarray(np.clip(np.rint(mixed), 0, 255).astype(np.uint8), "RGB")


def stage_layer(packshot: Image.Image, width: int, height: int) -> StagedLayer:
    """The cut-out stood centred on an imagined floor of a width x height frame: at most 58 %
    of the frame's height and 60 % of its width, its base at 86 % of the height, so the scene
    has room around it for the floor, shadows and a headline."""
    cut = cutout(packshot)
    ch, cw = cut.shape[:2]
    scale = min(0.58 * height / ch, 0.6 * width / cw)
    size = (max(1, round(cw * scale)), max(1, round(ch * scale)))
    # Area and linear resampling never overshoot, so premultiplied colour stays <= alpha.
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    sprite = np.asarray(cv2.resize(cut, size, interpolation=interp), np.float32)
    x0 = (width - size[0]) // 2
    y0 = max(0, round(0.86 * height) - size[1])
    frame = np.zeros((height, width, 4), np.float32)
    frame[y0 : y0 + size[1], x0 : x0 + size[0]] = sprite
    alpha = frame[..., 3:4]
    straight = np.where(alpha > 0, frame[..., :3] / np.maximum(alpha, 1e-6), 0.0)
    rgba = np.concatenate([straight, alpha], axis=-1)
    rgba8 = np.clip(np.rint(rgba * 255.0), 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(rgba8[..., 3] > 5)
    box = Box(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    return StagedLayer(rgba8, box)


__all__ = ["StagedLayer", "cutout", "digest", "stage_layer"]
