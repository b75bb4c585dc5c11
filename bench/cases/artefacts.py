"""Labelled product images for the stray-text check (compliance/artefacts.py).

Real pictures at 1024² (scikit-image's photographs, and packshots from the offline `procedural`
provider, which prints the product's name on its label) with and without text nobody asked
for: real words ("Limited Edition"), garbled letter strings like an image model's ("Quemsy
Brantol"), in the bundled Noto Sans, 30–120 px, light or dark against what is behind them,
level or turned up to 12°, some softened and JPEG-encoded as a generated image would be. The
images without the problem include ones showing only the expected text: the product's name
and the brand's, drawn on the photo or printed on the packshot, which the check is told to
expect. Every case is built from the seed: the same seed, the same set.
"""

from __future__ import annotations

import io
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import skimage.data
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter, ImageFont

import creative_automation
from creative_automation.compliance.artefacts import artefact_findings
from creative_automation.providers.base import GenerationRequest
from creative_automation.providers.procedural import ProceduralProvider

from . import Outcome

FONTS = Path(creative_automation.__file__).parent / "fonts"
BOLD, REGULAR = FONTS / "NotoSans-Bold.ttf", FONTS / "NotoSans-Regular.ttf"
SIDE = 1024
# photographs without legible text of their own (stereo_motorcycle's shelves carry labels)
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field")
# (product name, brand name, package description for the procedural provider, palette)
PRODUCTS = (
    ("Signature Espresso", "Aurora Roasters", "espresso in a glass jar", ("#2B1B17", "#E07A2E")),
    ("Sparkling Cold Brew", "Aurora Roasters", "cold brew in a slim can", ("#1F3A5F", "#F4A259")),
    ("Citrus Tonic", "Koa Drinks", "sparkling drink in a bottle", ("#2E4035", "#D9A441")),
    ("Oat Crunch", "Harvest Co", "granola in a box", ("#8C2F39", "#F6E7CB")),
    ("Night Serum", "Lumen Skin", "face serum in a dropper bottle", ("#5B2A86", "#F2D0A4")),
    ("Trail Mix", "Northpeak", "nuts and fruit in a pouch", ("#14503C", "#FAF7F0")),
)  # fmt: skip
WORDS = (
    "Limited Edition", "SALE", "Best Seller", "Premium Quality", "New Formula", "FRESH",
    "Original Recipe", "Special Offer", "Natural", "Handmade", "Delicious", "Summer Sale",
)  # fmt: skip
_CONSONANTS, _VOWELS = "bcdfghklmnprstvwz", "aeiou"
Array = NDArray[np.uint8]
RGB = tuple[int, int, int]


def _square(image: np.ndarray) -> Image.Image:
    """The centre square of a picture at SIDE×SIDE, RGB."""
    img = Image.fromarray(np.asarray(image)).convert("RGB")
    side = min(img.size)
    left, top = (img.width - side) // 2, (img.height - side) // 2
    img = img.crop((left, top, left + side, top + side))
    return img.resize((SIDE, SIDE), Image.Resampling.LANCZOS)


@lru_cache(maxsize=1)
def photos() -> tuple[tuple[str, Image.Image], ...]:
    # scikit-image's data functions carry no type hints
    data = skimage.data
    return tuple((name, _square(getattr(data, name)())) for name in PHOTOS)


@lru_cache(maxsize=1)
def packshots() -> tuple[tuple[str, str, Image.Image], ...]:
    """(product name, brand name, image) from the offline provider: its label shows the name."""
    provider = ProceduralProvider()
    out = []
    for i, (name, brand, description, palette) in enumerate(PRODUCTS):
        request = GenerationRequest(
            product_id=f"p{i}", product_name=name, description=description, prompt="",
            palette=palette, width=SIDE, height=SIDE, seed=11 + i,
        )  # fmt: skip
        out.append((name, brand, provider.render(request).image.convert("RGB")))
    return tuple(out)


def garbled(rng: np.random.Generator) -> str:
    """Letter strings like an image model's pseudo-text: pronounceable, in no language."""
    words = []
    for _ in range(int(rng.integers(1, 3))):
        syllables = int(rng.integers(2, 4))
        word = "".join(
            str(rng.choice(list(_CONSONANTS))) + str(rng.choice(list(_VOWELS)))
            + (str(rng.choice(list(_CONSONANTS))) if rng.random() < 0.4 else "")
            for _ in range(syllables)
        )  # fmt: skip
        style = rng.random()
        words.append(word.upper() if style < 0.4 else word.capitalize() if style < 0.8 else word)
    return " ".join(words)


def _luma(rgb: np.ndarray) -> float:
    return float(np.mean(rgb[..., :3] @ np.array([0.299, 0.587, 0.114])))


def draw(
    image: Image.Image,
    text: str,
    rng: np.random.Generator,
    *,
    size: int,
    angle: float = 0.0,
    where: tuple[float, float] | None = None,
) -> Image.Image:
    """The image with text drawn in, light on a dark spot or dark on a light one."""
    font = ImageFont.truetype(str(BOLD if rng.random() < 0.6 else REGULAR), size)
    left, top, right, bottom = (round(v) for v in font.getbbox(text))
    pad = size // 3
    layer = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(layer).text((pad - left, pad - top), text, font=font, fill=255)
    if angle:
        layer = layer.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    if layer.width >= image.width or layer.height >= image.height:
        layer = layer.resize((layer.width * 3 // 4, layer.height * 3 // 4))
    fx, fy = where if where is not None else (rng.random(), rng.random())
    x = int(fx * (image.width - layer.width))
    y = int(fy * (image.height - layer.height))
    behind = np.asarray(image)[y : y + layer.height, x : x + layer.width]
    hue = rng.integers(0, 256, 3)
    ink = hue // 4 if _luma(behind) > 128 else 255 - (255 - hue) // 4
    out = image.copy()
    out.paste(Image.new("RGB", layer.size, tuple(int(v) for v in ink)), (x, y), layer)
    return out


def generated(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """As an image model's output arrives: a little soft, JPEG-encoded (or not)."""
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.GaussianBlur(0.8))
    if rng.random() < 0.6:
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=int(rng.integers(80, 95)))
        image = Image.open(buf).convert("RGB")
    return image


def cases(seed: int = 0) -> list[tuple[str, Image.Image, tuple[str, ...], bool]]:
    """(what the case is, image, expected texts, whether it has stray text)."""
    rng = np.random.default_rng(seed)
    out: list[tuple[str, Image.Image, tuple[str, ...], bool]] = []
    for i, (photo, base) in enumerate(photos()):
        name, brand = PRODUCTS[i][:2]
        expect = (name, brand)
        out.append((f"{photo}/clean", generated(base, rng), expect, False))
        named = draw(base, name, rng, size=int(rng.integers(50, 90)), where=(0.5, 0.85))
        out.append((f"{photo}/name", generated(named, rng), expect, False))
        both = draw(named, brand, rng, size=int(rng.integers(36, 60)), where=(0.5, 0.08))
        out.append((f"{photo}/name+brand", generated(both, rng), expect, False))
        shot = draw(base, brand.upper(), rng, size=int(rng.integers(40, 70)), angle=-4.0)
        out.append((f"{photo}/brand-turned", generated(shot, rng), expect, False))
        for kind, size, angle in (
            ("word", int(rng.integers(50, 110)), 0.0),
            ("garbled", int(rng.integers(50, 110)), 0.0),
            ("garbled-small", int(rng.integers(30, 44)), 0.0),
            ("garbled-turned", int(rng.integers(50, 90)), float(rng.uniform(5, 12))),
        ):
            text = str(rng.choice(WORDS)) if kind == "word" else garbled(rng)
            stray = draw(base, text, rng, size=size, angle=angle * rng.choice([-1, 1]))
            out.append((f"{photo}/{kind}-{size}px", generated(stray, rng), expect, True))
    for name, brand, shot in packshots():
        expect = (name, brand)
        product = name.lower().replace(" ", "-")
        out.append((f"{product}/packshot", generated(shot, rng), expect, False))
        branded = draw(shot, brand, rng, size=int(rng.integers(40, 64)), where=(0.15, 0.1))
        out.append((f"{product}/packshot+brand", generated(branded, rng), expect, False))
        word = draw(shot, str(rng.choice(WORDS)), rng, size=int(rng.integers(44, 90)))
        out.append((f"{product}/packshot+word", generated(word, rng), expect, True))
        soup = draw(shot, garbled(rng), rng, size=int(rng.integers(44, 90)), where=(0.1, 0.2))
        out.append((f"{product}/packshot+garbled", generated(soup, rng), expect, True))
    return out


def outcomes(seed: int = 0) -> list[Outcome]:
    """Every case run through artefact_findings, timed."""
    results = []
    for case, image, expect, stray in cases(seed):
        rgb: Array = np.asarray(image)
        t0 = time.perf_counter()
        (finding,) = artefact_findings(rgb, expected=expect)
        ms = (time.perf_counter() - t0) * 1000
        results.append(
            Outcome(
                check="image_text",
                case=case,
                expected=stray,
                flagged=finding.status in ("warn", "fail"),
                ms=ms,
            )
        )
    return results


__all__ = ["cases", "draw", "garbled", "outcomes"]
