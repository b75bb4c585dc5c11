"""Test factories: images and briefs the tests draw and write themselves."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np
from PIL import Image, ImageDraw


def photo(width: int = 900, height: int = 600, seed: int = 3) -> Image.Image:
    """A photo-like scene: a soft gradient with one bright, textured object right of centre."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([90 + 60 * x / width, 110 + 40 * y / height, 140 - 30 * x / width], axis=-1)
    base += rng.normal(0, 3, base.shape)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    cx, cy, r = int(width * 0.58), int(height * 0.55), int(min(width, height) * 0.22)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(235, 200, 60))
    for i in range(6):
        d.line(
            (cx - r + 10, cy - r + 20 + i * 25, cx + r - 10, cy - r + 30 + i * 25),
            fill=(120, 40, 20),
            width=6,
        )
    return img


def logo() -> Image.Image:
    img = Image.new("RGBA", (300, 90), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((5, 5, 85, 85), fill=(20, 60, 40, 255))
    d.rectangle((100, 30, 290, 60), fill=(20, 60, 40, 255))
    return img


def brief_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "campaign_id": "test-campaign",
        "campaign_name": "Test Campaign",
        "markets": ["US", "AE", "JP"],
        "audience": "Testers",
        "message": "Fresh roast, delivered every morning",
        "call_to_action": "Order now",
        "locales": {
            "en-US": {
                "message": "Fresh roast, delivered every morning",
                "call_to_action": "Order now",
            },
            "ar-AE": {"message": "قهوة طازجة تصلك كل صباح", "call_to_action": "اطلب الآن"},
            "ja-JP": {"message": "毎朝、挽きたてのコーヒーを。", "call_to_action": "今すぐ注文"},
        },
        "products": [
            {"id": "photo-product", "name": "Roast Beans", "assets": ["hero.jpg"]},
            {
                "id": "made-product",
                "name": "Citrus Tonic",
                "description": "sparkling drink in a can",
            },
        ],
        "brand": {
            "name": "Test Brand",
            "logo": "logo.png",
            "palette": ["#14503C", "#F2C14E", "#FAF7F0"],
        },
        "formats": ["1:1", "9:16", "16:9"],
        "seed": 1,
    }
    data.update(changes)
    return data


def generation_request(**overrides: Any) -> Any:
    """A small GenerationRequest for provider tests (96×96, seed 42), fields overridable."""
    from creative_automation.providers.base import GenerationRequest

    fields: dict[str, Any] = {
        "product_id": "p1",
        "product_name": "Citrus Sparkling Water",
        "description": "A crisp sparkling water.",
        "prompt": "a can of sparkling water on a marble counter",
        "palette": (),
        "width": 96,
        "height": 96,
        "seed": 42,
    }
    fields.update(overrides)
    return GenerationRequest(**fields)


def _srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with its length and CRC, for hand-made (hostile) PNG files."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def swapped_profile() -> bytes:
    """sRGB with the red and blue colorants swapped: file red means blue."""
    icc = bytearray(_srgb_icc())
    count = struct.unpack(">I", icc[128:132])[0]
    entries = {bytes(icc[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    r, b = entries[b"rXYZ"], entries[b"bXYZ"]
    icc[r + 4 : r + 12], icc[b + 4 : b + 12] = icc[b + 4 : b + 12], icc[r + 4 : r + 12]
    return bytes(icc)


def studio_png_b64(seed: int = 4, output_format: str = "png") -> str:
    """A 1024² procedural studio shot as base64 PNG (or JPEG q95: `output_format`): what a fake
    image API answers with (a real picture, so the quality gate passes it)."""
    import base64
    import io

    from creative_automation.providers.procedural import ProceduralProvider

    request = generation_request(
        product_id="p", product_name="Tonic", description="a can", prompt="",
        palette=("#14503C", "#F2C14E"), width=1024, height=1024, seed=seed,
    )  # fmt: skip
    buf = io.BytesIO()
    image = ProceduralProvider().render(request).image
    if output_format == "jpeg":
        image.save(buf, format="JPEG", quality=95)
    else:
        image.save(buf, format="PNG", compress_level=1)
    return base64.b64encode(buf.getvalue()).decode()
